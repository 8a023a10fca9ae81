import type { DatasetValue } from '../../readers/dataset/types.js';

/*
 * The canonical encoding of one dataset row (`antidote-row-v1`, specified in docs/lockfile.md): RFC 8785
 * (JSON Canonicalization Scheme) for JSON values, so a row's digest does not depend on key order, spacing or
 * escaping choices of the writer, extended with typed tokens for values JSON cannot carry (bigint, bytes,
 * dates, non-finite floats from Parquet and Arrow). A typed token starts with `!`, which cannot start a JSON
 * value, so no JSON row can encode to the same text as a typed one (a string "!int(1)" is quoted).
 */

/** Version tag of the encoding; a lockfile names it so a future encoding is never compared with this one. */
export const ROW_ENCODING = 'antidote-row-v1';

/**
 * Nesting depth past which a value is not encoded. Readers already bound depth; this guard keeps a hostile
 * in-memory value (or a reader bug) from overflowing the stack (CWE-674).
 */
export const MAX_ENCODE_DEPTH = 256;

/** Canonical text of a row or any dataset value; pure and deterministic. */
export function canonicalize(value: DatasetValue | undefined): string {
  const parts: string[] = [];
  encode(value, parts, 0);
  return parts.join('');
}

/** A value nested deeper than {@link MAX_ENCODE_DEPTH}: the row is recorded as bad instead of crashing. */
export class EncodeDepthError extends RangeError {
  constructor() {
    super(`value nested deeper than ${MAX_ENCODE_DEPTH} levels`);
    this.name = 'EncodeDepthError';
  }
}

function encode(value: DatasetValue | undefined, out: string[], depth: number): void {
  if (depth > MAX_ENCODE_DEPTH) throw new EncodeDepthError();
  switch (typeof value) {
    case 'string':
      // ES2019 JSON.stringify is exactly RFC 8785's string form: minimal escapes, lowercase \u00xx for other
      // controls, and lone surrogates escaped (so UTF-8 encoding below never replaces one with U+FFFD).
      out.push(JSON.stringify(value));
      return;
    case 'number':
      // Number::toString is RFC 8785's number form (-0 prints as 0); JSON has no NaN or Infinity.
      out.push(Number.isFinite(value) ? JSON.stringify(value) : `!float(${String(value)})`);
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'bigint':
      out.push(`!int(${value.toString(10)})`);
      return;
    case 'undefined':
      // Not a DatasetValue, but a reader could leave a hole (a sparse array); encoding it keeps it visible.
      out.push('!undefined');
      return;
    case 'object':
      break;
    default:
      out.push(`!unsupported(${typeof value})`);
      return;
  }
  if (value === null) {
    out.push('null');
    return;
  }
  if (value instanceof Uint8Array) {
    out.push(`!bytes(${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')})`);
    return;
  }
  if (value instanceof Date) {
    const time = value.getTime();
    out.push(`!date(${Number.isNaN(time) ? 'invalid' : value.toISOString()})`);
    return;
  }
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    // Typed arrays other than bytes (Arrow list<float32>...) encode as the list of their numbers.
    const items = value as ArrayLike<DatasetValue>;
    out.push('[');
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out.push(',');
      encode(items[i], out, depth + 1);
    }
    out.push(']');
    return;
  }
  const record = value as { readonly [key: string]: DatasetValue };
  // Default sort compares UTF-16 code units, which is RFC 8785's key order.
  const keys = Object.keys(record).sort();
  out.push('{');
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i > 0) out.push(',');
    out.push(JSON.stringify(key), ':');
    encode(record[key], out, depth + 1);
  }
  out.push('}');
}
