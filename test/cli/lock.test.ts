import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildJsonl, tempDir } from '../builders/dataset.js';
import { antidote } from './run-cli.js';

/* `antidote lock` as a user runs it: exit 0 locked, 1 locked with unreadable rows listed, 2 usage or tool error. */

describe('antidote lock', () => {
  it('exits 0 and writes the lockfile where -o says', () => {
    const dir = tempDir('antidote-cli-lock-');
    writeFileSync(join(dir, 'train.jsonl'), buildJsonl([{ a: 1 }, { a: 2 }]));
    const out = join(dir, 'data.lock.json');
    const r = antidote(['lock', dir, '-o', out, '--source', 'https://example.org/d', '--revision', 'r1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('1 file(s), 1 dataset(s), 2 row(s), 0 bad row(s)');
    const lock = JSON.parse(readFileSync(out, 'utf8'));
    expect(lock.source).toEqual({ url: 'https://example.org/d', revision: 'r1' });
    expect(lock.files[0]).toMatchObject({ path: 'train.jsonl', dataset: { rows: 2 } });
  });

  it('exits 1 and names the file when a dataset has rows it cannot read (the lock is still written)', () => {
    const dir = tempDir('antidote-cli-lock-');
    writeFileSync(join(dir, 'train.jsonl'), buildJsonl([{ a: 1 }, null], { rawLines: { 1: '{"a": ' } }));
    const r = antidote(['lock', '.'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('train.jsonl: 1 bad row(s) could not be read');
    expect(existsSync(join(dir, 'antidote.lock.json'))).toBe(true);
  });

  it.each([
    ['no PATH', [], /lock needs at least one PATH/],
    ['--revision without --source', ['.', '--revision', 'x'], /--revision needs --source/],
    ['an unknown flag', ['.', '--frobnicate'], /Unknown option '--frobnicate'/],
    ['a missing path', ['nope'], /nope: no such file or directory/],
    ['a bad --limit', ['.', '--limit', 'maxRows=1'], /--limit expects NAME=INTEGER/],
  ])('exits 2 on %s, without a stack trace', (_name, args, message) => {
    const dir = tempDir('antidote-cli-lock-');
    const r = antidote(['lock', ...args], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 on a path outside the lockfile folder and says how to fix it', () => {
    const dir = tempDir('antidote-cli-lock-');
    const other = tempDir('antidote-cli-other-');
    const r = antidote(['lock', other, '-o', join(dir, 'antidote.lock.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("outside the lockfile's folder");
  });
});
