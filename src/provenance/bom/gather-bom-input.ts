import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { errorMessage } from '../../core/errors.js';
import type { ScanResult } from '../../core/result.js';
import { MAX_MODEL_CARD_BYTES, readModelCard, type ModelCardFacts } from '../../readers/model-card/index.js';
import { describeDatasetFile, findDatasetInputs } from './dataset-facts.js';
import { MODEL_FORMATS } from './model-formats.js';
import type { Lockfile } from '../lock/index.js';
import { bomLockFrom } from './lock-status.js';
import type { BomDataset, BomFile, BomInput, BomModel, BomSignature, ModelConfigFacts } from './types.js';

/*
 * From a scan of the inputs to the BOM's facts: which files form a model, which are datasets, what the model
 * cards and configs declare. Nothing is executed or fetched; config files are parsed as JSON within a size
 * limit, model cards by the model-card reader.
 */

/** Largest config.json / adapter_config.json read: real ones are a few KB; bigger ones are not configs. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Reads one dataset file's facts (default: the dataset readers); undefined leaves the file a plain file. */
export type DatasetDescriber = (path: string) => Promise<BomDataset | undefined>;

/** What the command hands over. */
export interface GatherOptions {
  /** Inputs as given on the command line. */
  inputs: string[];
  /** The scan of those inputs, with `hash: true`. */
  scan: ScanResult;
  /** Dataset facts per file; default: read with the dataset readers. */
  describeDataset?: DatasetDescriber;
  /** A lockfile read with the lock module's reader: each file gets its lock status. */
  lockfile?: { path: string; content: Lockfile };
  signatures?: BomSignature[];
}

