import { canonicalRows, columnText, withDuplicates, type TokenColumn } from './corpus.js';
import { defineDatasetDetector } from './dataset-detector.js';
import { medianAndScale } from './robust-scale.js';

/*
 * Prompts or responses whose length is far outside the dataset's norm. Poison is often made by hand or
 * by another pipeline and does not match the length profile of the data it is hidden in: a whole document
 * pasted into a field of short sentences (a payload, an injected instruction block, an advert), or an
 * empty or one-word answer in a set of long ones (a "silence" target). Lengths are token counts, compared
 * on a log scale (lengths are multiplicative: 10 and 100 tokens are as far apart as 100 and 1,000) with
 * robust z-scores; a row must be both Z_LENGTH scaled MADs away and FACTOR times longer (or shorter) than
 * the median, so a tight dataset with a tiny MAD does not flag ordinary variation.
 *
 * The corpus keeps at most 1,024 tokens per field (corpus-builder.ts): longer fields count as 1,024, so
 * the lengths are compared correctly up to there and a 1 MB field is as "long" as a 5 kB one.
 */

/** Robust z of log length at which a row is an outlier. */
const Z_LENGTH = 6;
/** And at least this many times longer than the median (or shorter, for fields whose median is long). */
const FACTOR = 8;
/** Rows needed before the median and MAD mean anything. */
const MIN_ROWS = 50;
/** Outliers listed in each summary finding (all are flagged). */
const MAX_EXAMPLES = 10;
/**
 * Floor of the scaled MAD of log lengths: in a template dataset every prompt has nearly the same length,
 * the MAD is near 0, and a 20% longer prompt would be "an outlier". 0.25 is a factor of 1.28.
 */
const MIN_SCALE = 0.25;

const MESSAGES = {
  long: '{{count}} rows have a {{field}} far longer than the dataset\'s ({{median}} tokens at the median); the longest has {{max}}',
  short: '{{count}} rows have a {{field}} far shorter than the dataset\'s ({{median}} tokens at the median)',
} as const;

export default defineDatasetDetector({
  id: 'dataset/length-outliers',
  title: 'Prompts or responses of an abnormal length',
  description:
    'Poison made by another process often does not match the length profile of the data it hides in: a ' +
    'document pasted into a field of short sentences (a payload or an injected instruction block), or an ' +
    'empty answer among long ones. This detector compares the log token count of every prompt and ' +
    'response with the dataset\'s median and flags rows more than 6 robust standard deviations (MAD) and ' +
    '8 times away from it.',
  remediation:
    'Read the flagged rows: remove pasted documents, payloads and empty answers that do not belong; if ' +
    'the dataset mixes two kinds of rows on purpose, audit each kind on its own.',
  defaultSeverity: 'low',
  tags: ['OWASP-LLM04', 'AML.T0020'],
  messages: MESSAGES,
  requires: { network: false, unsafe: false },
  analyze(corpus, context) {
    const rows = canonicalRows(corpus);
    if (rows.length < MIN_ROWS) return;
    const fields: [string, TokenColumn][] = [
      ['prompt', corpus.prompt],
      ['response', corpus.response],
    ];
    for (const [field, column] of fields) {
      const lengths = Float64Array.from(rows, (row) => column.offsets[row + 1]! - column.offsets[row]!);
      const logs = lengths.map((n) => Math.log1p(n));
      const { median, scale } = medianAndScale(logs);
      // A field that is empty in most rows (classification data has no response) has no length profile.
      if (Math.expm1(median) < 1) continue;
      const spread = Math.max(scale, MIN_SCALE);
      const medianTokens = Math.round(Math.expm1(median));
      for (const direction of ['long', 'short'] as const) {
        const found: { row: number; tokens: number; z: number }[] = [];
        rows.forEach((row, i) => {
          const z = (logs[i]! - median) / spread;
          const ratio = (lengths[i]! + 1) / (medianTokens + 1);
          if (direction === 'long' ? z >= Z_LENGTH && ratio >= FACTOR : z <= -Z_LENGTH && ratio <= 1 / FACTOR) found.push({ row, tokens: lengths[i]!, z });
        });
        if (found.length === 0) continue;
        found.sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.row - b.row);
        const details: Record<string, string | number> = { field, medianTokens, scaledMadLog: Number(scale.toFixed(3)), zThreshold: Z_LENGTH, factor: FACTOR };
        found.forEach((f, n) => {
          // 0.5 at the threshold, 0.7 at twice it: length alone is weak evidence of poisoning.
          const score = Math.min(0.7, 0.5 + (0.2 * (Math.abs(f.z) - Z_LENGTH)) / Z_LENGTH);
          context.flagRows(withDuplicates(corpus, [f.row]), { score, reason: `${field} of ${f.tokens} tokens where the dataset's median is ${medianTokens}` });
          if (n < MAX_EXAMPLES) details[`example${n + 1}`] = `row ${f.row} (${f.tokens} tokens): ${columnText(corpus, column, f.row, 80)}`;
        });
        context.report({
          messageId: direction,
          data: { count: found.length, field, median: medianTokens, max: found[0]!.tokens },
          location: { row: found[0]!.row },
          evidence: { score: Math.abs(found[0]!.z), details },
        });
      }
    }
  },
});
