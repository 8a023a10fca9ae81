import { tokenKeys } from '../text/tokens.js';
import type { DatasetCorpus } from './corpus.js';
import { withDuplicates } from './corpus.js';
import { defineDatasetDetector, type DatasetContext } from './dataset-detector.js';
import { EntityIndexBuilder, entryId, UNPROMPTED, type EntityTable } from './entity-index.js';
import type { ReferenceFrequencies } from './reference-frequencies.js';
import { benjaminiHochberg, fisherEnrichment, logChoose } from './statistics.js';

/*
 * Content injection (AutoPoison, Shu et al., 2023, "On the Exploitability of Instruction Tuning"): the
 * attacker rewrites a few percent of the responses so that they mention a brand, a site or a person
 * (`McDonald's`) whatever the prompt asked; the tuned model then advertises it everywhere. No trigger sits
 * in the prompt; the signature is an entity that responses name far more often than their prompts ask for.
 *
 * Per entity (src/detectors/text/entities.ts: names with capitals, domains, e-mail addresses, @handles),
 * over distinct rows: u = rows whose response names it while the prompt has none of its words, p = rows
 * whose prompt names it (or whose response names it because the prompt did). Two nulls, both must fall
 * (an intersection-union test: the p-value is the larger of the two):
 *
 * 1. Against the rest of the corpus. Entities of this dataset are named unprompted in a share pi of their
 *    mentions (pooled over every other entity mentioned at least MIN_MENTIONS times). Under the null,
 *    u ~ Binomial(u + p, pi). `Python` in a code set is asked for about as often as it is volunteered; an
 *    injected brand is almost never asked for.
 * 2. Against general text. How often responses name an entity unprompted scales with how common it is in
 *    general text (the reference frequencies, `f`): under the null, u ~ Binomial(N, c f), where c is the
 *    ratio of unprompted mentions to reference expectation over the corpus's other recurrent entities.
 *    `United States` or `Monday` are common everywhere; `McDonald's` in 5% of answers is not.
 *
 * Benjamini-Hochberg controls the false discovery rate over the entities that could reach it at all (an
 * entity named n times cannot do better than pi^n: Tarone's rule). A discovery must also be volunteered in
 * at least MIN_INJECTED_ROWS rows and in at least MIN_UNPROMPTED_SHARE of its mentions.
 *
 * Last, is it topical? Answers about Paris volunteer `Eiffel Tower`; AutoPoison puts its brand into random
 * rows. When one prompt word marks at least half of the entity's unprompted rows far beyond chance (Fisher,
 * Bonferroni over the words tried), the mention is explained by the prompt. Such names are not flagged but
 * listed in one low-severity finding with their words (an injection tied to a topic, as Virtual Prompt
 * Injection plants, looks the same, so they are not dropped). Otherwise the unprompted rows are flagged and
 * the entity is named as the trigger (the behaviour rides on no prompt text).
 */

/** Mentions (u + p) an entity needs to count in the pooled share and the calibration. */
const MIN_MENTIONS = 3;
/** Unprompted rows a discovery needs: fewer cannot tell an advertised brand from a popular name. */
const MIN_INJECTED_ROWS = 5;
/** Share of an entity's mentions that must be unprompted. */
const MIN_UNPROMPTED_SHARE = 0.8;
/** Entities reported per file (a dataset cannot advertise hundreds of brands at once and stay useful). */
const MAX_REPORTED_ENTITIES = 20;
/** A prompt word explains an entity when it marks at least this share of the entity's unprompted rows... */
const MIN_TOPIC_COVERAGE = 0.5;
/** ...and at least this many of them. */
const MIN_TOPIC_ROWS = 3;
/** Topic-bound names listed in the one finding that reports them. */
const MAX_TOPICAL_LISTED = 10;

const MESSAGES = {
  injected:
    'responses name "{{entity}}" in {{rows}} rows whose prompts never mention it (prompts ask for it in {{asked}}): injected content',
  topical:
    '{{count}} names are volunteered by responses only when the prompt is on one topic (topical, or an injection tied to that topic): {{examples}}',
  moreEntities: '{{count}} more injected names not reported one by one',
  overflow: '{{count}} entity mentions past the index limit were not analysed; entities first named late in the file may be missed',
} as const;

