import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AntidoteError } from '../../../src/core/errors.js';
import { loadPolicy, MAX_POLICY_BYTES, parsePolicy } from '../../../src/provenance/policy/index.js';
import { docsExamplePolicy, keyPair, tempProject, writeTree } from './policy-fixtures.js';

/** Where `needle` starts in `text`, as 1-based line and column (found, not hard-coded, for the long example). */
function lineColOf(text: string, needle: string): { line: number; col: number } {
  const offset = text.indexOf(needle);
  if (offset < 0) throw new Error(`'${needle}' not in text`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, col: before[before.length - 1]!.length + 1 };
}

function policyErrorOf(fn: () => unknown): AntidoteError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AntidoteError) return error;
    throw error;
  }
  throw new Error('expected a POLICY_INVALID error, but the policy loaded');
}

describe('loadPolicy: valid files', () => {
  it('loads the full example of docs/policy.md, with every rule typed and placed', () => {
    const root = tempProject();
    const key = keyPair();
    const text = docsExamplePolicy();
    writeTree(root, { 'antidote.yaml': text, 'keys/release.pub': key.publicPem });
    const policy = loadPolicy(join(root, 'antidote.yaml'));

    expect(policy.file).toBe(join(root, 'antidote.yaml'));
    expect(policy.sources?.huggingface.map((o) => o.org)).toEqual(['meta-llama', 'allenai']);
    expect(policy.sources?.urls.map((u) => u.prefix)).toEqual(['https://data.example.com/releases/']);
    expect(policy.sources?.huggingface[0]?.at).toMatchObject(lineColOf(text, 'meta-llama'));
    expect(policy.signatures?.require.map((p) => p.path)).toEqual([join(root, 'models/llama-ft')]);
    expect(policy.signatures?.identities).toMatchObject([{ identity: 'release-bot@example.com', issuer: 'https://accounts.google.com' }]);
    // The PEM file is read at load time and known by its SPKI fingerprint, computed here independently.
    expect(policy.signatures?.keys[0]).toMatchObject({ sha256: key.sha256, path: join(root, 'keys/release.pub') });
    expect(policy.signatures?.keys[1]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(policy.lock?.require.map((p) => p.written)).toEqual(['data/', 'models/']);
    expect(policy.lock?.require[1]?.at).toMatchObject(lineColOf(text, 'models/\n'));
    expect(policy.lock?.exclude).toEqual(['**/README.md', '**/*.sig']);
    expect(policy.scan).toEqual({ failOn: 'medium', strict: true });
    expect(policy.audit).toEqual({ failOn: 'high', maxFlaggedRatio: 0.01 });
  });

  it('a minimal policy imposes nothing', () => {
    const policy = parsePolicy('version: 1\n', 'antidote.yaml');
    expect(policy).toEqual({ file: resolve('antidote.yaml'), version: 1, scan: {}, audit: {} });
  });

  it('relative paths resolve against the policy file, not the current directory', () => {
    const policy = parsePolicy('version: 1\nlock:\n  require: [data]\n', '/srv/project/antidote.yaml');
    expect(policy.lock?.require[0]?.path).toBe('/srv/project/data');
  });

  it('flow style, comments, a BOM and anchors are plain YAML and load', () => {
    const text = '\uFEFF# policy\nversion: 1\nsources: {huggingface: &orgs [meta-llama]}\nsignatures:\n  keys: [{sha256: "' + 'A'.repeat(64) + '"}]\n';
    const policy = parsePolicy(text, 'antidote.yaml');
    expect(policy.sources?.huggingface[0]?.org).toBe('meta-llama');
    expect(policy.signatures?.keys[0]?.sha256).toBe('a'.repeat(64));
  });
});

/** Invalid policies as data: the YAML, where the error must point, and what it must say. */
const INVALID: { name: string; yaml: string; at: string; says: string }[] = [
  { name: 'bad YAML syntax (unclosed flow list)', yaml: 'version: 1\nscan:\n  fail-on: [high\n', at: '4:1', says: 'YAML: Flow sequence' },
  { name: 'bad YAML syntax (tab indentation)', yaml: 'version: 1\nscan:\n\tfail-on: high\n', at: '3:1', says: 'YAML:' },
  { name: 'duplicate key', yaml: 'version: 1\nscan:\n  fail-on: high\n  fail-on: low\n', at: '4:3', says: 'unique' },
  { name: 'unknown tag', yaml: 'version: 1\nscan:\n  fail-on: !sev high\n', at: '3:12', says: 'Unresolved tag' },
  { name: 'two documents', yaml: 'version: 1\n---\nversion: 1\n', at: '2:1', says: 'YAML:' },
  { name: 'empty file', yaml: '', at: '1:1', says: "needs at least 'version: 1'" },
  { name: 'missing version', yaml: 'scan:\n  fail-on: high\n', at: '1:1', says: "missing the required key 'version'" },
  { name: 'wrong version', yaml: 'version: 2\n', at: '1:10', says: 'version must be one of 1 (got 2)' },
  { name: 'root is a list', yaml: '- version: 1\n', at: '1:1', says: 'the policy must be a mapping' },
  { name: 'unknown top-level key, with a suggestion', yaml: 'version: 1\nsorces:\n  urls: [https://a.example/]\n', at: '2:1', says: "unknown key 'sorces' at the top level; did you mean 'sources'?" },
  { name: 'unknown nested key (snake_case for kebab-case)', yaml: 'version: 1\nscan:\n  fail_on: high\n', at: '3:3', says: "unknown key 'fail_on' in scan; did you mean 'fail-on'?" },
  { name: 'bad severity', yaml: 'version: 1\nscan:\n  fail-on: hihg\n', at: '3:12', says: "scan.fail-on must be one of info, low, medium, high, critical (got 'hihg')" },
  { name: 'wrong type: string for boolean', yaml: 'version: 1\nscan:\n  strict: "yes"\n', at: '3:11', says: 'scan.strict must be true or false' },
  { name: 'wrong type: number for list', yaml: 'version: 1\nlock:\n  require: 3\n', at: '3:12', says: 'lock.require must be a list' },
  { name: 'wrong type: section is a string', yaml: 'version: 1\naudit: strict\n', at: '2:8', says: 'audit must be a mapping' },
  { name: 'ratio above 1', yaml: 'version: 1\naudit:\n  max-flagged-ratio: 1.5\n', at: '3:22', says: 'audit.max-flagged-ratio must be <= 1 (got 1.5)' },
  { name: 'ratio .nan (YAML NaN passes no range check)', yaml: 'version: 1\naudit:\n  max-flagged-ratio: .nan\n', at: '3:22', says: 'not a finite number' },
  { name: 'Hub organisation with a slash', yaml: 'version: 1\nsources:\n  huggingface:\n    - meta-llama/Llama-3\n', at: '4:7', says: "sources.huggingface[0] is not a Hub organisation or user name" },
  { name: 'URL prefix without a scheme', yaml: 'version: 1\nsources:\n  urls: [data.example.com/x]\n', at: '3:10', says: 'sources.urls[0] is not a URL' },
  { name: 'sources with no list', yaml: 'version: 1\nsources: {}\n', at: '2:1', says: "sources needs at least one of 'huggingface' or 'urls'" },
  { name: 'signatures with no signer', yaml: 'version: 1\nsignatures:\n  require: [models/a]\n', at: '2:1', says: "signatures needs at least one of 'identities' or 'keys'" },
  { name: 'identity without issuer', yaml: 'version: 1\nsignatures:\n  identities:\n    - identity: a@example.com\n', at: '4:7', says: "signatures.identities[0] is missing the required key 'issuer'" },
  { name: 'key with both path and sha256', yaml: `version: 1\nsignatures:\n  keys:\n    - {path: a.pub, sha256: ${'0'.repeat(64)}}\n`, at: '4:7', says: 'must have exactly one of path, sha256' },
  { name: 'short fingerprint', yaml: 'version: 1\nsignatures:\n  keys:\n    - sha256: abc\n', at: '4:15', says: 'signatures.keys[0].sha256 is not 64 hex digits' },
  { name: 'lock with an empty require list', yaml: 'version: 1\nlock:\n  require: []\n', at: '3:12', says: 'lock.require needs at least 1 item' },
  { name: 'duplicate list item', yaml: 'version: 1\nlock:\n  require: [data, models, data]\n', at: '3:27', says: "lock.require lists 'data' twice" },
  { name: 'billion laughs', yaml: 'version: 1\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n', at: '1:1', says: 'YAML:' },
];

describe('loadPolicy: invalid files give file:line:col and what is wrong', () => {
  it.each(INVALID)('$name', ({ yaml, at, says }) => {
    const error = policyErrorOf(() => parsePolicy(yaml, 'antidote.yaml'));
    expect(error.code).toBe('POLICY_INVALID');
    const first = error.message.split('\n')[0]!;
    expect(first.startsWith(`antidote.yaml:${at}: `), `first problem: ${first}`).toBe(true);
    expect(error.message).toContain(says);
    expect(error.message).toContain('docs/policy.md');
  });

  it('lists every problem, in file order', () => {
    const error = policyErrorOf(() => parsePolicy('version: 1\nscan:\n  fail-on: hihg\n  stric: true\naudit:\n  fail-on: 3\n', 'p.yaml'));
    const problems = error.message.split('\n').filter((l) => /^p\.yaml:\d+:\d+: /.test(l));
    expect(problems.map((l) => l.split(': ')[0])).toEqual(['p.yaml:3:12', 'p.yaml:4:3', 'p.yaml:6:12']);
  });

  it('a key file that does not exist is reported at its line', () => {
    const root = tempProject();
    writeTree(root, { 'antidote.yaml': 'version: 1\nsignatures:\n  keys:\n    - path: keys/missing.pub\n' });
    const error = policyErrorOf(() => loadPolicy(join(root, 'antidote.yaml')));
    expect(error.message).toMatch(/antidote\.yaml:4:13: signatures\.keys\[0\]\.path: cannot read the public key .*missing\.pub/);
  });

  it('a private key named as a signing key is refused', () => {
    const root = tempProject();
    writeTree(root, { 'antidote.yaml': 'version: 1\nsignatures:\n  keys:\n    - path: release.key\n', 'release.key': keyPair().privatePem });
    const error = policyErrorOf(() => loadPolicy(join(root, 'antidote.yaml')));
    expect(error.message).toContain('holds a private key');
  });

  it('a file that is not a key is refused', () => {
    const root = tempProject();
    writeTree(root, { 'antidote.yaml': 'version: 1\nsignatures:\n  keys:\n    - path: notes.txt\n', 'notes.txt': 'hello' });
    expect(policyErrorOf(() => loadPolicy(join(root, 'antidote.yaml'))).message).toContain('is not a PEM public key');
  });

  it('a missing policy file is POLICY_INVALID naming the file', () => {
    const error = policyErrorOf(() => loadPolicy('/nonexistent/antidote.yaml'));
    expect(error.code).toBe('POLICY_INVALID');
    expect(error.message).toContain('/nonexistent/antidote.yaml: cannot read the policy file');
  });

  it(`a file over MAX_POLICY_BYTES (${MAX_POLICY_BYTES}) is refused before parsing`, () => {
    const path = join(tempProject(), 'antidote.yaml');
    writeFileSync(path, `version: 1\n${'#'.repeat(MAX_POLICY_BYTES)}\n`);
    expect(policyErrorOf(() => loadPolicy(path)).message).toContain('limit');
  });
});

/** A random edit of the text: insert, delete or replace a few characters, or swap two lines. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom(':', '-', ' ', '\n', '\t', '[', '{', '"', "'", '&a', '*a', '!!str', '#', '|', '>', '? ', '%YAML 1.1\n---\n', '\u0000', '\uFEFF')) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: fc.string({ minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
);

type Edit = { kind: 'insert'; at: number; text: string } | { kind: 'delete'; at: number; length: number } | { kind: 'replace'; at: number; text: string } | { kind: 'swap'; a: number; b: number };

function mutate(text: string, edits: Edit[]): string {
  let out = text;
  for (const edit of edits) {
    const i = edit.kind === 'swap' ? 0 : edit.at % (out.length + 1);
    if (edit.kind === 'insert') out = out.slice(0, i) + edit.text + out.slice(i);
    if (edit.kind === 'delete') out = out.slice(0, i) + out.slice(i + edit.length);
    if (edit.kind === 'replace') out = out.slice(0, i) + edit.text + out.slice(i + edit.text.length);
    if (edit.kind === 'swap') {
      const lines = out.split('\n');
      const a = edit.a % lines.length;
      const b = edit.b % lines.length;
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      out = lines.join('\n');
    }
  }
  return out;
}

describe('loadPolicy: fuzzing', () => {
  // Keys by fingerprint only, so every mutant is judged on its text alone (no key file to find).
  const seed = docsExamplePolicy().replace(/ {4}- path: keys\/release\.pub\n/, '');

  it('the seed itself is valid', () => {
    expect(parsePolicy(seed, 'antidote.yaml').version).toBe(1);
  });

  it('mutated YAML never crashes: a valid policy, or POLICY_INVALID whose every problem has a line:col inside the file', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (edits) => {
        const text = mutate(seed, edits);
        let policy;
        try {
          policy = parsePolicy(text, 'antidote.yaml');
        } catch (error) {
          expect(error).toBeInstanceOf(AntidoteError);
          expect((error as AntidoteError).code).toBe('POLICY_INVALID');
          const lines = (error as AntidoteError).message.split('\n');
          const problems = lines.filter((l) => l.startsWith('antidote.yaml:'));
          expect(problems.length).toBeGreaterThan(0);
          const lineCount = text.split('\n').length;
          for (const p of problems) {
            const m = /^antidote\.yaml:(\d+):(\d+): \S/.exec(p);
            expect(m, p).not.toBeNull();
            expect(Number(m![1])).toBeGreaterThanOrEqual(1);
            expect(Number(m![1])).toBeLessThanOrEqual(lineCount + 1);
            expect(Number(m![2])).toBeGreaterThanOrEqual(1);
          }
          return;
        }
        // A mutant that still loads is a real policy: typed fields only.
        expect(policy.version).toBe(1);
        for (const s of [policy.scan.failOn, policy.audit.failOn]) if (s !== undefined) expect(['info', 'low', 'medium', 'high', 'critical']).toContain(s);
        const ratio = policy.audit.maxFlaggedRatio;
        if (ratio !== undefined) expect(ratio >= 0 && ratio <= 1).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});
