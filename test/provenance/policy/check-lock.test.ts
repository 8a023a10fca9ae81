import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allowedBy, checkLockAgainstPolicy, hubOrganisation, parsePolicy, urlHasPrefix, type LockFacts } from '../../../src/provenance/policy/index.js';
import { globToRegExp } from '../../../src/provenance/policy/path-glob.js';
import { tempProject, writeTree } from './policy-fixtures.js';

describe('hubOrganisation', () => {
  it.each([
    ['meta-llama/Llama-3.1-8B', 'meta-llama'],
    ['hf://meta-llama/Llama-3.1-8B', 'meta-llama'],
    ['hf://datasets/allenai/c4', 'allenai'],
    ['https://huggingface.co/allenai/OLMo-7B/resolve/main/model.safetensors', 'allenai'],
    ['https://huggingface.co/datasets/allenai/c4', 'allenai'],
    ['https://hf.co/mistralai/Mistral-7B-v0.1', 'mistralai'],
    ['gpt2', undefined],
    ['https://huggingface.co/gpt2', undefined],
    ['http://huggingface.co/allenai/c4', undefined],
    ['https://huggingface.co.evil.org/allenai/c4', undefined],
    ['https://evil.org/huggingface.co/allenai/c4', undefined],
    ['s3://bucket/allenai/c4', undefined],
  ])('%s -> %s', (source, org) => {
    expect(hubOrganisation(source)).toBe(org);
  });
});

describe('urlHasPrefix: matched on scheme, host and whole path segments', () => {
  it.each([
    ['https://data.example.com/releases/v2/train.jsonl', 'https://data.example.com/releases/', true],
    ['https://data.example.com/releases', 'https://data.example.com/releases', true],
    ['https://data.example.com/releases/x', 'https://data.example.com/releases', true],
    ['https://DATA.example.com/releases/x', 'https://data.example.com/releases/', true],
    ['https://data.example.com/anything', 'https://data.example.com', true],
    ['https://data.example.com.evil.org/releases/x', 'https://data.example.com', false],
    ['https://data.example.com/releases-evil/x', 'https://data.example.com/releases', false],
    ['https://data.example.com/releases/../private/x', 'https://data.example.com/releases/', false],
    ['http://data.example.com/releases/x', 'https://data.example.com/releases/', false],
    ['https://data.example.com:8443/releases/x', 'https://data.example.com/releases/', false],
    ['not a url', 'https://data.example.com/', false],
  ])('%s under %s: %s', (source, prefix, expected) => {
    expect(urlHasPrefix(source, prefix)).toBe(expected);
  });
});

describe('path globs', () => {
  it.each([
    ['**/README.md', 'README.md', true],
    ['**/README.md', 'data/a/README.md', true],
    ['**/*.sig', 'models/x/model.sig', true],
    ['*.sig', 'models/x/model.sig', false],
    ['data/raw', 'data/raw/a.jsonl', true],
    ['data/raw/', 'data/raw/sub/a.jsonl', true],
    ['data/raw', 'data/rawer/a.jsonl', false],
    ['data/?.csv', 'data/a.csv', true],
    ['data/?.csv', 'data/ab.csv', false],
    ['data/(a|b).csv', 'data/a.csv', false],
  ])('%s matches %s: %s', (glob, path, expected) => {
    expect(globToRegExp(glob).test(path)).toBe(expected);
  });
});

const SOURCES_POLICY = 'version: 1\nsources:\n  huggingface: [Meta-Llama, allenai]\n  urls: [https://data.example.com/releases/]\n';

describe('checkLockAgainstPolicy: sources', () => {
  const policy = parsePolicy(SOURCES_POLICY, '/p/antidote.yaml');
  const lock = (entries: LockFacts['entries'], source?: string): LockFacts => ({ file: '/p/antidote.lock.json', entries, ...(source ? { source } : {}) });

  it('passes when every source is allowed (organisations ignore case)', () => {
    const check = checkLockAgainstPolicy(lock([
      { path: 'models/a.safetensors', source: 'hf://meta-llama/Llama-3.1-8B' },
      { path: 'data/c4.jsonl', source: 'https://huggingface.co/datasets/allenai/c4' },
      { path: 'data/x.jsonl', source: 'https://data.example.com/releases/v1/x.jsonl' },
    ]), policy);
    expect(check).toEqual({ ok: true, violations: [] });
  });

  it('names a disallowed source, the entries that use it and the policy line', () => {
    const check = checkLockAgainstPolicy(lock([
      { path: 'data/a.jsonl', source: 'hf://datasets/evil-org/c4' },
      { path: 'data/b.jsonl', source: 'hf://datasets/evil-org/c4' },
      { path: 'data/c.jsonl', source: 'https://data.example.com.evil.org/releases/c.jsonl' },
    ]), policy);
    expect(check.ok).toBe(false);
    expect(check.violations.map((v) => [v.rule, v.subject])).toEqual([
      ['sources', 'hf://datasets/evil-org/c4'],
      ['sources', 'https://data.example.com.evil.org/releases/c.jsonl'],
    ]);
    expect(check.violations[0]!.message).toContain('data/a.jsonl, data/b.jsonl');
    expect(check.violations[0]!.message).toContain('/p/antidote.yaml:3:3');
    expect(check.violations[0]!.policyAt).toMatchObject({ line: 3, col: 3 });
  });

  it('an entry with no recorded source is a violation (where it came from is unknown)', () => {
    const check = checkLockAgainstPolicy(lock([{ path: 'data/a.jsonl' }, { path: 'data/b.jsonl', source: '  ' }]), policy);
    expect(check.violations).toHaveLength(1);
    expect(check.violations[0]!.message).toMatch(/data\/a\.jsonl, data\/b\.jsonl record no source.*antidote lock --source/);
  });

  it("entries without their own source use the lockfile's", () => {
    expect(checkLockAgainstPolicy(lock([{ path: 'data/a.jsonl' }], 'hf://datasets/allenai/c4'), policy).ok).toBe(true);
    expect(checkLockAgainstPolicy(lock([{ path: 'data/a.jsonl' }], 'hf://datasets/other/c4'), policy).ok).toBe(false);
  });

  it('a policy without sources accepts any source', () => {
    expect(checkLockAgainstPolicy(lock([{ path: 'a' }]), parsePolicy('version: 1\n', '/p/antidote.yaml')).ok).toBe(true);
  });

  it('allowedBy returns the entry that admitted the source', () => {
    expect(allowedBy('meta-llama/x', policy.sources!)).toMatchObject({ org: 'Meta-Llama' });
    expect(allowedBy('https://data.example.com/releases/a', policy.sources!)).toMatchObject({ prefix: 'https://data.example.com/releases/' });
  });
});

