import type { ByteSource } from '../../core/byte-source.js';
import type { ReadError } from '../../core/read-result.js';

/*
 * A minimal protobuf wire-format decoder (https://protobuf.dev/programming-guides/encoding/) for hostile
 * files. It knows no schema: callers walk a message's fields and decode only the field numbers they need,
 * skipping the rest by length. It never throws and never allocates from a length it has not checked: a
 * length prefix must fit inside the enclosing message (hence inside the file) before anything is read, so a
 * prefix claiming 2^60 bytes is an error, not an allocation. Reads go through a small window over a
 * ByteSource, so a multi-GB model with large raw_data blobs is walked without loading the blobs.
 */

/** protobuf's own recursion limit (CodedInputStream kDefaultRecursionLimit): deeper nesting is refused by the reference parser too (CWE-674). */
export const MAX_MESSAGE_DEPTH = 100;
/** Fields visited per file, across every message. Bounds CPU on floods of tiny fields (CWE-400); a 2 GB model has far fewer. */
export const MAX_FIELDS = 50_000_000;
/** Bytes fetched per window refill: varints and tags are read from it without a read() per byte. */
export const WINDOW_BYTES = 64 * 1024;
/** A varint is at most 10 bytes (64 bits, 7 per byte). */
const MAX_VARINT_BYTES = 10;
/** Largest field number protobuf allows (2^29 - 1). */
const MAX_FIELD_NUMBER = 0x1fffffff;

/** Wire types that carry a value (groups are skipped inside the walker). */
export type WireType = 0 | 1 | 2 | 5;
/** Wire type names for messages. */
export const WIRE_TYPE_NAMES: Readonly<Record<number, string>> = { 0: 'varint', 1: 'fixed64', 2: 'length-delimited', 3: 'start-group', 4: 'end-group', 5: 'fixed32' };

/** One decoded field: its number, wire type and where its value is. */
export interface WireField {
  number: number;
  wireType: WireType;
  /** Offset of the tag in the source. */
  offset: number;
  /** Varint, fixed64 or fixed32 value (unsigned); 0n for length-delimited fields. */
  value: bigint;
  /** Payload range for length-delimited fields: [start, end). For other types, start = end = after the value. */
  start: number;
  end: number;
  /** Set when the payload ran past the end of the source and `end` was cut to it (see FieldWalker `clampAtEnd`). */
  clamped?: true;
}

/** Shared per-file counter of visited fields (MAX_FIELDS). */
export interface FieldBudget {
  used: number;
  limit: number;
}

/** A new field budget. */
export function fieldBudget(limit: number = MAX_FIELDS): FieldBudget {
  return { used: 0, limit };
}

/** Cached random access to a ByteSource: one window of WINDOW_BYTES, refilled on a miss. */
export class ByteWindow {
  private base = 0;
  private buffer: Buffer = Buffer.alloc(0);

  constructor(readonly source: ByteSource) {}

  /** Size of the underlying source. */
  get size(): number {
    return this.source.size;
  }

  /** The byte at `position`, or undefined past the end. */
  byteAt(position: number): number | undefined {
    if (position < this.base || position >= this.base + this.buffer.length) {
      if (position < 0 || position >= this.source.size) return undefined;
      this.base = position;
      this.buffer = this.source.read(position, WINDOW_BYTES);
    }
    return this.buffer[position - this.base];
  }

  /** `length` bytes at `position`. Callers bound `length` first; shorter only at the end of the source. */
  bytes(position: number, length: number): Buffer {
    if (length <= 0) return Buffer.alloc(0);
    if (position >= this.base && position + length <= this.base + this.buffer.length) {
      return this.buffer.subarray(position - this.base, position - this.base + length);
    }
    return this.source.read(position, length);
  }
}

/** Result of a varint read: the value and the offset after it, or an error. */
type VarintRead = { ok: true; value: bigint; next: number } | { ok: false; error: ReadError };

