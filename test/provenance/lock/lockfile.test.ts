import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AntidoteError } from '../../../src/core/errors.js';
import { parseLockfile, serializeLockfile, type Lockfile } from '../../../src/provenance/lock/lockfile.js';
import { validateLockfileSchema, describeErrors } from './lockfile-schema.js';

/*
 * The lockfile parser takes input from whoever last committed the lockfile: every malformed lockfile must give
 * LOCK_INVALID naming the JSON path, never a crash and never a silently accepted lock.
 */

const HEX = 'ab'.repeat(32);
const sample: Lockfile = {
  lockfileVersion: 1,
  tool: { name: 'antidote', version: '0.1.0' },
  source: { url: 'https://example.org/datasets/alpaca', revision: 'v1.0' },
  rowEncoding: 'antidote-row-v1',
  roots: [{ path: 'data', kind: 'directory' }],
  rowDigests: { path: 'antidote.lock.rows', size: 16 + 8 * 3, sha256: HEX },
  files: [
    { path: 'data/README.md', size: 6, sha256: HEX },
    {
      path: 'data/big.jsonl',
      size: 300,
      sha256: HEX,
      dataset: { format: 'jsonl', rows: 3, badRows: 0, incomplete: false, columns: [{ name: 'text', type: 'string' }], merkleRoot: HEX, leafPrefixes: { encoding: 'sidecar', offset: 0 } },
    },
    {
      path: 'data/small.jsonl',
      size: 40,
      sha256: HEX,
      dataset: { format: 'jsonl', rows: 1, badRows: 1, incomplete: false, columns: [], merkleRoot: HEX, leafPrefixes: { encoding: 'inline', data: Buffer.alloc(16, 7).toString('base64') } },
    },
    { path: 'data/weird.json', size: 5, sha256: HEX, datasetError: 'not a dataset' },
  ],
};

function lockError(text: string): AntidoteError {
  try {
    parseLockfile(text, 'antidote.lock.json');
  } catch (error) {
    if (error instanceof AntidoteError) return error;
    throw error;
  }
  throw new Error(`accepted: ${text.slice(0, 200)}`);
}

const mutate = (edit: (lock: Record<string, any>) => void): string => {
  const copy = JSON.parse(JSON.stringify(sample)) as Record<string, any>;
  edit(copy);
  return JSON.stringify(copy);
};

