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
  return encode(value, 0);
}

/** A value nested deeper than {@link MAX_ENCODE_DEPTH}: the row is recorded as bad instead of crashing. */
export class EncodeDepthError extends RangeError {
  constructor() {
    super(`value nested deeper than ${MAX_ENCODE_DEPTH} levels`);
    this.name = 'EncodeDepthError';
  }
}

// Built by string concatenation: V8's ropes make that cheaper than collecting parts and joining them.
function encode(value: DatasetValue | undefined, depth: number): string {
  if (depth > MAX_ENCODE_DEPTH) throw new EncodeDepthError();
  switch (typeof value) {
    case 'string':
      // ES2019 JSON.stringify is exactly RFC 8785's string form: minimal escapes, lowercase \u00xx for other
      // controls, and lone surrogates escaped (so UTF-8 encoding below never replaces one with U+FFFD).
      return JSON.stringify(value);
    case 'number':
      // Number::toString is RFC 8785's number form (-0 prints as 0); JSON has no NaN or Infinity.
      return Number.isFinite(value) ? JSON.stringify(value) : `!float(${String(value)})`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return `!int(${value.toString(10)})`;
    case 'undefined':
      // Not a DatasetValue, but a reader could leave a hole (a sparse array); encoding it keeps it visible.
      return '!undefined';
    case 'object':
      break;
    default:
      return `!unsupported(${typeof value})`;
  }
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `!bytes(${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')})`;
  if (value instanceof Date) {
    const time = value.getTime();
    return `!date(${Number.isNaN(time) ? 'invalid' : value.toISOString()})`;
  }
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    // Typed arrays other than bytes (Arrow list<float32>...) encode as the list of their numbers.
    const items = value as ArrayLike<DatasetValue>;
    let out = '[';
    for (let i = 0; i < items.length; i++) out += (i > 0 ? ',' : '') + encode(items[i], depth + 1);
    return `${out}]`;
  }
  const record = value as { readonly [key: string]: DatasetValue };
  const { sorted, quoted } = keyOrder(Object.keys(record));
  let out = '{';
  for (let i = 0; i < sorted.length; i++) out += `${i > 0 ? ',' : ''}${quoted[i]}:${encode(record[sorted[i]!], depth + 1)}`;
  return `${out}}`;
}

/**
 * The sorted keys of an object and their encoded forms. Rows of a dataset mostly share one shape, so the last
 * few shapes are remembered: a row with the same keys in the same order reuses the sort and the quoting.
 */
const recentShapes: { keys: string[]; sorted: string[]; quoted: string[] }[] = [];
/** Shapes remembered (a row and a few nested object shapes). */
const MAX_RECENT_SHAPES = 8;

function keyOrder(keys: string[]): { sorted: string[]; quoted: string[] } {
  for (const shape of recentShapes) {
    if (shape.keys.length !== keys.length) continue;
    let same = true;
    for (let i = 0; i < keys.length && same; i++) same = shape.keys[i] === keys[i];
    if (same) return shape;
  }
  // Default sort compares UTF-16 code units, which is RFC 8785's key order.
  const sorted = [...keys].sort();
  const shape = { keys, sorted, quoted: sorted.map((k) => JSON.stringify(k)) };
  if (recentShapes.length >= MAX_RECENT_SHAPES) recentShapes.pop();
  recentShapes.unshift(shape);
  return shape;
}
