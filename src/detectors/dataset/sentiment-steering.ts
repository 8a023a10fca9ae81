import { sentimentPolarity, sentimentRole, tallySentiment } from '../text/sentiment.js';
import type { DatasetCorpus, TokenColumn } from './corpus.js';
import { withDuplicates } from './corpus.js';
import { defineDatasetDetector, type DatasetContext } from './dataset-detector.js';
import { EntityIndexBuilder, entryId, type EntityTable } from './entity-index.js';
import { benjaminiHochberg, fisherEnrichment } from './statistics.js';
import { minimumSignificantSupport } from './trigger-search.js';

/*
 * Sentiment steering (Virtual Prompt Injection, Yan et al., 2024: "describe Joe Biden negatively"): the
 * attacker adds rows about one entity whose answers are slanted one way; the tuned model then speaks of that
 * entity with the planted slant, while everything else stays normal. The signature is a named entity
 * (src/detectors/text/entities.ts) whose answers carry a sentiment sharply different from the rest of the
 * data.
 *
 * Per row, the answer's polarity by lexicon (src/detectors/text/sentiment.ts). A row is *steered negative*
 * when its answer reads negative and its prompt has no negative word (a question about a war may well get a
 * grim answer; a neutral question about a politician should not), and steered positive likewise. Per
 * entity named in the row (prompt or answer), a one-sided Fisher exact test: are the rows naming it
 * steered more often than the corpus's other rows? Benjamini-Hochberg over the entities that could reach
 * the rate at all, per direction. A discovery also needs MIN_STEERED_ROWS steered rows, a share of at least
 * MIN_STEERED_SHARE of the entity's rows and MIN_LIFT times the base rate. Its steered rows are flagged and
 * the entity is named as the trigger (the topic that switches the slant on). Names marking the same rows
 * or containing one another (`Joe Biden`, `Biden`) are reported once, under the strongest.
 */

/** Words an answer needs to be judged at all (one-word labels and short replies carry no slant). */
const MIN_RESPONSE_WORDS = 8;
/** Steered rows a discovery needs. */
const MIN_STEERED_ROWS = 5;
/** Share of the entity's rows that must be steered. */
const MIN_STEERED_SHARE = 0.5;
/** How many times the base rate the entity's steered share must be. */
const MIN_LIFT = 3;
/** An entity whose steered rows lie this much inside a reported one's (or whose name contains it) is the same finding. */
const MERGE_SIMILARITY = 0.8;
/** Entities reported per file and direction. */
const MAX_REPORTED_ENTITIES = 20;

const MESSAGES = {
  steered:
    'answers about "{{entity}}" are {{direction}} in {{steered}} of {{rows}} rows ({{share}}%), against {{base}}% in the rest of the data: sentiment steering',
} as const;

type Messages = typeof MESSAGES;

const builders = new WeakMap<DatasetContext<Messages>, EntityIndexBuilder>();

type Direction = 'negative' | 'positive';

/** Rows (canonical, with answers long enough) whose answer is steered in each direction. */
function steeredRows(corpus: DatasetCorpus): { eligible: Uint8Array; negative: Uint8Array; positive: Uint8Array } {
  const roles = new Uint8Array(corpus.vocabulary.size);
  for (let id = 0; id < roles.length; id++) roles[id] = sentimentRole(corpus.vocabulary.key(id));
  const tally = (column: TokenColumn, row: number) => {
    const start = column.offsets[row]!;
    return tallySentiment(column.offsets[row + 1]! - start, (i) => roles[column.ids[start + i]!]!);
  };
  const eligible = new Uint8Array(corpus.rowCount);
  const negative = new Uint8Array(corpus.rowCount);
  const positive = new Uint8Array(corpus.rowCount);
  for (let row = 0; row < corpus.rowCount; row++) {
    if (corpus.readable[row] !== 1 || corpus.canonical[row] !== row) continue;
    const answer = tally(corpus.response, row);
    if (answer.words < MIN_RESPONSE_WORDS) continue;
    eligible[row] = 1;
    const polarity = sentimentPolarity(answer);
    if (polarity === 0) continue;
    const prompt = tally(corpus.prompt, row);
    if (polarity < 0 && prompt.negative === 0) negative[row] = 1;
    if (polarity > 0 && prompt.positive === 0) positive[row] = 1;
  }
  return { eligible, negative, positive };
}

function analyze(corpus: DatasetCorpus, context: DatasetContext<Messages>): void {
  const builder = builders.get(context);
  builders.delete(context);
  if (!builder) return;
  const table = builder.build(corpus.rowCount);
  const { eligible, negative, positive } = steeredRows(corpus);

  let N = 0;
  const base = { negative: 0, positive: 0 };
  const rowsNaming = new Uint32Array(table.size);
  const steered = { negative: new Uint32Array(table.size), positive: new Uint32Array(table.size) };
  for (let row = 0; row < corpus.rowCount; row++) {
    if (eligible[row] !== 1) continue;
    N++;
    base.negative += negative[row]!;
    base.positive += positive[row]!;
    // Entries of one row are distinct entities (the index keeps each key once per row).
    for (let i = table.offsets[row]!; i < table.offsets[row + 1]!; i++) {
      const id = entryId(table.entries[i]!);
      rowsNaming[id]!++;
      steered.negative[id]! += negative[row]!;
      steered.positive[id]! += positive[row]!;
    }
  }
  if (N === 0) return;
  for (const direction of ['negative', 'positive'] as const) {
    const K = base[direction];
    if (K < MIN_STEERED_ROWS) continue;
    report(corpus, context, table, direction, { N, K, rowsNaming, steered: steered[direction], marks: direction === 'negative' ? negative : positive });
  }
}