/** Decode one varint at `position`, not reading at or past `end`. */
export function readVarint(window: ByteWindow, position: number, end: number): VarintRead {
  let low = 0;
  let result = 0n;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    const at = position + i;
    if (at >= end) return { ok: false, error: { kind: 'truncated', message: 'varint runs past the end of its message', offset: position } };
    const byte = window.byteAt(at);
    if (byte === undefined) return { ok: false, error: { kind: 'truncated', message: 'varint runs past the end of the file', offset: position } };
    // Numbers are exact below 2^53: the first 7 bytes (49 bits) accumulate as a number, the rest as a bigint.
    if (i < 7) low += (byte & 0x7f) * 2 ** (7 * i);
    else result |= BigInt(byte & 0x7f) << BigInt(7 * i);
    if ((byte & 0x80) === 0) {
      // Bits past 64 in the tenth byte are dropped, as the reference parser does.
      const value = (result | BigInt(low)) & 0xffff_ffff_ffff_ffffn;
      return { ok: true, value, next: at + 1 };
    }
  }
  return { ok: false, error: { kind: 'malformed', message: 'varint longer than 10 bytes', offset: position } };
}

/** A varint read as a signed int64 (two's complement), as protobuf's int64/int32 fields are. */
export function asInt64(value: bigint): bigint {
  return BigInt.asIntN(64, value);
}

/**
 * Walks the fields of one message, `[start, end)`. `next()` returns the next field, or null at the end or on
 * an error (then `error` says why and where). Start- and end-group fields (deprecated, unused by ONNX and
 * TensorFlow) are skipped with bounded nesting, as the reference parser skips unknown groups.
 *
 * With `clampAtEnd`, a message that reaches the end of the source is read as a cut file: a length-delimited
 * field running past that end is returned with its payload cut to the bytes that exist (`clamped`), and
 * `truncation` says so. The reader can then look inside the last, cut message (the graph of a truncated
 * model) instead of losing everything in it. A length that overruns an enclosing message which ends before
 * the end of the source is still an error: that is a lie, not a cut.
 */
export class FieldWalker {
  position: number;
  error: ReadError | null = null;
  /** Set when a field was cut at the end of the source (clampAtEnd). */
  truncation: ReadError | null = null;

  constructor(
    private readonly window: ByteWindow,
    start: number,
    readonly end: number,
    private readonly budget: FieldBudget,
    private readonly clampAtEnd = false,
  ) {
    this.position = start;
  }

  /** The next field, or null at the end of the message or on an error (see `error`). */
  next(): WireField | null {
    for (;;) {
      if (this.error || this.position >= this.end) return null;
      const field = this.readField(this.position);
      if (!field) return null;
      if (field.wireType === 3) {
        if (!this.skipGroup(field.number, field.offset)) return null;
        continue;
      }
      if (field.wireType === 4) return this.fail('malformed', `end-group tag for field ${field.number} without a start-group`, field.offset);
      return field as WireField;
    }
  }

  private fail(kind: ReadError['kind'], message: string, offset: number, limit?: string): null {
    this.error = { kind, message, offset, ...(limit ? { limit } : {}) };
    return null;
  }

