import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { detectDatasetFormat, isDatasetPath, openDataset, openDatasetStream } from '../../readers/dataset/index.js';
import type { DatasetColumn, DatasetEvent, DatasetLimits, OpenedDataset } from '../../readers/dataset/types.js';
import { hashFile, type FileDigest } from './file-hash.js';

/*
 * One read of one dataset file that yields both its sha256 and its rows, the only place lock and verify touch
 * the dataset readers. Lock and verify take this as a function so tests can drive them with in-memory events.
 */

/** What a dataset pass found. */
export interface DatasetPassResult {
  digest: FileDigest;
  /** The format the reader detected; undefined when the file could not be opened as a dataset. */
  format?: string;
  columns: DatasetColumn[];
  /** Why the file could not be read as a dataset at all (its bytes are still hashed). */
  error?: string;
  /** File-level problems the reader reported (a limit, a syntax error between rows), in words. */
  issues: string[];
}

/**
 * Reads a dataset once: calls `onEvent` for every row and bad row in order (awaiting it when it returns a
 * promise: backpressure from a consumer on another thread), and hashes the bytes.
 */
export type DatasetPass = (path: string, onEvent: (event: DatasetEvent) => void | Promise<void>) => Promise<DatasetPassResult>;

/** Whether lock treats a file as a dataset (by name, as the readers decide). */
export type DatasetFilter = (path: string) => boolean;

/** The readers' own test: dataset file names (.jsonl, .json, .csv, .parquet, .arrow ...). */
export const isDatasetFile: DatasetFilter = (path) => isDatasetPath(path);

/** Bytes read up front to detect a dataset's format (the readers' own detection needs the first line). */
const HEAD_BYTES = 64 * 1024;
/** Bytes per read when feeding a text dataset to its reader; each chunk is a fresh buffer the reader may keep. */
const FEED_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * The pass over the real readers. Text formats (JSONL, JSON, CSV, TSV) are read here, one sequential pass
 * whose chunks are hashed and handed to the reader (`openDatasetStream`), so the sha256 and the rows come
 * from the same bytes. Parquet and Arrow are read by offset (footer first), so their sha256 comes from a
 * sequential read running beside the reader's: the same pages, from the page cache (docs/lockfile.md).
 */
export function readerPass(limits?: Partial<DatasetLimits>): DatasetPass {
  return async (path, onEvent) => {
    const head = await readHead(path);
    const format = detectDatasetFormat(path, head);
    if (format === undefined) return { digest: await hashFile(path), columns: [], error: 'not a dataset format antidote reads (JSONL, JSON, CSV, TSV, Parquet, Arrow IPC)', issues: [] };
    if (format === 'parquet' || format === 'arrow') {
      const hashing = hashFile(path);
      // Never leave the hash's rejection unobserved while the rows are read.
      hashing.catch(() => undefined);
      const opened = await openDataset(path, { format, ...(limits ? { limits } : {}) });
      if (!opened.ok) return { digest: await hashing, columns: [], error: opened.error.message, issues: [] };
      return { digest: await hashing, ...(await drain(opened.value, onEvent)) };
    }
    const feed = await HashingFeed.open(path);
    try {
      const drained = await drain(openDatasetStream(feed.chunks(), format, limits ? { limits } : {}), onEvent);
      // The reader may stop early (a fatal error in the file): the rest is still hashed, never left out.
      return { digest: await feed.finish(), ...drained };
    } finally {
      await feed.close();
    }
  };
}

/** Run a dataset's events into `onEvent`; the readers end a broken file with a fatal bad row, never a throw. */
async function drain(dataset: OpenedDataset, onEvent: (event: DatasetEvent) => void | Promise<void>): Promise<Omit<DatasetPassResult, 'digest'>> {
  for await (const event of dataset.events()) {
    const wait = onEvent(event);
    if (wait) await wait;
  }
  const issues = (dataset.issues?.() ?? []).map((issue) => (issue.line !== undefined ? `line ${issue.line}: ${issue.message}` : issue.message));
  return { format: dataset.format, columns: [...dataset.columns()], issues };
}

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * A file's bytes in order, each chunk hashed before the reader gets it; the next read starts before a chunk is
 * handed on, so reading overlaps parsing. A read error is kept and rethrown by finish(): the reader would turn
 * it into a fatal bad row, but the file's sha256 would then be of part of it, which must never be recorded.
 */
class HashingFeed {
  private readonly hash = createHash('sha256');
  /** Bytes hashed so far: everything before this offset. */
  private hashed = 0;
  private failure: unknown;

  private constructor(private readonly handle: FileHandle) {}

  static async open(path: string): Promise<HashingFeed> {
    return new HashingFeed(await open(path, 'r'));
  }

  async *chunks(): AsyncGenerator<Buffer> {
    const read = (position: number): Promise<Buffer> => {
      const buffer = Buffer.allocUnsafe(FEED_CHUNK_BYTES);
      return this.handle.read(buffer, 0, FEED_CHUNK_BYTES, position).then(({ bytesRead }) => buffer.subarray(0, bytesRead));
    };
    try {
      let pending = read(0);
      for (;;) {
        const chunk = await pending;
        if (chunk.length === 0) return;
        pending = read(this.hashed + chunk.length);
        // A read-ahead left pending when the reader stops early is dropped; finish() rereads from `hashed`.
        pending.catch(() => undefined);
        this.hash.update(chunk);
        this.hashed += chunk.length;
        yield chunk;
      }
    } catch (error) {
      this.failure = error;
      throw error;
    }
  }

  /** Hash whatever the reader did not consume; the file's size and sha256. */
  async finish(): Promise<FileDigest> {
    if (this.failure !== undefined) throw this.failure;
    const buffer = Buffer.allocUnsafe(FEED_CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await this.handle.read(buffer, 0, FEED_CHUNK_BYTES, this.hashed);
      if (bytesRead === 0) break;
      this.hash.update(buffer.subarray(0, bytesRead));
      this.hashed += bytesRead;
    }
    return { size: this.hashed, sha256: this.hash.digest('hex') };
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
