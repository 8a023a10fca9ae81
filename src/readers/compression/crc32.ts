import * as zlib from 'node:zlib';

/**
 * CRC-32 (IEEE, reflected, polynomial 0xEDB88320), the checksum of gzip trailers and of xz headers, indexes
 * and footers. Kept here rather than imported from the zip reader so that this folder depends on core only;
 * it is only ever run over headers and over gzip members on the slow path, so one table is enough.
 */
let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table) return table;
  const built = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    built[n] = c >>> 0;
  }
  table = built;
  return built;
}

function crc32Table(data: Uint8Array, previous: number): number {
  const t = crcTable();
  let crc = ~previous >>> 0;
  for (let i = 0; i < data.length; i++) crc = (t[(crc ^ (data[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** CRC-32 of `data`, continuing from `previous`; native `zlib.crc32` where this Node has it (20.15+). */
export const crc32: (data: Uint8Array, previous?: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? (data, previous = 0) => zlib.crc32(data, previous) >>> 0
    : (data, previous = 0) => crc32Table(data, previous);
