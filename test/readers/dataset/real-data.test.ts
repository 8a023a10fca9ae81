import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectShape, readDatasetRows, resolveShape, rowParts } from '../../../src/readers/dataset/index.js';
import { expectContiguous } from './helpers.js';

/*
 * Public data in ../shared/data (see its README): BackdoorLLM's Alpaca-style JSON arrays and HiddenKiller's
 * SST-2 TSV. Expected counts and values are computed here independently (JSON.parse of the whole file, a
 * split of the TSV lines), never written down by hand.
 */
const DATA = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data');
const BACKDOOR = join(DATA, 'backdoorllm/train/refusal');
const SST2 = join(DATA, 'clean-text/hiddenkiller/sst-2');

describe.skipIf(!existsSync(DATA))('real datasets in shared/data', () => {
  const jsonFiles = existsSync(BACKDOOR) ? readdirSync(BACKDOOR).filter((name) => name.endsWith('.json')) : [];

  it('finds the BackdoorLLM files', () => {
    expect(jsonFiles).toContain('backdoor500_refusal_badnet.json');
  });

  for (const name of jsonFiles) {
    it(`BackdoorLLM ${name}: every element, in order, as JSON.parse reads them`, async () => {
      const path = join(BACKDOOR, name);
      const expected = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>[];
      const result = await readDatasetRows(path);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.value.format).toBe('json');
      expect(result.value.bad).toEqual([]);
      expect(result.value.issues).toEqual([]);
      expect(result.value.rows.length).toBe(expected.length);
      expect(result.value.rows.map((row) => row.value)).toEqual(expected);
      expectContiguous(result.value);
      const shape = resolveShape(result.value.columns, result.value.rows.slice(0, 20).map((row) => row.value));
      expect(shape.shape).toBe('alpaca');
      const first = expected[0]!;
      expect(rowParts(result.value.rows[0]!.value, shape).response).toBe(first.output);
    });
  }

  for (const split of ['train', 'dev', 'test']) {
    it(`HiddenKiller SST-2 ${split}.tsv: one row per data line, values as written`, async () => {
      const path = join(SST2, `${split}.tsv`);
      const lines = readFileSync(path, 'utf8').split('\n').map((line) => line.replace(/\r$/, '')).filter((line) => line !== '');
      const [header, ...data] = lines;
      expect(header).toBe('sentence\tlabel');
      const result = await readDatasetRows(path);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.value.format).toBe('tsv');
      expect(result.value.bad).toEqual([]);
      expect(result.value.rows.length).toBe(data.length);
      expect(result.value.rows.map((row) => [row.value.sentence, row.value.label])).toEqual(data.map((line) => line.split('\t')));
      expect(result.value.rows.map((row) => row.line)).toEqual(data.map((_, i) => i + 2));
      expect(result.value.columns).toEqual([
        { name: 'sentence', type: 'string' },
        { name: 'label', type: 'int64' },
      ]);
      expect(detectShape(result.value.columns, result.value.rows.slice(0, 5).map((row) => row.value))).toBe('classification');
    });
  }
});