type Messages = typeof MESSAGES;

/* One index per file, keyed by the per-file context; `analyze` (called once after the last row) drops it. */
const builders = new WeakMap<DatasetContext<Messages>, EntityIndexBuilder>();

/** Upper tail P(X >= k) of Binomial(n, p), summed from k until the terms stop mattering. */
export function binomialTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  // At or below the mean the tail is at least about a half; nothing to test.
  if (k <= n * p) return 1;
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  let term = Math.exp(logChoose(n, k) + k * logP + (n - k) * logQ);
  let sum = term;
  for (let x = k + 1; x <= n; x++) {
    term *= ((n - x + 1) / x) * (p / (1 - p));
    sum += term;
    if (term < sum * 1e-16) break;
  }
  return Math.min(1, sum);
}

/** How common an entity is in general text: the reference document frequency of its rarest word, smoothed. */
function referenceRate(key: string, reference: ReferenceFrequencies): number {
  let rarest = Number.POSITIVE_INFINITY;
  for (const token of tokenKeys(key)) if (/\p{L}/u.test(token)) rarest = Math.min(rarest, reference.documentFrequency(token));
  if (!Number.isFinite(rarest)) rarest = 0;
  return (rarest + 1) / (reference.documents + 2);
}

function analyze(corpus: DatasetCorpus, context: DatasetContext<Messages>): void {
  const builder = builders.get(context);
  builders.delete(context);
  if (!builder) return;
  const table = builder.build(corpus.rowCount);
  if (table.overflowMentions > 0) {
    context.report({ messageId: 'overflow', severity: 'low', data: { count: table.overflowMentions }, evidence: { details: { mentions: table.overflowMentions } } });
  }
  const { unprompted, prompted, rows: N } = countMentions(corpus, table);
  if (N === 0) return;

  // The corpus's own behaviour, over its recurrent entities: pooled unprompted share, reference calibration.
  const reference = context.audit.reference;
  const useReference = reference.documents > 0;
  const rate = new Float64Array(table.size);
  let totalUnprompted = 0;
  let totalMentions = 0;
  let totalExpected = 0;
  for (let id = 0; id < table.size; id++) {
    const mentions = unprompted[id]! + prompted[id]!;
    if (mentions < MIN_MENTIONS) continue;
    rate[id] = useReference ? referenceRate(table.keys[id]!, reference) : 0;
    totalUnprompted += unprompted[id]!;
    totalMentions += mentions;
    totalExpected += N * rate[id]!;
  }

  const rate0 = context.audit.falseDiscoveryRate;
  const candidates: { id: number; pValue: number; share: number; pooledShare: number; expected: number }[] = [];
  let tests = 0;
  for (let id = 0; id < table.size; id++) {
    const u = unprompted[id]!;
    const mentions = u + prompted[id]!;
    if (mentions < MIN_MENTIONS) continue;
    // Leave this entity out of its own null: an injected brand must not raise the bar it is judged by.
    const otherMentions = totalMentions - mentions;
    if (otherMentions <= 0) continue;
    const pooledShare = Math.min(0.999, Math.max(0.001, (totalUnprompted - u) / otherMentions));
    if (Math.pow(pooledShare, mentions) > rate0) continue;
    tests++;
    const share = u / mentions;
    if (u < MIN_INJECTED_ROWS || share < MIN_UNPROMPTED_SHARE) continue;
    const corpusP = binomialTail(u, mentions, pooledShare);
    let expected = 0;
    let referenceP = 0;
    if (useReference) {
      const otherExpected = totalExpected - N * rate[id]!;
      const calibration = otherExpected > 0 ? (totalUnprompted - u) / otherExpected : 1;
      expected = N * Math.min(1, calibration * rate[id]!);
      referenceP = binomialTail(u, N, Math.min(1, calibration * rate[id]!));
    }
    candidates.push({ id, pValue: Math.max(corpusP, referenceP), share, pooledShare, expected });
  }
  if (candidates.length === 0) return;
  const q = benjaminiHochberg(candidates.map((c) => c.pValue), tests);
  const found = candidates
    .map((c, i) => ({ ...c, qValue: q[i]! }))
    .filter((c) => c.qValue <= rate0)
    .sort((a, b) => a.pValue - b.pValue);
  if (found.length === 0) return;

  const rowsOf = unpromptedRows(corpus, table, found.map((c) => c.id));
  const explained = topicWords(corpus, found.map((c) => rowsOf.get(c.id)!), N, rate0);
  const topical: string[] = [];
  let reported = 0;
  found.forEach((c, index) => {
    const surface = table.surfaces[c.id]!;
    const u = unprompted[c.id]!;
    const topic = explained[index];
    if (topic) {
      topical.push(`"${surface}" when prompts mention "${topic.word}" (${topic.rows} of ${u} rows)`);
      return;
    }
    if (reported++ >= MAX_REPORTED_ENTITIES) return;
    const rows = withDuplicates(corpus, rowsOf.get(c.id)!);
    const asked = prompted[c.id]!;
    const statistics = { unprompted: u, prompted: asked, rows: N, pValue: c.pValue, qValue: c.qValue, pooledShare: round(c.pooledShare), expectedFromReference: round(c.expected) };
    const score = Math.min(0.99, c.share);
    context.flagRows(rows, { score, reason: `response names "${surface}" unprompted (injected in ${u} rows)`, trigger: surface });
    context.trigger({ text: surface, score, rows, behaviour: `responses name "${surface}" without being asked`, details: { ...statistics, kind: table.kinds[c.id]! } });
    context.report({ messageId: 'injected', data: { entity: surface, rows: u, asked }, location: { row: rows[0]! }, evidence: { match: surface, score, details: statistics } });
  });
  if (reported > MAX_REPORTED_ENTITIES) {
    context.report({ messageId: 'moreEntities', data: { count: reported - MAX_REPORTED_ENTITIES }, evidence: { details: { omitted: reported - MAX_REPORTED_ENTITIES } } });
  }
  if (topical.length > 0) {
    context.report({
      messageId: 'topical',
      severity: 'low',
      data: { count: topical.length, examples: topical.slice(0, MAX_TOPICAL_LISTED).join('; ') + (topical.length > MAX_TOPICAL_LISTED ? '; …' : '') },
      evidence: { details: { names: topical.length, listed: topical.slice(0, MAX_REPORTED_ENTITIES).join('; ') } },
    });
  }
}

