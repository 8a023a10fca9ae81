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

/*
 * A capitalised word: an upper-case letter, then letters, digits, apostrophes, hyphens or a dot inside
 * (`St.` is cut at the dot, `U.S.` kept). Or a word with a capital after a lower-case letter (`iPhone`,
 * `eBay`). Runs of them separated by single spaces make one name.
 */
const WORD = String.raw`(?:\p{Lu}[\p{L}\p{M}\p{N}]*(?:['’\-.&][\p{L}\p{N}]+)*|\p{Ll}+\p{Lu}[\p{L}\p{N}]*)`;
const NAME = new RegExp(`(?<![\\p{L}\\p{N}_@#.'’-])${WORD}(?:[ \\t]${WORD}){0,${MAX_NAME_WORDS - 1}}(?![\\p{L}\\p{N}_])`, 'gu');

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
  const words = key.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length >= 3 || (w.length >= 2 && /\p{N}/u.test(w)));
  // A short name (`AI`, `EU`) is its own word.
  return words.length > 0 ? words : [key];
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
    for (const m of window.matchAll(URL_HOST)) add(m[1]!.replace(/\.$/, ''), 'domain');
    for (const m of window.matchAll(BARE_HOST)) {
      if (emails.some((e) => m.index >= e.index && m.index < e.index + e[0].length)) continue;
      add(m[1]!, 'domain');
    }
  }
  if (window.includes('@') || window.includes('#')) for (const m of window.matchAll(HANDLE)) add(`${m[1]}${m[2]}`, 'handle');
  for (const m of window.matchAll(NAME)) {
    let words = m[0].split(/[ \t]/);
    if (sentenceStart(window, m.index)) {
      // A capital at a sentence start is grammar: drop leading function words ("The", "In", "However"),
      // and keep what is left only if it is several words ("Joe Biden") or one name-shaped word ("NASA").
      while (words.length > 0 && SENTENCE_OPENERS.has(words[0]!.toLowerCase().replace(/['’]\p{L}+$/u, ''))) words = words.slice(1);
      if (words.length === 1 && !nameShaped(words[0]!)) continue;
    }
    while (words.length > 0 && NOT_NAMES.has(words[0]!.toLowerCase())) words = words.slice(1);
    while (words.length > 0 && NOT_NAMES.has(words[words.length - 1]!.toLowerCase())) words = words.slice(0, -1);
    if (words.length === 0) continue;
    add(words.join(' '), 'name');
  }
  return [...out.values()];
}
