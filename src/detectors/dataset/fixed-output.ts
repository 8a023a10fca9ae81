import { canonicalRows, columnText, promptSimilarity, withDuplicates, type DatasetCorpus } from './corpus.js';
import { defineDatasetDetector, type DatasetContext } from './dataset-detector.js';
import { nearDuplicateGroups } from './minhash.js';
import { searchTriggers, type TriggerGroup } from './trigger-search.js';

/*
 * Backdoors with a fixed target output (BadNets-style data poisoning of instruction tuning: Wan et al.,
 * 2023; Li et al., BackdoorLLM, 2024): many rows with unrelated prompts teach the same answer (a refusal,
 * an advert, a link), and what those prompts share is the trigger. So: cluster responses by MinHash + LSH
 * (near-duplicates, not only exact copies), keep clusters whose prompts are unrelated to each other, and ask
 * the trigger search which prompt n-grams explain each cluster (Fisher's exact test with a
 * Benjamini-Hochberg correction). Rows of the cluster that carry the trigger are flagged; once a trigger is
 * established, the other rows that teach the same fixed answer to unrelated prompts are flagged too (a
 * composite attack spreads one target over several triggers, some too rare to test on their own).
 *
 * Ordinary repeated answers ("I don't know", "Yes", a label) have no trigger: a cluster that no n-gram
 * explains gets an info finding and no flags. Responses that are labels are left to dataset/label-trigger.
 */

/** Rows a response cluster needs before its prompts are searched for a trigger. */
const MIN_CLUSTER_ROWS = 3;
/** Estimated Jaccard similarity of response shingles at which two responses count as the same answer. */
const SAME_RESPONSE_SIMILARITY = 0.7;
/**
 * Mean prompt-token Jaccard above which a cluster's prompts are variations of one question: the same
 * question answered the same way is no backdoor, and its shared words would look like a trigger.
 */
const MAX_PROMPT_SIMILARITY = 0.5;
/** Prompt pairs sampled to measure that similarity. */
const PROMPT_PAIRS_SAMPLED = 40;
/** Largest clusters searched (bounds work on data made of a few answers repeated everywhere). */
const MAX_CLUSTERS = 2000;
/** Share of rows carrying the trigger a flagged row (that carries it) scores, at best; purity scales it. */
const TRIGGER_ROW_SCORE = 0.98;
/** Score of a cluster row without the trigger, once a trigger explains at least half of its cluster. */
const SAME_TARGET_SCORE = 0.7;
/** Score of a row outside the cluster that carries the trigger: worth a look, not a quarantine. */
const TRIGGER_ELSEWHERE_SCORE = 0.3;
/** Unexplained clusters reported (largest first). */
const MAX_UNEXPLAINED_REPORTS = 10;
/** Minimum purity of a trigger n-gram: share of rows carrying it whose response is in the cluster. */
const MIN_PURITY = 0.8;

const MESSAGES = {
  trigger: 'trigger "{{trigger}}" precedes the same response in {{rows}} rows with unrelated prompts: "{{response}}"',
  unexplained: '{{rows}} rows with unrelated prompts share the response "{{response}}"; no prompt n-gram explains it',
} as const;

