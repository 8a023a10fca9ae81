import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBom, gatherBomInput, type CdxComponent, type CycloneDxBom } from '../../../src/provenance/bom/index.js';
import { scan } from '../../../src/scan/scan.js';
import { datasetFolderFiles, evilPickle, MODEL_CARD, modelFolderFiles, sha256, writeProject } from './bom-fixtures.js';
import { describeErrors, validateCycloneDx } from './cyclonedx-validator.js';

async function bomOf(inputs: string[], options: Parameters<typeof buildBom>[1] = {}): Promise<CycloneDxBom> {
  const result = await scan({ paths: inputs, hash: true });
  return buildBom(await gatherBomInput({ inputs, scan: result }), options);
}

function expectValid(bom: CycloneDxBom): void {
  const valid = validateCycloneDx(bom);
  expect(describeErrors(validateCycloneDx.errors)).toEqual([]);
  expect(valid).toBe(true);
}

function props(component: { properties?: { name: string; value: string }[] } | undefined, name: string): string[] {
  return (component?.properties ?? []).filter((p) => p.name === name).map((p) => p.value);
}

function named(components: CdxComponent[] | undefined, name: string): CdxComponent {
  const hit = (components ?? []).find((c) => c.name === name);
  if (!hit) throw new Error(`no component named ${name} among ${(components ?? []).map((c) => c.name).join(', ')}`);
  return hit;
}

describe('the bundled CycloneDX schema is strict enough to catch a bad BOM', () => {
  const minimal = { bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [] as unknown[] };

  it.each([
    ['a hash that is not hex', { type: 'file', name: 'a', hashes: [{ alg: 'SHA-256', content: 'xyz' }] }],
    ['an SPDX id in the wrong case', { type: 'data', name: 'a', licenses: [{ license: { id: 'apache-2.0' } }] }],
    ['an unknown component type', { type: 'dataset', name: 'a' }],
    ['a property the specification does not define', { type: 'file', name: 'a', colour: 'red' }],
  ])('rejects %s', (_name, component) => {
    expect(validateCycloneDx({ ...minimal, components: [component] })).toBe(false);
  });

  it('accepts the minimal BOM', () => {
    expect(validateCycloneDx(minimal)).toBe(true);
  });
});

