import { buildSafetensors } from '../test/builders/safetensors.js';
import { buildGguf, vocabulary } from '../test/builders/gguf.js';
import { buildOnnx } from '../test/builders/protobuf.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildNpy } from '../test/builders/npy.js';
import { payloadPickle } from '../test/builders/pickle.js';
import { buildTorchZip, stateDictPickle } from '../test/builders/torch.js';
import { PickleStreamWriter } from './pickle-stream-writer.js';
import { memberOf, writeStoredZip64, type StoredMember } from './stored-zip-writer.js';
import { WeightStream } from './weight-stream.js';

/*
 * The benchmark inputs, generated deterministically into bench/out/ and reused on later runs. Each input is
 * recorded in bench/out/inputs.json with its generator version and size: a file is reused only when both
 * match, so a changed generator or a run killed halfway regenerates it (files are written under a temporary
 * name and renamed when complete).
 */

/** Bump when a generator changes the bytes it writes. */
const GENERATOR_VERSION = 1;

const GIB = 1024 * 1024 * 1024;
const MIB = 1024 * 1024;
/** Data handed to write(2) at a time while generating; bounds the generator's memory. */
const WRITE_CHUNK = 8 * MIB;

/** Tensors in the big checkpoint (a mid-size transformer has a few hundred). */
export const CHECKPOINT_TENSORS = 200;
/** float32 elements per tensor so that all storages together fill 2 GiB. */
const CHECKPOINT_NUMEL = Math.floor((2 * GIB) / CHECKPOINT_TENSORS / 4);

/** Entries of the tensor-heavy pickle, each with a 1 MiB payload: 1 GiB of data. */
const TENSOR_ENTRIES = 1024;
const TENSOR_PAYLOAD = MIB;
/** CPython's `_BATCHSIZE`: list items are written as MARK, up to 1000 items, APPENDS. */
const BATCH_SIZE = 1000;
/** Size of the opcode-heavy pickle. */
const OPCODE_HEAVY_BYTES = GIB;
/** Distinct strings in the opcode-heavy list: each memoized once, then fetched from the memo like CPython does. */
const VOCABULARY = 50_000;

/** Directories x files of the model tree. */
const TREE_DIRECTORIES = 100;
const TREE_FILES_PER_DIRECTORY = 100;
/** Directories that hold one malicious pickle, so the tree's findings path is exercised too. */
export const TREE_MALICIOUS = 10;
/** The planted malicious pickles: `state-40.pkl` in the first TREE_MALICIOUS directories. */
export const TREE_MALICIOUS_FILES = /model-00\d\/state-40\.pkl$/;
/** Files per format the scanner should report for the tree (by content; the names agree). */
export const TREE_FORMATS: Record<string, number> = {
  'pytorch-zip': 40 * TREE_DIRECTORIES,
  pickle: 25 * TREE_DIRECTORIES,
  numpy: 25 * TREE_DIRECTORIES,
  text: 10 * TREE_DIRECTORIES,
};

/** One generated input: where it is and what it holds. */
export interface BenchInput {
  path: string;
  /** Bytes on disk (for a tree: all files together). */
  bytes: number;
  /** Files (1 for a single file). */
  files: number;
  /** Seconds spent generating it on this run (0 when reused). */
  generatedSeconds: number;
}

/** Every input of the bench. */
export interface BenchInputs {
  checkpoint: BenchInput;
  tensorHeavy: BenchInput;
  opcodeHeavy: BenchInput;
  tree: BenchInput;
  headers: BenchInput;
}

interface ManifestEntry {
  generator: number;
  bytes: number;
  files: number;
}

/** Generate (or reuse) every input under `outDir`, logging progress with `log`. */
export function prepareInputs(outDir: string, log: (line: string) => void): BenchInputs {
  mkdirSync(outDir, { recursive: true });
  const manifestPath = join(outDir, 'inputs.json');
  const manifest: Record<string, ManifestEntry> = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, ManifestEntry>) : {};

  const prepare = (name: string, make: (path: string) => { bytes: number; files: number }, isTree = false): BenchInput => {
    const path = join(outDir, name);
    const recorded = manifest[name];
    if (recorded && recorded.generator === GENERATOR_VERSION && existsSync(path)) {
      const onDisk = isTree ? treeSize(path) : { bytes: statSync(path).size, files: 1 };
      if (onDisk.bytes === recorded.bytes && onDisk.files === recorded.files) {
        log(`reusing ${name} (${formatBytes(onDisk.bytes)})`);
        return { path, ...onDisk, generatedSeconds: 0 };
      }
    }
    log(`generating ${name} ...`);
    rmSync(path, { recursive: true, force: true });
    const started = performance.now();
    const made = make(path);
    const generatedSeconds = (performance.now() - started) / 1000;
    log(`  ${formatBytes(made.bytes)} in ${made.files} file(s), ${generatedSeconds.toFixed(1)} s`);
    manifest[name] = { generator: GENERATOR_VERSION, ...made };
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    return { path, ...made, generatedSeconds };
  };

  return {
    checkpoint: prepare('checkpoint-2g.pt', (path) => ({ bytes: writeCheckpoint(path), files: 1 })),
    tensorHeavy: prepare('tensor-heavy-1g.pkl', (path) => ({ bytes: writeTensorHeavyPickle(path), files: 1 })),
    opcodeHeavy: prepare('opcode-heavy-1g.pkl', (path) => ({ bytes: writeOpcodeHeavyPickle(path), files: 1 })),
    tree: prepare('tree-10k', (path) => writeModelTree(path), true),
    headers: prepare('headers-1k', (path) => writeHeaderFormats(path), true),
  };
}

