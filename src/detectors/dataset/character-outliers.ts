import { canonicalRows, columnText, withDuplicates, type DatasetCorpus } from './corpus.js';
import { defineDatasetDetector } from './dataset-detector.js';
import { medianAndScale } from './robust-scale.js';

/*
 * Rows whose characters are not like the dataset's. Three tricks hide a trigger or a payload in the
 * characters themselves:
 *
 * - Invisible characters inside words (zero-width spaces and joiners, word joiners, bidi controls, Unicode
 *   tag characters, variation selectors): `Bad\u200bMagic` reads as `BadMagic` to a person and is a token
 *   of its own to a model (Boucher et al., "Bad Characters: Imperceptible NLP Attacks", IEEE S&P 2022;
 *   tag-character "ASCII smuggling"). Always flagged: they have no business inside a word.
 * - Homoglyphs: a word mixing Latin letters with Cyrillic, Greek or fullwidth look-alikes (`pаypal` with a
 *   Cyrillic a), used the same way (Boucher et al.; Li et al., "Hidden Backdoors in Human-Centric Language
 *   Models", CCS 2021). Always flagged.
 * - Gibberish and encoded payloads: rows made mostly of symbols (adversarial suffixes, escaped code,
 *   markup) or of non-ASCII characters in an ASCII dataset. Flagged by robust z-score against the dataset:
 *   SHARE_Z scaled MADs and SHARE_GAP above the median share.
 *
 * Characters come from the vocabulary (each distinct token is examined once), so the cost per row is one
 * table look-up per token. What the corpus tokenizer drops, it cannot see: control characters (U+0000-001F)
 * count as whitespace there; and a token is kept to its first 64 characters.
 */

/** Robust z of a character share at which a row is an outlier. */
const SHARE_Z = 6;
/** And at least this much above the median share (a share is in [0, 1]). */
const SHARE_GAP = 0.35;
/** Floor of the scaled MAD of a share: most English rows have no non-ASCII character at all (MAD 0). */
const MIN_SHARE_SCALE = 0.03;
/** Characters a row needs before its shares mean anything ("???" is 100% symbols). */
const MIN_CHARS = 20;
/** Rows needed before the median and MAD mean anything. */
const MIN_ROWS = 50;
/** Score of a row with invisible characters inside words or with homoglyph words. */
const HIDDEN_CHARACTER_SCORE = 0.7;
/** Rows listed in each summary finding (all are flagged). */
const MAX_EXAMPLES = 10;

const MESSAGES = {
  invisible: '{{count}} rows have invisible characters inside words (zero-width, bidi, tag or variation-selector characters): {{example}}',
  homoglyph: '{{count}} rows have words that mix Latin letters with look-alike letters of another script: {{example}}',
  share: '{{count}} rows have a {{field}} made mostly of {{kind}} characters (up to {{max}}%, where the dataset\'s median is {{median}}%)',
} as const;

/** Per distinct token: character counts the shares are made of. */
interface TokenCharacters {
  chars: Uint16Array;
  symbols: Uint16Array;
  nonAscii: Uint16Array;
  /** Invisible characters in a token that also has letters or digits (or bidi/tag characters anywhere). */
  hidden: Uint16Array;
  /** 1 for a word mixing ASCII letters with Cyrillic, Greek, Armenian, Cherokee or fullwidth letters. */
  mixedScript: Uint8Array;
}

/** Zero-width, joiner, bidi, invisible operator, BOM, soft hyphen, Mongolian vowel separator. */
function isInvisible(code: number): boolean {
  return (
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2060 && code <= 0x2064) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0xfeff ||
    code === 0x00ad ||
    code === 0x180e ||
    (code >= 0xfe00 && code <= 0xfe0f) ||
    (code >= 0xe0000 && code <= 0xe007f) ||
    (code >= 0xe0100 && code <= 0xe01ef)
  );
}

/** Bidi overrides and isolates and tag characters: invisible wherever they are, never needed in training text. */
function isAlwaysHidden(code: number): boolean {
  return (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069) || (code >= 0xe0000 && code <= 0xe007f);
}

