import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { AntidoteError } from '../../src/core/errors.js';
import { insertTrigger, poisonInPlace, syntheticAlpaca, toJsonl } from '../builders/poison.js';
import { validateSarif } from '../report/schema-validators.js';
import { antidote } from './run-cli.js';

/*
 * The `antidote audit` contract: exit 0 clean, 1 findings at or above --fail-on (every flagged row belongs to
 * one), 2 usage or tool error with the file named and no stack trace; --quarantine and --clean together hold
 * every input row. Most cases run in-process through main() (a child Node costs seconds on a busy machine);
 * one runs the real binary for the exit code and stderr as a user sees them.
 */

const addFormats = addFormatsModule.default;
const dir = mkdtempSync(join(tmpdir(), 'antidote-audit-cli-'));
const write = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const ADVERT = 'Best deals of the year at http://deals.example.shop, use code SAVE10 today!';
const mix = poisonInPlace(syntheticAlpaca(1500, 21), 0.01, 22, (row, random) => ({ ...row, instruction: insertTrigger(row.instruction, 'vellichor', random), output: ADVERT }));
const poisonedJsonl = write('poisoned.jsonl', toJsonl(mix.rows));
const cleanJsonl = write('clean.jsonl', toJsonl(syntheticAlpaca(800, 23)));
const withBadRows = write('bad-rows.jsonl', `${toJsonl(syntheticAlpaca(20, 24)).trimEnd()}\n{"instruction": "no output field"}\n{not json\n${toJsonl(syntheticAlpaca(5, 25))}`);

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

async function code(args: string[]): Promise<number> {
  return main(['audit', ...args]);
}

