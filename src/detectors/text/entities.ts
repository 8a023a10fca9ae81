/*
 * Named things a text mentions: web domains, e-mail addresses, @handles and #tags, and names written with
 * capitals (`Joe Biden`, `McDonald's`, `iPhone`, `GPT-4`). Content-injection attacks make a model mention a
 * brand or a site where nobody asked (AutoPoison, Shu et al., 2023); sentiment steering makes it speak
 * ill of one person or topic (Virtual Prompt Injection, Yan et al., 2024). Both are about a named entity,
 * and a capital letter is the cheapest reliable sign of one, which the audit's lower-cased corpus no longer
 * has: so entities are taken from the raw text while it streams.
 *
 * A capital at the start of a sentence says nothing (`However`, `Overall`), so a sentence-initial word
 * counts only when it is shaped like a name on its own (`McDonald's`, `NASA`, `GPT-4`) or starts a run of
 * capitalised words (`Joe Biden said`). One linear pass per pattern, bounded input and output.
 */

/** Characters of a text examined for entities. */
export const MAX_ENTITY_TEXT_CHARS = 16_384;
/** Entities reported per text; a text naming more is a list, and its first ones are enough. */
export const MAX_ENTITIES_PER_TEXT = 48;
/** Longest entity key kept (a run of capitalised words can be a whole title). */
const MAX_ENTITY_CHARS = 80;
/** Words in one capitalised name. */
const MAX_NAME_WORDS = 5;

/** What kind of thing an entity is. */
export type EntityKind = 'domain' | 'email' | 'handle' | 'name';

/** One entity mention: the normalised key (what counts as "the same entity") and the text as written. */
export interface EntityMention {
  /** Lower-cased, apostrophes folded, a trailing possessive `'s` removed: `mcdonald`, `joe biden`, `evil.example`. */
  key: string;
  /** As written in the text (first occurrence). */
  surface: string;
  kind: EntityKind;
}

/** Top-level domains recognised in bare host names (`visit shop.example.com`); with a scheme, any host counts. */
const BARE_TLDS =
  'com|org|net|io|ai|co|app|dev|shop|store|xyz|info|biz|online|site|top|club|live|news|tech|me|tv|gg|ly|us|uk|de|fr|ru|cn|in|jp|br|it|nl|es|ca|au|eu';
const URL_HOST = /\bhttps?:\/\/(?:www\.)?([a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9-]{1,63}){1,6})/gi;
const BARE_HOST = new RegExp(`(?<![@\\w.-])(?:www\\.)?((?:[a-z0-9][a-z0-9-]{0,62}\\.){1,4}(?:${BARE_TLDS}))(?![\\w-]|\\.[a-z])`, 'gi');
const EMAIL = /\b[a-z0-9._%+-]{1,64}@(?:[a-z0-9-]{1,63}\.){1,6}[a-z]{2,24}\b/gi;
const HANDLE = /(?<![\w@.])([@#])([a-z][a-z0-9_]{1,30})\b/gi;

/** Bare-host TLDs as a set, for the cheap pre-check that spares most texts the BARE_HOST regex. */
const BARE_TLD_SET = new Set(BARE_TLDS.split('|'));
/** Upper-case and word characters outside ASCII (the ASCII path compares codes). */
const UPPER = /\p{Lu}/u;
const LETTER_OR_DIGIT = /[\p{L}\p{M}\p{N}]/u;

function isWordChar(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 0x80) return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
  return !Number.isNaN(c) && LETTER_OR_DIGIT.test(String.fromCodePoint(text.codePointAt(i)!));
}

function isUpper(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 0x80) return c >= 0x41 && c <= 0x5a;
  return UPPER.test(String.fromCodePoint(text.codePointAt(i)!));
}

/**
 * Runs of capitalised words, as the text has them: a word is letters, marks and digits with an apostrophe,
 * hyphen, dot or `&` inside (`McDonald's`, `Coca-Cola`, `U.S`); it counts when it starts with a capital or
 * has one after lower-case letters (`iPhone`). Words joined by one space or tab make one run, up to
 * MAX_NAME_WORDS. A word glued to `@ # . ' -` or `_` on its left is part of something else (an address, a
 * contraction) and breaks the run. One pass, no regex on the ASCII path.
 */
