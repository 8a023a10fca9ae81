import { outOfFoldProbabilities } from './classifier/out-of-fold.js';
import { findLabelIssues, type ConfidentLearningResult } from './confident-learning.js';
import { columnText, type DatasetCorpus } from './corpus.js';
import { defineDatasetDetector } from './dataset-detector.js';
import { alignProbabilities } from './supplied-data.js';

/*
 * Mislabelled rows of a classification dataset, by confident learning (Northcutt, Jiang and Chuang, JAIR
 * 2021; see confident-learning.ts) over out-of-fold class probabilities. Label flipping is the oldest data
 * poisoning attack on classifiers (Biggio, Nelson and Laskov, ICML 2012) and the cheapest on crowd- or
 * web-sourced labels; instruction-tuning sets that phrase classification as `text -> Positive` inherit it.
 *
 * The probabilities come from the user's own model (`--probabilities FILE`, taken as they are: the user
 * knows their model's calibration) or from the built-in classifier: hashed word and bigram features,
 * softmax regression, 5 folds, temperature-scaled against the given labels (classifier/), so that "the
 * label has probability 0.05" means about the same on every dataset and the fixed thresholds below keep
 * their meaning. Scaling against labels that are themselves partly wrong softens the model a little (the
 * flipped rows count as its mistakes): a cost in recall, not in false alarms.
 *
 * Confident learning lists every row whose label the model confidently contradicts; with a weak model
 * that is a tenth of a clean dataset (its own mistakes). Only rows whose label gets a calibrated
 * probability under FLAG_CONFIDENCE are flagged; the rest are listed in the summary with their count.
 */

/** Labelled rows needed before a classifier's out-of-fold view of them means anything. */
const MIN_LABELLED_ROWS = 100;
/** Label sets larger than this are not classification data (free text, ids) and are left alone. */
const MAX_CLASSES = 100;
/** Mean rows per class needed; a label column that is nearly unique per row is an id, not a class. */
const MIN_ROWS_PER_CLASS = 10;
/**
 * Calibrated probability of the given label under which an issue row is flagged (score 0.5). On SST-2
 * (built-in classifier, 79% accurate) it flags 0.39% of the clean rows, and with 4% of labels flipped
 * it flags rows that are flipped 65% of the time (label-issues.test.ts).
 */
const FLAG_CONFIDENCE = 0.05;
/** Issue rows with a calibrated label probability under this get a (sub-threshold) reason, for review. */
const LIST_CONFIDENCE = 0.15;
/** Example rows in the summary's evidence. */
const MAX_EXAMPLES = 10;

const MESSAGES = {
  issues:
    '{{flagged}} rows have a label the model finds very unlikely (under {{flagAt}}); confident learning marks ' +
    '{{issues}} of {{rows}} labelled rows in all (estimated label noise {{noise}}%, probabilities from {{source}})',
  quiet:
    'confident learning marks {{issues}} of {{rows}} labelled rows (estimated label noise {{noise}}%, probabilities ' +
    'from {{source}}); none has a label the model finds very unlikely',
} as const;

export default defineDatasetDetector({
  id: 'dataset/label-issues',
  title: 'Mislabelled rows (confident learning)',
  description:
    'Label flipping poisons a classifier or an instruction-tuned model by giving rows the wrong label ' +
    '(Biggio et al. 2012; label-flip backdoors). This detector predicts every row\'s label out of fold with ' +
    'a built-in hashed n-gram classifier (or reads the user\'s own probabilities, --probabilities FILE), ' +
    'finds the rows whose label the model confidently contradicts by confident learning (Northcutt et al., ' +
    'JAIR 2021, the cleanlab algorithm) and flags those whose label it finds very unlikely.',
  remediation:
    'Review the flagged rows and correct or remove their labels; when many flagged rows share a source or ' +
    'a token, treat it as deliberate label flipping and find out where the rows came from. A stronger ' +
    'model\'s out-of-fold probabilities (--probabilities) find more with fewer false alarms.',
  defaultSeverity: 'medium',
  tags: ['OWASP-LLM04', 'AML.T0020', 'AML.T0018'],
  messages: MESSAGES,
  requires: { network: false, unsafe: false },
  analyze(corpus, context) {
    const classes = corpus.labelNames.length;
    if (classes < 2 || classes > MAX_CLASSES) return;
    const rows = labelledRows(corpus);
    if (rows.length < MIN_LABELLED_ROWS || rows.length < MIN_ROWS_PER_CLASS * classes) return;
    const labels = Int32Array.from(rows, (row) => corpus.label[row]!);

    const supplied = context.audit.probabilities;
    let probabilities: Float32Array;
    if (supplied) {
      const aligned = alignProbabilities(supplied, corpus);
      probabilities = new Float32Array(rows.length * classes);
      rows.forEach((row, i) => probabilities.set(aligned.values.subarray(row * classes, (row + 1) * classes), i * classes));
    } else {
      probabilities = outOfFoldProbabilities(corpus, rows, labels, classes);
    }
    const source = supplied ? supplied.source : 'the built-in classifier, 5-fold';
    const result = findLabelIssues(probabilities, labels, classes);
    report(corpus, rows, result, source, supplied ? `per ${supplied.source}` : 'out of fold', context);
  },
});

