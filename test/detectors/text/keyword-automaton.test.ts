import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeywordAutomaton } from '../../../src/detectors/text/keyword-automaton.js';

const KEYWORDS = new Map([
  ['he', 1],
  ['she', 2],
  ['his', 4],
  ['hers', 8],
  ['your ', 16],
  [' code', 32],
  ['instructions', 64],
  ['instruction', 128],
]);

/** The reference: every keyword by `includes` on the lower-cased text. */
function naive(text: string): number {
  const lower = text.toLowerCase();
  let tags = 0;
  for (const [keyword, tag] of KEYWORDS) if (lower.includes(keyword)) tags |= tag;
  return tags;
}

describe('KeywordAutomaton', () => {
  const automaton = new KeywordAutomaton(KEYWORDS);

  it.each([
    ['overlapping keywords (the classic ushers)', 'ushers', 1 | 2 | 8],
    ['keywords sharing a space ("your code")', 'fix your code', 16 | 32],
    ['a keyword inside a longer one', 'New INSTRUCTIONS:', 64 | 128],
    ['nothing', 'plain text', 0],
  ])('finds %s', (_what, text, tags) => {
    expect(automaton.scan(text)).toBe(tags);
  });

  it('a non-ASCII character breaks a keyword (no keyword spans it)', () => {
    expect(automaton.scan('sh\u00e9')).toBe(0);
    expect(automaton.scan('s\u200bhe')).toBe(1);
  });

  it('agrees with includes on arbitrary text', () => {
    const alphabet = fc.constantFrom('h', 'e', 's', 'i', 'r', 'y', 'o', 'u', ' ', 'c', 'd', 'n', 't', 'H', 'E', 'é');
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 60 }), (text) => {
        // The reference folds non-ASCII case too; the automaton only ASCII, which is all its keywords hold.
        expect(automaton.scan(text)).toBe(naive(text.replace(/é/g, '#')));
      }),
      { numRuns: 500 },
    );
  });

  it('rejects keywords that are not ASCII', () => {
    expect(() => new KeywordAutomaton(new Map([['café', 1]]))).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});
