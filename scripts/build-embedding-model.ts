/*
 * Builds test/fixtures/embedding-model/: a tiny sentence-embedding model folder in the layout Hugging Face
 * exports (model.onnx + tokenizer.json + config.json), for the tests of the local-model provider
 * (src/audit/embeddings/local-model-provider.ts). The "model" is one Gather: token id -> an 8-float row of
 * a fixed table, so its output (last_hidden_state) is known exactly and the test can check the provider's
 * tokenisation and mean pooling against sums worked out by hand. Deterministic: running it again writes
 * the same bytes (the README records their sha256).
 *
 *   npx tsx scripts/build-embedding-model.ts
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pb } from '../test/builders/protobuf.js';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '../test/fixtures/embedding-model');
/** Hidden size of the tiny model. */
export const HIDDEN = 8;
/** The vocabulary: BERT's special tokens, a few words, and continuation pieces. */
export const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'the', 'cat', 'sat', 'on', 'mat', 'dog', 'ran', 'bad', '##magic', '##s', '.', ',', '!', 'hello', 'world', 'cafe', 'play', '##ing'];

/** Row `id` of the embedding table: fixed values, exactly representable in float32. */
export function tableRow(id: number): number[] {
  return Array.from({ length: HIDDEN }, (_, j) => Math.fround(((id * 7 + j * 3) % 11) / 8 - 0.5));
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]): Buffer {
  const shape = pb.message(2, dims.map((d) => pb.message(1, [typeof d === 'number' ? pb.varint(1, d) : pb.bytes(2, d)])));
  return Buffer.concat([pb.bytes(1, name), pb.message(2, [pb.message(1, [pb.varint(1, elemType), shape])])]);
}

function model(): Buffer {
  const table = Buffer.alloc(VOCAB.length * HIDDEN * 4);
  VOCAB.forEach((_, id) => tableRow(id).forEach((v, j) => table.writeFloatLE(v, (id * HIDDEN + j) * 4)));
  // TensorProto{dims=1, data_type=2 (FLOAT=1), name=8, raw_data=9}
  const initializer = Buffer.concat([pb.varint(1, VOCAB.length), pb.varint(1, HIDDEN), pb.varint(2, 1), pb.bytes(8, 'embeddings'), pb.bytes(9, table)]);
  // NodeProto{input=1, output=2, name=3, op_type=4, attribute=5 {name=1, i=3, type=20 (INT=2)}}
  const gather = Buffer.concat([pb.bytes(1, 'embeddings'), pb.bytes(1, 'input_ids'), pb.bytes(2, 'last_hidden_state'), pb.bytes(3, 'lookup'), pb.bytes(4, 'Gather'), pb.message(5, [pb.bytes(1, 'axis'), pb.varint(3, 0), pb.varint(20, 2)])]);
  // GraphProto{node=1, name=2, initializer=5, input=11, output=12}; INT64 = 7, FLOAT = 1.
  const graph = Buffer.concat([
    pb.message(1, [gather]),
    pb.bytes(2, 'tiny-embedding'),
    pb.message(5, [initializer]),
    pb.message(11, [valueInfo('input_ids', 7, ['batch', 'sequence'])]),
    pb.message(11, [valueInfo('attention_mask', 7, ['batch', 'sequence'])]),
    pb.message(12, [valueInfo('last_hidden_state', 1, ['batch', 'sequence', HIDDEN])]),
  ]);
  // ModelProto{ir_version=1, producer_name=2, producer_version=3, graph=7, opset_import=8 {version=2}}
  return Buffer.concat([pb.varint(1, 8), pb.bytes(2, 'antidote scripts/build-embedding-model.ts'), pb.bytes(3, '1'), pb.message(7, [graph]), pb.message(8, [pb.varint(2, 13)])]);
}

function tokenizer(): string {
  const vocab = Object.fromEntries(VOCAB.map((token, id) => [token, id]));
  return `${JSON.stringify(
    {
      version: '1.0',
      truncation: { max_length: 16 },
      padding: null,
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
        special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
      },
      model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
    },
    null,
    2,
  )}\n`;
}

const files: Record<string, Buffer> = {
  'model.onnx': model(),
  'tokenizer.json': Buffer.from(tokenizer()),
  'config.json': Buffer.from(`${JSON.stringify({ model_type: 'bert', hidden_size: HIDDEN, vocab_size: VOCAB.length }, null, 2)}\n`),
};
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [name, bytes] of Object.entries(files)) {
    writeFileSync(join(OUT, name), bytes);
    console.log(`${createHash('sha256').update(bytes).digest('hex')}  ${name} (${bytes.length} bytes)`);
  }
}
