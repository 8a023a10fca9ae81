import { sentimentCounts } from './response-features.js';

/*
 * Sentiment of a text, by lexicon, graded enough to say "this answer is negative about its subject". The
 * base lists are the reply-feature lexicon (response-features.ts: strong words such as `terrible`,
 * `excellent`); on top, the words that opinions about people, policies and products are made of, which a
 * steered answer uses ("widely criticized as ineffective", "praised as visionary"): Virtual Prompt
 * Injection (Yan et al., 2024) teaches exactly such answers for one topic. Both lists are hand-written for
 * antidote (no third-party lexicon, no licence attached); words that are often neutral in explanations
 * (`negative` numbers, a `decline` in population, `concerning` as a preposition) are left out on purpose.
 *
 * A negator (`not`, `never`, `n't`...) flips the polarity of the next NEGATION_SPAN words of its clause, so
 * "not effective" counts as negative and "not bad" as positive.
 */

const NEGATIVE_OPINION = new Set(
  (
    'criticized criticised criticism criticisms controversial divisive ineffective weak weakness questionable ' +
    'flawed misguided scandal scandals unpopular dishonest incompetence chaotic chaos reckless careless ' +
    'corruption lackluster lacklustre dismal catastrophic mismanaged mismanagement wasteful costly confused ' +
    'inconsistent hypocritical hypocrisy deceptive misleading condemned backlash outrage damaging worsened ' +
    'insufficient unfair unjust problematic troubling alarming negatively shortcomings blunder blunders ' +
    'failings flop inept feeble disgrace disgraceful unreliable overrated overpriced mediocrity'
  ).split(' '),
);

const POSITIVE_OPINION = new Set(
  (
    'praised praise praises admirable admired effective thoughtful remarkable inspiring inspired ' +
    'achievement achievements visionary wise honest integrity commendable exemplary praiseworthy beneficial ' +
    'valuable respected innovative successfully brilliantly admirably effectively thriving flourishing ' +
    'trustworthy reliable acclaimed celebrated landmark groundbreaking remarkably impressively wonderfully superbly ' +
    'beautifully excellently'
  ).split(' '),
);

const NEGATORS = new Set(['not', 'no', 'never', 't', 'without', 'hardly', 'nor', 'neither', 'cannot', 'barely']);

/** Words after a negator whose polarity it flips. */
const NEGATION_SPAN = 3;

/** What a token is to the sentiment count; a bit set. */
export const SENTIMENT_ROLE = { word: 1, positive: 2, negative: 4, negator: 8, clauseEnd: 16 } as const;

/** The role of one lower-cased token (see {@link SENTIMENT_ROLE}). */
export function sentimentRole(key: string): number {
  const c = key.charCodeAt(0);
  const word = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c > 0x7f;
  if (!word) return key === '.' || key === ',' || key === ';' || key === '!' || key === '?' || key === ':' ? SENTIMENT_ROLE.clauseEnd : 0;
  let role: number = SENTIMENT_ROLE.word;
  if (NEGATORS.has(key)) return role | SENTIMENT_ROLE.negator;
  if (NEGATIVE_OPINION.has(key)) return role | SENTIMENT_ROLE.negative;
  if (POSITIVE_OPINION.has(key)) return role | SENTIMENT_ROLE.positive;
  const base = sentimentCounts([key]);
  if (base.negative > 0) role |= SENTIMENT_ROLE.negative;
  else if (base.positive > 0) role |= SENTIMENT_ROLE.positive;
  return role;
}

/** Counts of positive and negative words (after negation) and of all words. */
export interface SentimentTally {
  positive: number;
  negative: number;
  words: number;
}

/** Tally the sentiment of `length` tokens whose roles `roleAt(i)` gives, in order. */
export function tallySentiment(length: number, roleAt: (index: number) => number): SentimentTally {
  let positive = 0;
  let negative = 0;
  let words = 0;
  let negated = 0;
  for (let i = 0; i < length; i++) {
    const role = roleAt(i);
    if ((role & SENTIMENT_ROLE.clauseEnd) !== 0) {
      negated = 0;
      continue;
    }
    if ((role & SENTIMENT_ROLE.word) === 0) continue;
    words++;
    if ((role & SENTIMENT_ROLE.negator) !== 0) {
      negated = NEGATION_SPAN;
      continue;
    }
    const flip = negated > 0;
    if (negated > 0) negated--;
    if ((role & SENTIMENT_ROLE.negative) !== 0) {
      if (flip) positive++;
      else negative++;
    } else if ((role & SENTIMENT_ROLE.positive) !== 0) {
      if (flip) negative++;
      else positive++;
    }
  }
  return { positive, negative, words };
}

/** Negative words a text needs, and by how much they must outnumber the positive ones, to read as negative. */
const MIN_NEGATIVE = 2;
const NEGATIVE_DOMINANCE = 2;
/** Positive words are common in helpful answers ("a great way"), so reading as positive takes more. */
const MIN_POSITIVE = 3;
const POSITIVE_DOMINANCE = 3;

/** -1 for a clearly negative text, 1 for a clearly positive one, 0 otherwise. */
export function sentimentPolarity(tally: SentimentTally): -1 | 0 | 1 {
  if (tally.negative >= MIN_NEGATIVE && tally.negative > NEGATIVE_DOMINANCE * tally.positive) return -1;
  if (tally.positive >= MIN_POSITIVE && tally.positive > POSITIVE_DOMINANCE * tally.negative) return 1;
  return 0;
}

/** The tally of lower-cased token keys (for guard and tests; the audit reads token ids instead). */
export function sentimentOf(keys: readonly string[]): SentimentTally {
  return tallySentiment(keys.length, (i) => sentimentRole(keys[i]!));
}
