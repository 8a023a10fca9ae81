import { isUtf8 } from 'node:buffer';
import { errorMessage, fail, ok, type ByteSource, type Limits, type ReadResult } from '../../core/index.js';
import { dtypeBits } from './dtypes.js';
import { HeaderLimitError, parseHeaderJson, U64_MAX, type RawTensor } from './header-json.js';
import type { SafetensorsHeader, SafetensorsProblem, SafetensorsTensor } from './header-types.js';

/*
 * A safetensors file (huggingface/safetensors, docs and safetensors/src/tensor.rs) is an 8-byte little-endian
 * length N, N bytes of UTF-8 JSON (padded with spaces to a multiple of 8), then one data buffer. The JSON
 * maps tensor names to {dtype, shape, data_offsets: [begin, end]} relative to the buffer, plus an optional
 * `__metadata__` map of strings. The format holds no code; what an attacker can do is make two loaders read
 * different tensors (duplicate names, overlapping or gapped offsets, odd numbers), crash or over-allocate a
 * loader (sizes that overflow), or hide bytes no tensor declares. This reader checks everything
 * `Metadata::validate` and `read_metadata` check, reports every problem instead of stopping at the first,
 * and never reads the tensor data.
 */

/** Bytes of the length field. */
export const SAFETENSORS_LENGTH_BYTES = 8;
/** The reference's MAX_HEADER_SIZE: it refuses longer headers, and the header is read into memory whole. */
export const MAX_HEADER_BYTES = 100_000_000;
/** Tensor entries per file. Sharded checkpoints hold a few thousand per shard; each entry costs memory here. */
export const MAX_TENSORS = 200_000;
/** Dimensions per shape. PyTorch and NumPy 2 stop at 64; more is a flood, not a tensor. */
export const MAX_SHAPE_RANK = 64;
/** `__metadata__` entries. Training tools write tens to a few hundred; each entry is kept and scanned. */
export const MAX_METADATA_ENTRIES = 10_000;
/** JSON nesting: serde_json's recursion limit (128); deeper JSON fails in the reference anyway. */
export const MAX_JSON_DEPTH = 128;
/** Problems kept per file; the rest are counted. A hostile header can produce one per tensor. */
export const MAX_PROBLEMS = 1_000;
/** Bytes of an ignored value kept as an excerpt for the detector to check. */
export const MAX_EXCERPT_BYTES = 256;

/** The safetensors limits above, overridable per call (tests, policy). */
export interface SafetensorsLimits {
  maxHeaderBytes: number;
  maxTensors: number;
  maxShapeRank: number;
  maxMetadataEntries: number;
  maxJsonDepth: number;
  maxProblems: number;
  maxExcerptBytes: number;
}

/** The named constants as one object. */
export const DEFAULT_SAFETENSORS_LIMITS: Readonly<SafetensorsLimits> = Object.freeze({
  maxHeaderBytes: MAX_HEADER_BYTES,
  maxTensors: MAX_TENSORS,
  maxShapeRank: MAX_SHAPE_RANK,
  maxMetadataEntries: MAX_METADATA_ENTRIES,
  maxJsonDepth: MAX_JSON_DEPTH,
  maxProblems: MAX_PROBLEMS,
  maxExcerptBytes: MAX_EXCERPT_BYTES,
});