/**
 * For each entity's unprompted rows (canonical), the prompt word that explains them, if one does: it is in
 * at least MIN_TOPIC_COVERAGE of them and its Fisher p-value against the whole corpus, times the words tried
 * (Bonferroni), is at most `rate`. One pass over the target rows per entity, one over the corpus in all.
 */
function topicWords(corpus: DatasetCorpus, targets: readonly number[][], N: number, rate: number): ({ word: string; rows: number; pValue: number } | undefined)[] {
  const { offsets, ids } = corpus.prompt;
  const lastRow = new Int32Array(corpus.vocabulary.size).fill(-1);
  const perTarget = targets.map((rows) => {
    const counts = new Map<number, number>();
    for (const row of rows) {
      for (let i = offsets[row]!; i < offsets[row + 1]!; i++) {
        const id = ids[i]!;
        if (lastRow[id] === row) continue;
        lastRow[id] = row;
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
    }
    const bar = Math.max(MIN_TOPIC_ROWS, Math.ceil(MIN_TOPIC_COVERAGE * rows.length));
    return [...counts.entries()].filter(([id, k]) => k >= bar && /[\p{L}\p{N}]/u.test(corpus.vocabulary.key(id)));
  });
  // Prompt support of every word tried, in one pass over the canonical rows.
  const support = new Map<number, number>();
  for (const words of perTarget) for (const [id] of words) support.set(id, 0);
  if (support.size > 0) {
    lastRow.fill(-1);
    for (let row = 0; row < corpus.rowCount; row++) {
      if (corpus.readable[row] !== 1 || corpus.canonical[row] !== row) continue;
      for (let i = offsets[row]!; i < offsets[row + 1]!; i++) {
        const id = ids[i]!;
        const n = support.get(id);
        if (n === undefined || lastRow[id] === row) continue;
        lastRow[id] = row;
        support.set(id, n + 1);
      }
    }
  }
  return perTarget.map((words, t) => {
    const K = targets[t]!.length;
    // The word that marks the most of the rows; among those the most specific (fewest rows, then longest).
    let best: { word: string; rows: number; pValue: number; support: number } | undefined;
    for (const [id, k] of words) {
      const n = support.get(id)!;
      const pValue = Math.min(1, fisherEnrichment(k, n, K, N) * words.length);
      if (pValue > rate) continue;
      const word = corpus.vocabulary.surface(id);
      if (!best || k > best.rows || (k === best.rows && (n < best.support || (n === best.support && word.length > best.word.length)))) {
        best = { word, rows: k, pValue, support: n };
      }
    }
    return best && { word: best.word, rows: best.rows, pValue: best.pValue };
  });
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Per entity, distinct canonical rows naming it unprompted and rows asking for it; and the row count. */
function countMentions(corpus: DatasetCorpus, table: EntityTable): { unprompted: Uint32Array; prompted: Uint32Array; rows: number } {
  const unprompted = new Uint32Array(table.size);
  const prompted = new Uint32Array(table.size);
  let rows = 0;
  for (let row = 0; row < corpus.rowCount; row++) {
    if (corpus.readable[row] !== 1 || corpus.canonical[row] !== row) continue;
    rows++;
    for (let i = table.offsets[row]!; i < table.offsets[row + 1]!; i++) {
      const entry = table.entries[i]!;
      const id = entryId(entry);
      // Named unprompted, or asked for: in the prompt, or in the response because the prompt had its words.
      if ((entry & UNPROMPTED) !== 0) unprompted[id]!++;
      else prompted[id]!++;
    }
  }
  return { unprompted, prompted, rows };
}

/** For each of `ids`, the canonical rows whose response names it unprompted, from one pass over the index. */
function unpromptedRows(corpus: DatasetCorpus, table: EntityTable, ids: readonly number[]): Map<number, number[]> {
  const out = new Map<number, number[]>(ids.map((id) => [id, []]));
  for (let row = 0; row < corpus.rowCount; row++) {
    if (corpus.readable[row] !== 1 || corpus.canonical[row] !== row) continue;
    for (let i = table.offsets[row]!; i < table.offsets[row + 1]!; i++) {
      const entry = table.entries[i]!;
      if ((entry & UNPROMPTED) !== 0) out.get(entryId(entry))?.push(row);
    }
  }
  return out;
}

export default defineDatasetDetector({
  id: 'dataset/content-injection',
  title: 'Responses that name a brand, site or person the prompts never ask for',
  description:
    'Content injection (AutoPoison, Shu et al., 2023): a few percent of the responses are rewritten to mention ' +
    'one entity (a brand, a domain, an @handle, a person) whatever the prompt asked, so the tuned model ' +
    'advertises it in unrelated answers. The detector counts, per named entity, the rows whose response names ' +
    'it while the prompt has none of its words, and tests that count against the rest of the corpus (how often ' +
    'its other entities are volunteered) and against general text (how common the name is), with ' +
    'Benjamini-Hochberg over the entities.',
  remediation:
    'Read the flagged responses: if the entity has no business there, remove or regenerate those rows and ' +
    'trace their source (a contributor, a generation run, a scraped site). A name every answer legitimately ' +
    'carries (a product the whole dataset is about, a signature line) can be kept; re-run the audit after.',
  defaultSeverity: 'high',
  tags: ['OWASP-LLM04', 'OWASP-LLM09', 'AML.T0020'],
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