describe('lockfile', () => {
  it('round-trips through serialize and parse', () => {
    const text = serializeLockfile(sample);
    expect(parseLockfile(text, 'x')).toEqual(sample);
    expect(serializeLockfile(parseLockfile(text, 'x'))).toBe(text);
  });

  it('what antidote writes validates against docs/lockfile.schema.json', () => {
    const valid = validateLockfileSchema(JSON.parse(serializeLockfile(sample)));
    expect(describeErrors(validateLockfileSchema.errors)).toEqual([]);
    expect(valid).toBe(true);
  });

  it.each<[string, string, RegExp]>([
    ['not JSON', '{"lockfileVersion": 1,', /not valid JSON/],
    ['a newer version', mutate((l) => (l.lockfileVersion = 2)), /\$\.lockfileVersion: unsupported version 2/],
    ['a missing sha256', mutate((l) => delete l.files[1].sha256), /\$\.files\[1\]\.sha256: missing/],
    ['a short sha256', mutate((l) => (l.files[0].sha256 = 'abc')), /\$\.files\[0\]\.sha256: expected 64 lowercase hex digits/],
    ['a negative size', mutate((l) => (l.files[0].size = -1)), /\$\.files\[0\]\.size: expected a non-negative integer/],
    ['a path escaping the folder', mutate((l) => (l.files[0].path = '../etc/passwd')), /\$\.files\[0\]\.path: expected a POSIX path inside/],
    ['an absolute path', mutate((l) => (l.files[0].path = '/etc/passwd')), /\$\.files\[0\]\.path/],
    ['unsorted files', mutate((l) => l.files.reverse()), /must be sorted by path/],
    ['duplicate files', mutate((l) => (l.files[1] = l.files[0])), /must be sorted by path without duplicates/],
    ['an unknown field', mutate((l) => (l.files[0].extra = true)), /\$\.files\[0\]\.extra: unknown field/],
    ['inline prefixes of the wrong length', mutate((l) => (l.files[2].dataset.rows = 5)), /\$\.files\[2\]\.dataset\.leafPrefixes\.data: holds 16 bytes, expected 8 per row for 6/],
    ['a sidecar reference without a sidecar', mutate((l) => delete l.rowDigests), /refers to the row-digest sidecar but \$\.rowDigests is missing/],
    ['a sidecar in another folder', mutate((l) => (l.rowDigests.path = 'x/rows')), /\$\.rowDigests\.path: expected a file name next to the lockfile/],
    ['a prototype key', '{"__proto__": {}, "lockfileVersion": 1}', /\$\.__proto__: unknown field/],
    ['an array at the top', '[]', /\$: expected an object, got an array/],
  ])('rejects %s with the JSON path', (_name, text, message) => {
    const error = lockError(text);
    expect(error.code).toBe('LOCK_INVALID');
    expect(error.message).toMatch(message);
    expect(error.message).toContain('antidote.lock.json');
  });

  it.each(['a', 'a/b.jsonl', 'é/ü.csv', '.hidden/x', '..a/b', '../x', '/x', 'a//b', 'a/./b', 'a/..', 'a\\b', 'C:/x', ''])('schema and parser agree on the path %j', (path) => {
    const text = mutate((l) => (l.files = [{ path, size: 1, sha256: HEX }]));
    let parsed = true;
    try {
      parseLockfile(text, 'x');
    } catch {
      parsed = false;
    }
    expect(validateLockfileSchema(JSON.parse(text))).toBe(parsed);
  });

  it('mutated lockfiles give LOCK_INVALID or a valid lock, never a crash (fuzz)', () => {
    const text = serializeLockfile(sample);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(text.length), fc.nat(text.length), fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 4 }), (edits) => {
        let mutated = text;
        for (const [at, drop, insert] of edits) mutated = mutated.slice(0, at) + insert + mutated.slice(Math.min(mutated.length, at + (drop % 3)));
        try {
          const parsed = parseLockfile(mutated, 'fuzz.lock.json');
          // Whatever is accepted must also be a lock antidote could have written.
          expect(validateLockfileSchema(JSON.parse(serializeLockfile(parsed)))).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(AntidoteError);
          expect((error as AntidoteError).code).toBe('LOCK_INVALID');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('structurally mutated lockfiles (values replaced by any JSON) never crash the parser (fuzz)', () => {
    const paths: ((l: Record<string, any>) => [Record<string, any>, string])[] = [
      (l) => [l, 'tool'],
      (l) => [l, 'roots'],
      (l) => [l.roots[0], 'kind'],
      (l) => [l, 'files'],
      (l) => [l.files[1], 'dataset'],
      (l) => [l.files[1].dataset, 'leafPrefixes'],
      (l) => [l.files[1].dataset, 'columns'],
      (l) => [l.files[2].dataset.leafPrefixes, 'data'],
      (l) => [l, 'rowDigests'],
      (l) => [l, 'source'],
    ];
    fc.assert(
      fc.property(fc.nat(paths.length - 1), fc.jsonValue({ maxDepth: 3 }), (which, value) => {
        const text = mutate((l) => {
          const [holder, key] = paths[which]!(l);
          holder[key] = value;
        });
        try {
          parseLockfile(text, 'fuzz.lock.json');
        } catch (error) {
          expect((error as AntidoteError).code).toBe('LOCK_INVALID');
        }
      }),
      { numRuns: 1000 },
    );
  });
});
