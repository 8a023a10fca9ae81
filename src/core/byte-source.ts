import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Random-access bytes: a file on disk, a buffer in memory, or a window of either. Reads are synchronous
 * because a scan is a sequence of small positioned reads (headers, directories) plus large skips; the
 * readers never need the whole object in memory.
 */
export interface ByteSource {
  readonly size: number;
  /** Up to `length` bytes from `position`; shorter only at the end of the source. */
  read(position: number, length: number): Buffer;
}

/** A source over an in-memory buffer (archive members after decompression, test fixtures). */
export function bufferSource(buffer: Buffer): ByteSource {
  return {
    size: buffer.length,
    read(position, length) {
      if (position >= buffer.length || length <= 0) return Buffer.alloc(0);
      return buffer.subarray(position, Math.min(buffer.length, position + length));
    },
  };
}

/** A window `[start, start + size)` of another source (a stored zip member, a stretch of a stream). */
export function sliceSource(source: ByteSource, start: number, size: number): ByteSource {
  const end = Math.min(source.size, start + Math.max(0, size));
  const windowSize = Math.max(0, end - start);
  return {
    size: windowSize,
    read(position, length) {
      if (position >= windowSize || length <= 0) return Buffer.alloc(0);
      return source.read(start + position, Math.min(length, windowSize - position));
    },
  };
}

/** An open file; `close()` must be called when the scan of the file ends. */
export interface FileSource extends ByteSource {
  /** Read into a caller's buffer (no allocation per read); returns the bytes read, 0 at the end. */
  readInto(position: number, target: Buffer): number;
  close(): void;
}

/** Open a file for positioned reads. Throws the fs error (the engine turns it into a `failed` record). */
export function openFileSource(path: string): FileSource {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  return {
    size,
    read(position, length) {
      if (position >= size || length <= 0) return Buffer.alloc(0);
      const want = Math.min(length, size - position);
      const buffer = Buffer.allocUnsafe(want);
      let done = 0;
      while (done < want) {
        const n = readSync(fd, buffer, done, want - done, position + done);
        if (n === 0) break;
        done += n;
      }
      return done === want ? buffer : buffer.subarray(0, done);
    },
    readInto(position, target) {
      if (position >= size) return 0;
      return readSync(fd, target, 0, Math.min(target.length, size - position), position);
    },
    close() {
      closeSync(fd);
    },
  };
}

/** Read a whole (small) source into one buffer. Callers check the size against a limit first. */
export function readAll(source: ByteSource): Buffer {
  return source.read(0, source.size);
}