describe('antidote bom: a model folder', async () => {
  const { root, hashes } = writeProject(modelFolderFiles());
  const bom = await bomOf([root]);
  const model = named(bom.components, root.split('/').pop()!);

  it('is valid CycloneDX 1.6 against the bundled schema', () => {
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json' });
    expectValid(bom);
  });

  it('the folder is one machine-learning-model component holding every file, each with its sha256 and format', () => {
    expect(bom.components).toHaveLength(1);
    expect(model.type).toBe('machine-learning-model');
    const files = model.components ?? [];
    expect(files.map((f) => f.name).sort()).toEqual(['README.md', 'config.json', 'model-00001-of-00001.safetensors', 'pytorch_model.bin']);
    for (const file of files) {
      expect(file.type).toBe('file');
      expect(file.hashes).toEqual([{ alg: 'SHA-256', content: hashes[file.name] }]);
    }
    expect(props(named(files, 'model-00001-of-00001.safetensors'), 'antidote:format')).toEqual(['safetensors']);
    expect(props(named(files, 'pytorch_model.bin'), 'antidote:format')).toEqual(['pytorch-zip']);
    expect(props(model, 'antidote:model:weight-format')).toEqual(['pytorch-zip', 'safetensors']);
  });

  it('the model card licence is an SPDX id in licenses, marked as declared', () => {
    expect(model.licenses).toEqual([{ license: { id: 'Apache-2.0', acknowledgement: 'declared' } }]);
  });

  it('the base model is a pedigree ancestor with a huggingface purl', () => {
    expect(model.pedigree?.ancestors).toEqual([{ type: 'machine-learning-model', name: 'meta-llama/Llama-3.1-8B', purl: 'pkg:huggingface/meta-llama/Llama-3.1-8B' }]);
  });

  it('training datasets and the architecture (config.json) are in modelCard.modelParameters', () => {
    expect(model.modelCard?.modelParameters).toEqual({
      architectureFamily: 'llama',
      modelArchitecture: 'LlamaForCausalLM',
      datasets: [
        { type: 'dataset', name: 'allenai/c4', contents: { url: 'https://huggingface.co/datasets/allenai/c4' } },
        { type: 'dataset', name: 'squad', contents: { url: 'https://huggingface.co/datasets/squad' } },
      ],
    });
    expect(props(model, 'antidote:config:name-or-path')).toEqual(['acme/llama-ft']);
    expect(props(model, 'antidote:model-card')).toEqual(['present']);
  });

  it('scan verdicts: the pickle beside safetensors flags the model and is a vulnerability affecting it', () => {
    expect(props(model, 'antidote:scan:verdict')).toEqual(['flagged']);
    expect(props(model, 'antidote:scan:highest-severity')).toEqual(['medium']);
    const folderFinding = (bom.vulnerabilities ?? []).find((v) => v.id === 'model/model-folder');
    expect(folderFinding?.affects).toEqual([{ ref: model['bom-ref'] }]);
    expect(folderFinding?.ratings[0]?.severity).toBe('medium');
    expect(folderFinding?.detail).toContain('pytorch_model.bin');
    expect(folderFinding?.recommendation).toBeTruthy();
    // The clean weight files are clean, and text files are honestly not scanned.
    expect(props(named(model.components, 'model-00001-of-00001.safetensors'), 'antidote:scan:verdict')).toEqual(['clean']);
    expect(props(named(model.components, 'config.json'), 'antidote:scan:verdict')).toEqual(['not-scanned']);
  });

  it('metadata names antidote and its version as the tool', () => {
    expect(bom.metadata.tools.components).toMatchObject([{ type: 'application', name: 'antidote', version: expect.stringMatching(/^\d+\.\d+\.\d+/) }]);
    expect(props(bom.metadata, 'antidote:input')).toEqual([root]);
  });
});

describe('antidote bom: a dataset folder', async () => {
  const { root, hashes } = writeProject(datasetFolderFiles());
  const bom = await bomOf([root]);

  it('is valid CycloneDX 1.6', () => {
    expectValid(bom);
  });

  it('each data file is a data component with format, row counts and columns', () => {
    const train = named(bom.components, 'train.jsonl');
    expect(train.type).toBe('data');
    expect(train.hashes).toEqual([{ alg: 'SHA-256', content: hashes['train.jsonl'] }]);
    expect(props(train, 'antidote:dataset:format')).toEqual(['jsonl']);
    expect(props(train, 'antidote:dataset:rows')).toEqual(['3']);
    expect(props(train, 'antidote:dataset:bad-rows')).toEqual(['1']);
    expect(props(train, 'antidote:dataset:column')).toEqual(['instruction: string', 'output: string']);
    expect(train.data).toEqual([{ type: 'dataset', name: 'train.jsonl', description: 'jsonl, 3 rows, 2 columns' }]);

    const parquet = named(bom.components, 'extra.parquet');
    expect(props(parquet, 'antidote:dataset:format')).toEqual(['parquet']);
    expect(props(parquet, 'antidote:dataset:rows')).toEqual(['5']);
    expect(props(parquet, 'antidote:dataset:column')).toEqual(['id: int32', 'text: string']);
    expect(props(named(bom.components, 'test.csv'), 'antidote:dataset:rows')).toEqual(['2']);
  });

  it('the dataset card licence applies to its data files', () => {
    expect(named(bom.components, 'test.csv').licenses).toEqual([{ license: { id: 'CC-BY-4.0', acknowledgement: 'declared' } }]);
  });

  it('the card and the datasets metadata file are plain files, not datasets; nothing is left out', () => {
    const files = (bom.components ?? []).filter((c) => c.type === 'file').map((c) => c.name.split('/').pop());
    expect(files.sort()).toEqual(['README.md', 'dataset_info.json']);
    expect(bom.components.length).toBe(Object.keys(hashes).length);
    expect(bom.components.some((c) => c.type === 'machine-learning-model')).toBe(false);
  });

  it('datasets are not judged by the model scanner, and the BOM says so', () => {
    expect(props(named(bom.components, 'train.jsonl'), 'antidote:scan:verdict')).toEqual(['not-scanned']);
  });

  it('a file named like data that does not read as data stays a dataset with the reason', async () => {
    const broken = writeProject({ 'rows.parquet': 'PAR1 but nothing else' });
    const b = await bomOf([broken.root]);
    expectValid(b);
    const rows = named(b.components, 'rows.parquet');
    expect(rows.type).toBe('data');
    expect(props(rows, 'antidote:dataset:rows')).toEqual([]);
    expect(props(rows, 'antidote:dataset:problem')[0]).toBeTruthy();
    expect(rows.data?.[0]?.description).toContain('rows not read');
  });
});