/** Largest length field a real file has: data offsets are usize and files fit in 2^53 bytes in practice. */
const MAX_PLAUSIBLE_LENGTH = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * True when `head` (the first bytes of an object of `size` bytes) looks like a safetensors file: a length
 * field of at least 2 whose top bytes are zero (text and random data rarely have that), then optional JSON
 * whitespace, `{`, optional whitespace and `"` or `}` (a JSON object's first token). Leading whitespace is
 * allowed because the reference reads such files: a scanner that missed them would skip loadable models.
 */
export function sniffSafetensors(head: Buffer, size: number): boolean {
  if (head.length < SAFETENSORS_LENGTH_BYTES + 2 || size < SAFETENSORS_LENGTH_BYTES + 2) return false;
  const length = head.readBigUInt64LE(0);
  if (length < 2n || length > MAX_PLAUSIBLE_LENGTH) return false;
  let i = SAFETENSORS_LENGTH_BYTES;
  while (i < head.length && isJsonWhitespace(head[i])) i++;
  if (head[i] !== 0x7b) return false;
  i++;
  while (i < head.length && isJsonWhitespace(head[i])) i++;
  return head[i] === 0x22 || head[i] === 0x7d;
}

function isJsonWhitespace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/**
 * Read and validate a safetensors header. Fails (never throws) only when the header cannot be read: the
 * file is shorter than its length field says, or a named limit is reached (checked before allocating).
 * Everything else the reference would refuse, and everything that lets two loaders disagree, is listed in
 * `problems`; an empty list means the reference loads the file and reads exactly the declared bytes.
 */
export function readSafetensorsHeader(
  source: ByteSource,
  limits: Limits,
  overrides: Partial<SafetensorsLimits> = {},
): ReadResult<SafetensorsHeader> {
  try {
    return readHeader(source, limits, { ...DEFAULT_SAFETENSORS_LIMITS, ...overrides });
  } catch (error) {
    if (error instanceof HeaderLimitError) return fail({ kind: 'limit', limit: error.limit, offset: error.offset, message: error.message });
    const io = typeof (error as { syscall?: unknown }).syscall === 'string';
    return fail({ kind: io ? 'io' : 'malformed', message: `reading the safetensors header failed: ${errorMessage(error)}` });
  }
}

function readHeader(source: ByteSource, limits: Limits, st: SafetensorsLimits): ReadResult<SafetensorsHeader> {
  if (source.size < SAFETENSORS_LENGTH_BYTES) {
    return fail({ kind: 'truncated', offset: source.size, message: `safetensors file of ${source.size} bytes ends inside its 8-byte header length` });
  }
  const length = source.read(0, SAFETENSORS_LENGTH_BYTES).readBigUInt64LE(0);
  // Never buffer more than one member may expand to, nor more than the reference reads.
  const maxHeader = Math.min(st.maxHeaderBytes, limits.maxMemberBytes);
  if (length > BigInt(maxHeader)) {
    return fail({
      kind: 'limit',
      limit: 'maxHeaderBytes',
      offset: 0,
      message: `safetensors header declares ${length} bytes, over the ${maxHeader}-byte limit (the reference refuses headers over ${MAX_HEADER_BYTES} bytes)`,
    });
  }
  const headerLength = Number(length);
  const dataStart = SAFETENSORS_LENGTH_BYTES + headerLength;
  if (dataStart > source.size) {
    return fail({
      kind: 'truncated',
      offset: source.size,
      message: `safetensors header declares ${headerLength} bytes but the file ends ${dataStart - source.size} bytes before its end`,
    });
  }
  const bytes = source.read(SAFETENSORS_LENGTH_BYTES, headerLength);
  if (bytes.length < headerLength) return fail({ kind: 'truncated', offset: SAFETENSORS_LENGTH_BYTES + bytes.length, message: 'safetensors header could not be read whole' });

  const problems = new ProblemLog(st.maxProblems);
  const dataBytes = source.size - dataStart;
  const header: SafetensorsHeader = { headerLength, dataStart, dataBytes, tensors: [], metadata: null, padding: 0, problems: problems.list, problemsOmitted: 0 };
  if (!isUtf8(bytes)) {
    problems.add({ kind: 'invalid-header', message: 'header is not valid UTF-8: the reference refuses it, lenient decoders read something else', offset: SAFETENSORS_LENGTH_BYTES });
    header.problemsOmitted = problems.omitted;
    return ok(header);
  }
  const parsed = parseHeaderJson(
    bytes,
    SAFETENSORS_LENGTH_BYTES,
    { maxTensors: st.maxTensors, maxShapeRank: st.maxShapeRank, maxMetadataEntries: st.maxMetadataEntries, maxJsonDepth: st.maxJsonDepth, maxExcerptBytes: st.maxExcerptBytes },
    problems,
  );
  header.metadata = parsed.metadata;
  header.padding = parsed.padding;
  header.tensors = parsed.tensors.map((raw) => checkTensor(raw, problems));
  // Layout only means something for JSON the reference reads; a syntax error already makes the file unloadable.
  if (!parsed.syntaxError) checkLayout(parsed.tensors, BigInt(dataBytes), problems);
  header.problemsOmitted = problems.omitted;
  return ok(header);
}

/** Problems, capped at a limit; past it they are only counted. */
class ProblemLog {
  readonly list: SafetensorsProblem[] = [];
  omitted = 0;

  constructor(private readonly max: number) {}

  add(problem: SafetensorsProblem): void {
    if (this.list.length < this.max) this.list.push(problem);
    else this.omitted++;
  }
}

/** Check dtype and size of one entry (the per-tensor half of Metadata::validate) and convert it for output. */
function checkTensor(raw: RawTensor, problems: ProblemLog): SafetensorsTensor {
  const tensor: SafetensorsTensor = {
    name: raw.name,
    offset: raw.offset,
    dtype: raw.dtype,
    shape: raw.shape ? raw.shape.map(Number) : null,
    dataOffsets: raw.dataOffsets ? [Number(raw.dataOffsets[0]), Number(raw.dataOffsets[1])] : null,
    expectedBytes: null,
  };
  const bits = raw.dtype === null ? undefined : dtypeBits(raw.dtype);
  if (raw.dtype !== null && bits === undefined) {
    problems.add({
      kind: 'unknown-dtype',
      tensor: raw.name,
      message: `dtype ${JSON.stringify(raw.dtype.slice(0, 40))} is not one the reference knows: it refuses the file, a lenient loader guesses a width`,
      offset: raw.offset,
    });
  }
  if (raw.dataOffsets && raw.dataOffsets[1] < raw.dataOffsets[0]) {
    problems.add({ kind: 'invalid-tensor', tensor: raw.name, message: `data_offsets [${raw.dataOffsets[0]}, ${raw.dataOffsets[1]}] end before they begin`, offset: raw.offset });
  }
  if (bits === undefined || raw.shape === null) return tensor;

  // The reference folds with checked usize multiplication: an intermediate product past 2^64 - 1 is an
  // error even when a later 0 would bring the count back down, so stop at the first overflow.
  let elements = 1n;
  let overflow = false;
  for (const dim of raw.shape) {
    elements *= dim;
    if (elements > U64_MAX) {
      overflow = true;
      break;
    }
  }
  const totalBits = elements * BigInt(bits);
  if (overflow || totalBits > U64_MAX) {
    problems.add({
      kind: 'size-mismatch',
      tensor: raw.name,
      message: `shape [${raw.shape.join(', ')}] of ${raw.dtype} overflows 64 bits: the reference refuses it, an unchecked loader wraps around and allocates the wrong size`,
      offset: raw.offset,
    });
    return tensor;
  }
  if (totalBits % 8n !== 0n) {
    problems.add({
      kind: 'size-mismatch',
      tensor: raw.name,
      message: `${elements} elements of ${bits}-bit ${raw.dtype} do not fill whole bytes (the reference's MisalignedSlice)`,
      offset: raw.offset,
    });
    return tensor;
  }
  const expected = totalBits / 8n;
  tensor.expectedBytes = Number(expected);
  if (raw.dataOffsets && raw.dataOffsets[1] >= raw.dataOffsets[0]) {
    const declared = raw.dataOffsets[1] - raw.dataOffsets[0];
    if (declared !== expected) {
      problems.add({
        kind: 'size-mismatch',
        tensor: raw.name,
        message: `shape [${raw.shape.join(', ')}] of ${raw.dtype} is ${expected} bytes but data_offsets span ${declared}`,
        offset: raw.offset,
      });
    }
  }
  return tensor;
}

/**
 * The layout half of Metadata::validate plus read_metadata's last check: sorted by (begin, end), every
 * tensor begins where the previous one ended, and the last one ends exactly at the end of the file.
 */
function checkLayout(tensors: RawTensor[], dataBytes: bigint, problems: ProblemLog): void {
  const placed = tensors.filter((t): t is RawTensor & { dataOffsets: [bigint, bigint] } => t.dataOffsets !== null && t.dataOffsets[1] >= t.dataOffsets[0]);
  placed.sort((a, b) => compareBig(a.dataOffsets[0], b.dataOffsets[0]) || compareBig(a.dataOffsets[1], b.dataOffsets[1]));
  let cursor = 0n;
  let previous: string | null = null;
  for (const tensor of placed) {
    const [begin, end] = tensor.dataOffsets;
    if (begin > cursor) {
      problems.add({
        kind: 'gap',
        tensor: tensor.name,
        message: `data bytes [${cursor}, ${begin}) before tensor ${quote(tensor.name)} belong to no tensor`,
        offset: tensor.offset,
      });
    } else if (begin < cursor) {
      problems.add({
        kind: 'overlap',
        tensor: tensor.name,
        message: `tensor ${quote(tensor.name)} at [${begin}, ${end}) overlaps tensor ${quote(previous ?? '')} ending at ${cursor}: two tensors share bytes`,
        offset: tensor.offset,
      });
    }
    if (end >= cursor) {
      cursor = end;
      previous = tensor.name;
    }
  }
  if (cursor < dataBytes) {
    problems.add({
      kind: 'trailing-bytes',
      message: `${dataBytes - cursor} data bytes after the last tensor (which ends at ${cursor} of ${dataBytes}) belong to no tensor`,
    });
  } else if (cursor > dataBytes) {
    problems.add({
      kind: 'missing-bytes',
      tensor: previous ?? undefined,
      message: `tensor ${quote(previous ?? '')} ends at data byte ${cursor} but only ${dataBytes} data bytes follow the header`,
    });
  }
}

function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function quote(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 77)}...` : name);
}