function capitalisedRuns(text: string, visit: (words: string[], index: number) => void): void {
  let run: string[] = [];
  let runStart = 0;
  let lastEnd = -2;
  let done = 0;
  // Jump from capital to capital (and to non-ASCII, which may be one): most characters are neither.
  CAPITAL_OR_WIDE.lastIndex = 0;
  for (let m = CAPITAL_OR_WIDE.exec(text); m !== null; m = CAPITAL_OR_WIDE.exec(text)) {
    const at = m.index;
    if (at < done) continue;
    if (text.charCodeAt(at) >= 0x80 && !isUpper(text, at)) continue;
    let start = at;
    while (start > 0 && isWordChar(text, start - 1)) start--;
    // A capital inside a word already read (`McDonald`) or behind a joiner (`Coca-Cola`) was seen with it.
    if (start < done) continue;
    let end = at;
    while (end < text.length) {
      if (isWordChar(text, end)) {
        end += text.charCodeAt(end) >= 0xd800 && text.charCodeAt(end) <= 0xdbff ? 2 : 1;
        continue;
      }
      const c = text.charCodeAt(end);
      if ((c === 0x27 || c === 0x2019 || c === 0x2d || c === 0x2e || c === 0x26) && end + 1 < text.length && isWordChar(text, end + 1)) {
        end++;
        continue;
      }
      break;
    }
    done = end;
    CAPITAL_OR_WIDE.lastIndex = end;
    const before = start > 0 ? text.charCodeAt(start - 1) : 0x20;
    const glued = before === 0x40 || before === 0x23 || before === 0x2e || before === 0x27 || before === 0x2019 || before === 0x2d || before === 0x5f;
    // Capitalised: a capital first, or lower-case letters then a capital (`iPhone`, `eBay`).
    let capitalised = isUpper(text, start);
    if (!capitalised) {
      let j = start;
      while (j < at && text.charCodeAt(j) >= 0x61 && text.charCodeAt(j) <= 0x7a) j++;
      capitalised = j === at && j > start;
    }
    if (glued || !capitalised) {
      if (run.length > 0) visit(run, runStart);
      run = [];
      continue;
    }
    // Joined to the run when only one space or tab lies between, and no lower-case word came between.
    const joined = run.length > 0 && run.length < MAX_NAME_WORDS && start === lastEnd + 1 && (text[lastEnd] === ' ' || text[lastEnd] === '\t');
    if (!joined) {
      if (run.length > 0) visit(run, runStart);
      run = [];
      runStart = start;
    }
    run.push(text.slice(start, end));
    lastEnd = end;
  }
  if (run.length > 0) visit(run, runStart);
}

/** Upper-case ASCII letters and anything outside ASCII: where a capitalised word can start. */
const CAPITAL_OR_WIDE = /[A-Z\u0080-\uffff]/g;

/** Whether `text` may hold a bare host name: a dot between a letter or digit and a known TLD. */
function mayHoldBareHost(text: string): boolean {
  for (let dot = text.indexOf('.'); dot > 0; dot = text.indexOf('.', dot + 1)) {
    let end = dot + 1;
    while (end < text.length && end - dot <= 7) {
      const c = text.charCodeAt(end);
      if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a))) break;
      end++;
    }
    if (end > dot + 1 && BARE_TLD_SET.has(text.slice(dot + 1, end).toLowerCase())) return true;
  }
  return false;
}

/** Words that open sentences; capitalised there, they are not part of a name that follows. */
const SENTENCE_OPENERS = new Set(
  (
    'the a an in on at for to from by with as if when while this that these those it its my our your their his her ' +
    'we you they he she there here what which who how why where and but or so also however overall today after ' +
    'before during since although because each every some many most all both no not one first finally next then ' +
    'additionally furthermore moreover meanwhile instead yes please thanks thank dear hi hello let don can isn ' +
    // Imperatives that open instructions ("Explain Joe Biden's plan"): never the first word of a name there.
    'explain describe summarise summarize write give list name tell compare create generate provide suggest find ' +
    'identify classify translate rewrite edit analyze analyse discuss outline define calculate convert design ' +
    'develop evaluate imagine predict rank rate recommend choose select sort make construct compose draft produce'
  ).split(' '),
);

/** Capitalised words that are not names even mid-sentence. */
const NOT_NAMES = new Set(['i', "i'm", "i've", "i'll", "i'd", 'ok', 'okay', 'a', 'an', 'the']);

/** A word without a trailing clitic (`it's` -> `it`, `don't` -> `don`), to look it up among the openers. */
function withoutClitic(word: string): string {
  const apostrophe = Math.max(word.lastIndexOf("'"), word.lastIndexOf('’'));
  return apostrophe > 0 ? word.slice(0, apostrophe) : word;
}

/** True when a word alone looks like a name wherever it stands: inner capitals, all capitals, digits, an apostrophe. */
function nameShaped(word: string): boolean {
  return /^\p{Lu}.*\p{Lu}/u.test(word) || /\p{Ll}\p{Lu}/u.test(word) || /\p{N}/u.test(word);
}

