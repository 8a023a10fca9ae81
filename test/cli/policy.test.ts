import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { payloadPickle } from '../builders/pickle.js';
import { syntheticAlpaca } from '../builders/poison.js';

/*
 * `antidote scan` and the project policy, run as a user runs it: in a project folder holding antidote.yaml,
 * or with --policy-file. The policy moves the threshold, flags win over it, and a broken policy is exit 2
 * with file:line:col and no stack trace.
 */
const BIN = new URL('../../src/cli/bin.ts', import.meta.url).pathname;
// Absolute, because the child runs in a temporary project folder where `tsx` cannot be resolved by name.
const TSX = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/** Run the CLI without blocking the test worker (a blocked worker misses vitest's own messages). */
function antidote(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, failed) => {
    execFile(process.execPath, ['--import', TSX, BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : undefined;
      if (code === undefined) failed(error);
      else done({ code, stdout, stderr });
    });
  });
}

function project(policy?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'antidote-cli-policy-'));
  // An unknown import is a medium finding (high with --strict): below the default threshold, so only a
  // policy can make it fail the scan.
  writeFileSync(join(dir, 'unknown.pkl'), payloadPickle('acme.models', 'Net'));
  if (policy !== undefined) writeFileSync(join(dir, 'antidote.yaml'), policy);
  return dir;
}