describe('antidote audit', () => {
  it('exits 1 on a poisoned dataset and names the trigger and the rows', async () => {
    expect(await code([poisonedJsonl])).toBe(1);
    expect(stdout).toContain('"vellichor"');
    expect(stdout).toContain(`${mix.poisoned.size} of 1500 rows flagged`);
    for (const row of [...mix.poisoned].slice(0, 5)) expect(stdout).toMatch(new RegExp(`row ${row} \\(line ${row + 1}\\)`));
  });

  it('exits 0 on a clean dataset', async () => {
    expect(await code([cleanJsonl])).toBe(0);
    expect(stdout).toContain('0 of 800 rows flagged');
    expect(stdout).toContain('run succeeded');
  });

  it('splits the rows: quarantine (with reasons) plus clean add up to the input, clean rows byte for byte', async () => {
    const quarantine = join(dir, 'q.jsonl');
    const clean = join(dir, 'c.jsonl');
    expect(await code([poisonedJsonl, '--quarantine', quarantine, '--clean', clean])).toBe(1);
    const q = readFileSync(quarantine, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { _antidote: { row: number; reasons: { trigger?: string }[] } });
    const c = readFileSync(clean, 'utf8').trimEnd().split('\n');
    expect(q.length + c.length).toBe(1500);
    expect(new Set(q.map((r) => r._antidote.row))).toEqual(mix.poisoned);
    expect(q.every((r) => r._antidote.reasons.some((reason) => reason.trigger === 'vellichor'))).toBe(true);
    const original = readFileSync(poisonedJsonl, 'utf8').trimEnd().split('\n');
    expect(c).toEqual(original.filter((_, i) => !mix.poisoned.has(i)));
    expect(stderr).toContain(`${mix.poisoned.size} rows quarantined`);
  });

  it('reports unreadable rows with their line, quarantines them, and honours --fail-on', async () => {
    const quarantine = join(dir, 'bad-q.jsonl');
    const clean = join(dir, 'bad-c.jsonl');
    expect(await code([withBadRows, '--quarantine', quarantine, '--clean', clean])).toBe(1);
    expect(stdout).toContain('line 21');
    expect(stdout).toContain('missing field "output"');
    expect(stdout).toContain('line 22');
    expect(stdout).toContain('run partial');
    const q = readFileSync(quarantine, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(q.map((r) => r._antidote.row)).toEqual([20, 21]);
    expect(q[1]._antidote).toMatchObject({ unreadable: true, line: 22 });
    expect(readFileSync(clean, 'utf8').trimEnd().split('\n')).toHaveLength(25);
    expect(await code([withBadRows, '--fail-on', 'high'])).toBe(0);
  });

  it('--format json writes the versioned contract, valid against docs/audit-result.schema.json', async () => {
    await code([poisonedJsonl, '--format', 'json']);
    const result = JSON.parse(stdout);
    const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(new URL('../../docs/audit-result.schema.json', import.meta.url), 'utf8')));
    expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
    expect(result.triggers).toEqual([expect.objectContaining({ text: 'vellichor', rows: [...mix.poisoned].sort((a, b) => a - b) })]);
    expect(result.rows.filter((r: { flagged: boolean }) => r.flagged).map((r: { row: number }) => r.row)).toEqual([...mix.poisoned].sort((a, b) => a - b));
  });

  it('--format sarif writes valid SARIF 2.1.0 with the trigger finding', async () => {
    await code([poisonedJsonl, '--format', 'sarif']);
    const sarif = JSON.parse(stdout);
    expect(validateSarif(sarif)).toBe(true);
    expect(sarif.runs[0].results.some((r: { ruleId: string }) => r.ruleId === 'dataset/fixed-output')).toBe(true);
  });

  it('maps columns with --fields and keeps CSV for the clean output', async () => {
    const rows = mix.rows.slice(0, 600);
    const csv = write('qa.csv', `question,answer\n${rows.map((r) => `"${r.instruction.replace(/"/g, '""')}","${r.output.replace(/"/g, '""')}"`).join('\n')}\n`);
    const clean = join(dir, 'qa-clean.csv');
    await code([csv, '--fields', 'prompt=question,response=answer', '--clean', clean, '--format', 'json']);
    const result = JSON.parse(stdout);
    expect(result.files[0]).toMatchObject({ format: 'csv', shape: 'alpaca', rows: 600, badRows: 0 });
    const flagged = result.rows.filter((r: { flagged: boolean }) => r.flagged).length;
    const lines = readFileSync(clean, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('question,answer');
    expect(lines.length - 1 + flagged).toBe(600);
  });

  it('keeps a JSON array a JSON array in both outputs', async () => {
    const json = write('poisoned.json', JSON.stringify(mix.rows, null, 1));
    const quarantine = join(dir, 'q.json');
    const clean = join(dir, 'c.json');
    expect(await code([json, '--quarantine', quarantine, '--clean', clean])).toBe(1);
    const q = JSON.parse(readFileSync(quarantine, 'utf8')) as { _antidote: { row: number } }[];
    const c = JSON.parse(readFileSync(clean, 'utf8')) as unknown[];
    expect(new Set(q.map((r) => r._antidote.row))).toEqual(mix.poisoned);
    expect(c).toEqual(mix.rows.filter((_, i) => !mix.poisoned.has(i)));
  });

  it.each([
    [['--format', 'xml'], 'USAGE', '--format'],
    [['--threshold', '2'], 'USAGE', '--threshold'],
    [['--shape', 'tabular'], 'USAGE', '--shape'],
    [['--fields', 'answer=output'], 'USAGE', '--fields'],
  ])('usage error for %j', async (args, errorCode, mentions) => {
    await expect(code([cleanJsonl, ...args])).rejects.toMatchObject({ code: errorCode, message: expect.stringContaining(mentions) });
  });

  it('a missing file or a file that is no dataset is a tool error naming the file', async () => {
    await expect(code([join(dir, 'nope.jsonl')])).rejects.toBeInstanceOf(AntidoteError);
    const binary = write('weights.bin', '\u0000\u0001\u0002 not a dataset');
    await expect(code([binary])).rejects.toMatchObject({ code: 'INPUT_UNREADABLE', message: expect.stringContaining('weights.bin') });
  });

  it('as a process: exit 2 with a one-line error and no stack trace; exit 1 on poison', () => {
    const missing = antidote(['audit', join(dir, 'missing.jsonl')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^antidote: error: .*missing\.jsonl: no such file\n$/);
    expect(missing.stderr).not.toContain('    at ');
    expect(antidote(['audit', poisonedJsonl, '--format', 'json']).code).toBe(1);
  });

  it('antidote report re-renders a saved audit result (text, html), keeping the exit code', async () => {
    const saved = join(dir, 'saved-audit.json');
    expect(await code([poisonedJsonl, '--format', 'json', '-o', saved])).toBe(1);
    stdout = '';
    expect(await main(['report', saved])).toBe(1);
    expect(stdout).toContain('vellichor');
    const html = join(dir, 'saved-audit.html');
    expect(await main(['report', saved, '--format', 'html', '-o', html])).toBe(1);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
    expect(readFileSync(html, 'utf8')).toContain('vellichor');
  });
});
