import { inflateZlib } from './deflate.js';
import { decodeFailure, overCapError, shiftError, type Decoded, type OutputCap } from './output-cap.js';
import { deflatePrefix } from './zlib-run.js';

/**
 * joblib's pre-0.10 "Z-file" container (joblib/numpy_pickle_compat.py, `write_zfile`/`read_zfile`): the
 * bytes `ZF`, the uncompressed length as `hex(n).ljust(19)` (19 = len(hex(2**64))), then one zlib stream.
 * joblib < 0.10 wrote the main pickle this way and every array to a companion `*.z` file the same way;
 * joblib >= 0.10 still loads such files (`load_compatibility`). joblib <= 0.8.4 on Python 2 wrote one more
 * space, which read_zfile skips (a zlib stream never starts with 0x20).
 */

/** The prefix joblib checks (`_ZFILE_PREFIX`). */
export const ZF_PREFIX = Buffer.from('ZF', 'latin1');
/** Width of the length field: `len(hex(2**64))`, joblib's `_MAX_LEN`. */
export const ZF_LENGTH_FIELD_BYTES = 19;

/** What the Z-file header says. */
export interface ZfHeader {
  /** The length field; read_zfile asserts the zlib output has exactly this many bytes. */
  declaredLength: number;
  /** Where the zlib stream starts (21, or 22 after the Python 2 extra space). */
  dataOffset: number;
}

// Python's int(bytes, 16): surrounding ASCII whitespace, an optional sign, an optional 0x prefix (optionally
// followed by one underscore) and hex digits with single underscores between them.
const PY_HEX_INT = /^[ \t\n\v\f\r]*([+-]?)(?:0[xX]_?)?([0-9a-fA-F]+(?:_[0-9a-fA-F]+)*)[ \t\n\v\f\r]*$/;

/**
 * Parse a Z-file header from the first 22+ bytes, or null when joblib could not read the file as one (no
 * prefix, a length field `int(..., 16)` rejects, or a negative length, which zlib.decompress refuses).
 */
export function parseZfHeader(head: Buffer): ZfHeader | null {
  const fieldEnd = ZF_PREFIX.length + ZF_LENGTH_FIELD_BYTES;
  if (head.length < fieldEnd || !head.subarray(0, ZF_PREFIX.length).equals(ZF_PREFIX)) return null;
  const match = PY_HEX_INT.exec(head.subarray(ZF_PREFIX.length, fieldEnd).toString('latin1'));
  if (!match) return null;
  const digits = (match[2] ?? '').replace(/_/g, '');
  const value = BigInt(`0x${digits}`);
  if (match[1] === '-' && value !== 0n) return null;
  // Lengths past 2^53 lose precision here, but any such length is far over every output limit anyway.
  const declaredLength = value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
  const dataOffset = head[fieldEnd] === 0x20 ? fieldEnd + 1 : fieldEnd;
  return { declaredLength, dataOffset };
}

/**
 * Decode a Z-file: the zlib stream after the header, which must inflate to exactly the declared length
 * (read_zfile asserts it). A declared length over the cap is refused before inflating; output past the
 * declared length is malformed, since joblib refuses it.
 */
export function decodeJoblibZf(input: Buffer, cap: OutputCap): Decoded {
  const header = parseZfHeader(input.subarray(0, ZF_PREFIX.length + ZF_LENGTH_FIELD_BYTES + 1));
  if (header === null) {
    if (input.length < ZF_PREFIX.length + ZF_LENGTH_FIELD_BYTES) {
      return decodeFailure({ kind: 'truncated', offset: input.length, message: 'joblib Z-file ends inside its 21-byte header' });
    }
    return decodeFailure({ kind: 'malformed', offset: ZF_PREFIX.length, message: 'joblib Z-file length field is not a length joblib can read' });
  }
  const body = input.subarray(header.dataOffset);
  if (header.declaredLength > cap.bytes) {
    const data = deflatePrefix('zlib', body, cap.bytes);
    return { data, error: overCapError(cap, 'joblib Z-file', ZF_PREFIX.length, header.declaredLength), produced: data.length };
  }
  const inflated = inflateZlib(body, { ...cap, bytes: header.declaredLength }, 'joblib Z-file zlib stream');
  let error = shiftError(inflated.error, header.dataOffset);
  if (error?.kind === 'limit') {
    error = {
      kind: 'malformed',
      offset: header.dataOffset,
      message: `joblib Z-file inflates past its declared length of ${header.declaredLength} bytes; read_zfile's assert refuses it`,
    };
  } else if (error === null && inflated.data.length !== header.declaredLength) {
    error = {
      kind: 'malformed',
      offset: ZF_PREFIX.length,
      message: `joblib Z-file inflates to ${inflated.data.length} bytes but declares ${header.declaredLength}; read_zfile's assert refuses it`,
    };
  }
  return { data: inflated.data, error, produced: inflated.produced };
}