function readSmall(path: string, max: number): string | { problem: string } {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    if (size > max) return { problem: `${size} bytes, over the ${max}-byte limit` };
    const buffer = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, buffer, done, size - done, done);
      if (n <= 0) break;
      done += n;
    }
    return buffer.subarray(0, done).toString('utf8');
  } catch (error) {
    return { problem: errorMessage(error) };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** README.md front matter of a folder, null when there is none or it cannot be read. */
export function readFolderCard(folder: string): ModelCardFacts | null {
  const text = readSmall(join(folder, 'README.md'), MAX_MODEL_CARD_BYTES);
  return typeof text === 'string' ? readModelCard(text) : null;
}

function stringField(json: Record<string, unknown>, key: string): string | undefined {
  const value = json[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

type JsonRead = { ok: true; json: Record<string, unknown> } | { ok: false; problem: string } | undefined;

/** A JSON object file; undefined when the file does not exist. */
function readJsonObject(path: string): JsonRead {
  const text = readSmall(path, MAX_CONFIG_BYTES);
  if (typeof text !== 'string') return text.problem.includes('ENOENT') ? undefined : { ok: false, problem: text.problem };
  try {
    const json: unknown = JSON.parse(text);
    if (json === null || typeof json !== 'object' || Array.isArray(json)) return { ok: false, problem: 'not a JSON object' };
    return { ok: true, json: json as Record<string, unknown> };
  } catch (error) {
    return { ok: false, problem: `not valid JSON (${errorMessage(error)})` };
  }
}

/** The facts config.json and adapter_config.json of a model folder declare; null when it has neither. */
export function readModelConfig(folder: string): ModelConfigFacts | null {
  const config = readJsonObject(join(folder, 'config.json'));
  const adapter = readJsonObject(join(folder, 'adapter_config.json'));
  if (config === undefined && adapter === undefined) return null;
  const facts: ModelConfigFacts = {};
  const problems: string[] = [];
  if (config?.ok === false) problems.push(`config.json: ${config.problem}`);
  if (config?.ok) {
    const modelType = stringField(config.json, 'model_type');
    const architectures = config.json.architectures;
    const nameOrPath = stringField(config.json, '_name_or_path');
    if (modelType !== undefined) facts.modelType = modelType;
    if (Array.isArray(architectures) && typeof architectures[0] === 'string') facts.architecture = architectures[0];
    if (nameOrPath !== undefined) facts.nameOrPath = nameOrPath;
  }
  if (adapter?.ok === false) problems.push(`adapter_config.json: ${adapter.problem}`);
  if (adapter?.ok) {
    const base = stringField(adapter.json, 'base_model_name_or_path');
    if (base !== undefined) facts.adapterBaseModel = base;
  }
  if (problems.length > 0) facts.problem = problems.join('; ');
  return facts;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** True when `inner` is `outer` or lies inside the folder `outer` (both absolute). */
function contains(outer: string, inner: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (rel.split(sep)[0] !== '..' && !rel.startsWith(sep) && resolve(outer, rel) === inner);
}

/**
 * Model folders among the scanned files: under each folder input, the highest folder (up to the input) that
 * directly holds a weight file or a config.json, when weights lie at or below it. A Hub repository with
 * weights in a subfolder (`original/consolidated.00.pth` beside `config.json`) is one model, not two.
 */
function findModelRoots(files: readonly BomFile[], folderInputs: readonly string[]): string[] {
  const weightDirs = new Set<string>();
  const markerDirs = new Set<string>();
  for (const f of files) {
    const dir = resolve(dirname(f.path));
    if (MODEL_FORMATS.has(f.format)) weightDirs.add(dir);
    if (basename(f.path) === 'config.json') markerDirs.add(dir);
  }
  const roots = new Set<string>();
  for (const dir of weightDirs) {
    const input = folderInputs.filter((i) => contains(i, dir)).sort((a, b) => a.length - b.length)[0];
    if (input === undefined) continue;
    let root = dir;
    for (let up = dir; contains(input, up); up = dirname(up)) {
      if (weightDirs.has(up) || markerDirs.has(up)) root = up;
      if (up === input) break;
    }
    roots.add(root);
  }
  return [...roots];
}

/** Gather the BOM's facts from a scan (run with `hash: true`) and the optional lock and signature results. */
export async function gatherBomInput(options: GatherOptions): Promise<BomInput> {
  const files: BomFile[] = options.scan.files
    .filter((r) => !r.path.includes('!'))
    .map((r) => ({ path: r.path, format: r.format, size: r.size, sha256: r.sha256 }));
  const byAbsolute = new Map(files.map((f) => [resolve(f.path), f]));

  const folderInputs = options.inputs.filter(isDirectory).map((i) => resolve(i));
  const roots = findModelRoots(files, folderInputs).sort();
  const inModelFolder = (path: string): boolean => roots.some((root) => contains(root, resolve(path)));

  // Datasets: the files the dataset readers would load, outside model folders (a model's config.json and
  // tokenizer.json are JSON, not data).
  const describe = options.describeDataset ?? describeDatasetFile;
  const found = await findDatasetInputs(options.inputs, isDirectory);
  const datasets: BomDataset[] = [];
  for (const path of found.paths) {
    const file = byAbsolute.get(resolve(path));
    if (!file || inModelFolder(path) || MODEL_FORMATS.has(file.format)) continue;
    const facts = await describe(file.path);
    if (facts) datasets.push(facts);
  }
  const datasetPaths = new Set(datasets.map((d) => d.path));
  // A dataset's licence comes from the dataset card in its folder, read once per folder.
  const cards = new Map<string, ModelCardFacts | null>();
  for (const dataset of datasets) {
    const dir = dirname(dataset.path);
    if (!cards.has(dir)) cards.set(dir, readFolderCard(dir));
    const license = cards.get(dir)?.license;
    if (license) dataset.license = license;
  }

  const models: BomModel[] = [];
  const inModel = new Set<string>();
  for (const root of roots) {
    const members = files.filter((f) => !datasetPaths.has(f.path) && contains(root, resolve(f.path)));
    if (members.length === 0) continue;
    // Display the folder the way the scan displays its files: absolute when they are, else relative.
    const display = isAbsolute(members[0]!.path) ? root : relative(process.cwd(), root) || '.';
    for (const m of members) inModel.add(m.path);
    models.push({ path: display, kind: 'folder', files: members.map((m) => m.path), card: readFolderCard(root), config: readModelConfig(root) });
  }
  for (const file of files) {
    // A weight file given on its own (folder inputs put every weight file in a model folder) is a model by itself.
    if (inModel.has(file.path) || datasetPaths.has(file.path) || !MODEL_FORMATS.has(file.format)) continue;
    models.push({ path: file.path, kind: 'file', files: [file.path], card: null, config: null });
  }

  const input: BomInput = { inputs: [...options.inputs], files, models, datasets, scan: options.scan };
  if (found.problems.length > 0) input.problems = found.problems;
  if (options.lockfile) input.lock = bomLockFrom(options.lockfile.content, options.lockfile.path, files, options.inputs);
  if (options.signatures) input.signatures = options.signatures;
  return input;
}
