/** Closed set of tool-error codes; tests assert codes, not messages. */
export type AntidoteErrorCode =
  | 'USAGE'
  | 'INPUT_NOT_FOUND'
  | 'INPUT_UNREADABLE'
  | 'POLICY_INVALID'
  | 'RESULT_INVALID'
  | 'OUTPUT_UNWRITABLE'
  | 'LOCK_INVALID'
  | 'KEY_INVALID'
  | 'TRUST_ROOT_INVALID'
  | 'MODEL_UNSIGNABLE'
  | 'INTERNAL';

/** A tool or configuration error (exit code 2); never used for findings about an artifact. */
export class AntidoteError extends Error {
  readonly code: AntidoteErrorCode;

  constructor(code: AntidoteErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AntidoteError';
    this.code = code;
  }
}

/** Narrow an unknown thrown value to its message without leaking stack traces into reports. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
