import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signModel } from '../../src/provenance/signing/index.js';
import { datasetFolderFiles, evilPickle, modelFolderFiles, writeProject } from '../provenance/bom/bom-fixtures.js';
import { describeErrors, validateCycloneDx } from '../provenance/bom/cyclonedx-validator.js';

/*
 * `antidote bom` as a user runs it: a child process in a project folder. Exit 0 when the BOM is written
 * (findings are recorded, not judged, unless --fail-on asks), 2 for usage and tool errors, never a stack trace.
 */
const BIN = new URL('../../src/cli/bin.ts', import.meta.url).pathname;
// Absolute, because the child runs in a temporary project folder where `tsx` cannot be resolved by name.
const TSX = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/** Run the CLI without blocking the test worker (a blocked worker misses vitest's own messages). */
function antidote(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, failed) => {
    execFile(process.execPath, ['--import', TSX, BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', SOURCE_DATE_EPOCH: '', ...env } }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : undefined;
      if (code === undefined) failed(error);
      else done({ code, stdout, stderr });
    });
  });
}

type Bom = { serialNumber: string; metadata: { timestamp?: string; properties?: { name: string; value: string }[] }; components: { name: string; properties?: { name: string; value: string }[] }[] };

function prop(component: { properties?: { name: string; value: string }[] } | undefined, name: string): string | undefined {
  return component?.properties?.find((p) => p.name === name)?.value;
}

describe('antidote bom', () => {
  const { root } = writeProject({ ...modelFolderFiles('models/llama-ft/'), ...datasetFolderFiles('data/'), 'evil.pkl': evilPickle() });

  it('writes a valid CycloneDX 1.6 BOM to -o and exits 0, findings or not', async () => {
    const r = await antidote(['bom', 'models', 'data', 'evil.pkl', '-o', 'bom.json', '--no-progress'], root);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const bom = JSON.parse(readFileSync(join(root, 'bom.json'), 'utf8')) as Bom;
    expect(describeErrors(validateCycloneDx(bom) ? [] : validateCycloneDx.errors)).toEqual([]);
    expect(bom.components.map((c) => c.name)).toEqual(['evil.pkl', 'llama-ft', 'extra.parquet', 'test.csv', 'train.jsonl', 'data/README.md', 'data/dataset_info.json']);
  });

  it('--fail-on makes a finding at or above it exit 1, and the BOM is still written', async () => {
    const r = await antidote(['bom', 'evil.pkl', '--fail-on', 'high'], root);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ bomFormat: 'CycloneDX' });
    expect((await antidote(['bom', 'data', '--fail-on', 'high'], root)).code).toBe(0);
  });

  it('--deterministic gives the same bytes twice; SOURCE_DATE_EPOCH sets the timestamp', async () => {
    const a = await antidote(['bom', 'models', 'data', '--deterministic'], root);
    const b = await antidote(['bom', 'models', 'data', '--deterministic'], root);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    // Random serials, content-derived serials and timestamps are covered in test/provenance/bom: here only the wiring.
    const epoch = await antidote(['bom', 'models'], root, { SOURCE_DATE_EPOCH: '1700000000' });
    expect((JSON.parse(epoch.stdout) as Bom).metadata.timestamp).toBe('2023-11-14T22:13:20.000Z');
  });

  it.each([
    ['no PATH', ['bom'], /bom needs at least one PATH/],
    ['a PATH that does not exist', ['bom', 'nope'], /nope: no such file or directory/],
    ['--signature without trust', ['bom', 'models', '--signature', 'models/llama-ft/model.sig'], /--signature needs trust/],
    ['two kinds of trust', ['bom', 'models', '--signature', 'x.sig', '--public-key', 'k.pub', '--sigstore-identity', 'a@b.c'], /give one kind of trust/],
    ['Sigstore trust without a trusted root', ['bom', 'models', '--signature', 'x.sig', '--sigstore-identity', 'a@b.c', '--sigstore-issuer', 'https://i'], /--trusted-root/],
    ['a lockfile that does not exist', ['bom', 'models', '--lockfile', 'missing.lock.json'], /missing\.lock\.json: no such lockfile/],
    ['a bad --fail-on', ['bom', 'models', '--fail-on', 'severe'], /--fail-on must be one of/],
    ['an unknown flag', ['bom', 'models', '--format', 'xml'], /Unknown option '--format'/],
  ])('%s is a usage error: exit 2, a message, no stack trace', async (_name, args, message) => {
    const r = await antidote(args, root);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a SOURCE_DATE_EPOCH that is not whole seconds is a usage error', async () => {
    const r = await antidote(['bom', 'models'], root, { SOURCE_DATE_EPOCH: 'yesterday' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SOURCE_DATE_EPOCH must be whole seconds');
  });
});

describe('antidote bom --lockfile and --signature', () => {
  it('records lock status from a real lockfile and signature status from a real signature', async () => {
    const { root } = writeProject({ ...modelFolderFiles('models/llama-ft/'), ...datasetFolderFiles('data/') });
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(root, 'signing.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(root, 'signing.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    await signModel({ modelPath: join(root, 'models/llama-ft'), privateKeyPath: join(root, 'signing.key') });
    // `lock` exits 1 here because train.jsonl has a bad row (it is still locked by its bytes).
    expect((await antidote(['lock', 'models', 'data', '--source', 'https://huggingface.co/datasets/acme/data'], root)).code).toBeLessThan(2);

    const clean = await antidote(['bom', 'models', 'data', '--lockfile', 'antidote.lock.json', '--signature', 'models/llama-ft/model.sig', '--public-key', 'signing.pub'], root);
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    const bom = JSON.parse(clean.stdout) as Bom;
    expect(describeErrors(validateCycloneDx(bom) ? [] : validateCycloneDx.errors)).toEqual([]);
    const model = bom.components.find((c) => c.name === 'llama-ft');
    expect(prop(model, 'antidote:signature:status')).toBe('verified');
    expect(prop(bom.components.find((c) => c.name === 'test.csv'), 'antidote:lock:status')).toBe('verified');
    expect(prop(bom.metadata, 'antidote:lock:source')).toBe('https://huggingface.co/datasets/acme/data');

    // One changed byte in a dataset and in a weight file: both verdicts change.
    appendFileSync(join(root, 'data/test.csv'), 'again,1\n');
    appendFileSync(join(root, 'models/llama-ft/pytorch_model.bin'), 'x');
    const changed = JSON.parse((await antidote(['bom', 'models', 'data', '--lockfile', 'antidote.lock.json', '--signature', 'models/llama-ft/model.sig', '--public-key', 'signing.pub'], root)).stdout) as Bom;
    expect(prop(changed.components.find((c) => c.name === 'test.csv'), 'antidote:lock:status')).toBe('modified');
    expect(prop(changed.metadata, 'antidote:lock:status')).toBe('modified');
    expect(prop(changed.components.find((c) => c.name === 'llama-ft'), 'antidote:signature:status')).toBe('failed');
    expect(prop(changed.components.find((c) => c.name === 'llama-ft'), 'antidote:signature:reason')).toMatch(/^digest-mismatch/);
  });
});
