import type { ByteSource } from '../../core/index.js';
import { crc32 } from '../../core/crc32.js';
import { XZ_MAGIC } from './sniff-compression.js';
import { XZ_FILTER_LZMA2, type XzBlockLayout } from './xz-layout.js';

/**
 * Write a fresh single-stream .xz around LZMA2 data copied from walked blocks, with check type None. Used
 * when lzma-rs cannot decode the original as it is: it has no SHA-256 (check 10) and no reserved check
 * types, which liblzma, and so Python, decodes without verifying; and to decode the good prefix of a
 * stream that is cut short, over a limit or missing its index, ending a cut block at its last whole chunk.
 * The LZMA2 bytes are copied unchanged, so the output is exactly what those chunks decode to.
 */
export function rebuildXzStream(source: ByteSource, blocks: readonly XzBlockLayout[]): Buffer {
  const flags = Buffer.from([0x00, 0x00]);
  const parts: Buffer[] = [XZ_MAGIC, flags, u32(crc32(flags))];
  const records: number[] = [];
  for (const block of blocks) {
    // Block header: size byte (12 / 4 - 1), flags (one filter, no sizes), LZMA2 with its one properties
    // byte, zero padding to 8 bytes, CRC-32: the layout Python's lzma writes.
    const header = Buffer.from([0x02, 0x00, XZ_FILTER_LZMA2, 0x01, block.lzma2Properties, 0x00, 0x00, 0x00]);
    const data = source.read(block.dataOffset, block.dataEnd - block.dataOffset);
    const compressed = data.length + (block.whole ? 0 : 1);
    parts.push(header, u32(crc32(header)), data);
    if (!block.whole) parts.push(Buffer.from([0x00])); // LZMA2 end marker after the last whole chunk
    parts.push(Buffer.alloc((4 - (compressed % 4)) % 4));
    records.push(header.length + 4 + compressed, block.uncompressedSize);
  }
  const index = Buffer.concat([Buffer.from([0x00]), vli(blocks.length), ...records.map(vli)]);
  const paddedIndex = Buffer.concat([index, Buffer.alloc((4 - (index.length % 4)) % 4)]);
  parts.push(paddedIndex, u32(crc32(paddedIndex)));
  const footerBody = Buffer.concat([u32((paddedIndex.length + 4) / 4 - 1), flags]);
  parts.push(u32(crc32(footerBody)), footerBody, Buffer.from('YZ', 'latin1'));
  return Buffer.concat(parts);
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value >>> 0, 0);
  return buffer;
}

function vli(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}