/**
 * A 2 GiB PyTorch zip checkpoint as torch.save writes it: `archive/data.pkl` (a state dict of 200 float
 * tensors, each referencing its storage `data/N` by persistent id), the small metadata members, and 200
 * stored storages of pseudo-random weights, 64-byte aligned.
 */
function writeCheckpoint(path: string): number {
  const weights = new WeightStream(0x5eed0001);
  const storageBytes = CHECKPOINT_NUMEL * 4;
  const storages: StoredMember[] = Array.from({ length: CHECKPOINT_TENSORS }, (_, i) => ({
    name: `archive/data/${i}`,
    size: storageBytes,
    produce(write) {
      for (let done = 0; done < storageBytes; done += WRITE_CHUNK) write(weights.next(Math.min(WRITE_CHUNK, storageBytes - done)));
    },
  }));
  return writeStoredZip64(path, [
    memberOf('archive/data.pkl', stateDictPickle(CHECKPOINT_TENSORS, CHECKPOINT_NUMEL)),
    memberOf('archive/.format_version', '1'),
    memberOf('archive/.storage_alignment', '64'),
    memberOf('archive/byteorder', 'little'),
    ...storages,
    memberOf('archive/version', '3\n'),
    memberOf('archive/.data/serialization_id', '1234567890123456789012345678901234567890'),
  ]);
}

/**
 * A 1 GiB legacy raw pickle dominated by tensor data: a list of 1024 dicts
 * `{'name': 'model.layers.N.weight', 'dtype': 'float32', 'shape': (512, 512), 'step': N, 'data': <1 MiB bytes>}`,
 * the way a hand-rolled checkpoint of numpy arrays (as bytes) is pickled at protocol 4.
 */
function writeTensorHeavyPickle(path: string): number {
  const weights = new WeightStream(0x5eed0002);
  const w = new PickleStreamWriter(path);
  w.emptyList();
  w.memoize();
  const keys = new Map<string, number>();
  const key = (text: string): void => {
    const index = keys.get(text);
    if (index === undefined) keys.set(text, w.str(text));
    else w.get(index);
  };
  let dtype: number | undefined;
  for (let start = 0; start < TENSOR_ENTRIES; start += BATCH_SIZE) {
    w.mark();
    for (let i = start; i < Math.min(TENSOR_ENTRIES, start + BATCH_SIZE); i++) {
      w.emptyDict();
      w.memoize();
      w.mark();
      key('name');
      w.str(`model.layers.${i}.weight`);
      key('dtype');
      if (dtype === undefined) dtype = w.str('float32');
      else w.get(dtype);
      key('shape');
      w.int(512).int(512).tuple2().memoize();
      key('step');
      w.int(i);
      key('data');
      w.largeBytes(TENSOR_PAYLOAD, (write) => write(weights.next(TENSOR_PAYLOAD)));
      w.setitems();
    }
    w.appends();
  }
  return w.close();
}

/**
 * A 1 GiB worst case for the disassembler: one list of ~160M small items (half BINFLOAT, a third ints of
 * every width, the rest strings from a 50k-word vocabulary fetched from the memo) in MARK/APPENDS batches of
 * 1000, so every few bytes are a new opcode.
 */
function writeOpcodeHeavyPickle(path: string): number {
  const w = new PickleStreamWriter(path);
  w.emptyList();
  w.memoize();
  const memoOfWord = new Int32Array(VOCABULARY).fill(-1);
  let x = 0x5eed0003;
  let item = 0;
  while (w.size < OPCODE_HEAVY_BYTES) {
    w.mark();
    for (let i = 0; i < BATCH_SIZE; i++, item++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const r = x >>> 0;
      const kind = item % 10;
      if (kind < 5) {
        w.float(((r >>> 8) - 0x800000) * 1.1920929e-8);
      } else if (kind < 8) {
        // Mostly small ints (counts, ids), some wide: each of BININT1 / BININT2 / BININT shows up.
        w.int(kind === 5 ? r & 0xff : kind === 6 ? r & 0xffff : r | 0);
      } else {
        const word = r % VOCABULARY;
        const memo = memoOfWord[word]!;
        if (memo < 0) memoOfWord[word] = w.str(`w${word}`);
        else w.get(memo);
      }
    }
    w.appends();
  }
  return w.close();
}

