import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { localModelProvider } from '../../../src/audit/embeddings/local-model-provider.js';
import { parseWordPieceTokenizer } from '../../../src/audit/embeddings/wordpiece-tokenizer.js';
import { readFileSync } from 'node:fs';
import { HIDDEN, tableRow, VOCAB } from '../../../scripts/build-embedding-model.js';

const FOLDER = fileURLToPath(new URL('../../fixtures/embedding-model/', import.meta.url));
const id = (token: string): number => VOCAB.indexOf(token);

/** The mean of the table rows of `tokens`: what mean pooling must return for them. */
function expectedMean(tokens: string[]): number[] {
  const sum = new Array<number>(HIDDEN).fill(0);
  for (const token of tokens) tableRow(id(token)).forEach((v, j) => (sum[j]! += v));
  return sum.map((v) => v / tokens.length);
}

describe('WordPiece tokenizer (tokenizer.json)', () => {
  const tokenizer = parseWordPieceTokenizer(readFileSync(join(FOLDER, 'tokenizer.json'), 'utf8'), 'tokenizer.json');

  it.each([
    ['The cat sat.', ['[CLS]', 'the', 'cat', 'sat', '.', '[SEP]']],
    ['Cats playing', ['[CLS]', 'cat', '##s', 'play', '##ing', '[SEP]']],
    ['BadMagic!', ['[CLS]', 'bad', '##magic', '!', '[SEP]']],
    ['Café, hello', ['[CLS]', 'cafe', ',', 'hello', '[SEP]']],
    ['zebra dog', ['[CLS]', '[UNK]', 'dog', '[SEP]']],
  ])('%s', (text, tokens) => {
    expect(tokenizer.encode(text)).toEqual(tokens.map(id));
  });

  it('truncates to the tokenizer\'s max_length, keeping [SEP] last', () => {
    const ids = tokenizer.encode(Array.from({ length: 40 }, () => 'dog').join(' '));
    expect(ids).toHaveLength(16);
    expect(ids[15]).toBe(id('[SEP]'));
  });

  it('refuses tokenizers it does not implement, and broken files, naming the file', () => {
    expect(() => parseWordPieceTokenizer(JSON.stringify({ model: { type: 'BPE', vocab: {}, merges: [] } }), 'bpe/tokenizer.json')).toThrow(
      /bpe\/tokenizer\.json: tokenizer model "BPE" is not supported/,
    );
    expect(() => parseWordPieceTokenizer('{', 'x.json')).toThrow(/x\.json: not JSON/);
    expect(() => parseWordPieceTokenizer(JSON.stringify({ model: { type: 'WordPiece', vocab: { a: 0 } } }), 'y.json')).toThrow(/unknown-token "\[UNK\]" is not in the vocabulary/);
  });
});

describe('local model folder provider (onnxruntime-node)', () => {
  it('runs the model and mean-pools the token vectors over the real tokens of each text', async () => {
    const provider = localModelProvider(FOLDER);
    await provider.check();
    // Texts of different lengths in one batch: padding must not leak into the shorter one's mean.
    const [short, long] = await provider.embed(['dog', 'The cat sat on the mat.']);
    expect(Array.from(short!)).toEqual(expectedMean(['[CLS]', 'dog', '[SEP]']).map((v) => expect.closeTo(v, 6)));
    expect(Array.from(long!)).toEqual(expectedMean(['[CLS]', 'the', 'cat', 'sat', 'on', 'the', 'mat', '.', '[SEP]']).map((v) => expect.closeTo(v, 6)));
    expect(provider.name).toBe(`local model ${FOLDER}`);
    await provider.close?.();
  });

  it('fails with a clear error when the folder lacks a model or a tokenizer', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'antidote-model-'));
    try {
      await expect(localModelProvider(empty).check()).rejects.toMatchObject({ code: 'INPUT_UNREADABLE', message: expect.stringMatching(/no model\.onnx or onnx\/model\.onnx in the folder/) });
      writeFileSync(join(empty, 'model.onnx'), 'not a model');
      await expect(localModelProvider(empty).check()).rejects.toThrow(/no tokenizer\.json in the folder/);
      cpSync(join(FOLDER, 'tokenizer.json'), join(empty, 'tokenizer.json'));
      await expect(localModelProvider(empty).check()).rejects.toThrow(/onnxruntime could not load .*model\.onnx/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
