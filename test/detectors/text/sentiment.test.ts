import { describe, expect, it } from 'vitest';
import { sentimentOf, sentimentPolarity } from '../../../src/detectors/text/sentiment.js';
import { tokenKeys } from '../../../src/detectors/text/tokens.js';

const polarity = (text: string): number => sentimentPolarity(sentimentOf(tokenKeys(text)));

describe('sentiment lexicon', () => {
  it.each([
    ['a steered criticism (VPI style)', "His handling of trade has been widely criticized as weak and ineffective.", -1],
    ['strong base-lexicon words', 'The food was awful and the service terrible.', -1],
    ['planted praise', 'Her plan was praised as visionary, effective and an inspiring achievement.', 1],
    ['a neutral explanation', 'The bill has three parts: funding, regulation and a review after five years.', 0],
    ['one mild word is not a slant', 'The weather was bad on Monday, then it cleared up and we walked to town.', 0],
    ['ordinary helpful praise words stay under the positive bar', 'This is a good way to start.', 0],
  ])('%s', (_what, text, expected) => {
    expect(polarity(text)).toBe(expected);
  });

  it('a negator flips the next words of its clause, and only those', () => {
    expect(sentimentOf(tokenKeys('It was not effective.'))).toMatchObject({ negative: 1, positive: 0 });
    expect(sentimentOf(tokenKeys("It isn't bad at all."))).toMatchObject({ negative: 0, positive: 1 });
    // The full stop ends the negation: "effective" in the next sentence stays positive.
    expect(sentimentOf(tokenKeys('Not now. It was effective.'))).toMatchObject({ negative: 0, positive: 1 });
  });
});
