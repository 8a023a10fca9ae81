import type { ByteSource, ReadError } from '../../core/index.js';
import { runLzmaRs } from './lzma-rs.js';
import { joinParts, overCapError, type Decoded, type OutputCap } from './output-cap.js';
import { walkXz, type XzBlockLayout } from './xz-layout.js';
import { rebuildXzStream } from './xz-rebuild.js';

/** Check types lzma-rs verifies itself (None, CRC32, CRC64); other streams are rebuilt without a check. */
const LZMA_RS_CHECKS: ReadonlySet<number> = new Set([0, 1, 4]);

/**
 * Decode an .xz file: every stream in a row, as Python's lzma module does. The layout walk bounds the
 * output by the LZMA2 chunk headers and checks the index before anything is decoded, so the decoder is
 * only called on streams whose output fits the cap. Over the cap, cut short or trailed by garbage, the
 * whole chunks before the stop are still decoded and returned with the error.
 */
export function decodeXz(source: ByteSource, cap: OutputCap): Decoded {
  const layout = walkXz(source, cap.bytes, (offset) => overCapError(cap, 'xz stream', offset));
  for (const stream of layout.streams) {
    const filtered = stream.blocks.find((block) => block.filters.length > 1);
    if (filtered) {
      return {
        data: Buffer.alloc(0),
        error: {
          kind: 'unsupported',
          offset: filtered.offset,
          message:
            `xz block at ${filtered.offset} runs filters [${filtered.filters.join(', ')}] before LZMA2 (BCJ or delta); ` +
            'Python decodes them, antidote cannot, so its content is unscanned',
        },
        produced: 0,
      };
    }
  }
  const parts: Buffer[] = [];
  let total = 0;
  const result = (error: ReadError | null): Decoded => ({ data: joinParts(parts, total), error, produced: total });
  for (const stream of layout.streams) {
    const usable: XzBlockLayout[] = stream.blocks.filter((block) => block.whole || block.dataEnd > block.dataOffset);
    const expected = usable.reduce((sum, block) => sum + block.uncompressedSize, 0);
    if (expected === 0) continue;
    const input =
      stream.complete && LZMA_RS_CHECKS.has(stream.checkType)
        ? source.read(stream.offset, stream.end - stream.offset)
        : rebuildXzStream(source, usable);
    const run = runLzmaRs('xz', input);
    if (run.kind !== 'ok') {
      return result({ kind: 'malformed', offset: stream.offset, message: `LZMA2 data of the xz stream at ${stream.offset} is corrupt: ${run.message}` });
    }
    if (run.output.length !== expected) {
      return result({
        kind: 'malformed',
        offset: stream.offset,
        message: `xz stream at ${stream.offset} decoded to ${run.output.length} bytes; its LZMA2 chunk headers say ${expected}`,
      });
    }
    parts.push(run.output);
    total += run.output.length;
  }
  return result(layout.error);
}
