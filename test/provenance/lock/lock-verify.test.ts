import { appendFileSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AntidoteError } from '../../../src/core/errors.js';
import { lock, MAX_INLINE_LEAVES, readLockfile, verifyLock, writeLockfile, type VerifiedFile, type VerifyResult } from '../../../src/provenance/lock/index.js';
import { validateLockfileSchema } from './lockfile-schema.js';
import { buildCsv, buildJsonl, buildParquet, tempDir } from '../../builders/dataset.js';

/*
 * Lock, tamper, verify: each tampering of the matrix gives exactly the expected report (file status, row
 * counts, row changes with indices and excerpts). Every case starts from a fresh copy of the same folder.
 */

const ROWS = [
  { id: 0, text: 'alpha' },
  { id: 1, text: 'bravo' },
  { id: 2, text: 'charlie' },
  { id: 3, text: 'delta' },
  { id: 4, text: 'echo' },
];
/** The locked JSONL: five rows and, between rows 1 and 2, one line that is not JSON (a bad row). */
const jsonl = (rows: readonly object[], bad = 'not json {'): Buffer => buildJsonl([...rows.slice(0, 2), null, ...rows.slice(2)], { rawLines: { 2: bad } });

/** A folder with a README, a JSONL dataset with a bad row, and a CSV; locked; returns its path. */
async function lockedFolder(): Promise<string> {
  const dir = tempDir('antidote-lock-');
  writeFileSync(join(dir, 'README.md'), '# data card\n');
  writeFileSync(join(dir, 'train.jsonl'), jsonl(ROWS));
  writeFileSync(join(dir, 'labels.csv'), buildCsv(['label', 'count'], [['cat', '3'], ['dog', '4']]));
  const { lockfile } = await lock({ paths: [dir], output: join(dir, 'antidote.lock.json') });
  writeLockfile(join(dir, 'antidote.lock.json'), lockfile);
  return dir;
}

const verify = (dir: string): Promise<VerifyResult> => verifyLock({ lockfile: join(dir, 'antidote.lock.json') });
const changed = (result: VerifyResult): VerifiedFile[] => result.files.filter((f) => f.status !== 'unchanged');

