import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { crc32 } from '../src/readers/zip/crc32.js';

/**
 * A minimal streaming writer for stored (uncompressed) zip64 archives laid out like `torch.save`: zip64
 * extra fields on every entry, member data aligned on 64 bytes with an `FB` padding field, zip64 end records.
 * Unlike `writeSparseZip` in test/builders it writes real data with real CRCs, so the file is what a user has
 * on disk (Python's `zipfile.testzip()` passes), while never holding more than one chunk in memory.
 */

/** One member: its exact size and a producer that hands over exactly that many bytes in chunks. */
export interface StoredMember {
  name: string;
  size: number;
  produce(write: (chunk: Buffer) => void): void;
}

/** A member whose bytes are already in memory (small files: data.pkl, version...). */
export function memberOf(name: string, data: Buffer | string): StoredMember {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return { name, size: bytes.length, produce: (write) => write(bytes) };
}

const MARKER_32 = 0xffffffff;
/** `version made by`: unix host, spec 4.5 (zip64). */
const MADE_BY = (3 << 8) | 45;
/** torch.save aligns storages so they can be memory-mapped as arrays. */
const DATA_ALIGNMENT = 64;
const FB_EXTRA_ID = 0x4246;

/** Write the archive to `path` (through a temporary file, renamed when complete); returns its size. */
export function writeStoredZip64(path: string, members: StoredMember[]): number {
  const temporary = `${path}.partial`;
  const fd = openSync(temporary, 'w');
  let position = 0;
  const put = (bytes: Buffer): void => {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
    position += bytes.length;
  };
  try {
    const central: Buffer[] = [];
    for (const member of members) {
      const name = Buffer.from(member.name, 'utf8');
      const zip64 = extraField(0x0001, u64(member.size), u64(member.size));
      const unpadded = position + 30 + name.length + zip64.length + 4;
      const padding = (DATA_ALIGNMENT - (unpadded % DATA_ALIGNMENT)) % DATA_ALIGNMENT;
      const extra = Buffer.concat([zip64, extraField(FB_EXTRA_ID, Buffer.alloc(padding, 'Z'))]);
      const headerOffset = position;
      const header = Buffer.alloc(30);
      header.writeUInt32LE(0x04034b50, 0);
      header.writeUInt16LE(45, 4);
      header.writeUInt16LE(0x6000, 10);
      header.writeUInt16LE(0x5821, 12);
      header.writeUInt32LE(MARKER_32, 18);
      header.writeUInt32LE(MARKER_32, 22);
      header.writeUInt16LE(name.length, 26);
      header.writeUInt16LE(extra.length, 28);
      put(Buffer.concat([header, name, extra]));

      let crc = 0;
      let written = 0;
      member.produce((chunk) => {
        crc = crc32(chunk, crc);
        written += chunk.length;
        put(chunk);
      });
      if (written !== member.size) throw new RangeError(`${member.name}: produced ${written} bytes, declared ${member.size}`);
      // The CRC is known only after the data: patch it into the local header.
      const crcBytes = Buffer.alloc(4);
      crcBytes.writeUInt32LE(crc >>> 0);
      writeSync(fd, crcBytes, 0, 4, headerOffset + 14);

      const record = Buffer.alloc(46);
      record.writeUInt32LE(0x02014b50, 0);
      record.writeUInt16LE(MADE_BY, 4);
      record.writeUInt16LE(45, 6);
      record.writeUInt16LE(0x6000, 12);
      record.writeUInt16LE(0x5821, 14);
      record.writeUInt32LE(crc >>> 0, 16);
      record.writeUInt32LE(MARKER_32, 20);
      record.writeUInt32LE(MARKER_32, 24);
      record.writeUInt16LE(name.length, 28);
      const centralExtra = extraField(0x0001, u64(member.size), u64(member.size), u64(headerOffset));
      record.writeUInt16LE(centralExtra.length, 30);
      record.writeUInt32LE((0o100644 << 16) >>> 0, 38);
      record.writeUInt32LE(MARKER_32, 42);
      central.push(record, name, centralExtra);
    }
    const directoryStart = position;
    const directory = Buffer.concat(central);
    put(directory);
    const zip64End = Buffer.alloc(56);
    zip64End.writeUInt32LE(0x06064b50, 0);
    zip64End.writeBigUInt64LE(44n, 4);
    zip64End.writeUInt16LE(MADE_BY, 12);
    zip64End.writeUInt16LE(45, 14);
    zip64End.writeBigUInt64LE(BigInt(members.length), 24);
    zip64End.writeBigUInt64LE(BigInt(members.length), 32);
    zip64End.writeBigUInt64LE(BigInt(directory.length), 40);
    zip64End.writeBigUInt64LE(BigInt(directoryStart), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(position), 8);
    locator.writeUInt32LE(1, 16);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(0xffff, 8);
    end.writeUInt16LE(0xffff, 10);
    end.writeUInt32LE(MARKER_32, 12);
    end.writeUInt32LE(MARKER_32, 16);
    put(Buffer.concat([zip64End, locator, end]));
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  return position;
}

function extraField(id: number, ...values: Buffer[]): Buffer {
  const data = Buffer.concat(values);
  const head = Buffer.alloc(4);
  head.writeUInt16LE(id, 0);
  head.writeUInt16LE(data.length, 2);
  return Buffer.concat([head, data]);
}

function u64(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(BigInt(value));
  return bytes;
}
