import type { ByteSource } from '../../core/index.js';
import { runLzmaRs } from './lzma-rs.js';
import { overCapError, type OutputCap, type StreamDecoded } from './output-cap.js';
import { walkXz, type XzBlockLayout } from './xz-layout.js';
import { rebuildXzStream } from './xz-rebuild.js';

/** Check types lzma-rs verifies itself (None, CRC32, CRC64); other streams are rebuilt without a check. */
const LZMA_RS_CHECKS: ReadonlySet<number> = new Set([0, 1, 4]);

/**
 * Decode the one xz stream that starts at `start` in `source` (lzma-file.ts strings streams together). The
 * layout walk bounds the output by the LZMA2 chunk headers and checks the index before anything is decoded,
 * so the decoder is only called on a stream whose output fits the cap. Over the cap or cut short, the whole
 * chunks before the stop are still decoded and returned with the error.
 */
export function decodeXzStream(source: ByteSource, start: number, cap: OutputCap): StreamDecoded {
  const layout = walkXz(source, cap.bytes, (offset) => overCapError(cap, 'xz stream', offset), start);
  const stream = layout.stream;
  const failed = (data: Buffer, error: StreamDecoded['error']): StreamDecoded => ({ data, error, produced: data.length, end: null });
  if (stream === null) return failed(Buffer.alloc(0), layout.error);
  const filtered = stream.blocks.find((block) => block.filters.length > 1);
  if (filtered) {
    return failed(Buffer.alloc(0), {
      kind: 'unsupported',
      offset: filtered.offset,
      message:
        `xz block at ${filtered.offset} runs filters [${filtered.filters.join(', ')}] before LZMA2 (BCJ or delta); ` +
        'Python decodes them, antidote cannot, so its content is unscanned',
    });
  }
  const usable: XzBlockLayout[] = stream.blocks.filter((block) => block.whole || block.dataEnd > block.dataOffset);
  const expected = usable.reduce((sum, block) => sum + block.uncompressedSize, 0);
  let data: Buffer = Buffer.alloc(0);
  if (expected > 0) {
    const input =
      stream.complete && LZMA_RS_CHECKS.has(stream.checkType)
        ? source.read(stream.offset, stream.end - stream.offset)
        : rebuildXzStream(source, usable);
    const run = runLzmaRs('xz', input);
    if (run.kind !== 'ok') {
      return failed(data, { kind: 'malformed', offset: stream.offset, message: `LZMA2 data of the xz stream at ${stream.offset} is corrupt: ${run.message}` });
    }
    if (run.output.length !== expected) {
      return failed(data, {
        kind: 'malformed',
        offset: stream.offset,
        message: `xz stream at ${stream.offset} decoded to ${run.output.length} bytes; its LZMA2 chunk headers say ${expected}`,
      });
    }
    data = run.output;
  }
  if (layout.error !== null) return failed(data, layout.error);
  return { data, error: null, produced: data.length, end: stream.end };
}