describe('lock', () => {
  it('records every file, the dataset rows and bad rows, and validates against the schema', async () => {
    const dir = await lockedFolder();
    const lockfile = readLockfile(join(dir, 'antidote.lock.json'));
    expect(validateLockfileSchema(JSON.parse(readFileSync(join(dir, 'antidote.lock.json'), 'utf8')))).toBe(true);
    expect(lockfile.roots).toEqual([{ path: '.', kind: 'directory' }]);
    expect(lockfile.files.map((f) => f.path)).toEqual(['README.md', 'labels.csv', 'train.jsonl']);
    const train = lockfile.files[2]!;
    expect(train.size).toBe(readFileSync(join(dir, 'train.jsonl')).length);
    expect(train.dataset).toMatchObject({ format: 'jsonl', rows: 5, badRows: 1, incomplete: false, columns: [{ name: 'id', type: 'int64' }, { name: 'text', type: 'string' }] });
    expect(lockfile.files[1]!.dataset).toMatchObject({ format: 'csv', rows: 2, badRows: 0 });
    expect(lockfile.files[0]!.dataset).toBeUndefined();
    expect(lockfile.rowDigests).toBeUndefined();
  });

  it('is reproducible: locking the same files twice writes the same bytes', async () => {
    const dir = await lockedFolder();
    const first = readFileSync(join(dir, 'antidote.lock.json'), 'utf8');
    const { lockfile } = await lock({ paths: [dir], output: join(dir, 'antidote.lock.json') });
    writeLockfile(join(dir, 'antidote.lock.json'), lockfile);
    expect(readFileSync(join(dir, 'antidote.lock.json'), 'utf8')).toBe(first);
  });

  it('refuses a path outside the lockfile folder', async () => {
    const dir = tempDir('antidote-lock-');
    await expect(lock({ paths: [tempDir('antidote-other-')], output: join(dir, 'antidote.lock.json') })).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('records --source and --revision', async () => {
    const dir = tempDir('antidote-lock-');
    writeFileSync(join(dir, 'a.txt'), 'a');
    const { lockfile } = await lock({ paths: [dir], output: join(dir, 'antidote.lock.json'), source: { url: 'https://example.org/d', revision: 'abc123' } });
    expect(lockfile.source).toEqual({ url: 'https://example.org/d', revision: 'abc123' });
  });
});

describe('verify: tamper matrix', () => {
  it('passes when nothing changed', async () => {
    const result = await verify(await lockedFolder());
    expect(result.status).toBe('passed');
    expect(result.summary).toEqual({ locked: 3, unchanged: 3, modified: 0, added: 0, removed: 0, unreadable: 0 });
  });

  it('a byte changed in a plain file: modified, same size', async () => {
    const dir = await lockedFolder();
    writeFileSync(join(dir, 'README.md'), '# data cart\n');
    const result = await verify(dir);
    expect(result.status).toBe('failed');
    expect(changed(result)).toEqual([
      expect.objectContaining({ path: 'README.md', status: 'modified', expected: expect.objectContaining({ size: 12 }), actual: expect.objectContaining({ size: 12 }) }),
    ]);
  });

  it('one row value changed (same size): that row modified, with the new row as excerpt', async () => {
    const dir = await lockedFolder();
    writeFileSync(join(dir, 'train.jsonl'), jsonl(ROWS.map((r) => (r.id === 3 ? { ...r, text: 'DELTA' } : r))));
    const [file] = changed(await verify(dir));
    expect(file).toMatchObject({ path: 'train.jsonl', status: 'modified' });
    expect(file!.rows!.counts).toEqual({ unchanged: 5, added: 0, removed: 0, modified: 1, moved: 0 });
    // Row 3 of the data is line/index 4 of the file: the bad line counts as index 2.
    expect(file!.rows!.changes).toEqual([{ kind: 'modified', oldIndex: 4, newIndex: 4, excerpt: '{"id":3,"text":"DELTA"}' }]);
  });

  it('a row inserted in the middle: one addition at its index, the rows after it unchanged', async () => {
    const dir = await lockedFolder();
    writeFileSync(join(dir, 'train.jsonl'), jsonl([...ROWS.slice(0, 3), { id: 99, text: 'poison' }, ...ROWS.slice(3)]));
    const [file] = changed(await verify(dir));
    expect(file!.rows!.counts).toEqual({ unchanged: 6, added: 1, removed: 0, modified: 0, moved: 0 });
    expect(file!.rows!.changes).toEqual([{ kind: 'added', newIndex: 4, excerpt: '{"id":99,"text":"poison"}' }]);
  });

  it('a row deleted: one removal at its old index', async () => {
    const dir = await lockedFolder();
    writeFileSync(join(dir, 'train.jsonl'), jsonl(ROWS.filter((r) => r.id !== 3)));
    const [file] = changed(await verify(dir));
    expect(file!.rows!.counts).toEqual({ unchanged: 5, added: 0, removed: 1, modified: 0, moved: 0 });
    expect(file!.rows!.changes).toEqual([{ kind: 'removed', oldIndex: 4 }]);
  });

  it('two rows reordered: a move, the rest unchanged', async () => {
    const dir = await lockedFolder();
    writeFileSync(join(dir, 'train.jsonl'), jsonl([ROWS[1]!, ROWS[0]!, ...ROWS.slice(2)]));
    const [file] = changed(await verify(dir));
    expect(file!.rows!.counts).toEqual({ unchanged: 5, added: 0, removed: 0, modified: 0, moved: 1 });
    expect(file!.rows!.changes).toEqual([{ kind: 'moved', oldIndex: 0, newIndex: 1 }]);
  });

  it('a file added and a file removed', async () => {
    const dir = await lockedFolder();
    writeFileSync(join(dir, 'extra.bin'), Buffer.from([1, 2, 3]));
    rmSync(join(dir, 'labels.csv'));
    const result = await verify(dir);
    expect(changed(result).map((f) => [f.path, f.status])).toEqual([
      ['extra.bin', 'added'],
      ['labels.csv', 'removed'],
    ]);
    expect(result.summary).toEqual({ locked: 3, unchanged: 2, modified: 0, added: 1, removed: 1, unreadable: 0 });
  });

  it('a bad row changed: that row modified', async () => {
    const dir = await lockedFolder();
    writeFileSync(join(dir, 'train.jsonl'), jsonl(ROWS, 'not json }'));
    const [file] = changed(await verify(dir));
    expect(file!.rows!.counts).toEqual({ unchanged: 5, added: 0, removed: 0, modified: 1, moved: 0 });
    expect(file!.rows!.changes).toEqual([{ kind: 'modified', oldIndex: 2, newIndex: 2, excerpt: expect.stringContaining('not json }') }]);
    expect(file!.rows!.actual.badRows).toBe(1);
  });

  it('the file truncated mid-row: the cut row turns bad (modified), the rows after it removed', async () => {
    const dir = await lockedFolder();
    const path = join(dir, 'train.jsonl');
    const text = readFileSync(path, 'utf8');
    truncateSync(path, text.indexOf('"delta"') + 3);
    const [file] = changed(await verify(dir));
    expect(file!.rows!.counts).toEqual({ unchanged: 4, added: 0, removed: 1, modified: 1, moved: 0 });
    expect(file!.rows!.changes).toEqual([
      { kind: 'modified', oldIndex: 4, newIndex: 4, excerpt: expect.stringContaining('bad row') },
      { kind: 'removed', oldIndex: 5 },
    ]);
    // The cut falls in row {id 3} (file index 4), before {id 4} (file index 5): the premise of the expectation.
    expect(text.indexOf('"echo"')).toBeGreaterThan(text.indexOf('"delta"'));
  });

  it('re-serialised with other key order and spacing: bytes differ, rows the same', async () => {
    const dir = await lockedFolder();
    const lines = readFileSync(join(dir, 'train.jsonl'), 'utf8').trimEnd().split('\n');
    writeFileSync(join(dir, 'train.jsonl'), `${lines.map((line) => (line.startsWith('{') ? `{ "text" : ${JSON.stringify(JSON.parse(line).text)}, "id": ${JSON.parse(line).id} }` : line)).join('\r\n')}\r\n`);
    const [file] = changed(await verify(dir));
    expect(file).toMatchObject({ path: 'train.jsonl', status: 'modified' });
    expect(file!.rows!.sameContent).toBe(true);
    expect(file!.rows!.changes).toEqual([]);
  });

  it('a file replaced by a folder of the same name: removed, and the new files added', async () => {
    const dir = await lockedFolder();
    rmSync(join(dir, 'README.md'));
    writeFileSync(join(dir, 'readme.txt'), 'moved');
    const result = await verify(dir);
    expect(changed(result).map((f) => [f.path, f.status])).toEqual([
      ['README.md', 'removed'],
      ['readme.txt', 'added'],
    ]);
  });
});

describe('verify: large datasets and the row-digest sidecar', () => {
  const many = (n: number, from = 0) => Array.from({ length: n }, (_, i) => ({ id: from + i, text: `row ${from + i}` }));

  it('keeps prefixes in the sidecar past the inline budget and localises a deletion and an insertion', async () => {
    const dir = tempDir('antidote-lock-');
    const rows = many(MAX_INLINE_LEAVES + 1000);
    writeFileSync(join(dir, 'big.jsonl'), buildJsonl(rows));
    writeFileSync(join(dir, 'small.jsonl'), buildJsonl(many(3)));
    const { lockfile } = await lock({ paths: [dir], output: join(dir, 'antidote.lock.json') });
    writeLockfile(join(dir, 'antidote.lock.json'), lockfile);
    expect(lockfile.files[0]!.dataset!.leafPrefixes).toEqual({ encoding: 'sidecar', offset: 0 });
    expect(lockfile.files[1]!.dataset!.leafPrefixes.encoding).toBe('inline');
    expect(lockfile.rowDigests).toMatchObject({ path: 'antidote.lock.rows', size: 16 + 8 * rows.length });

    const edited = [...rows];
    edited.splice(4500, 1);
    edited.splice(10, 0, { id: -1, text: 'injected' });
    writeFileSync(join(dir, 'big.jsonl'), buildJsonl(edited));
    const [file] = changed(await verify(dir));
    expect(file!.rows!.counts).toEqual({ unchanged: rows.length - 1, added: 1, removed: 1, modified: 0, moved: 0 });
    expect(file!.rows!.changes).toEqual([
      { kind: 'added', newIndex: 10, excerpt: '{"id":-1,"text":"injected"}' },
      { kind: 'removed', oldIndex: 4500 },
    ]);
  });

  it('a sidecar that was altered or is missing makes the lock invalid (exit 2), not a pass', async () => {
    const dir = tempDir('antidote-lock-');
    writeFileSync(join(dir, 'big.jsonl'), buildJsonl(many(MAX_INLINE_LEAVES + 1)));
    const { lockfile } = await lock({ paths: [dir], output: join(dir, 'antidote.lock.json') });
    writeLockfile(join(dir, 'antidote.lock.json'), lockfile);
    appendFileSync(join(dir, 'antidote.lock.rows'), Buffer.alloc(8));
    await expect(verify(dir)).rejects.toMatchObject({ code: 'LOCK_INVALID', message: expect.stringContaining('antidote.lock.rows') });
    renameSync(join(dir, 'antidote.lock.rows'), join(dir, 'elsewhere.rows'));
    const error = await verify(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AntidoteError);
    expect((error as AntidoteError).code).toBe('LOCK_INVALID');
  });

  it('locks and verifies a Parquet file by rows', async () => {
    const dir = tempDir('antidote-lock-');
    const parquet = (texts: string[]) => buildParquet([{ name: 'id', data: texts.map((_, i) => BigInt(i)), type: 'INT64' }, { name: 'text', data: texts, type: 'STRING' }]);
    writeFileSync(join(dir, 'train.parquet'), parquet(['a', 'b', 'c', 'd']));
    const { lockfile } = await lock({ paths: [dir], output: join(dir, 'antidote.lock.json') });
    writeLockfile(join(dir, 'antidote.lock.json'), lockfile);
    expect(lockfile.files[0]!.dataset).toMatchObject({ format: 'parquet', rows: 4, badRows: 0 });
    expect((await verify(dir)).status).toBe('passed');
    writeFileSync(join(dir, 'train.parquet'), parquet(['a', 'b', 'X', 'd']));
    const [file] = changed(await verify(dir));
    expect(file!.rows!.changes).toEqual([{ kind: 'modified', oldIndex: 2, newIndex: 2, excerpt: '{"id":!int(2),"text":"X"}' }]);
  });
});
