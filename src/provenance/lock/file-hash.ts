import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/*
 * SHA-256 of whole files at OpenSSL speed. Node's hash is OpenSSL's, so the only losses are the copy out of
 * the page cache and the wait for it: reads are large (8 MiB) and double-buffered, the next read running on
 * libuv's thread pool while this thread hashes the previous chunk. Several files hash in parallel on a pool
 * of worker threads, one file per worker, so two large files take about the time of one on two cores.
 */

/** Bytes per read. Large reads amortise the syscall and thread-pool hop; 8 MiB measured best here. */
export const HASH_CHUNK_BYTES = 8 * 1024 * 1024;

/** Size and hex SHA-256 of one file. */
export interface FileDigest {
  size: number;
  sha256: string;
}

/**
 * Hash a file in one sequential pass. `onChunk` sees every byte in order (for a consumer that parses in the
 * same pass); the chunk is only valid during the call, because its buffer is reused.
 */
export async function hashFile(path: string, onChunk?: (chunk: Buffer) => void | Promise<void>): Promise<FileDigest> {
  const handle = await open(path, 'r');
  try {
    const hash = createHash('sha256');
    const buffers = [Buffer.allocUnsafe(HASH_CHUNK_BYTES), Buffer.allocUnsafe(HASH_CHUNK_BYTES)] as const;
    let size = 0;
    let turn = 0;
    let pending = handle.read(buffers[0], 0, HASH_CHUNK_BYTES, null);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const current = buffers[turn]!;
      turn ^= 1;
      // Start the next read before hashing this chunk: the read and the hash overlap on two threads.
      pending = handle.read(buffers[turn]!, 0, HASH_CHUNK_BYTES, null);
      const chunk = bytesRead === current.length ? current : current.subarray(0, bytesRead);
      hash.update(chunk);
      if (onChunk) await onChunk(chunk);
      size += bytesRead;
    }
    return { size, sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

/*
 * The worker's body, evaluated from a string so the same pool works from the TypeScript sources (tests, tsx)
 * and the built JavaScript alike: a worker entry file would need a loader for .ts. It is the loop of
 * hashFile() above without the chunk callback; test/provenance/lock/file-hash.test.ts checks both agree.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { open } = require('node:fs/promises');
const CHUNK = ${HASH_CHUNK_BYTES};
const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
parentPort.on('message', async ({ id, path }) => {
  let handle;
  try {
    handle = await open(path, 'r');
    const hash = createHash('sha256');
    let size = 0;
    let turn = 0;
    let pending = handle.read(buffers[0], 0, CHUNK, null);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const current = buffers[turn];
      turn ^= 1;
      pending = handle.read(buffers[turn], 0, CHUNK, null);
      hash.update(bytesRead === CHUNK ? current : current.subarray(0, bytesRead));
      size += bytesRead;
    }
    parentPort.postMessage({ id, size, sha256: hash.digest('hex') });
  } catch (error) {
    parentPort.postMessage({ id, error: error && error.message ? error.message : String(error) });
  } finally {
    if (handle) await handle.close().catch(() => {});
  }
});
`;

/** Reply of a hash worker. */
type WorkerReply = { id: number; size: number; sha256: string } | { id: number; error: string };

/** A file the pool could not read: the path and the operating system's reason. */
export class HashReadError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: cannot read (${reason})`);
    this.name = 'HashReadError';
  }
}

/**
 * A pool of hashing threads, one file per thread at a time. Created per lock or verify run and closed at
 * its end, so an idle process holds no threads.
 */
export class HashPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { path: string; resolve(d: FileDigest): void; reject(e: Error): void }[] = [];
  private readonly inFlight = new Map<number, { resolve(d: FileDigest): void; reject(e: Error): void; path: string; worker: Worker }>();
  private nextId = 0;

  constructor(readonly size: number = Math.max(1, Math.min(availableParallelism(), 8))) {}

  /** Hash one file on the next free thread. */
  hash(path: string): Promise<FileDigest> {
    return new Promise((resolve, reject) => {
      this.queue.push({ path, resolve, reject });
      this.pump();
    });
  }

  /** Stop every thread; pending hashes are rejected. */
  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) job.reject(new HashReadError(job.path, 'hash pool closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
    this.idle.length = 0;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? (this.workers.length < this.size ? this.spawn() : undefined);
      if (!worker) return;
      const job = this.queue.shift()!;
      const id = this.nextId++;
      this.inFlight.set(id, { ...job, worker });
      // A busy worker keeps the process alive until its reply arrives; an idle one must not.
      worker.ref();
      worker.postMessage({ id, path: job.path });
    }
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on('message', (reply: WorkerReply) => {
      const job = this.inFlight.get(reply.id);
      if (!job) return;
      this.inFlight.delete(reply.id);
      worker.unref();
      this.idle.push(worker);
      if ('error' in reply) job.reject(new HashReadError(job.path, reply.error));
      else job.resolve({ size: reply.size, sha256: reply.sha256 });
      this.pump();
    });
    worker.on('error', (error) => {
      // A crashed worker fails its own job only; the pool replaces it on demand.
      for (const [id, job] of this.inFlight) {
        if (job.worker !== worker) continue;
        this.inFlight.delete(id);
        job.reject(new HashReadError(job.path, `hash worker failed: ${error.message}`));
      }
      this.workers.splice(this.workers.indexOf(worker), 1);
      this.pump();
    });
    this.workers.push(worker);
    return worker;
  }
}
