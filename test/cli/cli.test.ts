import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { payloadPickle, benignPickle } from '../builders/pickle.js';
import { buildTorchZip } from '../builders/torch.js';

/*
 * The CLI contract, run as a user runs it (a child process): exit 0 clean at the threshold, 1 findings at or
 * above it, 2 usage or tool error with a message that names the problem and no stack trace.
 */
const BIN = new URL('../../src/cli/bin.ts', import.meta.url).pathname;

function antidote(args: string[]): { code: number; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: run.status ?? -1, stdout: run.stdout, stderr: run.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'antidote-cli-'));
const write = (name: string, data: Buffer | string): string => {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
};
const clean = write('clean.pt', buildTorchZip());
const evil = write('evil.pkl', payloadPickle('os', 'system', 'id'));
const unknown = write('unknown.pkl', payloadPickle('acme.models', 'Net'));
write('plain.pkl', benignPickle());

describe('antidote scan', () => {
  it('exits 0 on a clean checkpoint', () => {
    const r = antidote(['scan', clean]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('run succeeded');
  });

  it('exits 1 on a critical finding and names the global', () => {
    const r = antidote(['scan', evil]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('os.system');
    expect(r.stdout).toContain('CRITICAL');
  });

  it('--fail-on moves the threshold', () => {
    expect(antidote(['scan', unknown]).code).toBe(0);
    expect(antidote(['scan', unknown, '--fail-on', 'medium']).code).toBe(1);
    expect(antidote(['scan', unknown, '--strict']).code).toBe(1);
  });

  it('--format json writes the versioned contract', () => {
    const r = antidote(['scan', evil, '--format', 'json', '--hash']);
    const json = JSON.parse(r.stdout);
    expect(json.version).toMatch(/^1\./);
    expect(json.findings[0]).toMatchObject({ ruleId: 'model/pickle-globals', severity: 'critical' });
    expect(json.files[0]).toMatchObject({ path: evil, format: 'pickle', status: 'scanned' });
    expect(json.files[0].sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('--format sarif writes SARIF 2.1.0', () => {
    const sarif = JSON.parse(antidote(['scan', evil, '--format', 'sarif']).stdout);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results[0].ruleId).toBe('model/pickle-globals');
  });

  it('scans a directory recursively and reports every file', () => {
    const r = antidote(['scan', dir, '--format', 'json']);
    const paths = JSON.parse(r.stdout).files.map((f: { path: string }) => f.path);
    expect(paths).toEqual(expect.arrayContaining([clean, evil, unknown]));
  });

  it('--output writes the report to a file and prints nothing on stdout', () => {
    const out = join(dir, 'report.html');
    const r = antidote(['scan', evil, '--format', 'html', '--output', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8').toLowerCase()).toContain('<!doctype html>');
  });

  it('never draws a progress bar when stderr is not a terminal', () => {
    expect(antidote(['scan', dir]).stderr).toBe('');
  });
});

describe('antidote report', () => {
  it('re-renders a saved JSON result offline, keeping the exit code contract', () => {
    const saved = join(dir, 'result.json');
    antidote(['scan', evil, '--format', 'json', '--output', saved]);
    const r = antidote(['report', saved, '--format', 'html']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('os.system');
  });
});

describe('bad input: exit 2 with a clear message, never a stack trace', () => {
  it.each([
    ['a missing path', ['scan', join(dir, 'nope.pt')], /nope\.pt: no such file or directory/],
    ['no path', ['scan'], /scan needs at least one PATH/],
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['an unknown flag', ['scan', evil, '--bogus'], /bogus/],
    ['a bad format', ['scan', evil, '--format', 'pdf'], /--format must be one of/],
    ['a bad severity', ['scan', evil, '--fail-on', 'urgent'], /--fail-on must be one of/],
    ['a bad limit', ['scan', evil, '--limit', 'maxNothing=3'], /--limit expects NAME=INTEGER/],
    ['a broken policy file', ['scan', evil, '--policy', write('bad-policy.json', '{"version": 1, "allow": 3}')], /bad-policy\.json: allow must be an array/],
    ['a result file that is not JSON', ['report', write('bad.json', '{oops')], /bad\.json/],
  ])('%s', (_name, args, message) => {
    const r = antidote(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--help and --version exit 0', () => {
    expect(antidote(['--help']).stdout).toContain('Usage:');
    expect(antidote(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('every command has its own --help listing its options, and the top-level usage lists every command', () => {
    const top = antidote(['--help']).stdout;
    for (const name of ['scan', 'report']) {
      expect(top).toContain(`antidote ${name} `);
      const help = antidote([name, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: antidote ${name}`);
    }
    expect(antidote(['scan', '--help']).stdout).toContain('--fail-on');
  });

  it('a flag put before the command is a usage error that shows where it goes', () => {
    const r = antidote(['--format', 'json', 'scan', evil]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("options go after the command name, e.g. 'antidote scan PATH --format ...'");
  });

  it('no arguments print the usage and exit 2', () => {
    const r = antidote([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Usage:');
  });
});