describe('antidote bom: mixed input', async () => {
  const { root, hashes } = writeProject({ ...modelFolderFiles('models/llama-ft/'), ...datasetFolderFiles('data/'), 'evil.pkl': evilPickle(), 'notes.txt': 'hello' });
  const inputs = [join(root, 'models'), join(root, 'data'), join(root, 'evil.pkl'), join(root, 'notes.txt')];
  const bom = await bomOf(inputs);

  it('is valid CycloneDX 1.6, with models first, then datasets, then other files', () => {
    expectValid(bom);
    expect(bom.components.map((c) => c.type)).toEqual(['machine-learning-model', 'machine-learning-model', 'data', 'data', 'data', 'file', 'file', 'file']);
  });

  it('every file of the input appears exactly once, with the right hash', () => {
    const all = bom.components.flatMap((c) => [c, ...(c.components ?? [])]).filter((c) => c.hashes);
    const byPath = new Map(all.map((c) => [props(c, 'antidote:path')[0], c.hashes![0]!.content]));
    expect(all).toHaveLength(Object.keys(hashes).length);
    for (const [rel, hash] of Object.entries(hashes)) expect(byPath.get(join(root, rel))).toBe(hash);
  });

  it('a pickle given on its own is a model; its critical finding is a vulnerability with CWE-502 affecting it', () => {
    const evil = named(bom.components, 'evil.pkl');
    expect(evil.type).toBe('machine-learning-model');
    expect(evil.hashes).toEqual([{ alg: 'SHA-256', content: sha256(evilPickle()) }]);
    expect(props(evil, 'antidote:scan:highest-severity')).toEqual(['critical']);
    const vuln = (bom.vulnerabilities ?? []).find((v) => v.affects?.[0]?.ref === evil['bom-ref']);
    expect(vuln).toMatchObject({ id: 'model/pickle-globals', source: { name: 'antidote' }, ratings: [{ severity: 'critical', method: 'other' }] });
    expect(vuln?.cwes).toContain(502);
    expect(vuln?.detail).toContain('os.system');
    expect(props(vuln, 'antidote:location')[0]).toContain('evil.pkl');
  });

  it('the model folder under a folder input is found by its weights and config', () => {
    expect(named(bom.components, 'llama-ft').components).toHaveLength(4);
  });

  it('vulnerabilities are ordered and numbered stably', () => {
    const refs = (bom.vulnerabilities ?? []).map((v) => v['bom-ref']);
    expect(refs).toEqual(refs.map((_, i) => `finding-${i + 1}`));
  });
});

describe('antidote bom: weights in a subfolder belong to the model', async () => {
  const { root } = writeProject({ ...modelFolderFiles(), 'original/consolidated.00.pth': modelFolderFiles()['pytorch_model.bin']! });
  const bom = await bomOf([root]);

  it('a Hub layout with original/ weights is one model, not two', () => {
    expectValid(bom);
    expect(bom.components).toHaveLength(1);
    expect((bom.components[0]!.components ?? []).map((c) => c.name)).toContain('original/consolidated.00.pth');
  });
});

