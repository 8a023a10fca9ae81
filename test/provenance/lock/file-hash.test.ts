import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HASH_CHUNK_BYTES, hashFile, HashPool, HashReadError } from '../../../src/provenance/lock/file-hash.js';
import { tempDir } from '../../builders/dataset.js';

/* The main-thread hasher and the worker pool (whose loop is a separate copy in a string) agree with createHash. */

const dir = tempDir('antidote-hash-');
const sizes = [0, 1, HASH_CHUNK_BYTES - 1, HASH_CHUNK_BYTES, HASH_CHUNK_BYTES + 1, 2 * HASH_CHUNK_BYTES + 12_345];
const files = sizes.map((size, i) => {
  const bytes = randomBytes(size);
  const path = join(dir, `f${i}.bin`);
  writeFileSync(path, bytes);
  return { path, size, sha256: createHash('sha256').update(bytes).digest('hex') };
});

describe('file hashing', () => {
  it.each(files)('hashFile: $size bytes', async ({ path, size, sha256 }) => {
    const seen: number[] = [];
    const digest = await hashFile(path, (chunk) => void seen.push(chunk.length));
    expect(digest).toEqual({ size, sha256 });
    expect(seen.reduce((n, c) => n + c, 0)).toBe(size);
  });

  it('the pool hashes many files in parallel with the same digests', async () => {
    const pool = new HashPool(2);
    try {
      const digests = await Promise.all(files.map((f) => pool.hash(f.path)));
      expect(digests).toEqual(files.map(({ size, sha256 }) => ({ size, sha256 })));
    } finally {
      await pool.close();
    }
  });

  it('the pool reports an unreadable file by path and keeps working', async () => {
    const pool = new HashPool(1);
    try {
      const missing = join(dir, 'missing.bin');
      await expect(pool.hash(missing)).rejects.toBeInstanceOf(HashReadError);
      await expect(pool.hash(missing)).rejects.toThrow(missing);
      expect(await pool.hash(files[1]!.path)).toEqual({ size: 1, sha256: files[1]!.sha256 });
    } finally {
      await pool.close();
    }
  });
});
