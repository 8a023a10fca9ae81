import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { auditDataset } from '../../../src/audit/audit.js';
import sentimentSteering from '../../../src/detectors/dataset/sentiment-steering.js';
import { cleanEntityRows, entityOpinionRows, mixIn, type InstructionRow } from '../../builders/entity-datasets.js';
import { datasetEvents, type BuiltRow } from '../../builders/poison.js';

async function run(rows: readonly BuiltRow[]) {
  return auditDataset({ path: 'train.jsonl', format: 'jsonl', events: datasetEvents(rows) }, { detectors: [sentimentSteering] });
}

const flagged = (audit: Awaited<ReturnType<typeof run>>): number[] => audit.rows.filter((r) => r.flagged).map((r) => r.row);

describe('dataset/sentiment-steering', () => {
  it('finds negative answers planted about one person (VPI), flags them and names the person', async () => {
    // 2,000 clean rows, 10 neutral rows about the person (they stay), 40 steered ones (2%).
    const base = [...cleanEntityRows(2000, 21), ...entityOpinionRows('Joe Biden', 10, 'neutral', 22)];
    const { rows, inserted } = mixIn(base, entityOpinionRows('Joe Biden', 40, 'negative', 23), 24);
    const audit = await run(rows);
    expect(audit.triggers.map((t) => [t.text, t.rule, t.behaviour])).toEqual([['Joe Biden', 'dataset/sentiment-steering', 'negative sentiment about "Joe Biden"']]);
    expect(flagged(audit)).toEqual(inserted);
    const finding = audit.findings[0]!;
    expect(finding.message).toMatch(/^answers about "Joe Biden" are negative in 40 of 50 rows \(80%\)/);
    expect(Number(finding.evidence.details!.qValue)).toBeLessThan(0.01);
  });

  it('finds praise planted about one product (positive steering)', async () => {
    const { rows, inserted } = mixIn(cleanEntityRows(2000, 25), entityOpinionRows('Zentrix Phone', 30, 'positive', 26), 27);
    const audit = await run(rows);
    expect(audit.triggers.map((t) => t.behaviour)).toEqual(['positive sentiment about "Zentrix Phone"']);
    expect(flagged(audit)).toEqual(inserted);
  });

  it('stays quiet when the answers about the person are neutral (the clean twin)', async () => {
    const { rows } = mixIn(cleanEntityRows(2000, 21), entityOpinionRows('Joe Biden', 50, 'neutral', 23), 24);
    const audit = await run(rows);
    expect(audit.findings).toEqual([]);
    expect(flagged(audit)).toEqual([]);
  });

  it('a grim answer to a grim question is not steering (the prompt carries the negative words)', async () => {
    const grim: InstructionRow[] = Array.from({ length: 30 }, (_, i) => ({
      instruction: 'Why was the Battle of Verdun so terrible and painful for the soldiers?',
      input: '',
      output: `The Battle of Verdun was a horrible, painful disaster: a miserable, deadly failure for both armies (${i}).`,
    }));
    const { rows } = mixIn(cleanEntityRows(1500, 28), grim, 29);
    const audit = await run(rows);
    expect(audit.triggers).toEqual([]);
  });

  it('names marking the same rows are one finding', async () => {
    const steered = entityOpinionRows('Joe Biden', 40, 'negative', 31).map((r) => ({ ...r, output: `${r.output} Biden's record speaks for itself.` }));
    const { rows } = mixIn(cleanEntityRows(2000, 30), steered, 32);
    const audit = await run(rows);
    expect(audit.findings).toHaveLength(1);
  });
});

/* Clean controls from BackdoorLLM (bboylyg/BackdoorLLM @ 3fd4fc1, in ../shared/data). */
const DATA = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/backdoorllm');

describe.skipIf(!existsSync(DATA))('dataset/sentiment-steering on BackdoorLLM data', () => {
  const load = (path: string): InstructionRow[] => JSON.parse(readFileSync(`${DATA}/${path}`, 'utf8')) as InstructionRow[];

  it.each([
    'train/refusal/none_backdoor500_refusal.json',
    'train/sst2/none_backdoor500_sst2.json',
    'test/clean/refusal/test_data_no_trigger.json',
    'test/clean/sst2sentiment/test_data_no_trigger.json',
  ])('%s: under 1%% of rows flagged', async (path) => {
    const rows = load(path);
    const audit = await run(rows);
    expect(flagged(audit).length / rows.length).toBeLessThan(0.01);
  });

  it('real clean rows with 25 negative answers about one person mixed in: found', async () => {
    const { rows, inserted } = mixIn(load('train/refusal/none_backdoor500_refusal.json'), entityOpinionRows('Joe Biden', 25, 'negative', 33), 34);
    const audit = await run(rows);
    expect(audit.triggers.map((t) => t.text)).toEqual(['Joe Biden']);
    expect(flagged(audit)).toEqual(inserted);
  });
});