/**
 * 10,000 small model files in 100 directories: per directory 40 torch zip checkpoints, 25 pickled state
 * dicts, 25 .npy arrays, 9 JSON configs and a README; in 10 directories one state dict is replaced by a
 * malicious pickle (os.system) so the run also reports findings, as a scan of a real zoo would.
 */
function writeModelTree(path: string): { bytes: number; files: number } {
  const temporary = `${path}.partial`;
  rmSync(temporary, { recursive: true, force: true });
  const weights = new WeightStream(0x5eed0004);
  let bytes = 0;
  let files = 0;
  for (let d = 0; d < TREE_DIRECTORIES; d++) {
    const directory = join(temporary, `model-${String(d).padStart(3, '0')}`);
    mkdirSync(directory, { recursive: true });
    for (let f = 0; f < TREE_FILES_PER_DIRECTORY; f++) {
      const [name, data] = treeFile(d, f, weights);
      writeFileSync(join(directory, name), data);
      bytes += data.length;
      files++;
    }
  }
  renameSync(temporary, path);
  return { bytes, files };
}

function treeFile(d: number, f: number, weights: WeightStream): [string, Buffer] {
  const id = String(f).padStart(2, '0');
  if (f < 40) {
    const tensors = 2 + ((d + f) % 6);
    const storageBytes = 256 << ((d + f) % 6);
    const storages = Array.from({ length: tensors }, () => weights.next(storageBytes));
    const pickle = stateDictPickle(tensors, storageBytes / 4);
    return [`checkpoint-${id}.pt`, buildTorchZip({ pickle, storages })];
  }
  if (f < 65) {
    if (f === 40 && d < TREE_MALICIOUS) return [`state-${id}.pkl`, payloadPickle('os', 'system', 'echo antidote-bench')];
    return [`state-${id}.pkl`, stateDictPickle(2 + (f % 8), 64)];
  }
  if (f < 90) {
    const side = 8 << (f % 4);
    return [`array-${id}.npy`, buildNpy({ descr: '<f4', shape: [side, side], data: weights.next(side * side * 4) })];
  }
  if (f < 99) {
    const config = { architectures: ['BenchModel'], hidden_size: 64 * (f - 89), num_layers: d % 12, torch_dtype: 'float32' };
    return [`config-${id}.json`, Buffer.from(`${JSON.stringify(config, null, 2)}\n`)];
  }
  return ['README.md', Buffer.from(`# bench model ${d}\n\nSynthetic files for the antidote benchmark.\n`)];
}

/** Bytes and files below `path`, at any depth (the model tree is two levels deep, the header set flat). */
function treeSize(path: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const name of readdirSync(path)) {
    const entry = join(path, name);
    const info = statSync(entry);
    if (info.isDirectory()) {
      const inner = treeSize(entry);
      bytes += inner.bytes;
      files += inner.files;
    } else {
      bytes += info.size;
      files++;
    }
  }
  return { bytes, files };
}

/** Human-readable size in binary units. */
export function formatBytes(bytes: number): string {
  if (bytes >= GIB) return `${(bytes / GIB).toFixed(2)} GiB`;
  if (bytes >= MIB) return `${(bytes / MIB).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Files per header-only format in the `headers` case (1,000 in all). */
export const HEADER_FORMATS: Record<string, number> = { safetensors: 334, gguf: 333, onnx: 333 };

/**
 * 1,000 header-only model files (issue 3's target): safetensors with 300 tensors and metadata, GGUF v3 with a
 * 32,000-token vocabulary and a ChatML template, and small ONNX graphs. Only headers are read by the scan.
 */
function writeHeaderFormats(dir: string): { bytes: number; files: number } {
  mkdirSync(dir, { recursive: true });
  const tensors: Record<string, { dtype: string; shape: number[] }> = {};
  for (let i = 0; i < 300; i++) tensors[`model.layers.${i}.weight`] = { dtype: 'F16', shape: [16, 16] };
  const chatml = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}";
  const files: Record<string, Buffer> = {
    safetensors: buildSafetensors({ tensors, metadata: { format: 'pt' } }),
    gguf: buildGguf({
      version: 3,
      kv: [['general.architecture', 'string', 'llama'], ['tokenizer.ggml.tokens', 'array', vocabulary(32000)], ['tokenizer.chat_template', 'string', chatml]],
      tensors: [{ name: 'token_embd.weight', dims: [4, 4], type: 0 }],
      dataBytes: 64,
    }),
    onnx: buildOnnx(),
  };
  let bytes = 0;
  let count = 0;
  for (const [format, n] of Object.entries(HEADER_FORMATS)) {
    for (let i = 0; i < n; i++) {
      const data = files[format]!;
      writeFileSync(join(dir, `model-${format}-${String(i).padStart(3, '0')}.${format}`), data);
      bytes += data.length;
      count += 1;
    }
  }
  return { bytes, files: count };
}
