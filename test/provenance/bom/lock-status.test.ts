import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bomLockFrom, bomSignatureFrom, buildBom, gatherBomInput, type BomFile } from '../../../src/provenance/bom/index.js';
import { LOCKFILE_VERSION, ROW_ENCODING, type Lockfile } from '../../../src/provenance/lock/index.js';
import type { SignatureVerification } from '../../../src/provenance/signing/index.js';
import { scan } from '../../../src/scan/scan.js';
import { datasetFolderFiles, modelFolderFiles, sha256, writeProject } from './bom-fixtures.js';
import { describeErrors, validateCycloneDx } from './cyclonedx-validator.js';

function lockfileOf(files: { path: string; sha256: string }[]): Lockfile {
  return {
    lockfileVersion: LOCKFILE_VERSION,
    tool: { name: 'antidote', version: '0.0.0-test' },
    source: { url: 'https://huggingface.co/datasets/acme/data', revision: 'abc123' },
    rowEncoding: ROW_ENCODING,
    roots: [{ path: '.', kind: 'directory' }],
    files: files.map((f) => ({ path: f.path, size: 1, sha256: f.sha256 })),
  };
}

function props(component: { properties?: { name: string; value: string }[] } | undefined, name: string): string[] {
  return (component?.properties ?? []).filter((p) => p.name === name).map((p) => p.value);
}

describe('bomLockFrom: each file against the lockfile', () => {
  const root = '/p';
  const file = (rel: string, sha: string | null): BomFile => ({ path: join(root, rel), format: 'text', size: 1, sha256: sha });
  const files = [file('a.txt', 'a'.repeat(64)), file('b.txt', 'b'.repeat(64)), file('c.txt', 'c'.repeat(64)), file('d.txt', null), file('antidote.lock.json', 'e'.repeat(64))];
  const lockfile = lockfileOf([
    { path: 'a.txt', sha256: 'a'.repeat(64) },
    { path: 'b.txt', sha256: '0'.repeat(64) },
    { path: 'd.txt', sha256: 'd'.repeat(64) },
    { path: 'gone/e.txt', sha256: 'e'.repeat(64) },
  ]);
  const lock = bomLockFrom(lockfile, join(root, 'antidote.lock.json'), files, [root]);

  it.each([
    ['a.txt', 'verified'],
    ['b.txt', 'modified'],
    ['c.txt', 'not-locked'],
    ['d.txt', 'locked'],
  ])('%s is %s', (rel, status) => {
    expect(lock.files.get(join(root, rel))).toBe(status);
  });

  it('the lockfile itself has no lock status', () => {
    expect(lock.files.has(join(root, 'antidote.lock.json'))).toBe(false);
    expect(lock.exempt?.has(join(root, 'antidote.lock.json'))).toBe(true);
  });

  it('locked files gone from disk are listed, with the source and revision', () => {
    expect(lock.missing).toEqual(['gone/e.txt']);
    expect(lock.source).toBe('https://huggingface.co/datasets/acme/data@abc123');
  });
});

describe('lock and signature verdicts in the BOM', async () => {
  const { root, hashes } = writeProject({ ...modelFolderFiles('model/'), ...datasetFolderFiles('data/') });
  const inputs = [join(root, 'model'), join(root, 'data')];
  const result = await scan({ paths: inputs, hash: true });
  // Every file locked as it is, except one changed dataset and one file locked under a different hash.
  const locked = Object.entries(hashes)
    .filter(([rel]) => rel !== 'data/README.md')
    .map(([rel, hash]) => ({ path: rel, sha256: rel === 'data/test.csv' ? sha256('older bytes') : hash }));
  const verification: SignatureVerification = {
    status: 'failed',
    reason: { code: 'digest-mismatch', message: 'model.safetensors changed since it was signed' },
    mode: 'public-key',
    modelPath: join(root, 'model'),
    signaturePath: join(root, 'model/model.sig'),
    checks: [],
    signer: { keyHint: 'cd'.repeat(32), publicKeySha256: 'ab'.repeat(32) },
    ignored: [],
    mismatches: [],
    notes: [],
  };
  const input = await gatherBomInput({
    inputs,
    scan: result,
    lockfile: { path: join(root, 'antidote.lock.json'), content: lockfileOf(locked) },
    signatures: [bomSignatureFrom(verification)],
  });
  const bom = buildBom(input, { deterministic: true });
  const component = (name: string) => bom.components.find((c) => c.name === name);

  it('is valid CycloneDX 1.6', () => {
    expect(describeErrors(validateCycloneDx(bom) ? [] : validateCycloneDx.errors)).toEqual([]);
  });

  it('each component carries its lock status; a model is as good as its worst file', () => {
    expect(props(component('train.jsonl'), 'antidote:lock:status')).toEqual(['verified']);
    expect(props(component('test.csv'), 'antidote:lock:status')).toEqual(['modified']);
    expect(props(bom.components.find((c) => c.name.endsWith('data/README.md')), 'antidote:lock:status')).toEqual(['not-locked']);
    expect(props(component('model'), 'antidote:lock:status')).toEqual(['verified']);
  });

  it('the metadata gives the lockfile, its source and the overall status', () => {
    expect(props(bom.metadata, 'antidote:lock:file')).toEqual([join(root, 'antidote.lock.json')]);
    expect(props(bom.metadata, 'antidote:lock:status')).toEqual(['modified']);
    expect(props(bom.metadata, 'antidote:lock:source')).toEqual(['https://huggingface.co/datasets/acme/data@abc123']);
  });

  it('the signature status, signer and reason sit on the model it covers and in the metadata', () => {
    const model = component('model');
    expect(props(model, 'antidote:signature:status')).toEqual(['failed']);
    expect(props(model, 'antidote:signature:signer')).toEqual([`public key with SPKI sha256 ${'ab'.repeat(32)}`]);
    expect(props(model, 'antidote:signature:reason')).toEqual(['digest-mismatch: model.safetensors changed since it was signed']);
    expect(props(bom.metadata, 'antidote:signature:status')).toEqual(['failed']);
    expect(props(component('train.jsonl'), 'antidote:signature:status')).toEqual([]);
  });
});
