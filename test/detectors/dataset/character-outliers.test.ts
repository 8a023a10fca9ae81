import { describe, expect, it } from 'vitest';
import characterOutliers from '../../../src/detectors/dataset/character-outliers.js';
import { syntheticAlpaca, type AlpacaRow } from '../../builders/poison.js';
import { auditRows, flaggedRows } from '../../builders/public-data.js';

const only = [characterOutliers];

/** 500 clean rows with `edits` applied to the instructions of the given rows. */
function withEdits(edits: Record<number, (text: string) => string>): AlpacaRow[] {
  return syntheticAlpaca(500, 12).map((row, i) => (edits[i] ? { ...row, instruction: edits[i]!(row.instruction) } : row));
}

describe('dataset/character-outliers', () => {
  it.each([
    ['a zero-width space inside a word', (t: string) => `${t} Bad\u200bMagic`],
    ['a zero-width joiner inside a word', (t: string) => `cf\u200dx ${t}`],
    ['a right-to-left override anywhere', (t: string) => `${t} \u202egnp.exe`],
    ['Unicode tag characters (ASCII smuggling)', (t: string) => `${t} \u{E0049}\u{E0067}\u{E006E}`],
  ])('flags %s', async (_name, edit) => {
    const audit = await auditRows(withEdits({ 37: edit }), only);
    expect(flaggedRows(audit)).toEqual([37]);
    expect(audit.findings).toEqual([expect.objectContaining({ messageId: 'invisible', location: expect.objectContaining({ row: 37 }) })]);
  });

  it('flags a word that mixes Latin letters with a Cyrillic look-alike (homoglyph)', async () => {
    const audit = await auditRows(withEdits({ 5: (t) => `${t} Log in at p\u0430ypal now.` }), only);
    expect(flaggedRows(audit)).toEqual([5]);
    expect(audit.findings[0]).toMatchObject({ messageId: 'homoglyph' });
  });

  it('reports rows made mostly of symbols or of foreign characters, by robust z-score, below the flag threshold', async () => {
    const audit = await auditRows(
      withEdits({
        60: () => '}]{[ ))(( ==> <== ;;; ::: ### $$$ %%% ^^^ &&& *** ||| ~~~ ``` @@@ !!! ??? >>> <<<',
        61: () => '请用一句话概括这篇文章的主要内容并给出三个关键词以及你的理由',
      }),
      only,
    );
    // A share outlier is a row to review, not poison: reported with its reason, not quarantined by default.
    expect(flaggedRows(audit)).toEqual([]);
    expect(audit.rows.map((r) => r.row)).toEqual([60, 61]);
    expect(audit.rows.every((r) => r.score > 0.25 && r.score < 0.5)).toBe(true);
    expect(audit.findings.map((f) => [f.messageId, /(symbol|non-ASCII) characters/.exec(f.message)?.[1]])).toEqual([
      ['share', 'symbol'],
      ['share', 'non-ASCII'],
    ]);
  });

  it.each([
    ['an emoji ZWJ sequence between words', (t: string) => `${t} Family trip \u{1F468}\u200d\u{1F469}\u200d\u{1F467} today.`],
    ['a formula with a Greek letter', (t: string) => `${t} Use A=\u03c0r2 for the area.`],
    ['an accented word', (t: string) => `${t} The café was crowded.`],
    ['a sentence of another language among others of it', (t: string) => `${t} Der Fuchs läuft schnell.`],
  ])('leaves alone %s', async (_name, edit) => {
    const audit = await auditRows(withEdits({ 20: edit }), only);
    expect(audit.rows).toEqual([]);
  });

  it('stays quiet on 5,000 varied rows', async () => {
    expect((await auditRows(syntheticAlpaca(5000, 13), only)).rows).toEqual([]);
  });
});
