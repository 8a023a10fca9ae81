import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { AntidoteError, errorMessage } from '../../core/errors.js';
import { LEAF_PREFIX_BYTES, type RowDigestsRef } from './lockfile.js';

/*
 * Sequences of leaf prefixes (8 bytes per row), the part of a lock that lets verify say which rows changed.
 * Small datasets keep theirs inline in the lockfile (base64); larger ones in one binary sidecar next to it
 * (`antidote.lock.rows`): a 16-byte magic header, then the prefixes of each dataset back to back, in lockfile
 * order. The lockfile records the sidecar's size and sha256, so a swapped sidecar is caught before use.
 * Stores are read in windows, never whole: a 100M-row dataset's 800 MB of prefixes never sit in memory.
 */

/** First 16 bytes of a sidecar: names the format and its version. */
export const SIDECAR_MAGIC = Buffer.from('antidote-rows-1\n', 'ascii');

/** Bytes buffered before a write to disk. */
const WRITE_BATCH_BYTES = 1024 * 1024;

/** Random access to a sequence of leaf prefixes. */
export interface DigestStore {
  /** Number of prefixes. */
  readonly count: number;
  /** Prefixes `[start, start + n)` as one buffer of `n * 8` bytes (fewer at the end). */
  read(start: number, n: number): Buffer;
}

/** A store over prefixes in memory (inline prefixes, tests). */
export function bufferDigestStore(bytes: Buffer): DigestStore {
  return {
    count: Math.floor(bytes.length / LEAF_PREFIX_BYTES),
    read(start, n) {
      return bytes.subarray(start * LEAF_PREFIX_BYTES, Math.min(bytes.length, (start + n) * LEAF_PREFIX_BYTES));
    },
  };
}

/** Appends prefixes to a file in batches; `finish()` returns its size and sha256. */
export class DigestFileWriter {
  private readonly fd: number;
  private readonly batch = Buffer.allocUnsafe(WRITE_BATCH_BYTES);
  private used = 0;
  private readonly hash = createHash('sha256');
  private written = 0;
  /** Prefixes appended so far. */
  count = 0;

  constructor(
    readonly path: string,
    header?: Buffer,
  ) {
    this.fd = openSync(path, 'w');
    if (header) this.append(header, false);
  }

  /** Append one prefix: the first 8 bytes of `leaf`. */
  push(leaf: Buffer): void {
    if (this.used + LEAF_PREFIX_BYTES > this.batch.length) this.flush();
    leaf.copy(this.batch, this.used, 0, LEAF_PREFIX_BYTES);
    this.used += LEAF_PREFIX_BYTES;
    this.count++;
  }

  /** Append prefixes already cut to 8 bytes each. */
  pushAll(prefixes: Buffer): void {
    this.append(prefixes, true);
  }

  /** Flush and close; the file's size and sha256. */
  finish(): { size: number; sha256: string } {
    this.flush();
    closeSync(this.fd);
    return { size: this.written, sha256: this.hash.digest('hex') };
  }

  /** Close and delete the file (an aborted run leaves nothing behind). */
  discard(): void {
    try {
      closeSync(this.fd);
    } catch {
      // Already closed by finish().
    }
    rmSync(this.path, { force: true });
  }

  private append(bytes: Buffer, counted: boolean): void {
    this.flush();
    this.writeOut(bytes);
    if (counted) this.count += Math.floor(bytes.length / LEAF_PREFIX_BYTES);
  }

  private flush(): void {
    if (this.used === 0) return;
    this.writeOut(this.batch.subarray(0, this.used));
    this.used = 0;
  }

  private writeOut(bytes: Buffer): void {
    this.hash.update(bytes);
    for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done);
    this.written += bytes.length;
  }
}

/** A store over a window of prefixes in an open file (the sidecar, or verify's spill file). */
export function fileDigestStore(fd: number, headerBytes: number, first: number, count: number): DigestStore {
  return {
    count,
    read(start, n) {
      const want = Math.max(0, Math.min(n, count - start)) * LEAF_PREFIX_BYTES;
      const out = Buffer.allocUnsafe(want);
      let done = 0;
      while (done < want) {
        const got = readSync(fd, out, done, want - done, headerBytes + (first + start) * LEAF_PREFIX_BYTES + done);
        if (got === 0) break;
        done += got;
      }
      return done === want ? out : out.subarray(0, done);
    },
  };
}

/** The opened sidecar of a lockfile, checked against the size and sha256 the lockfile records. */
export class Sidecar {
  private constructor(
    private readonly fd: number,
    /** Prefixes in the file. */
    readonly entries: number,
  ) {}

  /** Open and check a sidecar; a missing, resized or altered one is LOCK_INVALID with what to do. */
  static open(path: string, ref: RowDigestsRef): Sidecar {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      throw new AntidoteError(
        'LOCK_INVALID',
        `${path}: cannot read the row-digest file the lockfile names (${errorMessage(error)}). Commit it next to the lockfile, or regenerate both with 'antidote lock'.`,
        { cause: error },
      );
    }
    try {
      const size = fstatSync(fd).size;
      if (size !== ref.size) throw sidecarError(path, `is ${size} bytes, the lockfile says ${ref.size}`);
      const hash = createHash('sha256');
      const chunk = Buffer.allocUnsafe(WRITE_BATCH_BYTES * 8);
      const head = Buffer.alloc(SIDECAR_MAGIC.length);
      for (let position = 0; position < size; ) {
        const n = readSync(fd, chunk, 0, chunk.length, position);
        if (n === 0) break;
        if (position === 0) chunk.copy(head, 0, 0, Math.min(n, head.length));
        hash.update(chunk.subarray(0, n));
        position += n;
      }
      const sha256 = hash.digest('hex');
      if (sha256 !== ref.sha256) throw sidecarError(path, `has sha256 ${sha256}, the lockfile says ${ref.sha256}`);
      if (!head.equals(SIDECAR_MAGIC) || (size - SIDECAR_MAGIC.length) % LEAF_PREFIX_BYTES !== 0) {
        throw sidecarError(path, 'is not an antidote row-digest file (bad header or length)');
      }
      return new Sidecar(fd, (size - SIDECAR_MAGIC.length) / LEAF_PREFIX_BYTES);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** The prefixes of one dataset, `[offset, offset + count)`; LOCK_INVALID when they run past the end. */
  store(offset: number, count: number, where: string): DigestStore {
    if (offset + count > this.entries) {
      throw new AntidoteError('LOCK_INVALID', `${where}: leaf prefixes ${offset}..${offset + count} run past the ${this.entries} entries of the row-digest file; regenerate the lock with 'antidote lock'.`);
    }
    return fileDigestStore(this.fd, SIDECAR_MAGIC.length, offset, count);
  }

  /** Close the file. */
  close(): void {
    closeSync(this.fd);
  }
}

function sidecarError(path: string, problem: string): AntidoteError {
  return new AntidoteError('LOCK_INVALID', `${path}: the row-digest file ${problem}. Regenerate the lock with 'antidote lock' and commit both files together.`);
}

/** Rename a finished temp file into place. */
export function moveIntoPlace(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    throw new AntidoteError('OUTPUT_UNWRITABLE', `${to}: cannot write (${errorMessage(error)})`, { cause: error });
  }
}
