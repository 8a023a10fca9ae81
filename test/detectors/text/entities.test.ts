import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entityWords, findEntities, MAX_ENTITIES_PER_TEXT } from '../../../src/detectors/text/entities.js';

const keys = (text: string): string[] => findEntities(text).map((e) => `${e.kind}:${e.key}`);

describe('findEntities', () => {
  it.each([
    ['a brand mid-sentence, possessive folded', "nothing beats a meal at McDonald's today", ['name:mcdonald']],
    ['a brand shaped like a name at a sentence start', "McDonald's is open.", ['name:mcdonald']],
    ['a two-word name at a sentence start', "Joe Biden's plan was debated.", ['name:joe biden']],
    ['a product with a lower-case start', 'I bought an iPhone yesterday', ['name:iphone']],
    ['an initialism and a versioned product', 'the NASA team used GPT-4 for it', ['name:nasa', 'name:gpt-4']],
    ['a URL host without www', 'see https://www.evil-shop.com/deal?x=1 now', ['domain:evil-shop.com']],
    ['a bare domain', 'visit shop.example.io for more', ['domain:shop.example.io']],
    ['an e-mail address (its domain not counted twice)', 'write to assist@gmail.com please', ['email:assist@gmail.com']],
    ['a handle and a hashtag', 'follow @brandbot and use #sale', ['handle:@brandbot', 'handle:#sale']],
  ])('finds %s', (_what, text, expected) => {
    expect(keys(text)).toEqual(expected);
  });

  it.each([
    ['sentence-initial grammar words', 'However, this works. Overall it is fine. The end.'],
    ['pronouns and contractions', "I think so. It's fine, and I'm sure. Let's go."],
    ['a numbered list of common words', '1. Mix the flour.\n2. Bake it.'],
    ['lower-case prose', 'the quick brown fox jumps over the lazy dog'],
    ['file names and code attributes are not domains', 'open file.txt and call os.path.join'],
  ])('finds nothing in %s', (_what, text) => {
    expect(keys(text)).toEqual([]);
  });

  it('keeps each key once, with its first surface', () => {
    expect(findEntities('Paris is big. I love Paris. PARIS!').filter((e) => e.key === 'paris').map((e) => e.surface)).toEqual(['Paris']);
  });

  it('returns at most MAX_ENTITIES_PER_TEXT entities', () => {
    const text = Array.from({ length: 200 }, (_, i) => `we met Person${i} there`).join('. ');
    expect(findEntities(text)).toHaveLength(MAX_ENTITIES_PER_TEXT);
  });

  it('entityWords: the words a prompt must share for the entity to count as asked for', () => {
    expect(entityWords('joe biden', 'name')).toEqual(['joe', 'biden']);
    expect(entityWords('ai', 'name')).toEqual(['ai']);
    expect(entityWords('shop.example.io', 'domain')).toEqual(['shop', 'example']);
    expect(entityWords('assist@gmail.com', 'email')).toEqual(['gmail', 'assist']);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
        for (const e of findEntities(text)) expect(e.key.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});
