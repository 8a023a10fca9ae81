import { decompressSync as decompressLzmaAlone } from '@napi-rs/lzma/lzma';
import { decompressSync as decompressXz } from '@napi-rs/lzma/xz';
import { errorMessage } from '../../core/index.js';

/**
 * One call into @napi-rs/lzma (lzma-rs). Its decompressSync has no output limit and is not streaming, so
 * callers only invoke it once the output size is bounded: by the walked LZMA2 chunk sizes (xz) or by the
 * uncompressed size in the LZMA-alone header, which lzma-rs stops at. The outcome is sorted from lzma-rs's
 * error messages (there are no codes); test/readers/compression/lzma-rs-contract.test.ts pins them.
 */
export type LzmaRsRun =
  | { kind: 'ok'; output: Buffer }
  | { kind: 'truncated'; message: string }
  /** The stream ended (end marker) or overshot before/after the size the header gave. */
  | { kind: 'size-mismatch'; expected: number; actual: number; message: string }
  | { kind: 'trailing-data'; message: string }
  | { kind: 'corrupt'; message: string };

const SIZE_MISMATCH = /Expected unpacked size of (\d+) but decompressed to (\d+)/;

/** Decode an xz stream or an LZMA-alone stream with lzma-rs. Never throws. */
export function runLzmaRs(format: 'xz' | 'lzma', input: Buffer): LzmaRsRun {
  try {
    return { kind: 'ok', output: format === 'xz' ? decompressXz(input) : decompressLzmaAlone(input) };
  } catch (error) {
    const message = errorMessage(error);
    if (message.includes('failed to fill whole buffer')) return { kind: 'truncated', message };
    const mismatch = SIZE_MISMATCH.exec(message);
    if (mismatch) return { kind: 'size-mismatch', expected: Number(mismatch[1]), actual: Number(mismatch[2]), message };
    if (message.includes('end-of-stream marker but more bytes are available')) return { kind: 'trailing-data', message };
    return { kind: 'corrupt', message };
  }
}