  /** Read the tag and value at `at`; advances `position` past the field. Groups return with wireType 3/4 and no value. */
  private readField(at: number): (Omit<WireField, 'wireType'> & { wireType: number }) | null {
    if (++this.budget.used > this.budget.limit) return this.fail('limit', `more than ${this.budget.limit} protobuf fields`, at, 'maxProtobufFields');
    const tag = readVarint(this.window, at, this.end);
    if (!tag.ok) return this.fail(tag.error.kind, `field tag: ${tag.error.message}`, at);
    if (tag.value > BigInt(MAX_FIELD_NUMBER) * 8n + 7n) return this.fail('malformed', 'field number beyond 2^29 - 1', at);
    const number = Number(tag.value >> 3n);
    const wireType = Number(tag.value & 7n);
    if (number === 0) return this.fail('malformed', 'field number 0', at);
    let next = tag.next;
    let value = 0n;
    let start = next;
    let end = next;
    switch (wireType) {
      case 0: {
        const v = readVarint(this.window, next, this.end);
        if (!v.ok) return this.fail(v.error.kind, `field ${number}: ${v.error.message}`, at);
        value = v.value;
        next = start = end = v.next;
        break;
      }
      case 1:
      case 5: {
        const width = wireType === 1 ? 8 : 4;
        if (next + width > this.end) return this.fail('truncated', `field ${number}: fixed${width * 8} value runs past the end of its message`, at);
        const bytes = this.window.bytes(next, width);
        if (bytes.length < width) return this.fail('truncated', `field ${number}: fixed${width * 8} value runs past the end of the file`, at);
        value = width === 8 ? bytes.readBigUInt64LE(0) : BigInt(bytes.readUInt32LE(0));
        next = start = end = next + width;
        break;
      }
      case 2: {
        const length = readVarint(this.window, next, this.end);
        if (!length.ok) return this.fail(length.error.kind, `field ${number}: length ${length.error.message}`, at);
        // Checked before anything is read or allocated: the payload must fit in the enclosing message.
        if (length.value > BigInt(this.end - length.next)) {
          const message = `field ${number} claims ${length.value} bytes but only ${this.end - length.next} remain in its message`;
          if (!this.clampAtEnd || this.end !== this.window.size) return this.fail('truncated', message, at);
          this.truncation = { kind: 'truncated', message: `${message}, which runs to the end of the file`, offset: at };
          this.position = this.end;
          return { number, wireType, offset: at, value, start: length.next, end: this.end, clamped: true };
        }
        start = length.next;
        end = start + Number(length.value);
        next = end;
        break;
      }
      case 3:
      case 4:
        break;
      default:
        return this.fail('malformed', `field ${number} has invalid wire type ${wireType}`, at);
    }
    this.position = next;
    return { number, wireType, offset: at, value, start, end };
  }

  /** Skip to the end-group matching `number`; nested groups count against MAX_MESSAGE_DEPTH. */
  private skipGroup(number: number, offset: number): boolean {
    const open = [number];
    while (open.length > 0) {
      if (open.length > MAX_MESSAGE_DEPTH) {
        this.fail('limit', `groups nested deeper than ${MAX_MESSAGE_DEPTH}`, offset, 'maxMessageDepth');
        return false;
      }
      if (this.position >= this.end) {
        this.fail('truncated', `group ${number} is not closed before the end of its message`, offset);
        return false;
      }
      const field = this.readField(this.position);
      if (!field) return false;
      if (field.wireType === 3) open.push(field.number);
      else if (field.wireType === 4) {
        if (open.pop() !== field.number) {
          this.fail('malformed', `end-group tag for field ${field.number} does not match its start`, field.offset);
          return false;
        }
      }
    }
    return true;
  }
}

/** Decoded text of a length-delimited field, cut to `maxBytes`. */
export interface WireString {
  text: string;
  /** Bytes the field holds (the text may be cut). */
  length: number;
  truncated: boolean;
}

/** The UTF-8 text of a length-delimited field, reading at most `maxBytes` (invalid UTF-8 becomes U+FFFD). */
export function readString(window: ByteWindow, field: WireField, maxBytes: number): WireString {
  const length = field.end - field.start;
  const take = Math.min(length, Math.max(0, maxBytes));
  return { text: window.bytes(field.start, take).toString('utf8'), length, truncated: take < length };
}

/**
 * The values of a repeated varint field, which may be packed (one length-delimited run) or not (one varint).
 * Appends to `into` up to `max` values; returns an error when a packed run is corrupt, or 'limit' past `max`.
 */
export function readRepeatedVarint(window: ByteWindow, field: WireField, into: bigint[], max: number): ReadError | null {
  if (field.wireType === 0) {
    if (into.length >= max) return { kind: 'limit', message: `more than ${max} values in a repeated field`, offset: field.offset };
    into.push(field.value);
    return null;
  }
  if (field.wireType !== 2) return { kind: 'malformed', message: `field ${field.number} should be a varint, is ${WIRE_TYPE_NAMES[field.wireType]}`, offset: field.offset };
  let at = field.start;
  while (at < field.end) {
    if (into.length >= max) return { kind: 'limit', message: `more than ${max} values in a repeated field`, offset: at };
    const v = readVarint(window, at, field.end);
    if (!v.ok) return { ...v.error, message: `packed field ${field.number}: ${v.error.message}` };
    into.push(v.value);
    at = v.next;
  }
  return null;
}
