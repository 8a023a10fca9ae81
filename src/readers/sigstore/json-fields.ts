import type { ReadError } from '../../core/read-result.js';

/*
 * Typed access to untrusted JSON (Sigstore bundles, trusted roots, in-toto statements) that names the exact
 * field when something is wrong: `dsseEnvelope.signatures[0].sig: expected a base64 string`. Readers in this
 * folder throw FieldError internally and return it as a ReadResult failure at their boundary.
 */

/** A read failure that names the JSON field (dotted path) where reading stopped. */
export interface FieldReadError extends ReadError {
  /** Dotted path of the field, e.g. `verificationMaterial.tlogEntries[0].logIndex`; empty for the document. */
  field: string;
}

/** Result of the readers in this folder: like `ReadResult`, with the failing field named. */
export type FieldReadResult<T> = { ok: true; value: T } | { ok: false; error: FieldReadError };

/** Thrown inside this folder only, carrying the field path. */
export class FieldError extends Error {
  readonly field: string;
  readonly kind: ReadError['kind'];
  readonly limit: string | undefined;

  constructor(field: string, message: string, kind: ReadError['kind'] = 'malformed', limit?: string) {
    super(message);
    this.name = 'FieldError';
    this.field = field;
    this.kind = kind;
    this.limit = limit;
  }
}

/** Run `read` and turn a FieldError into a failure; other errors are bugs and propagate. */
export function readFields<T>(read: () => T): FieldReadResult<T> {
  try {
    return { ok: true, value: read() };
  } catch (error) {
    if (error instanceof FieldError) {
      const failure: FieldReadError = { kind: error.kind, field: error.field, message: error.field ? `${error.field}: ${error.message}` : error.message };
      if (error.limit) failure.limit = error.limit;
      return { ok: false, error: failure };
    }
    throw error;
  }
}

/** Parse JSON text, reporting a syntax error as a document-level failure. */
export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new FieldError('', `${what} is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** Join a path and a key or index. */
export function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** Require a JSON object (not an array, not null). */
export function asObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FieldError(path, 'expected an object');
  return value as Record<string, unknown>;
}

/** Require an array of at most `max` items. */
export function asArray(value: unknown, path: string, max: number, limitName: string): unknown[] {
  if (!Array.isArray(value)) throw new FieldError(path, 'expected an array');
  if (value.length > max) throw new FieldError(path, `${value.length} items is over the limit of ${max} (${limitName})`, 'limit', limitName);
  return value;
}

/** Require a string. */
export function asString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new FieldError(path, 'expected a string');
  return value;
}

/** Require a non-empty string. */
export function asNonEmptyString(value: unknown, path: string): string {
  const text = asString(value, path);
  if (text.length === 0) throw new FieldError(path, 'must not be empty');
  return text;
}

/** Require a boolean. */
export function asBoolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw new FieldError(path, 'expected true or false');
  return value;
}

/** A protobuf JSON int64/uint64: a decimal string or a safe integer number, never negative. */
export function asUint64(value: unknown, path: string): bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^(0|[1-9]\d{0,19})$/.test(value)) {
    const parsed = BigInt(value);
    if (parsed <= 0xffffffffffffffffn) return parsed;
  }
  throw new FieldError(path, 'expected a non-negative integer (a number or a decimal string)');
}

const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const URL_BASE64 = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}(?:==)?|[A-Za-z0-9_-]{3}=?)?$/;

/**
 * Strict base64 (protobuf JSON `bytes`): standard alphabet with padding, or the URL-safe alphabet with optional
 * padding. Node's decoder silently skips characters it does not know, which would let a tampered signature
 * decode to the original bytes; this one refuses them, and refuses non-zero bits after the last byte so that
 * one byte string has one spelling.
 */
export function decodeBase64Strict(text: string, path: string): Buffer {
  const standard = STANDARD_BASE64.test(text);
  if (!standard && !URL_BASE64.test(text)) throw new FieldError(path, 'expected base64');
  const bytes = Buffer.from(text, standard ? 'base64' : 'base64url');
  const again = bytes.toString(standard ? 'base64' : 'base64url');
  if (again.replace(/=+$/, '') !== text.replace(/=+$/, '')) throw new FieldError(path, 'base64 with non-zero padding bits');
  return bytes;
}

/** Require a base64 string and decode it. */
export function asBase64(value: unknown, path: string): Buffer {
  return decodeBase64Strict(asString(value, path), path);
}

/** Require an RFC 3339 time (as protobuf JSON writes Timestamp) and parse it. */
export function asTimestamp(value: unknown, path: string): Date {
  const text = asString(value, path);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/.test(text)) {
    throw new FieldError(path, `'${text}' is not an RFC 3339 time`);
  }
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw new FieldError(path, `'${text}' is not a valid time`);
  return new Date(time);
}