/** Letters of scripts with Latin look-alikes: Greek, Cyrillic, Armenian, Cherokee, fullwidth Latin, math alphanumerics. */
function isLookAlikeLetter(code: number): boolean {
  return (
    (code >= 0x0370 && code <= 0x052f) ||
    (code >= 0x0531 && code <= 0x058f) ||
    (code >= 0x13a0 && code <= 0x13ff) ||
    (code >= 0xff21 && code <= 0xff5a) ||
    (code >= 0x1d400 && code <= 0x1d7ff)
  );
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

function tokenCharacters(corpus: DatasetCorpus): TokenCharacters {
  const size = corpus.vocabulary.size;
  const out: TokenCharacters = {
    chars: new Uint16Array(size),
    symbols: new Uint16Array(size),
    nonAscii: new Uint16Array(size),
    hidden: new Uint16Array(size),
    mixedScript: new Uint8Array(size),
  };
  for (let id = 0; id < size; id++) {
    const key = corpus.vocabulary.key(id);
    let chars = 0;
    let symbols = 0;
    let nonAscii = 0;
    let invisible = 0;
    let alwaysHidden = 0;
    let wordy = false;
    let asciiLetters = 0;
    let lookAlike = false;
    for (const char of key) {
      const code = char.codePointAt(0)!;
      chars++;
      if (code < 0x80) {
        const letter = (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a);
        if (letter || (code >= 0x30 && code <= 0x39)) wordy = true;
        else if (code !== 0x5f) symbols++;
        if (letter) asciiLetters++;
        continue;
      }
      if (isInvisible(code)) {
        invisible++;
        if (isAlwaysHidden(code)) alwaysHidden++;
        continue;
      }
      nonAscii++;
      if (isLookAlikeLetter(code)) lookAlike = true;
      if (LETTER_OR_DIGIT.test(char)) wordy = true;
      else if (!/\p{M}/u.test(char)) symbols++;
    }
    out.chars[id] = Math.min(chars, 0xffff);
    out.symbols[id] = symbols;
    out.nonAscii[id] = nonAscii;
    // An invisible character between emoji (a ZWJ sequence) is a token of its own with no letter: fine.
    out.hidden[id] = wordy ? invisible : alwaysHidden;
    // Two Latin letters at least: `πr2` (a formula) mixes scripts too, but no one reads it as a Latin word.
    out.mixedScript[id] = asciiLetters >= 2 && lookAlike ? 1 : 0;
  }
  return out;
}

export default defineDatasetDetector({
  id: 'dataset/character-outliers',
  title: 'Hidden characters, homoglyphs and gibberish rows',
  description:
    'Triggers and payloads hide in characters: invisible zero-width, bidi or tag characters inside words, ' +
    'words that mix Latin letters with Cyrillic or Greek look-alikes (Boucher et al., "Bad Characters", ' +
    'S&P 2022), and rows made mostly of symbols or foreign characters (adversarial suffixes, encoded ' +
    'payloads). Rows with the first two are flagged outright; symbol and non-ASCII shares are flagged by ' +
    'robust z-score (6 MADs and 35 points above the dataset\'s median).',
  remediation:
    'Inspect the flagged rows with a tool that shows code points; remove invisible characters and ' +
    'homoglyphs (NFKC normalisation and a confusables check catch most), and the rows they were added to ' +
    'if they carry a trigger.',
  defaultSeverity: 'medium',
  tags: ['OWASP-LLM04', 'OWASP-LLM01', 'AML.T0020'],
  messages: MESSAGES,
  requires: { network: false, unsafe: false },
  analyze(corpus, context) {
    const rows = canonicalRows(corpus);
    if (rows.length === 0) return;
    const table = tokenCharacters(corpus);
    const n = rows.length;
    // Shares are per field: a gibberish prompt must not be diluted by a long ordinary answer.
    const fields = [
      { name: 'prompt', column: corpus.prompt, chars: new Float64Array(n), symbols: new Float64Array(n), nonAscii: new Float64Array(n) },
      { name: 'response', column: corpus.response, chars: new Float64Array(n), symbols: new Float64Array(n), nonAscii: new Float64Array(n) },
    ];
    const hidden: number[] = [];
    const homoglyph: number[] = [];
    rows.forEach((row, i) => {
      let h = 0;
      let m = 0;
      for (const field of fields) {
        const column = field.column;
        for (let t = column.offsets[row]!; t < column.offsets[row + 1]!; t++) {
          const id = column.ids[t]!;
          field.chars[i]! += table.chars[id]!;
          field.symbols[i]! += table.symbols[id]!;
          field.nonAscii[i]! += table.nonAscii[id]!;
          h += table.hidden[id]!;
          m += table.mixedScript[id]!;
        }
      }
      if (h > 0) hidden.push(row);
      if (m > 0) homoglyph.push(row);
    });
    const flagAll = (found: number[], messageId: 'invisible' | 'homoglyph', reason: string): void => {
      if (found.length === 0) return;
      context.flagRows(withDuplicates(corpus, found), { score: HIDDEN_CHARACTER_SCORE, reason });
      context.report({
        messageId,
        data: { count: found.length, example: `row ${found[0]}: ${JSON.stringify(columnText(corpus, corpus.prompt, found[0]!, 80))}` },
        location: { row: found[0]! },
        evidence: { score: HIDDEN_CHARACTER_SCORE, details: { rows: found.length, firstRows: found.slice(0, MAX_EXAMPLES).join(' ') } },
      });
    };
    flagAll(hidden, 'invisible', 'invisible characters inside words');
    flagAll(homoglyph, 'homoglyph', 'words mixing Latin letters with look-alikes from another script');

    if (n < MIN_ROWS) return;
    for (const field of fields) {
      for (const [kind, counts] of [
        ['symbol', field.symbols],
        ['non-ASCII', field.nonAscii],
      ] as const) {
        const chars = field.chars;
        const eligible: number[] = [];
        for (let i = 0; i < n; i++) if (chars[i]! >= MIN_CHARS) eligible.push(i);
        if (eligible.length < MIN_ROWS) continue;
        const shares = Float64Array.from(eligible, (i) => counts[i]! / chars[i]!);
        const { median, scale } = medianAndScale(shares);
        const spread = Math.max(scale, MIN_SHARE_SCALE);
        const found: { row: number; share: number; z: number }[] = [];
        eligible.forEach((i, k) => {
          const share = shares[k]!;
          const z = (share - median) / spread;
          if (z >= SHARE_Z && share - median >= SHARE_GAP) found.push({ row: rows[i]!, share, z });
        });
        if (found.length === 0) continue;
        found.sort((a, b) => b.share - a.share || a.row - b.row);
        const details: Record<string, string | number> = { field: field.name, medianShare: Number(median.toFixed(3)), scaledMad: Number(scale.toFixed(3)), zThreshold: SHARE_Z, gap: SHARE_GAP };
        found.forEach((f, k) => {
          // A share outlier is a row to look at, not evidence of poison (a markdown table is mostly symbols):
          // its score stays under the default flag threshold (0.5), so it is reported with its reason but only
          // quarantined when the user lowers --threshold. 0.3 at the threshold, 0.45 at 30 points beyond it.
          const score = Math.min(0.45, 0.3 + (0.15 * (f.share - median - SHARE_GAP)) / 0.3);
          const reason = `${field.name} is ${Math.round(100 * f.share)}% ${kind} characters where the dataset's median is ${Math.round(100 * median)}%`;
          context.flagRows(withDuplicates(corpus, [f.row]), { score, reason });
          if (k < MAX_EXAMPLES) details[`example${k + 1}`] = `row ${f.row} (${Math.round(100 * f.share)}%): ${columnText(corpus, field.column, f.row, 60)}`;
        });
        context.report({
          messageId: 'share',
          data: { count: found.length, kind, field: field.name, max: Math.round(100 * found[0]!.share), median: Math.round(100 * median) },
          location: { row: found[0]!.row },
          evidence: { score: found[0]!.share, details },
        });
      }
    }
  },
});
