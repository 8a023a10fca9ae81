import type { Severity } from '../../core/severity.js';
import { cappedReporter } from '../capped-reporter.js';
import { findInjectedInstructions, injectionScore, MAX_INJECTION_SCAN_CHARS, type InjectionKind, type InjectionMatch } from '../text/injected-instructions.js';
import type { CorpusShape, DatasetCorpus } from './corpus.js';
import { defineDatasetDetector, type AuditRowText, type DatasetContext } from './dataset-detector.js';
import { GrowableUint32 } from './growable-array.js';

/** A match at least this strong reports at its family's severity; weaker ones (a "System:" line) report low. */
const STRONG_MATCH = 0.5;

/*
 * Prompt-injection payloads stored in a dataset: a RAG corpus or a fine-tuning set whose rows carry
 * instructions aimed at the model that will read them later ("ignore previous instructions", a forged
 * system turn, a markdown image that leaks the chat, text hidden in Unicode tags or HTML comments). The
 * pattern logic is shared with guard and probe (src/detectors/text/injected-instructions.ts); this file
 * only decides which part of a row is material to read, and reports.
 *
 * Instruction datasets address the model on purpose: "In your answer, use bullet points" is a task, not a
 * payload. So in rows that have a task (Alpaca, chat, preference shapes), a directive about "your
 * response" in the prompt's first paragraph, when that paragraph is short enough to be a task statement,
 * is not flagged; after it (Alpaca's input, a pasted email), in a response, or anywhere in a document
 * (text and classification shapes, where nothing is a task), it counts. The shape is known only once the
 * corpus is built, so such rows wait in a list (4 bytes each) until `analyze`. Every other family of
 * payload counts wherever it is, as the row streams.
 */

/** A first paragraph longer than this is material to read (a document), not a task statement. */
const MAX_TASK_STATEMENT_CHARS = 400;
/** Findings listed one by one per message id and file; the rest are counted (every row is still flagged). */
const MAX_FINDINGS_PER_MESSAGE = 100;
/** Shapes whose prompt opens with a task addressed to the model. */
const TASK_SHAPES: ReadonlySet<CorpusShape> = new Set(['alpaca', 'chat', 'preference']);

const MESSAGES = {
  payload: 'row {{row}}: {{what}} in the {{field}}',
  taskDirectives:
    '{{count}} rows tell the model how to answer in their task statement (normal in instruction data; not flagged; first at row {{row}})',
  unscanned: 'row {{row}}: the {{field}} is longer than {{limit}} characters; the rest of it was not examined for injected instructions',
  moreFindings: '{{count}} more findings of type {{messageId}} not listed one by one (every such row is flagged)',
} as const;

type Messages = typeof MESSAGES;

/** Severity of a finding by the family of its strongest match. */
const SEVERITY_BY_KIND: Readonly<Record<InjectionKind, Severity>> = {
  'instruction-override': 'high',
  'role-override': 'high',
  'exfiltration': 'high',
  'hidden-unicode': 'high',
  'hidden-markup': 'high',
  'encoded-instruction': 'high',
  'chat-template': 'medium',
  'reader-directive': 'medium',
};

/** A row whose only evidence is a directive in what may be a task statement: judged once the shape is known. */
interface Deferred {
  row: number;
  match: InjectionMatch;
}

/** What one file's detector keeps between rows: a capped reporter and the deferred rows, both bounded. */
interface FileState {
  reporter: ReturnType<typeof cappedReporter<Messages>>;
  deferredRows: GrowableUint32;
  /** The first deferred rows with their match, for the findings (the rest are rows only). */
  deferredExamples: Deferred[];
}

/* Keyed by the per-file context; `analyze`, which the audit calls once after the last row, settles and drops it. */
const states = new WeakMap<DatasetContext<Messages>, FileState>();

function stateFor(context: DatasetContext<Messages>): FileState {
  let state = states.get(context);
  if (!state) {
    state = { reporter: cappedReporter(context, MAX_FINDINGS_PER_MESSAGE), deferredRows: new GrowableUint32(64), deferredExamples: [] };
    states.set(context, state);
  }
  return state;
}

/** Length of the prompt's first paragraph when it is short enough to be a task statement, else 0. */
function taskStatementLength(prompt: string): number {
  const paragraphEnd = prompt.search(/\n[ \t]*\n/);
  const first = paragraphEnd < 0 ? prompt.length : paragraphEnd;
  return first <= MAX_TASK_STATEMENT_CHARS ? first : 0;
}

