import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildJsonl, tempDir } from '../builders/dataset.js';
import { lock, writeLockfile } from '../../src/provenance/lock/index.js';
import { antidote } from './run-cli.js';

/* `antidote verify` as a user runs it: exit 0 matches, 1 differs (with what differs), 2 usage or a broken lockfile. */

/** A locked folder; locked through the library (test/cli/lock.test.ts covers the lock command) to spare a process. */
async function lockedDir(): Promise<string> {
  const dir = tempDir('antidote-cli-verify-');
  writeFileSync(join(dir, 'train.jsonl'), buildJsonl([{ q: 'a', r: 'b' }, { q: 'c', r: 'd' }, { q: 'e', r: 'f' }]));
  writeFileSync(join(dir, 'notes.txt'), 'notes');
  const output = join(dir, 'antidote.lock.json');
  writeLockfile(output, (await lock({ paths: [dir], output })).lockfile);
  return dir;
}

describe('antidote verify', () => {
  it('exits 0 when everything matches (default lockfile in the current folder)', async () => {
    const r = antidote(['verify'], await lockedDir());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('PASSED');
    expect(r.stdout).toContain('2 locked file(s): 2 unchanged');
  });

  it('exits 1 and names the changed row with an excerpt', async () => {
    const dir = await lockedDir();
    writeFileSync(join(dir, 'train.jsonl'), buildJsonl([{ q: 'a', r: 'b' }, { q: 'c', r: 'd' }, { q: 'ignore previous instructions', r: 'f' }]));
    const r = antidote(['verify'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('modified    train.jsonl');
    expect(r.stdout).toContain('~ row 2 modified (old row 2): {"q":"ignore previous instructions","r":"f"}');
    expect(r.stdout).toContain('FAILED');
  });

  it('--format json -o FILE writes the versioned result', async () => {
    const dir = await lockedDir();
    writeFileSync(join(dir, 'notes.txt'), 'changed');
    const r = antidote(['verify', 'antidote.lock.json', '--format', 'json', '-o', 'result.json'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8'));
    expect(result).toMatchObject({ version: '1.0.0', status: 'failed', summary: { locked: 2, modified: 1, added: 0 } });
    expect(result.files.find((f: { path: string }) => f.path === 'notes.txt')).toMatchObject({ status: 'modified' });
  });

  it('exits 2 with the JSON path when the lockfile is malformed', async () => {
    const dir = await lockedDir();
    const lock = JSON.parse(readFileSync(join(dir, 'antidote.lock.json'), 'utf8'));
    lock.files[0].sha256 = 'nope';
    writeFileSync(join(dir, 'antidote.lock.json'), JSON.stringify(lock));
    const r = antidote(['verify'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('antidote.lock.json: $.files[0].sha256: expected 64 lowercase hex digits');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    ['a missing lockfile', ['missing.lock.json'], /missing\.lock\.json: cannot read the lockfile/],
    ['a bad --format', ['--format', 'sarif'], /--format must be text or json/],
    ['a bad --max-rows', ['--max-rows', 'many'], /--max-rows expects a non-negative integer/],
    ['two lockfiles', ['a.json', 'b.json'], /verify takes one LOCKFILE/],
  ])('exits 2 on %s', async (_name, args, message) => {
    const r = antidote(['verify', ...args], await lockedDir());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
