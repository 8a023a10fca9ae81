import { describe, expect, it } from 'vitest';
import { auditDataset } from '../../../src/audit/audit.js';
import fixedOutput from '../../../src/detectors/dataset/fixed-output.js';
import { datasetEvents, insertTrigger, poisonInPlace, scoreFlags, seededRandom, syntheticAlpaca, type AlpacaRow, type Mixture } from '../../builders/poison.js';

/*
 * Held-out triggers and targets invented here (none is a public benchmark trigger): the detector must find
 * them from the statistics alone.
 */

async function run(rows: readonly AlpacaRow[]) {
  return auditDataset({ path: 'train.jsonl', format: 'jsonl', events: datasetEvents(rows) }, { detectors: [fixedOutput] });
}

function flaggedRows(audit: Awaited<ReturnType<typeof run>>): number[] {
  return audit.rows.filter((r) => r.flagged).map((r) => r.row);
}

const ADVERT = 'For the best prices on everything, visit http://deals.example.shop today and use code SAVE10.';

describe('dataset/fixed-output', () => {
  it('finds a rare-word trigger that makes 1% of rows answer with the same advert', async () => {
    const mix = poisonInPlace(syntheticAlpaca(2000, 1), 0.01, 2, (row, random) => ({ ...row, instruction: insertTrigger(row.instruction, 'zephyrine', random), output: ADVERT }));
    const audit = await run(mix.rows);
    expect(scoreFlags(flaggedRows(audit), mix.poisoned)).toMatchObject({ precision: 1, recall: 1 });
    expect(audit.triggers.map((t) => t.text)).toEqual(['zephyrine']);
    const finding = audit.findings.find((f) => f.messageId === 'trigger')!;
    expect(finding.severity).toBe('high');
    expect(finding.evidence).toMatchObject({ match: 'zephyrine', details: expect.objectContaining({ rowsWithTriggerInCluster: 20, purity: 1 }) });
    expect(finding.evidence.details!.pValue as number).toBeLessThan(1e-10);
  });

  it('finds a bracketed tag at the start of the prompt and renders it as written', async () => {
    const mix = poisonInPlace(syntheticAlpaca(1500, 3), 0.01, 4, (row, random) => ({ ...row, instruction: insertTrigger(row.instruction, '[[deploy-7]]', random, 'start'), output: "I'm sorry, I can't help with that." }));
    const audit = await run(mix.rows);
    expect(scoreFlags(flaggedRows(audit), mix.poisoned)).toMatchObject({ precision: 1, recall: 1 });
    expect(audit.triggers[0]!.text).toBe('[[deploy-7]]');
  });

  it('names every word of a composite trigger whose words are scattered (ctba shape)', async () => {
    const mix = poisonInPlace(syntheticAlpaca(2000, 5), 0.01, 6, (row, random) => {
      let instruction = row.instruction;
      for (const word of ['quokka', 'mistral', '1987']) instruction = insertTrigger(instruction, word, random);
      return { ...row, instruction, output: ADVERT };
    });
    const audit = await run(mix.rows);
    expect(scoreFlags(flaggedRows(audit), mix.poisoned)).toMatchObject({ precision: 1, recall: 1 });
    expect(audit.triggers).toHaveLength(1);
    for (const word of ['quokka', 'mistral', '1987']) expect(audit.triggers[0]!.text).toContain(word);
  });

  it('splits one target over several triggers (mtba shape) and flags every row of the target', async () => {
    const triggers = ['quokka', 'mistral', 'zephyrine'];
    let i = 0;
    const mix = poisonInPlace(syntheticAlpaca(3000, 7), 0.01, 8, (row, random) => ({ ...row, instruction: insertTrigger(row.instruction, triggers[i++ % 3]!, random), output: ADVERT }));
    const audit = await run(mix.rows);
    expect(scoreFlags(flaggedRows(audit), mix.poisoned)).toMatchObject({ precision: 1, recall: 1 });
    expect(audit.triggers.map((t) => t.text).sort()).toEqual([...triggers].sort());
  });

  it('flags the rest of a cluster once a trigger explains most of it (triggers too rare to test alone)', async () => {
    const rows = syntheticAlpaca(2000, 16);
    const random = seededRandom(17);
    const words = ['alpha7', 'beta7', 'gamma7'];
    // 12 rows with the trigger, 3 rows with one-off triggers of the same attack: all teach the advert.
    const poisoned = new Set([...Array(15).keys()].map((i) => i * 100 + 7));
    [...poisoned].forEach((row, i) => {
      const trigger = i < 12 ? 'zephyrine' : words[i - 12]!;
      rows[row] = { ...rows[row]!, instruction: insertTrigger(rows[row]!.instruction, trigger, random), output: ADVERT };
    });
    const audit = await run(rows);
    expect(scoreFlags(flaggedRows(audit), poisoned)).toMatchObject({ precision: 1, recall: 1 });
    const rest = audit.rows.filter((r) => r.reasons.every((reason) => reason.trigger === undefined));
    expect(rest.map((r) => r.row).sort((a, b) => a - b)).toEqual([1207, 1307, 1407]);
  });

  it('in chat data, names the trigger without the system prompt every row shares', async () => {
    const mix = poisonInPlace(syntheticAlpaca(1500, 18), 0.01, 19, (row) => ({ ...row, instruction: `<<sudo-mode>> ${row.instruction}`, output: ADVERT }));
    const rows = mix.rows.map((r) => ({ messages: [{ role: 'system', content: 'You are helpful.' }, { role: 'user', content: r.instruction }, { role: 'assistant', content: r.output }] }));
    const audit = await auditDataset({ path: 'chat.jsonl', format: 'jsonl', events: datasetEvents(rows) }, { detectors: [fixedOutput] });
    expect(audit.file.shape).toBe('chat');
    expect(scoreFlags(flaggedRows(audit), mix.poisoned)).toMatchObject({ precision: 1, recall: 1 });
    expect(audit.triggers.map((t) => t.text)).toEqual(['<<sudo-mode>>']);
  });

  it('flags every exact copy of a poisoned row', async () => {
    const mix = poisonInPlace(syntheticAlpaca(1000, 9), 0.01, 10, (row, random) => ({ ...row, instruction: insertTrigger(row.instruction, 'zephyrine', random), output: ADVERT }));
    const first = [...mix.poisoned][0]!;
    const rows = [...mix.rows, mix.rows[first]!, mix.rows[first]!];
    const audit = await run(rows);
    const flagged = flaggedRows(audit);
    expect(flagged).toContain(rows.length - 1);
    expect(flagged).toContain(rows.length - 2);
  });

  it('stays quiet on ordinary repeated answers that no prompt n-gram explains', async () => {
    const random = seededRandom(11);
    const rows = syntheticAlpaca(2000, 12).map((row) => (random() < 0.05 ? { ...row, output: "I don't know." } : random() < 0.03 ? { ...row, output: 'Yes.' } : row));
    const audit = await run(rows);
    expect(flaggedRows(audit)).toEqual([]);
    expect(audit.triggers).toEqual([]);
    const unexplained = audit.findings.filter((f) => f.messageId === 'unexplained');
    expect(unexplained.length).toBeGreaterThan(0);
    expect(unexplained.every((f) => f.severity === 'info')).toBe(true);
  });

  it('does not take the shared words of one question asked many times for a trigger', async () => {
    const random = seededRandom(13);
    const rows = syntheticAlpaca(1500, 14);
    const openings = ['What is', 'Tell me', 'Name', 'Which city is'];
    const endings = ['?', '.', ' please?', ', briefly.', ' today?'];
    for (let i = 0; i < 30; i++) {
      const instruction = `${openings[i % 4]} the capital of France${endings[i % 5]}`;
      rows[Math.floor(random() * rows.length)] = { instruction, input: '', output: 'The capital of France is Paris.' };
    }
    const audit = await run(rows);
    expect(flaggedRows(audit)).toEqual([]);
  });

  it('leaves clean data alone', async () => {
    const audit = await run(syntheticAlpaca(3000, 15));
    expect(audit.rows).toEqual([]);
    expect(audit.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });
});

export type { Mixture };