/** Whether position `index` of `text` starts a sentence (text start, after . ! ? : ; a line break, a bullet, a quote). */
function sentenceStart(text: string, index: number): boolean {
  let i = index - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t' || text[i] === '"' || text[i] === '“' || text[i] === "'" || text[i] === '(' || text[i] === '*' || text[i] === '-' || text[i] === '•')) i--;
  // A numbered list item: `1. Apple` starts a sentence.
  while (i >= 0 && text[i] === '.' && i > 0 && /\d/.test(text[i - 1]!)) {
    i--;
    while (i >= 0 && /\d/.test(text[i]!)) i--;
    while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
  }
  if (i < 0) return true;
  const c = text[i]!;
  return c === '.' || c === '!' || c === '?' || c === ':' || c === ';' || c === '\n' || c === '\r' || c === '>' || c === '|';
}

/** The key of an entity: lower case, curly apostrophes folded, a trailing possessive removed, bounded. */
export function entityKey(surface: string): string {
  return surface
    .toLowerCase()
    .replace(/’/g, "'")
    .replace(/'s$/, '')
    .slice(0, MAX_ENTITY_CHARS);
}

/** The words of an entity key that a prompt must mention for the entity to count as asked for. */
export function entityWords(key: string, kind: EntityKind): string[] {
  if (kind === 'domain') {
    const labels = key.split('.');
    return labels.slice(0, -1).filter((l) => l !== 'www' && l.length >= 3);
  }
  if (kind === 'email') return entityWords(key.slice(key.indexOf('@') + 1), 'domain').concat(key.slice(0, key.indexOf('@')));
  // Most keys are plain ASCII words: split them without the Unicode regex.
  const parts = /^[a-z0-9 ]*$/.test(key) ? key.split(' ') : key.split(/[^\p{L}\p{N}]+/u);
  const words = parts.filter((w) => w.length >= 3 || (w.length >= 2 && /\p{N}/u.test(w)));
  // A short name (`AI`, `EU`) is its own word.
  return words.length > 0 ? words : [key];
}

/** Whether lower-cased `text` has `word` (lower case) as a whole word, not inside a longer one. */
export function mentionsWord(text: string, word: string): boolean {
  for (let i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + 1)) {
    if ((i === 0 || !isWordChar(text, i - 1)) && (i + word.length >= text.length || !isWordChar(text, i + word.length))) return true;
  }
  return false;
}

/** Entities in `text`, each key once, in order of first mention (at most MAX_ENTITIES_PER_TEXT). */
export function findEntities(text: string): EntityMention[] {
  const window = text.length > MAX_ENTITY_TEXT_CHARS ? text.slice(0, MAX_ENTITY_TEXT_CHARS) : text;
  const out = new Map<string, EntityMention>();
  const add = (surface: string, kind: EntityKind): void => {
    if (out.size >= MAX_ENTITIES_PER_TEXT) return;
    const key = kind === 'name' ? entityKey(surface) : surface.toLowerCase().slice(0, MAX_ENTITY_CHARS);
    if (key.length < 2 || out.has(key)) return;
    out.set(key, { key, surface: surface.slice(0, MAX_ENTITY_CHARS), kind });
  };
  const hasDot = window.includes('.');
  // E-mail addresses first, so their domain is not counted a second time as a bare host.
  const emails = window.includes('@') ? [...window.matchAll(EMAIL)] : [];
  for (const m of emails) add(m[0], 'email');
  if (hasDot) {
    for (const m of window.includes('://') ? window.matchAll(URL_HOST) : []) add(m[1]!.replace(/\.$/, ''), 'domain');
    for (const m of mayHoldBareHost(window) ? window.matchAll(BARE_HOST) : []) {
      if (emails.some((e) => m.index >= e.index && m.index < e.index + e[0].length)) continue;
      add(m[1]!, 'domain');
    }
  }
  if (window.includes('@') || window.includes('#')) for (const m of window.matchAll(HANDLE)) add(`${m[1]}${m[2]}`, 'handle');
  capitalisedRuns(window, (run, index) => {
    let words = run;
    if (sentenceStart(window, index)) {
      // A capital at a sentence start is grammar: drop leading function words ("The", "In", "However"),
      // and keep what is left only if it is several words ("Joe Biden") or one name-shaped word ("NASA").
      while (words.length > 0 && SENTENCE_OPENERS.has(withoutClitic(words[0]!.toLowerCase()))) words = words.slice(1);
      if (words.length === 1 && !nameShaped(words[0]!)) return;
    }
    while (words.length > 0 && NOT_NAMES.has(words[0]!.toLowerCase())) words = words.slice(1);
    while (words.length > 0 && NOT_NAMES.has(words[words.length - 1]!.toLowerCase())) words = words.slice(0, -1);
    if (words.length > 0) add(words.join(' '), 'name');
  });
  return [...out.values()];
}
