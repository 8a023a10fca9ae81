/**
 * What a safetensors header declares, as read by readSafetensorsHeader. Numbers are exact up to 2^53; the
 * checks themselves run on exact integers (BigInt) before anything is converted.
 */

/**
 * Kinds of problem the reader reports; each one makes the reference loader refuse the file or lets two
 * loaders read different bytes for the same tensor (a parser differential an attacker can aim at one of them).
 */
export type SafetensorsProblemKind =
  /** Not UTF-8, not JSON, not an object, or not starting with `{`. */
  | 'invalid-header'
  /** A tensor entry that is not `{dtype, shape, data_offsets}` with the right types (negative dims, end < begin...). */
  | 'invalid-tensor'
  /** A dtype the reference does not know. */
  | 'unknown-dtype'
  /** product(shape) x dtype width differs from end - begin, is not whole bytes, or overflows 64 bits. */
  | 'size-mismatch'
  /** Two tensors claim the same bytes (sorted by offsets, a tensor begins before the previous one ends). */
  | 'overlap'
  /** Bytes between two tensors that belong to neither. */
  | 'gap'
  /** Bytes after the last tensor's end: data no tensor declares (hidden payload room). */
  | 'trailing-bytes'
  /** A tensor ends past the end of the file. */
  | 'missing-bytes'
  /** A tensor name (or `__metadata__`) appears twice: parsers disagree on which one counts. */
  | 'duplicate-name'
  /** A key appears twice inside a tensor entry or inside `__metadata__`. */
  | 'duplicate-key'
  /** `__metadata__` is not a map from strings to strings (or null). */
  | 'invalid-metadata'
  /** A tensor entry carries a field the reference ignores (room for hidden content). */
  | 'unexpected-key';

/** One validation problem, with where it is. */
export interface SafetensorsProblem {
  kind: SafetensorsProblemKind;
  /** Name of the tensor concerned, when there is one. */
  tensor?: string;
  message: string;
  /** Byte offset in the file (the header starts at byte 8). */
  offset?: number;
  /** Bounded raw text of the value concerned (for `unexpected-key`: the ignored value). */
  excerpt?: string;
}

/** One tensor entry as declared; fields are null when missing or of the wrong type (a problem says which). */
export interface SafetensorsTensor {
  name: string;
  /** Byte offset of the name in the file. */
  offset: number;
  dtype: string | null;
  shape: number[] | null;
  /** `[begin, end)` relative to the start of the data buffer (byte 8 + headerLength). */
  dataOffsets: [number, number] | null;
  /** product(shape) x width / 8 when dtype and shape are valid and it fits in 64 bits, else null. */
  expectedBytes: number | null;
}

/** One `__metadata__` entry. */
export interface SafetensorsMetadataEntry {
  key: string;
  value: string;
  /** Byte offset of the key in the file. */
  offset: number;
}

/** A parsed and validated safetensors header. */
export interface SafetensorsHeader {
  /** The 8-byte little-endian length field: bytes of JSON (with padding) after it. */
  headerLength: number;
  /** First byte of the data buffer: 8 + headerLength. */
  dataStart: number;
  /** Bytes of the data buffer: file size - 8 - headerLength. */
  dataBytes: number;
  /** Tensor entries in file order; a duplicated name keeps its last entry (what JSON.parse and Python do). */
  tensors: SafetensorsTensor[];
  /** `__metadata__` entries in file order, or null when absent or null. */
  metadata: SafetensorsMetadataEntry[] | null;
  /** Whitespace bytes after the JSON object (the writer pads the header to a multiple of 8 with spaces). */
  padding: number;
  /** Every validation problem found (up to the reader's limit); empty for a valid file. */
  problems: SafetensorsProblem[];
  /** Problems found past the cap on the list. */
  problemsOmitted: number;
}
