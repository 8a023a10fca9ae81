/** Why a reader stopped: a structural problem in the bytes, or a named limit that was reached. */
export interface ReadError {
  kind: 'malformed' | 'truncated' | 'limit' | 'unsupported' | 'io';
  message: string;
  /** Byte offset where reading stopped, when known. */
  offset?: number;
  /** Name of the limit, for `kind: 'limit'` (e.g. `maxOpcodes`). */
  limit?: string;
}

/** Readers never throw past their boundary: they return this instead. */
export type ReadResult<T> = { ok: true; value: T } | { ok: false; error: ReadError };

/** Construct a success. */
export function ok<T>(value: T): ReadResult<T> {
  return { ok: true, value };
}

/** Construct a failure. */
export function fail<T = never>(error: ReadError): ReadResult<T> {
  return { ok: false, error };
}
