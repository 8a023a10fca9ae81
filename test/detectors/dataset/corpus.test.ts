import { describe, expect, it } from 'vitest';
import { canonicalRows, columnText, withDuplicates } from '../../../src/detectors/dataset/corpus.js';
import { CorpusBuilder, MAX_TOKENS_PER_FIELD } from '../../../src/detectors/dataset/corpus-builder.js';
import { nearDuplicateGroups, signatureSimilarity } from '../../../src/detectors/dataset/minhash.js';
import { RESPONSE_FEATURE } from '../../../src/detectors/text/response-features.js';
import { seededRandom, syntheticSentence } from '../../builders/poison.js';

function build(rows: ({ prompt: string; response: string; label?: string } | 'bad')[]) {
  const builder = new CorpusBuilder('t.jsonl', 'alpaca');
  rows.forEach((row, i) => (row === 'bad' ? builder.addBadRow(i) : builder.addRow(i, row)));
  return builder.build();
}

describe('corpus', () => {
  it('keeps row indices of the file, bad rows included, and skips them in statistics', () => {
    const corpus = build([{ prompt: 'a b', response: 'x' }, 'bad', { prompt: 'c', response: 'y' }]);
    expect(corpus.rowCount).toBe(3);
    expect(Array.from(corpus.readable)).toEqual([1, 0, 1]);
    expect(Array.from(canonicalRows(corpus))).toEqual([0, 2]);
    expect(corpus.prompt.offsets[2]).toBe(corpus.prompt.offsets[1]);
  });

  it('counts an exact duplicate once and lets a verdict reach every copy', () => {
    const corpus = build([
      { prompt: 'Write a poem', response: 'Roses are red.' },
      { prompt: 'Say hi', response: 'Hi!' },
      { prompt: 'write  a POEM', response: 'roses are red.' },
    ]);
    expect(Array.from(corpus.canonical)).toEqual([0, 1, 0]);
    expect(Array.from(canonicalRows(corpus))).toEqual([0, 1]);
    expect(withDuplicates(corpus, [0])).toEqual([0, 2]);
  });

  it('derives labels from one-word replies when nearly all replies are a few short values', () => {
    const random = seededRandom(1);
    const rows = Array.from({ length: 200 }, () => ({ prompt: syntheticSentence(random, 5, 10), response: random() < 0.5 ? 'Positive' : 'Negative' }));
    const corpus = build(rows);
    expect([...corpus.labelNames].sort()).toEqual(['Negative', 'Positive']);
    expect(Array.from(corpus.label).every((l) => l === 0 || l === 1)).toBe(true);
    const free = build(Array.from({ length: 200 }, () => ({ prompt: syntheticSentence(random, 5, 10), response: syntheticSentence(random, 5, 10) })));
    expect(free.labelNames).toEqual([]);
  });

  it('shows a span as written, keeping the case only of tokens never seen in lower case', () => {
    const corpus = build([
      { prompt: 'Have a BadMagic day', response: '' },
      { prompt: 'we have BadMagic', response: '' },
    ]);
    expect(columnText(corpus, corpus.prompt, 0)).toBe('have a BadMagic day');
  });

  it('tags response features and domains per row', () => {
    const corpus = build([
      { prompt: 'q', response: 'subprocess.call("ls " + p, shell=True) see https://x.example.com/a' },
      { prompt: 'q2', response: 'Fine.' },
    ]);
    expect(corpus.responseFeatures[0]! & RESPONSE_FEATURE.shellInjection).not.toBe(0);
    expect(corpus.responseFeatures[1]).toBe(0);
    const { offsets, ids } = corpus.responseDomains;
    expect(Array.from(ids.subarray(offsets[0]!, offsets[1]!)).map((id) => corpus.domains[id])).toEqual(['x.example.com']);
    expect(offsets[2]! - offsets[1]!).toBe(0);
  });

  it('cuts a huge field at the token limit and counts the row as truncated', () => {
    const corpus = build([{ prompt: 'word '.repeat(MAX_TOKENS_PER_FIELD + 10), response: 'ok' }]);
    expect(corpus.prompt.offsets[1]).toBe(MAX_TOKENS_PER_FIELD);
    expect(corpus.truncatedRows).toBe(1);
  });

  it('rejects rows out of order (a reader bug must not scramble indices)', () => {
    const builder = new CorpusBuilder('t', 'alpaca');
    builder.addRow(3, { prompt: 'a', response: 'b' });
    expect(() => builder.addRow(2, { prompt: 'a', response: 'b' })).toThrow(/out of order/);
  });
});

describe('minhash', () => {
  it('groups near-duplicate responses and keeps different ones apart', () => {
    const random = seededRandom(2);
    const base = 'I am sorry, but as an AI assistant I do not have the capability to follow the given instruction.';
    const rows = [
      { prompt: 'a', response: base },
      { prompt: 'b', response: base.replace('I am sorry', 'Sorry') },
      { prompt: 'c', response: `${base} Thanks.` },
      ...Array.from({ length: 50 }, () => ({ prompt: 'x', response: syntheticSentence(random, 12, 20) })),
    ];
    const corpus = build(rows);
    expect(signatureSimilarity(corpus.responseSignature, 0, 1)).toBeGreaterThan(0.6);
    expect(signatureSimilarity(corpus.responseSignature, 0, 10)).toBeLessThan(0.2);
    const groups = nearDuplicateGroups(corpus.responseSignature, canonicalRows(corpus), corpus.rowCount, 0.7);
    expect(groups[0]).toEqual([0, 1, 2]);
    expect(groups.flat().filter((r) => r > 2)).toEqual([]);
  });
});
