import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/*
 * Digests of model files (or byte ranges of them, for shards) at the speed of the hash: reads are large and
 * double-buffered, so the next read runs on libuv's thread pool while this thread hashes the previous chunk.
 * Node's hashes are OpenSSL's, so the rate is what `openssl dgst` gets on the same machine.
 */

/** Bytes per read: large reads amortise the syscall and the thread-pool hop. */
export const HASH_READ_BYTES = 8 * 1024 * 1024;

/** A hash model_signing can record, with the names it uses for it. */
export interface ManifestHash {
  /** `hash_type` in the serialization block. */
  hashType: 'sha256' | 'blake2';
  /** `algorithm` of each resource. */
  algorithm: 'sha256' | 'blake2b';
  /** node:crypto name: model_signing's BLAKE2 is Python's blake2b() with its default 64-byte output. */
  nodeName: 'sha256' | 'blake2b512';
  digestBytes: number;
}

/** The hashes antidote implements; model_signing 1.1 also has blake3, which node:crypto lacks. */
export const MANIFEST_HASHES: Readonly<Record<'sha256' | 'blake2', ManifestHash>> = {
  sha256: { hashType: 'sha256', algorithm: 'sha256', nodeName: 'sha256', digestBytes: 32 },
  blake2: { hashType: 'blake2', algorithm: 'blake2b', nodeName: 'blake2b512', digestBytes: 64 },
};

/** Thrown when the path is not a regular file at the moment it is opened (replaced after the walk). */
export class NotARegularFileError extends Error {
  constructor(readonly path: string) {
    super(`${path} is not a regular file`);
    this.name = 'NotARegularFileError';
  }
}

/**
 * Hex digest of `[start, end)` of a file (the whole file by default). The file is opened non-blocking and
 * checked to be a regular file on the open handle, so a FIFO swapped in after the walk cannot hang the run;
 * with `noFollow` a symlink swapped in fails to open instead of being followed out of the model.
 */
export async function digestFile(path: string, hash: ManifestHash, options: { start?: number; end?: number; noFollow?: boolean } = {}): Promise<string> {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (options.noFollow ? constants.O_NOFOLLOW : 0);
  const handle = await open(path, flags);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new NotARegularFileError(path);
    const hasher = createHash(hash.nodeName);
    const start = options.start ?? 0;
    const end = Math.min(options.end ?? stat.size, stat.size);
    const buffers = [Buffer.allocUnsafe(Math.min(HASH_READ_BYTES, Math.max(1, end - start))), Buffer.allocUnsafe(Math.min(HASH_READ_BYTES, Math.max(1, end - start)))] as const;
    let position = start;
    let turn = 0;
    const readNext = (target: Buffer) => handle.read(target, 0, Math.min(target.length, Math.max(0, end - position)), position);
    let pending = position < end ? readNext(buffers[0]) : undefined;
    while (pending) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const current = buffers[turn]!;
      position += bytesRead;
      turn ^= 1;
      // Start the next read before hashing this chunk so that the read and the hash overlap.
      pending = position < end ? readNext(buffers[turn]!) : undefined;
      hasher.update(bytesRead === current.length ? current : current.subarray(0, bytesRead));
    }
    return hasher.digest('hex');
  } finally {
    await handle.close();
  }
}
