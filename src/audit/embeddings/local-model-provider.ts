import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AntidoteError, errorMessage } from '../../core/errors.js';
import type { EmbeddingProvider } from './provider.js';
import { MAX_TOKENIZER_BYTES, parseWordPieceTokenizer, type WordPieceTokenizer } from './wordpiece-tokenizer.js';

/*
 * A sentence-embedding model in a local folder, laid out as Hugging Face exports it for ONNX
 * (transformers.js / optimum): `model.onnx` (or `onnx/model.onnx`) and `tokenizer.json`. The model runs
 * in onnxruntime-node on the CPU; texts are tokenised here (wordpiece-tokenizer.ts), the token vectors
 * (`last_hidden_state`) are averaged over the attention mask (mean pooling, as sentence-transformers
 * does for MiniLM, BGE, E5 and GTE), or a pooled `sentence_embedding` output is used as it is.
 *
 * The folder is read only because the user named it as their own model (`--embeddings ./folder`):
 * antidote loads no model it was not told to, and downloads nothing. onnxruntime-node is an optional
 * dependency, imported only here and only then.
 */

/** Largest model file loaded; BERT-base is 440 MB, small embedding models 20-130 MB. */
export const MAX_MODEL_BYTES = 2 * 1024 * 1024 * 1024;
const MODEL_FILES = ['model.onnx', join('onnx', 'model.onnx')];
/** Texts per inference call: padding to the longest text wastes less in small batches. */
const INFERENCE_BATCH = 16;

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;

/** A local model folder as a provider. */
export function localModelProvider(folder: string): EmbeddingProvider {
  let loading: Promise<{ ort: Ort; session: Session; tokenizer: WordPieceTokenizer }> | undefined;
  const load = (): Promise<{ ort: Ort; session: Session; tokenizer: WordPieceTokenizer }> => (loading ??= open(folder));

  return {
    name: `local model ${folder}`,
    check: async () => {
      const { session, tokenizer, ort } = await load();
      await run(ort, session, tokenizer, ['antidote embedding check'], folder);
    },
    embed: async (texts) => {
      const { ort, session, tokenizer } = await load();
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += INFERENCE_BATCH) out.push(...(await run(ort, session, tokenizer, texts.slice(i, i + INFERENCE_BATCH), folder)));
      return out;
    },
    close: async () => {
      if (!loading) return;
      const { session } = await loading;
      // The next dataset of the same run loads the model again rather than use a released session.
      loading = undefined;
      await session.release();
    },
  };
}

async function open(folder: string): Promise<{ ort: Ort; session: Session; tokenizer: WordPieceTokenizer }> {
  const fail = (message: string, cause?: unknown): never => {
    throw new AntidoteError('INPUT_UNREADABLE', `--embeddings ${folder}: ${message}`, { cause });
  };
  let modelPath: string | undefined;
  for (const name of MODEL_FILES) {
    const info = await stat(join(folder, name)).catch(() => undefined);
    if (info?.isFile()) {
      if (info.size > MAX_MODEL_BYTES) fail(`${name} is ${info.size} bytes, more than ${MAX_MODEL_BYTES}`);
      modelPath = join(folder, name);
      break;
    }
  }
  if (!modelPath) return fail(`no ${MODEL_FILES.join(' or ')} in the folder (export the model to ONNX first)`);
  const tokenizerPath = join(folder, 'tokenizer.json');
  const tokenizerInfo = await stat(tokenizerPath).catch(() => undefined);
  if (!tokenizerInfo?.isFile()) return fail('no tokenizer.json in the folder');
  if (tokenizerInfo.size > MAX_TOKENIZER_BYTES) fail(`tokenizer.json is ${tokenizerInfo.size} bytes, more than ${MAX_TOKENIZER_BYTES}`);
  const tokenizer = parseWordPieceTokenizer(await readFile(tokenizerPath, 'utf8'), tokenizerPath);

  let ort: Ort;
  try {
    ort = await import('onnxruntime-node');
  } catch (error) {
    return fail(`onnxruntime-node is not installed (an optional dependency of antidote; npm install onnxruntime-node): ${errorMessage(error)}`, error);
  }
  let session: Session;
  try {
    session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  } catch (error) {
    return fail(`onnxruntime could not load ${modelPath}: ${errorMessage(error)}`, error);
  }
  if (!session.inputNames.includes('input_ids')) fail(`the model has no input_ids input (inputs: ${session.inputNames.join(', ')})`);
  return { ort, session, tokenizer };
}

/** Embed one batch: pad to the longest text, run, pool, normalise. */
async function run(ort: Ort, session: Session, tokenizer: WordPieceTokenizer, texts: readonly string[], folder: string): Promise<Float32Array[]> {
  const encoded = texts.map((t) => tokenizer.encode(t));
  const batch = encoded.length;
  const length = Math.max(1, ...encoded.map((e) => e.length));
  const ids = new BigInt64Array(batch * length).fill(BigInt(tokenizer.padId));
  const mask = new BigInt64Array(batch * length);
  encoded.forEach((e, b) =>
    e.forEach((id, t) => {
      ids[b * length + t] = BigInt(id);
      mask[b * length + t] = 1n;
    }),
  );
  const feeds: Record<string, import('onnxruntime-node').Tensor> = { input_ids: new ort.Tensor('int64', ids, [batch, length]) };
  if (session.inputNames.includes('attention_mask')) feeds.attention_mask = new ort.Tensor('int64', mask, [batch, length]);
  if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(batch * length), [batch, length]);
  let outputs: Awaited<ReturnType<Session['run']>>;
  try {
    outputs = await session.run(feeds);
  } catch (error) {
    throw new AntidoteError('INPUT_UNREADABLE', `--embeddings ${folder}: inference failed: ${errorMessage(error)}`, { cause: error });
  }
  const name = ['sentence_embedding', 'last_hidden_state', 'token_embeddings'].find((n) => outputs[n]) ?? session.outputNames[0]!;
  const output = outputs[name]!;
  const data = output.data;
  if (!(data instanceof Float32Array)) throw new AntidoteError('INPUT_UNREADABLE', `--embeddings ${folder}: output ${name} is ${output.type}, not float32`);
  const dims = output.dims.map(Number);
  if (dims.length === 2 && dims[0] === batch) {
    const hidden = dims[1]!;
    return encoded.map((_, b) => data.slice(b * hidden, (b + 1) * hidden));
  }
  if (dims.length !== 3 || dims[0] !== batch || dims[1] !== length) {
    throw new AntidoteError('INPUT_UNREADABLE', `--embeddings ${folder}: output ${name} has shape [${dims.join(', ')}], expected [${batch}, ${length}, hidden]`);
  }
  const hidden = dims[2]!;
  return encoded.map((e, b) => {
    const vector = new Float32Array(hidden);
    for (let t = 0; t < e.length; t++) for (let h = 0; h < hidden; h++) vector[h]! += data[(b * length + t) * hidden + h]!;
    for (let h = 0; h < hidden; h++) vector[h]! /= Math.max(1, e.length);
    return vector;
  });
}