describe('checkLockAgainstPolicy: lock coverage', () => {
  function project(): string {
    const root = tempProject();
    writeTree(root, {
      'antidote.yaml': 'version: 1\nlock:\n  require:\n    - data/\n    - models/m\n  exclude: ["**/README.md"]\n',
      'data/train.jsonl': '{}\n',
      'data/test.jsonl': '{}\n',
      'data/README.md': '# card\n',
      'data/sub/extra.parquet': 'PAR1',
      'data/.git/HEAD': 'ref',
      'models/m/model.safetensors': 'x',
      'models/other/unlisted.bin': 'x',
      'antidote.lock.json': '{}',
    });
    return root;
  }
  const facts = (root: string, paths: string[]): LockFacts => ({ file: join(root, 'antidote.lock.json'), entries: paths.map((path) => ({ path })) });

  it('passes when every required file is locked; README.md is excluded, .git and other folders are not required', () => {
    const root = project();
    const policy = parsePolicy('version: 1\nlock:\n  require:\n    - data/\n    - models/m\n  exclude: ["**/README.md"]\n', join(root, 'antidote.yaml'));
    const check = checkLockAgainstPolicy(facts(root, ['data/train.jsonl', 'data/test.jsonl', 'data/sub/extra.parquet', 'models/m/model.safetensors']), policy);
    expect(check).toEqual({ ok: true, violations: [] });
  });

  it('names each file that is not locked, and the policy line that requires it', () => {
    const root = project();
    const policy = parsePolicy('version: 1\nlock:\n  require:\n    - data/\n    - models/m\n', join(root, 'antidote.yaml'));
    const check = checkLockAgainstPolicy(facts(root, ['data/train.jsonl', 'models/m/model.safetensors']), policy);
    expect(check.violations.map((v) => v.subject).sort()).toEqual(['data/README.md', 'data/sub/extra.parquet', 'data/test.jsonl']);
    expect(check.violations.every((v) => v.rule === 'lock-coverage' && v.policyAt.line === 4)).toBe(true);
    expect(check.violations.find((v) => v.subject === 'data/test.jsonl')!.message).toContain("every file under 'data/'");
  });

  it("the lock's own sidecar is exempt", () => {
    const root = project();
    writeTree(root, { 'data/antidote.lock.rows': 'digests' });
    const policy = parsePolicy('version: 1\nlock:\n  require: [data]\n  exclude: [data/README.md, data/sub, data/test.jsonl]\n', join(root, 'antidote.yaml'));
    const entries = [{ path: 'data/train.jsonl' }];
    expect(checkLockAgainstPolicy({ file: join(root, 'antidote.lock.json'), entries }, policy).violations.map((v) => v.subject)).toEqual(['data/antidote.lock.rows']);
    expect(checkLockAgainstPolicy({ file: join(root, 'antidote.lock.json'), entries, exempt: ['data/antidote.lock.rows'] }, policy).ok).toBe(true);
  });

  it('lockfile entry paths are relative to the lockfile, wherever it lives', () => {
    const root = project();
    mkdirSync(join(root, 'locks'));
    const policy = parsePolicy('version: 1\nlock:\n  require: [models/m]\n', join(root, 'antidote.yaml'));
    const lock: LockFacts = { file: join(root, 'locks/antidote.lock.json'), entries: [{ path: '../models/m/model.safetensors' }] };
    expect(checkLockAgainstPolicy(lock, policy).ok).toBe(true);
    expect(checkLockAgainstPolicy({ ...lock, entries: [{ path: 'models/m/model.safetensors' }] }, policy).ok).toBe(false);
  });

  it('a required path that does not exist is a violation: the policy cannot be met', () => {
    const root = project();
    const policy = parsePolicy('version: 1\nlock:\n  require: [datasets/]\n', join(root, 'antidote.yaml'));
    const check = checkLockAgainstPolicy(facts(root, []), policy);
    expect(check.violations).toMatchObject([{ rule: 'lock-coverage', subject: 'datasets/' }]);
    expect(check.violations[0]!.message).toContain('must exist');
  });

  it('links to folders are not followed; links to files count as files', () => {
    const root = project();
    symlinkSync(join(root, 'models'), join(root, 'data/loop'));
    symlinkSync(join(root, 'models/other/unlisted.bin'), join(root, 'data/linked.bin'));
    const policy = parsePolicy('version: 1\nlock:\n  require: [data]\n', join(root, 'antidote.yaml'));
    const check = checkLockAgainstPolicy(facts(root, ['data/train.jsonl', 'data/test.jsonl', 'data/sub/extra.parquet', 'data/README.md']), policy);
    expect(check.violations.map((v) => v.subject)).toEqual(['data/linked.bin']);
  });
});