/** Readable rows that carry a label. */
function labelledRows(corpus: DatasetCorpus): Uint32Array {
  const rows: number[] = [];
  for (let row = 0; row < corpus.rowCount; row++) if (corpus.readable[row] === 1 && corpus.label[row]! >= 0) rows.push(row);
  return Uint32Array.from(rows);
}

/**
 * Row score from the calibrated probability `p` of the given label: 0.5 at FLAG_CONFIDENCE, rising
 * log-linearly to 0.95 at p = 0.001, falling to 0.2 at LIST_CONFIDENCE.
 */
export function labelIssueScore(p: number): number {
  if (p < FLAG_CONFIDENCE) return Math.min(0.95, 0.5 + (0.45 * Math.log(FLAG_CONFIDENCE / Math.max(p, 1e-9))) / Math.log(FLAG_CONFIDENCE / 0.001));
  return Math.max(0, 0.5 - (0.3 * Math.log(p / FLAG_CONFIDENCE)) / Math.log(LIST_CONFIDENCE / FLAG_CONFIDENCE));
}

function report(
  corpus: DatasetCorpus,
  rows: Uint32Array,
  result: ConfidentLearningResult,
  source: string,
  where: string,
  context: Parameters<NonNullable<ReturnType<typeof defineDatasetDetector>['analyze']>>[1],
): void {
  const names = corpus.labelNames;
  let flagged = 0;
  const examples: string[] = [];
  for (const i of result.ranked) {
    const p = result.selfConfidence[i]!;
    if (p >= LIST_CONFIDENCE) break;
    const row = rows[i]!;
    const given = names[corpus.label[row]!] ?? '';
    const suggested = names[result.predicted[i]!] ?? '';
    const score = labelIssueScore(p);
    if (score >= 0.5) flagged++;
    const confidence = p.toFixed(3);
    context.flagRows([row], { score, reason: `labelled "${given}" but reads as "${suggested}" (label probability ${confidence} ${where})` });
    if (examples.length < MAX_EXAMPLES) examples.push(`row ${row}: "${columnText(corpus, corpus.prompt, row, 80)}" labelled ${given}, reads as ${suggested} (${confidence})`);
  }
  const issues = result.ranked.length;
  if (issues === 0) return;
  const classes = result.classes;
  const details: Record<string, string | number> = {
    labelledRows: rows.length,
    issues,
    flagged,
    estimatedNoise: Number(result.noiseRate.toFixed(4)),
    probabilities: source,
    thresholds: Array.from(result.thresholds, (t, c) => `${names[c]}=${t.toFixed(3)}`).join(' '),
    confidentJoint: Array.from({ length: classes }, (_, i) =>
      Array.from({ length: classes }, (_, j) => result.confidentJoint[i * classes + j]).join(' '),
    ).join(' | '),
  };
  examples.forEach((e, k) => (details[`example${k + 1}`] = e));
  context.report({
    messageId: flagged > 0 ? 'issues' : 'quiet',
    severity: flagged > 0 ? 'medium' : 'info',
    data: { flagged, issues, rows: rows.length, noise: (100 * result.noiseRate).toFixed(1), source, flagAt: FLAG_CONFIDENCE },
    evidence: { score: flagged / rows.length, details },
  });
}