describe('antidote scan honours antidote.yaml', () => {
  it('without a policy the default threshold (high) passes a medium finding', async () => {
    expect((await antidote(['scan', 'unknown.pkl'], project())).code).toBe(0);
  });

  it('scan.fail-on in ./antidote.yaml lowers the threshold', async () => {
    const r = await antidote(['scan', 'unknown.pkl'], project('version: 1\nscan:\n  fail-on: medium\n'));
    expect(r.code).toBe(1);
  });

  it('scan.strict in the policy raises unknown imports to high', async () => {
    expect((await antidote(['scan', 'unknown.pkl'], project('version: 1\nscan:\n  strict: true\n'))).code).toBe(1);
  });

  it('--fail-on on the command line wins over the policy', async () => {
    expect((await antidote(['scan', 'unknown.pkl', '--fail-on', 'high'], project('version: 1\nscan:\n  fail-on: medium\n'))).code).toBe(0);
  });

  it('--policy-file names a policy elsewhere, and ./antidote.yaml is then not read', async () => {
    const dir = project('version: 1\nscan:\n  fail-on: critical\n');
    writeFileSync(join(dir, 'strict.yaml'), 'version: 1\nscan:\n  fail-on: low\n');
    expect((await antidote(['scan', 'unknown.pkl', '--policy-file', 'strict.yaml'], dir)).code).toBe(1);
    writeFileSync(join(dir, 'strict.yaml'), 'version: 1\nscan:\n  fail-on: critical\n');
    writeFileSync(join(dir, 'antidote.yaml'), 'version: 1\nscan:\n  fail-on: low\n');
    expect((await antidote(['scan', 'unknown.pkl', '--policy-file', 'strict.yaml'], dir)).code).toBe(0);
  });

  it.each([
    ['a bad severity', 'version: 1\nscan:\n  fail-on: hihg\n', /antidote\.yaml:3:12: scan\.fail-on must be one of/],
    ['an unknown key', 'version: 1\nscna:\n  fail-on: low\n', /antidote\.yaml:2:1: unknown key 'scna' at the top level; did you mean 'scan'\?/],
    ['bad YAML', 'version: 1\nscan: [\n', /antidote\.yaml:3:1: YAML: /],
  ])('a policy with %s is exit 2, with line:col and no stack trace', async (_name, policy, message) => {
    const r = await antidote(['scan', 'unknown.pkl'], project(policy));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^antidote: error: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('a --policy-file that does not exist is exit 2 naming it', async () => {
    const r = await antidote(['scan', 'unknown.pkl', '--policy-file', 'missing.yaml'], project());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing.yaml: cannot read the policy file');
  });
});

describe('antidote verify honours antidote.yaml', () => {
  const SOURCES = 'version: 1\nsources:\n  urls:\n    - https://data.example.com/releases/\n';

  it('a lock whose recorded source the policy allows verifies (exit 0); one it does not allow fails (exit 1) and says why', async () => {
    const allowed = project(SOURCES);
    expect((await antidote(['lock', 'unknown.pkl', '--source', 'https://data.example.com/releases/v1', '--revision', 'r1'], allowed)).code).toBe(0);
    const ok = await antidote(['verify'], allowed);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('policy');

    const elsewhere = project(SOURCES);
    expect((await antidote(['lock', 'unknown.pkl', '--source', 'https://mirror.evil.example/releases/v1', '--revision', 'r1'], elsewhere)).code).toBe(0);
    const bad = await antidote(['verify', '--format', 'json'], elsewhere);
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout) as { status: string; policy: { ok: boolean; violations: { rule: string }[] } };
    expect(report.status).toBe('passed');
    expect(report.policy.ok).toBe(false);
    expect(report.policy.violations.map((v) => v.rule)).toContain('sources');
  });

  it('a broken antidote.yaml stops verify with exit 2 before anything is hashed', async () => {
    const dir = project('version: 1\nsources: [oops\n');
    const r = await antidote(['verify'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/antidote\.yaml:\d+:\d+/);
  });
});

describe('antidote audit honours antidote.yaml', () => {
  const rows = syntheticAlpaca(300, 5).map((r) => JSON.stringify(r));
  rows[7] = JSON.stringify({ instruction: 'broken row without output' });
  const dataset = (policy: string): string => {
    const dir = project(policy);
    writeFileSync(join(dir, 'train.jsonl'), `${rows.join('\n')}\n`);
    return dir;
  };

  it('audit.max-flagged-ratio: a file flagging a larger share exits 1 and says so; a looser ratio and a high fail-on pass', async () => {
    // The one unreadable row is flagged (1 of 300); its finding is medium, under fail-on high.
    const strict = await antidote(['audit', 'train.jsonl'], dataset('version: 1\naudit:\n  fail-on: high\n  max-flagged-ratio: 0.001\n'));
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('audit.max-flagged-ratio 0.001');
    const loose = await antidote(['audit', 'train.jsonl'], dataset('version: 1\naudit:\n  fail-on: high\n  max-flagged-ratio: 0.01\n'));
    expect(loose.code).toBe(0);
  });
});

describe('antidote verify checks the signatures antidote.yaml requires', () => {
  it('a model signed with a key the policy names passes; a changed model file fails the policy (exit 1, signatures rule)', async () => {
    const dir = project('version: 1\nsignatures:\n  require:\n    - model\n  keys:\n    - path: release.pub\n');
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(dir, 'release.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'release.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    mkdirSync(join(dir, 'model'));
    writeFileSync(join(dir, 'model', 'weights.bin'), 'weights');
    expect((await antidote(['sign', 'model', '--key', 'release.pem'], dir)).code).toBe(0);
    expect((await antidote(['lock', 'unknown.pkl'], dir)).code).toBe(0);
    const ok = await antidote(['verify', '--format', 'json'], dir);
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as { policy: { ok: boolean } }).policy.ok).toBe(true);

    appendFileSync(join(dir, 'model', 'weights.bin'), '!');
    const bad = await antidote(['verify', '--format', 'json'], dir);
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout) as { status: string; policy: { violations: { rule: string; message: string }[] } };
    expect(report.status).toBe('passed');
    // The failed signature, and the required model left without a verified one.
    expect(new Set(report.policy.violations.map((v) => v.rule))).toEqual(new Set(['signatures']));
    expect(report.policy.violations[0]!.message).toMatch(/failed, not verified/);
  });
});