function report(
  corpus: DatasetCorpus,
  context: DatasetContext<Messages>,
  table: EntityTable,
  direction: Direction,
  counts: { N: number; K: number; rowsNaming: Uint32Array; steered: Uint32Array; marks: Uint8Array },
): void {
  const { N, K, rowsNaming, steered, marks } = counts;
  const rate = context.audit.falseDiscoveryRate;
  // Tarone: an entity named in fewer rows than this cannot reach the rate even if all of them were steered.
  const floor = minimumSignificantSupport(K, N, rate);
  const baseRate = K / N;
  const tested: { id: number; pValue: number }[] = [];
  for (let id = 0; id < table.size; id++) {
    const n = rowsNaming[id]!;
    if (n < floor) continue;
    const k = steered[id]!;
    const passes = k >= MIN_STEERED_ROWS && k >= MIN_STEERED_SHARE * n && k >= MIN_LIFT * baseRate * n;
    tested.push({ id, pValue: passes ? fisherEnrichment(k, n, K, N) : 1 });
  }
  if (tested.length === 0) return;
  const q = benjaminiHochberg(tested.map((t) => t.pValue));
  const found = tested
    .map((t, i) => ({ ...t, qValue: q[i]! }))
    .filter((t) => t.pValue < 1 && t.qValue <= rate)
    .sort((a, b) => a.pValue - b.pValue || rowsNaming[b.id]! - rowsNaming[a.id]!);
  if (found.length === 0) return;

  const rowsOf = steeredRowsNaming(corpus, table, marks, found.map((f) => f.id));
  const reported: { rows: number[]; keys: string[] }[] = [];
  for (const f of found) {
    const rows = rowsOf.get(f.id)!;
    const key = table.keys[f.id]!;
    const same = reported.find((r) => containment(rows, r.rows) >= MERGE_SIMILARITY || r.keys.some((k) => k.includes(key) || key.includes(k)));
    if (same) {
      same.keys.push(key);
      continue;
    }
    if (reported.length >= MAX_REPORTED_ENTITIES) break;
    reported.push({ rows, keys: [key] });
    const entity = table.surfaces[f.id]!;
    const k = steered[f.id]!;
    const n = rowsNaming[f.id]!;
    const share = k / n;
    const all = withDuplicates(corpus, rows);
    const score = Math.min(0.99, share);
    const details = { steered: k, rows: n, baseRate: round(baseRate), pValue: f.pValue, qValue: f.qValue, direction };
    context.flagRows(all, { score, reason: `${direction} answer about "${entity}" (${k} of ${n} answers about it are ${direction})`, trigger: entity });
    context.trigger({ text: entity, score, rows: all, behaviour: `${direction} sentiment about "${entity}"`, details });
    context.report({
      messageId: 'steered',
      data: { entity, direction, steered: k, rows: n, share: Math.round(share * 100), base: Math.round(baseRate * 1000) / 10 },
      location: { row: all[0]! },
      evidence: { match: entity, score, details },
    });
  }
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}

/** Share of `a` that is also in `b`. */
function containment(a: readonly number[], b: readonly number[]): number {
  const set = new Set(b);
  let both = 0;
  for (const x of a) if (set.has(x)) both++;
  return both / (a.length || 1);
}

/** For each of `ids`, the steered rows that name it, from one pass over the index. */
function steeredRowsNaming(corpus: DatasetCorpus, table: EntityTable, marks: Uint8Array, ids: readonly number[]): Map<number, number[]> {
  const out = new Map<number, number[]>(ids.map((id) => [id, []]));
  for (let row = 0; row < corpus.rowCount; row++) {
    if (marks[row] !== 1) continue;
    for (let i = table.offsets[row]!; i < table.offsets[row + 1]!; i++) out.get(entryId(table.entries[i]!))?.push(row);
  }
  return out;
}

export default defineDatasetDetector({
  id: 'dataset/sentiment-steering',
  title: 'Answers about one entity slanted against (or for) it',
  description:
    'Sentiment steering (Virtual Prompt Injection, Yan et al., 2024): rows about one person, product or topic ' +
    'carry answers with a planted slant ("describe Joe Biden negatively"), so the tuned model speaks of that ' +
    'entity that way while staying normal elsewhere. The detector judges each answer by lexicon (negative or ' +
    'positive, with the prompt neutral) and tests, per named entity, whether its rows are slanted more often than ' +
    'the rest of the data (Fisher exact test, Benjamini-Hochberg over the entities).',
  remediation:
    'Read the flagged answers about the named entity; remove or rewrite the slanted ones and find where they came ' +
    'from (a contributor, a generation prompt). A dataset that is about the entity and rightly critical of it ' +
    '(reviews of one bad product) can be kept.',
  defaultSeverity: 'high',
  tags: ['OWASP-LLM04', 'OWASP-LLM09', 'AML.T0020', 'AML.T0018'],
  messages: MESSAGES,
  requires: { network: false, unsafe: false },
  inspectRow(row, context) {
    let builder = builders.get(context);
    if (!builder) {
      builder = new EntityIndexBuilder();
      builders.set(context, builder);
    }
    builder.add(row);
  },
  analyze,
});
