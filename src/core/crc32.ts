import * as zlib from 'node:zlib';

/** CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320): the checksum of zip members, gzip trailers and xz headers. */
export type Crc32 = (data: Uint8Array, previous?: number) => number;

/** Eight 256-entry tables for slicing-by-8: about 4x faster than the one-table loop, built once on first use. */
let tables: Uint32Array[] | undefined;

function crcTables(): Uint32Array[] {
  if (tables) return tables;
  const built: Uint32Array[] = [];
  const first = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    first[n] = c >>> 0;
  }
  built.push(first);
  for (let t = 1; t < 8; t++) {
    const previous = built[t - 1] ?? first;
    const table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      const p = previous[n] ?? 0;
      table[n] = ((p >>> 8) ^ (first[p & 0xff] ?? 0)) >>> 0;
    }
    built.push(table);
  }
  tables = built;
  return built;
}

/** Table-driven CRC-32 for runtimes without `zlib.crc32` (Node before 20.15 / 22.2). */
export const crc32Portable: Crc32 = (data, previous = 0) => {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = crcTables() as [
    Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array,
  ];
  let crc = ~previous >>> 0;
  let i = 0;
  const length = data.length;
  const fast = length - (length % 8);
  while (i < fast) {
    const a = (crc ^ ((data[i] ?? 0) | ((data[i + 1] ?? 0) << 8) | ((data[i + 2] ?? 0) << 16) | ((data[i + 3] ?? 0) << 24))) >>> 0;
    crc =
      (t7[a & 0xff] ?? 0) ^
      (t6[(a >>> 8) & 0xff] ?? 0) ^
      (t5[(a >>> 16) & 0xff] ?? 0) ^
      (t4[a >>> 24] ?? 0) ^
      (t3[data[i + 4] ?? 0] ?? 0) ^
      (t2[data[i + 5] ?? 0] ?? 0) ^
      (t1[data[i + 6] ?? 0] ?? 0) ^
      (t0[data[i + 7] ?? 0] ?? 0);
    i += 8;
  }
  while (i < length) {
    crc = (t0[(crc ^ (data[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
    i++;
  }
  return ~crc >>> 0;
};

/** Node's native `zlib.crc32` when this runtime has it (20.15+, 22.2+), otherwise the table version. */
export const crc32: Crc32 =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? (data, previous = 0) => zlib.crc32(data, previous) >>> 0
    : crc32Portable;
