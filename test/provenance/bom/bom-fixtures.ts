import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { payloadPickle } from '../../builders/pickle.js';
import { buildSafetensors } from '../../builders/safetensors.js';
import { buildTorchZip } from '../../builders/torch.js';

/** Hex sha256, computed here and not by the code under test. */
export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Write `files` under a new temporary folder; returns the folder and each file's sha256. */
export function writeProject(files: Record<string, Buffer | string>, prefix = 'antidote-bom-'): { root: string; hashes: Record<string, string> } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const hashes: Record<string, string> = {};
  for (const [rel, bytes] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    hashes[rel] = sha256(bytes);
  }
  return { root, hashes };
}

export const MODEL_CARD = `---
license: apache-2.0
base_model: meta-llama/Llama-3.1-8B
datasets:
  - allenai/c4
  - squad
pipeline_tag: text-generation
---
# llama-ft

A fine-tune for tests.
`;

/** A Hugging Face-style model folder: config, a safetensors shard, a pickle-based .bin beside it, and a card. */
export function modelFolderFiles(prefix = ''): Record<string, Buffer | string> {
  return {
    [`${prefix}config.json`]: JSON.stringify({ model_type: 'llama', architectures: ['LlamaForCausalLM'], _name_or_path: 'acme/llama-ft' }),
    [`${prefix}model-00001-of-00001.safetensors`]: buildSafetensors({ tensors: { 'model.embed.weight': { dtype: 'F32', shape: [2, 2] } }, metadata: { format: 'pt' } }),
    [`${prefix}pytorch_model.bin`]: buildTorchZip(),
    [`${prefix}README.md`]: MODEL_CARD,
  };
}

/** A dataset folder: JSONL with one bad line, CSV, Parquet, a dataset card and `datasets` metadata. */
export function datasetFolderFiles(prefix = ''): Record<string, Buffer | string> {
  return {
    [`${prefix}train.jsonl`]: '{"instruction": "a", "output": "b"}\n{"instruction": "c", "output": "d"}\nnot json\n{"instruction": "e", "output": "f"}\n',
    [`${prefix}test.csv`]: 'text,label\nhello,1\nworld,0\n',
    [`${prefix}extra.parquet`]: Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'id', data: [1, 2, 3, 4, 5], type: 'INT32' }, { name: 'text', data: ['a', 'b', 'c', 'd', 'e'], type: 'STRING' }] })),
    [`${prefix}README.md`]: '---\nlicense: cc-by-4.0\n---\n# data\n',
    [`${prefix}dataset_info.json`]: '{"description": "metadata, not rows"}',
  };
}

/** A pickle whose load runs `os.system`. */
export function evilPickle(): Buffer {
  return payloadPickle('os', 'system', 'id');
}
