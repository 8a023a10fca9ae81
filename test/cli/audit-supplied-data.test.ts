import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { syntheticReviews } from '../builders/poison.js';
import { flipLabels } from '../builders/public-data.js';
import { antidote } from './run-cli.js';

/*
 * `antidote audit --probabilities FILE` and `--embeddings SPEC`: the flags reach the detectors, and inputs
 * that do not fit are usage or tool errors (exit 2) that name the file and the line, never a stack trace.
 */

const dir = mkdtempSync(join(tmpdir(), 'antidote-audit-supplied-'));
const write = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const clean = syntheticReviews(300, 14);
const { rows, flipped } = flipLabels(clean, 0.05, 15);
const dataset = write('reviews.jsonl', rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
const oracle = write('probabilities.csv', ['negative,positive', ...clean.map((r) => (r.label === 'positive' ? '0.02,0.98' : '0.98,0.02'))].join('\n') + '\n');

let stdout = '';
let stderr = '';
beforeEach(() => {
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('antidote audit --probabilities / --embeddings', () => {
  it('--probabilities FILE: label issues come from the supplied probabilities', async () => {
    expect(await main(['audit', dataset, '--probabilities', oracle, '--format', 'json'])).toBe(1);
    const result = JSON.parse(stdout) as { rows: { row: number; flagged: boolean; reasons: { rule: string }[] }[]; findings: { ruleId: string; message: string }[] };
    const flaggedByLabels = result.rows.filter((r) => r.flagged && r.reasons.some((reason) => reason.rule === 'dataset/label-issues')).map((r) => r.row);
    expect(new Set(flaggedByLabels)).toEqual(flipped);
    expect(result.findings.find((f) => f.ruleId === 'dataset/label-issues')!.message).toContain(oracle);
  });

  it('a probabilities file with a bad value is exit 2 naming file, line and column, with no stack trace', () => {
    const bad = write('bad.csv', 'negative,positive\n0.5,0.5\n0.5,oops\n');
    const run = antidote(['audit', dataset, '--probabilities', bad]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${bad}:3:5: "oops" is not a number`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it.each([
    ['a probabilities file with the wrong number of rows', () => ['--probabilities', write('short.csv', '0.5,0.5\n0.5,0.5\n')], 'INPUT_UNREADABLE', /short\.csv: 2 rows of probabilities, but .*reviews\.jsonl has 300 rows/],
    ['--probabilities with two datasets', () => [dataset, '--probabilities', oracle], 'USAGE', /give exactly one FILE/],
    ['--embeddings naming neither a provider nor a folder', () => ['--embeddings', 'nonsense'], 'USAGE', /expected bow, hashed, an http\(s\):\/\/ endpoint URL, or a local model folder/],
    ['--embeddings with an unreachable endpoint (fails before reading the data)', () => ['--embeddings', 'http://127.0.0.1:9/v1'], 'INPUT_UNREADABLE', /embeddings endpoint http:\/\/127\.0\.0\.1:9\/v1\/embeddings: .*\(after 4 attempts\)/],
  ])('%s is a tool error (exit 2)', async (_name, args, code, message) => {
    await expect(main(['audit', dataset, ...args()])).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
  }, 30_000);

  it('--embeddings with a local model folder runs the model over every row', async () => {
    const folder = new URL('../fixtures/embedding-model/', import.meta.url).pathname;
    expect(await main(['audit', dataset, '--embeddings', folder, '--format', 'json', '--fail-on', 'critical'])).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'succeeded' });
  });
});