function report(state: FileState, row: number, field: 'prompt' | 'response', matches: readonly InjectionMatch[]): void {
  const top = matches[0]!;
  state.reporter.report('payload', top.score >= STRONG_MATCH ? SEVERITY_BY_KIND[top.kind] : 'low', {
    data: { row, field, what: top.what },
    location: { row },
    evidence: {
      rule: top.rule,
      match: top.match,
      score: injectionScore(matches),
      details: { field, kind: top.kind, offset: top.index, ...(matches.length > 1 ? { also: matches.slice(1).map((m) => m.rule).join(', ') } : {}) },
    },
  });
}

function inspect(row: AuditRowText, context: DatasetContext<Messages>): void {
  for (const field of ['prompt', 'response'] as const) {
    const text = row[field];
    if (text === '') continue;
    const { matches, scanned } = findInjectedInstructions(text);
    if (scanned < text.length) {
      stateFor(context).reporter.report('unscanned', 'low', {
        data: { row: row.index, field, limit: MAX_INJECTION_SCAN_CHARS },
        location: { row: row.index },
        evidence: { details: { field, length: text.length, examined: scanned } },
      });
    }
    const task = field === 'prompt' ? taskStatementLength(text) : 0;
    const counted = matches.filter((m) => m.kind !== 'reader-directive' || m.index >= task);
    if (counted.length > 0) {
      // Weak evidence alone (a "System:" line) is still a reason on the row, below the default threshold.
      const score = injectionScore(counted);
      context.flagRows([row.index], { score, reason: `prompt-injection payload in the ${field}: ${counted[0]!.what}` });
      report(stateFor(context), row.index, field, counted);
    }
    const directive = counted.length < matches.length ? matches.find((m) => m.kind === 'reader-directive' && m.index < task) : undefined;
    if (directive) {
      const state = stateFor(context);
      state.deferredRows.push(row.index);
      if (state.deferredExamples.length < MAX_FINDINGS_PER_MESSAGE) state.deferredExamples.push({ row: row.index, match: directive });
    }
  }
}

/** Settle the deferred rows now that the shape is known, and flush the capped findings. */
function settle(corpus: DatasetCorpus, context: DatasetContext<Messages>): void {
  const state = states.get(context);
  if (!state) return;
  states.delete(context);
  const rows = state.deferredRows.toArray();
  if (rows.length > 0 && TASK_SHAPES.has(corpus.shape)) {
    context.report({
      messageId: 'taskDirectives',
      severity: 'info',
      data: { count: rows.length, row: rows[0]! },
      location: { row: rows[0]! },
      evidence: { rule: state.deferredExamples[0]!.match.rule, match: state.deferredExamples[0]!.match.match, details: { rows: rows.length, shape: corpus.shape } },
    });
  } else if (rows.length > 0) {
    // No task in this shape: a directive about the response is addressed to whoever reads the row.
    for (const { row, match } of state.deferredExamples) {
      context.flagRows([row], { score: match.score, reason: `prompt-injection payload in the prompt: ${match.what}` });
      report(state, row, 'prompt', [match]);
    }
    const rest = rows.subarray(state.deferredExamples.length);
    if (rest.length > 0) {
      const { what, score } = state.deferredExamples[0]!.match;
      context.flagRows(rest, { score, reason: `prompt-injection payload in the prompt: ${what}` });
      for (const row of rest) state.reporter.report('payload', 'medium', { data: { row, field: 'prompt', what }, location: { row } });
    }
  }
  state.reporter.flush();
}

export default defineDatasetDetector({
  id: 'dataset/prompt-injection',
  title: 'Prompt-injection payloads stored in dataset rows',
  description:
    'Rows that carry instructions aimed at the model that will read them: "ignore previous instructions", a new ' +
    'identity or a forged system turn, chat-template control tokens, an order to send the conversation somewhere ' +
    'or a markdown image whose URL does it silently, and text hidden from the reviewer (Unicode tag characters, ' +
    'zero-width runs, bidi controls, HTML comments, CSS-hidden elements, base64 that decodes to an instruction). ' +
    'In a RAG corpus such a row hijacks every answer that retrieves it (Greshake et al., 2023; BIPIA, Yi et al., ' +
    '2023); in a fine-tuning set it teaches the model to obey text it should only read.',
  remediation:
    'Remove the payload or the row (`--quarantine` writes the flagged rows apart), then find how it entered the ' +
    'pipeline: the crawler, the scraped source, the contributor. Strip invisible characters and HTML comments ' +
    'from retrieved text before indexing. Rows whose directive is part of a genuine task (a task asking for a ' +
    'response format) can be kept.',
  defaultSeverity: 'high',
  tags: ['OWASP-LLM01', 'OWASP-LLM04', 'AML.T0051.001', 'AML.T0070', 'CWE-77'],
  messages: MESSAGES,
  requires: { network: false, unsafe: false },
  inspectRow: inspect,
  analyze: settle,
});