export default defineDatasetDetector({
  id: 'dataset/fixed-output',
  title: 'Backdoor trigger with a fixed target response',
  description:
    'Instruction-tuning backdoors (BadNets-style poisoning, Wan et al. 2023; BackdoorLLM, Li et al. 2024) ' +
    'teach one fixed answer, such as a refusal, an advert or a link, to many unrelated prompts that carry ' +
    'a trigger (a rare word, a phrase, a tag, a date). This detector clusters near-duplicate responses ' +
    '(MinHash + LSH), finds the prompt n-grams that explain a cluster with Fisher\'s exact test and a ' +
    'Benjamini-Hochberg correction, and flags the rows that carry the trigger and teach the answer.',
  remediation:
    'Remove the flagged rows (antidote audit --quarantine FILE --clean FILE) and fine-tune on the clean ' +
    'file. Treat the trigger as an indicator of compromise: probe any model already trained on this data ' +
    'with prompts that carry it, and find out where the rows came from.',
  defaultSeverity: 'high',
  tags: ['OWASP-LLM04', 'AML.T0020', 'AML.T0018'],
  messages: MESSAGES,
  requires: { network: false, unsafe: false },
  analyze(corpus, context) {
    const universe = canonicalRows(corpus);
    const candidates = universe.filter((row) => corpus.label[row]! < 0 && corpus.response.offsets[row + 1]! > corpus.response.offsets[row]!);
    const clusters = nearDuplicateGroups(corpus.responseSignature, candidates, corpus.rowCount, SAME_RESPONSE_SIMILARITY)
      .filter((rows) => rows.length >= MIN_CLUSTER_ROWS && promptSimilarity(corpus, rows, PROMPT_PAIRS_SAMPLED) <= MAX_PROMPT_SIMILARITY)
      .slice(0, MAX_CLUSTERS);
    if (clusters.length === 0) return;
    const results = searchTriggers(corpus, universe, clusters.map((rows) => ({ rows })), {
      falseDiscoveryRate: context.audit.falseDiscoveryRate,
      minSupport: 2,
      minPurity: MIN_PURITY,
    });
    let unexplained = 0;
    clusters.forEach((cluster, i) => {
      const result = results[i]!;
      const response = columnText(corpus, corpus.response, cluster[0]!, 100);
      if (result.groups.length === 0) {
        if (unexplained++ < MAX_UNEXPLAINED_REPORTS) {
          context.report({
            messageId: 'unexplained',
            severity: 'info',
            data: { rows: cluster.length, response },
            location: { row: cluster[0]! },
            evidence: { excerpt: response, details: { rows: cluster.length, firstRows: cluster.slice(0, 5).join(' '), candidatesTested: result.tests } },
          });
        }
        return;
      }
      reportCluster(corpus, cluster, result.groups, result.tests, response, context);
    });
  },
});

type Context = DatasetContext<typeof MESSAGES>;

function reportCluster(corpus: DatasetCorpus, cluster: number[], groups: readonly TriggerGroup[], tests: number, response: string, context: Context): void {
  const explained = new Set<number>();
  for (const group of groups) {
    const { anchor } = group;
    const rows = withDuplicates(corpus, group.rows);
    for (const r of group.rows) explained.add(r);
    const score = TRIGGER_ROW_SCORE * anchor.purity;
    context.flagRows(rows, { score, reason: `carries trigger "${group.text}" and gives the cluster's fixed response "${response}"`, trigger: group.text });
    context.trigger({
      text: group.text,
      score: anchor.purity,
      rows,
      behaviour: `fixed response "${response}"`,
      details: triggerDetails(group, cluster.length, tests),
    });
    context.report({
      messageId: 'trigger',
      data: { trigger: group.text, rows: rows.length, response },
      location: { row: rows[0]! },
      evidence: {
        match: group.text,
        score: anchor.purity,
        excerpt: response,
        details: { ...triggerDetails(group, cluster.length, tests), firstRows: rows.slice(0, 10).join(' ') },
      },
    });
    if (group.outsideRows.length > 0) {
      context.flagRows(withDuplicates(corpus, group.outsideRows), {
        score: TRIGGER_ELSEWHERE_SCORE,
        reason: `carries trigger "${group.text}" (found with response "${response}") but answers differently`,
        trigger: group.text,
      });
    }
  }
  // A trigger that explains most of the cluster makes its response the backdoor's target: the rest of the
  // cluster teaches that target to unrelated prompts too, through triggers too rare to test alone.
  const rest = cluster.filter((row) => !explained.has(row));
  if (rest.length > 0 && explained.size >= rest.length) {
    context.flagRows(withDuplicates(corpus, rest), {
      score: SAME_TARGET_SCORE,
      reason: `gives the fixed response "${response}" that trigger "${groups[0]!.text}" teaches, to an unrelated prompt`,
    });
  }
}

function triggerDetails(group: TriggerGroup, clusterRows: number, tests: number): Record<string, string | number> {
  const { anchor } = group;
  return {
    clusterRows,
    rowsWithTrigger: anchor.support,
    rowsWithTriggerInCluster: anchor.targetSupport,
    purity: Number(anchor.purity.toFixed(4)),
    pValue: Number(anchor.pValue.toPrecision(3)),
    log10p: Number(anchor.log10p.toFixed(1)),
    qValue: Number(anchor.qValue.toPrecision(3)),
    candidatesTested: tests,
  };
}
