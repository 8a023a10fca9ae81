import { constants as bufferConstants } from 'node:buffer';
import * as zlib from 'node:zlib';
import { errorMessage } from '../../core/index.js';

/**
 * One bounded call into node:zlib's synchronous API, with the outcome sorted into what the callers act on.
 * `maxOutputLength` makes zlib stop and throw as soon as the output would pass the cap, so a bomb costs at
 * most the cap in memory and time.
 */
export type ZlibRun =
  | { kind: 'ok'; output: Buffer; consumed: number }
  | { kind: 'overflow' }
  | { kind: 'truncated' }
  | { kind: 'needs-dictionary' }
  | { kind: 'corrupt'; message: string };

/** The three formats node:zlib decodes that antidote uses. */
export type ZlibFormat = 'gzip' | 'zlib' | 'raw';

/**
 * Most output one deflate input byte can produce: a length-258 match coded in 1 + 1 bits (CWE-409 math).
 * Decoding a prefix of P compressed bytes therefore never yields more than 1032 * P bytes.
 */
export const DEFLATE_MAX_RATIO = 1032;

type SyncWithInfo = (input: Buffer, options: zlib.ZlibOptions & { info: true }) => { buffer: Buffer; engine: { bytesWritten: number } };

// @types/node has no overload for `info: true`, which returns the engine alongside the output; the engine's
// bytesWritten is how many input bytes zlib consumed, i.e. where the stream ended.
const DECODERS: Record<ZlibFormat, SyncWithInfo> = {
  gzip: zlib.gunzipSync as unknown as SyncWithInfo,
  zlib: zlib.inflateSync as unknown as SyncWithInfo,
  raw: zlib.inflateRawSync as unknown as SyncWithInfo,
};

/**
 * Decode `input` as `format`, producing at most `room` bytes. With `salvage`, a truncated stream yields
 * what it holds (Z_SYNC_FLUSH) instead of failing. Never throws.
 */
export function runZlib(format: ZlibFormat, input: Buffer, room: number, salvage = false): ZlibRun {
  const cap = Math.max(0, Math.min(room, bufferConstants.MAX_LENGTH));
  try {
    const options: zlib.ZlibOptions & { info: true } = { info: true, maxOutputLength: Math.max(1, cap) };
    if (salvage) options.finishFlush = zlib.constants.Z_SYNC_FLUSH;
    const { buffer, engine } = DECODERS[format](input, options);
    if (buffer.length > cap) return { kind: 'overflow' };
    return { kind: 'ok', output: buffer, consumed: engine.bytesWritten };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') return { kind: 'overflow' };
    if (code === 'Z_BUF_ERROR') return { kind: 'truncated' };
    if (code === 'Z_NEED_DICT') return { kind: 'needs-dictionary' };
    return { kind: 'corrupt', message: errorMessage(error) };
  }
}

/**
 * The good prefix of a stream too large to decode whole: decode only the first `room / DEFLATE_MAX_RATIO`
 * compressed bytes, which cannot expand past `room`. This is what lets a scan still see a payload that an
 * attacker placed before gigabytes of padding meant to push the file over a limit.
 */
export function deflatePrefix(format: ZlibFormat, input: Buffer, room: number): Buffer {
  const prefixBytes = Math.min(input.length, Math.floor(room / DEFLATE_MAX_RATIO));
  if (prefixBytes <= 0) return Buffer.alloc(0);
  const run = runZlib(format, input.subarray(0, prefixBytes), room, true);
  return run.kind === 'ok' ? run.output : Buffer.alloc(0);
}