describe('antidote bom: facts that are absent are said to be absent', () => {
  it('a model folder without a card or config has no invented facts', async () => {
    const { root } = writeProject({ 'model.safetensors': modelFolderFiles()['model-00001-of-00001.safetensors']! });
    const bom = await bomOf([root]);
    expectValid(bom);
    const model = bom.components[0]!;
    expect(model.licenses).toBeUndefined();
    expect(model.pedigree).toBeUndefined();
    expect(model.modelCard).toBeUndefined();
    expect(props(model, 'antidote:model-card')).toEqual(['missing']);
  });

  it('a licence that is not an SPDX id is written as a name; an adapter base model is an ancestor', async () => {
    const { root } = writeProject({
      'README.md': MODEL_CARD.replace('license: apache-2.0', 'license: llama3.1').replace('base_model: meta-llama/Llama-3.1-8B\n', ''),
      'adapter_config.json': JSON.stringify({ base_model_name_or_path: 'mistralai/Mistral-7B-v0.1', peft_type: 'LORA' }),
      'adapter_model.safetensors': modelFolderFiles()['model-00001-of-00001.safetensors']!,
    });
    const bom = await bomOf([root]);
    expectValid(bom);
    expect(bom.components[0]!.licenses).toEqual([{ license: { name: 'llama3.1', acknowledgement: 'declared' } }]);
    expect(bom.components[0]!.pedigree?.ancestors?.map((a) => a.name)).toEqual(['mistralai/Mistral-7B-v0.1']);
  });

  it('a broken config.json is reported, not ignored', async () => {
    const { root } = writeProject({ 'config.json': '{"model_type": ', 'model.safetensors': modelFolderFiles()['model-00001-of-00001.safetensors']! });
    const bom = await bomOf([root]);
    expectValid(bom);
    expect(props(bom.components[0], 'antidote:config:problem')[0]).toContain('config.json: not valid JSON');
  });

  it('without a scan every component says not-scanned', async () => {
    const { root } = writeProject({ 'a.txt': 'x' });
    const input = await gatherBomInput({ inputs: [root], scan: await scan({ paths: [root], hash: true }) });
    const { scan: _dropped, ...unscanned } = input;
    const bom = buildBom(unscanned);
    expectValid(bom);
    expect(props(bom.components[0], 'antidote:scan:status')).toEqual(['not-scanned']);
    expect(props(bom.components[0], 'antidote:scan:verdict')).toEqual(['not-scanned']);
    expect(props(bom.metadata, 'antidote:scan:run-status')).toEqual(['not-scanned']);
  });
});

describe('antidote bom: reproducible output', async () => {
  const { root } = writeProject({ ...modelFolderFiles('m/'), ...datasetFolderFiles('d/'), 'evil.pkl': evilPickle() });
  const inputs = [join(root, 'm'), join(root, 'd'), join(root, 'evil.pkl')];

  it('--deterministic: the same inputs give the same bytes, a v5 serial and no timestamp', async () => {
    const a = JSON.stringify(await bomOf(inputs, { deterministic: true }));
    const b = JSON.stringify(await bomOf(inputs, { deterministic: true }));
    expect(a).toBe(b);
    const bom = JSON.parse(a) as CycloneDxBom;
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(bom.metadata.timestamp).toBeUndefined();
  });

  it('SOURCE_DATE_EPOCH sets the timestamp and makes the serial content-derived', async () => {
    const bom = await bomOf(inputs, { sourceDateEpoch: 1_700_000_000 });
    expectValid(bom);
    expect(bom.metadata.timestamp).toBe('2023-11-14T22:13:20.000Z');
    expect(bom.serialNumber).toBe((await bomOf(inputs, { sourceDateEpoch: 1_700_000_000 })).serialNumber);
  });

  it('a changed byte changes the serial', async () => {
    const before = (await bomOf(inputs, { deterministic: true })).serialNumber;
    writeFileSync(join(root, 'd/test.csv'), 'text,label\nhello,1\nworld,1\n');
    const after = (await bomOf(inputs, { deterministic: true })).serialNumber;
    expect(after).not.toBe(before);
  });

  it('without it each BOM gets a fresh random (v4) serial and the current time', async () => {
    const now = new Date('2030-01-02T03:04:05.000Z');
    const a = await bomOf([join(root, 'evil.pkl')], { now: () => now });
    const b = await bomOf([join(root, 'evil.pkl')], { now: () => now });
    expect(a.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4/);
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.metadata.timestamp).toBe('2030-01-02T03:04:05.000Z');
  });
});
