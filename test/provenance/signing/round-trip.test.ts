import { createHash, generateKeyPairSync, verify as cryptoVerify } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AntidoteError } from '../../../src/core/errors.js';
import { signModel, verifyModelSignature } from '../../../src/provenance/signing/index.js';
import { preAuthEncoding } from '../../../src/readers/sigstore/dsse.js';
import { tempDir, writeModel, writePrivateKey, writePublicKey } from './helpers.js';

/*
 * Sign then verify, for every curve model_signing supports, and the manifest rules around it: which files
 * are covered, how ignore paths and the signature file are left out, what happens to extra, missing,
 * renamed and changed files, symlinks and special files.
 */

const CURVES = [
  ['P-256', 'prime256v1', 'sha256'],
  ['P-384', 'secp384r1', 'sha384'],
  ['P-521', 'secp521r1', 'sha512'],
] as const;

function keyPair(namedCurve: string): { priv: string; pub: string } {
  const dir = tempDir('antidote-keys-');
  const pair = generateKeyPairSync('ec', { namedCurve });
  return { priv: writePrivateKey(dir, pair.privateKey), pub: writePublicKey(dir, pair.publicKey) };
}

const P256 = keyPair('prime256v1');

async function signAndVerify(model: string, extra: { ignorePaths?: string[]; verifyIgnore?: string[]; signaturePath?: string } = {}) {
  const signed = await signModel({ modelPath: model, privateKeyPath: P256.priv, ...(extra.ignorePaths ? { ignorePaths: extra.ignorePaths } : {}), ...(extra.signaturePath ? { signaturePath: extra.signaturePath } : {}) });
  return { signed, verify: () => verifyModelSignature({ modelPath: model, signaturePath: signed.signaturePath, trust: { kind: 'public-key', publicKeyPath: P256.pub }, ...(extra.verifyIgnore ? { ignorePaths: extra.verifyIgnore } : {}) }) };
}

describe('round trip on every curve', () => {
  it.each(CURVES)('%s: signs with %s / %s and verifies', async (curve, namedCurve, hash) => {
    const keys = keyPair(namedCurve);
    const model = writeModel({ 'config.json': '{"a":1}', 'weights/model.safetensors': Buffer.alloc(3000, 7) });
    const signed = await signModel({ modelPath: model, privateKeyPath: keys.priv });
    expect(signed.curve).toBe(curve);
    const result = await verifyModelSignature({ modelPath: model, signaturePath: signed.signaturePath, trust: { kind: 'public-key', publicKeyPath: keys.pub } });
    expect(result.reason).toBeUndefined();
    expect(result.status).toBe('verified');
    expect(result.model?.resources).toBe(2);

    // The signature is over the curve's hash of the PAE (model_signing: P-384 -> SHA-384, P-521 -> SHA-512).
    const bundle = JSON.parse(signed.bundle);
    const pae = preAuthEncoding(bundle.dsseEnvelope.payloadType, Buffer.from(bundle.dsseEnvelope.payload, 'base64'));
    const sig = Buffer.from(bundle.dsseEnvelope.signatures[0].sig, 'base64');
    expect(cryptoVerify(hash, pae, readFileSync(keys.pub), sig)).toBe(true);
    if (hash !== 'sha256') expect(cryptoVerify('sha256', pae, readFileSync(keys.pub), sig)).toBe(false);
  });

  it('a signature by another key of the same curve is signature-invalid', async () => {
    const other = keyPair('prime256v1');
    const model = writeModel({ a: 'a' });
    const signed = await signModel({ modelPath: model, privateKeyPath: P256.priv });
    const bundle = JSON.parse(signed.bundle);
    delete bundle.verificationMaterial.publicKey.hint;
    writeFileSync(signed.signaturePath, JSON.stringify(bundle));
    const result = await verifyModelSignature({ modelPath: model, signaturePath: signed.signaturePath, trust: { kind: 'public-key', publicKeyPath: other.pub } });
    expect(result.reason?.code).toBe('signature-invalid');
  });

  it('with the hint left in, a different key is caught earlier as key-mismatch', async () => {
    const other = keyPair('secp384r1');
    const model = writeModel({ a: 'a' });
    const signed = await signModel({ modelPath: model, privateKeyPath: P256.priv });
    const result = await verifyModelSignature({ modelPath: model, signaturePath: signed.signaturePath, trust: { kind: 'public-key', publicKeyPath: other.pub } });
    expect(result.reason?.code).toBe('key-mismatch');
  });

  it('blake2 (Python blake2b, 64-byte digests) round-trips and records the reference names', async () => {
    const model = writeModel({ a: 'hello' });
    const signed = await signModel({ modelPath: model, privateKeyPath: P256.priv, hashType: 'blake2' });
    const payload = JSON.parse(Buffer.from(JSON.parse(signed.bundle).dsseEnvelope.payload, 'base64').toString('utf8'));
    expect(payload.predicate.serialization.hash_type).toBe('blake2');
    expect(payload.predicate.resources[0]).toEqual({ algorithm: 'blake2b', name: 'a', digest: createHash('blake2b512').update('hello').digest('hex') });
    const result = await verifyModelSignature({ modelPath: model, signaturePath: signed.signaturePath, trust: { kind: 'public-key', publicKeyPath: P256.pub } });
    expect(result.status).toBe('verified');
  });

  it('a single-file model is one resource named "." with the file name as subject, and its signature sits beside it', async () => {
    const dir = tempDir();
    const file = join(dir, 'model.onnx');
    writeFileSync(file, 'onnx bytes');
    const signed = await signModel({ modelPath: file, privateKeyPath: P256.priv });
    expect(signed.signaturePath).toBe(`${file}.sig`);
    const payload = JSON.parse(Buffer.from(JSON.parse(signed.bundle).dsseEnvelope.payload, 'base64').toString('utf8'));
    expect(payload.subject[0].name).toBe('model.onnx');
    expect(payload.predicate.resources.map((r: { name: string }) => r.name)).toEqual(['.']);
    const result = await verifyModelSignature({ modelPath: file, signaturePath: signed.signaturePath, trust: { kind: 'public-key', publicKeyPath: P256.pub } });
    expect(result.status).toBe('verified');
  });
});

describe('manifest contents', () => {
  it('lists files in PurePosixPath order (by component), hidden files included, empty folders not', async () => {
    const model = writeModel({ 'a-b': '1', 'a/b': '2', 'a.b': '3', '.hidden': '4', 'B': '5', 'a/c/d': '6' });
    mkdirSync(join(model, 'empty'));
    const { signed } = await signAndVerify(model);
    const payload = JSON.parse(Buffer.from(JSON.parse(signed.bundle).dsseEnvelope.payload, 'base64').toString('utf8'));
    // Python: sorted(PurePosixPath) compares parts: ('a','b') < ('a','c','d') < ('a-b',) < ('a.b',).
    expect(payload.predicate.resources.map((r: { name: string }) => r.name)).toEqual(['.hidden', 'B', 'a/b', 'a/c/d', 'a-b', 'a.b']);
  });

  it('orders names by code point, as Python compares str (not by UTF-16 unit, as JavaScript does)', async () => {
    // U+FF5E is above the surrogate range, U+1F600 is encoded with surrogates: JS '<' would order them the other way.
    const model = writeModel({ '\u{1F600}': '1', '\uFF5E': '2' });
    const { signed, verify } = await signAndVerify(model);
    const payload = JSON.parse(Buffer.from(JSON.parse(signed.bundle).dsseEnvelope.payload, 'base64').toString('utf8'));
    expect(payload.predicate.resources.map((r: { name: string }) => r.name)).toEqual(['\uFF5E', '\u{1F600}']);
    // And the statement escapes non-ASCII as Python's ensure_ascii does.
    expect(Buffer.from(JSON.parse(signed.bundle).dsseEnvelope.payload, 'base64').toString('latin1')).toContain('"\\ud83d\\ude00"');
    expect((await verify()).status).toBe('verified');
  });

  it('leaves out .git* paths, the signature itself and --ignore-paths, and records them relative to the model', async () => {
    const model = writeModel({ 'w.bin': 'w', '.git/HEAD': 'ref', '.gitignore': '*', 'notes/x.txt': 'n', 'ignore-me': '', 'ignore-me-not': 'k' });
    const { signed, verify } = await signAndVerify(model, { ignorePaths: [join(model, 'notes'), join(model, 'ignore-me')] });
    const payload = JSON.parse(Buffer.from(JSON.parse(signed.bundle).dsseEnvelope.payload, 'base64').toString('utf8'));
    expect(payload.predicate.resources.map((r: { name: string }) => r.name)).toEqual(['ignore-me-not', 'w.bin']);
    expect(payload.predicate.serialization.ignore_paths).toEqual(['.git', '.gitattributes', '.github', '.gitignore', 'ignore-me', 'model.sig', 'notes']);
    expect(signed.ignored).toEqual(['.git/', '.gitignore', 'ignore-me', 'notes/']);
    const result = await verify();
    expect(result.status).toBe('verified');
    // What was not checked is visible.
    expect(result.ignored).toEqual(['.git/', '.gitignore', 'ignore-me', 'model.sig', 'notes/']);
  });

  it('files added under a signed-ignored path do not break verification (the signer chose to leave them out)', async () => {
    const model = writeModel({ 'w.bin': 'w' });
    const { verify } = await signAndVerify(model, { ignorePaths: [join(model, 'cache')] });
    mkdirSync(join(model, 'cache'));
    writeFileSync(join(model, 'cache', 'new'), 'x');
    const result = await verify();
    expect(result.status).toBe('verified');
    expect(result.ignored).toContain('cache/');
  });

  it('a signature written outside the model is not recorded as an ignore path', async () => {
    const model = writeModel({ 'w.bin': 'w' });
    const outside = join(tempDir(), 'sig.json');
    const { signed, verify } = await signAndVerify(model, { signaturePath: outside });
    expect(signed.ignorePaths).toEqual(['.git', '.gitattributes', '.github', '.gitignore']);
    expect((await verify()).status).toBe('verified');
  });

  it('refuses to sign a model with nothing left to sign', async () => {
    const model = writeModel({ 'only': 'x' });
    await expect(signModel({ modelPath: model, privateKeyPath: P256.priv, ignorePaths: [join(model, 'only')] })).rejects.toMatchObject({ code: 'MODEL_UNSIGNABLE' });
  });
});

describe('files that differ from the signature', () => {
  it('an extra file is file-extra, naming it', async () => {
    const model = writeModel({ a: '1', b: '2' });
    const { verify } = await signAndVerify(model);
    writeFileSync(join(model, 'payload.pkl'), 'evil');
    const result = await verify();
    expect(result.reason).toMatchObject({ code: 'file-extra', path: 'payload.pkl' });
    expect(result.mismatches).toEqual([{ name: 'payload.pkl', problem: 'extra' }]);
  });

  it('a missing file is file-missing, naming it and its signed digest', async () => {
    const model = writeModel({ a: '1', 'sub/b': '2' });
    const { verify } = await signAndVerify(model);
    unlinkSync(join(model, 'sub', 'b'));
    const result = await verify();
    expect(result.reason).toMatchObject({ code: 'file-missing', path: 'sub/b' });
    expect(result.mismatches[0]).toEqual({ name: 'sub/b', problem: 'missing', expected: createHash('sha256').update('2').digest('hex') });
  });

  it('a renamed file is both missing and extra', async () => {
    const model = writeModel({ a: '1', b: '2' });
    const { verify } = await signAndVerify(model);
    renameSync(join(model, 'b'), join(model, 'c'));
    const result = await verify();
    expect(result.status).toBe('failed');
    expect(result.mismatches).toEqual([
      { name: 'b', problem: 'missing', expected: createHash('sha256').update('2').digest('hex') },
      { name: 'c', problem: 'extra' },
    ]);
  });

  it('two swapped files are two digest mismatches, both listed', async () => {
    const model = writeModel({ a: 'first', b: 'second' });
    const { verify } = await signAndVerify(model);
    writeFileSync(join(model, 'a'), 'second');
    writeFileSync(join(model, 'b'), 'first');
    const result = await verify();
    expect(result.reason?.code).toBe('digest-mismatch');
    expect(result.mismatches.map((m) => [m.name, m.problem])).toEqual([['a', 'digest'], ['b', 'digest']]);
  });

  it('ignoring a signed file at verification makes it missing (ignore paths cannot hide signed content)', async () => {
    const model = writeModel({ a: '1', b: '2' });
    const { verify } = await signAndVerify(model, { verifyIgnore: [] });
    const result = await verifyModelSignature({ modelPath: model, signaturePath: join(model, 'model.sig'), trust: { kind: 'public-key', publicKeyPath: P256.pub }, ignorePaths: [join(model, 'b')] });
    expect((await verify()).status).toBe('verified');
    expect(result.reason).toMatchObject({ code: 'file-missing', path: 'b' });
  });
});

describe('links and special files', () => {
  it('refuses to sign a model holding a symlink unless allowed, then hashes the target', async () => {
    const model = writeModel({ real: 'data' });
    symlinkSync(join(model, 'real'), join(model, 'alias'));
    await expect(signModel({ modelPath: model, privateKeyPath: P256.priv })).rejects.toMatchObject({ code: 'MODEL_UNSIGNABLE' });
    const signed = await signModel({ modelPath: model, privateKeyPath: P256.priv, allowSymlinks: true });
    const payload = JSON.parse(Buffer.from(JSON.parse(signed.bundle).dsseEnvelope.payload, 'base64').toString('utf8'));
    expect(payload.predicate.serialization.allow_symlinks).toBe(true);
    expect(payload.predicate.resources.find((r: { name: string }) => r.name === 'alias').digest).toBe(createHash('sha256').update('data').digest('hex'));
    const result = await verifyModelSignature({ modelPath: model, signaturePath: signed.signaturePath, trust: { kind: 'public-key', publicKeyPath: P256.pub } });
    expect(result.status).toBe('verified');
  });

  it('a symlink planted after signing is symlink-not-allowed (it could point outside the model)', async () => {
    const model = writeModel({ a: '1' });
    const { verify } = await signAndVerify(model);
    symlinkSync('/etc/passwd', join(model, 'passwd'));
    const result = await verify();
    expect(result.reason).toMatchObject({ code: 'symlink-not-allowed', path: 'passwd' });
  });

  it('a FIFO in the model is special-file, and verification does not hang on it', async () => {
    const model = writeModel({ a: '1' });
    const { verify } = await signAndVerify(model);
    execFileSync('mkfifo', [join(model, 'pipe')]);
    const result = await verify();
    expect(result.reason).toMatchObject({ code: 'special-file', path: 'pipe' });
  });
});

describe('caller mistakes are tool errors, not verdicts', () => {
  it('a missing model, signature or key throws AntidoteError with a code', async () => {
    const model = writeModel({ a: '1' });
    const { signed } = await signAndVerify(model);
    await expect(verifyModelSignature({ modelPath: join(model, 'nope'), signaturePath: signed.signaturePath, trust: { kind: 'public-key', publicKeyPath: P256.pub } })).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
    await expect(verifyModelSignature({ modelPath: model, signaturePath: join(model, 'nope.sig'), trust: { kind: 'public-key', publicKeyPath: P256.pub } })).rejects.toMatchObject({ code: 'INPUT_NOT_FOUND' });
    await expect(verifyModelSignature({ modelPath: model, signaturePath: signed.signaturePath, trust: { kind: 'public-key', publicKeyPath: join(model, 'a') } })).rejects.toBeInstanceOf(AntidoteError);
  });

  it('an RSA or Ed25519 key, or a curve model_signing does not use, is KEY_INVALID naming the key', async () => {
    const dir = tempDir();
    for (const [type, options] of [['rsa', { modulusLength: 2048 }], ['ed25519', {}], ['ec', { namedCurve: 'secp256k1' }]] as const) {
      const pair = generateKeyPairSync(type as 'rsa', options as { modulusLength: number });
      const priv = writePrivateKey(dir, pair.privateKey, `${type}.pem`);
      const error = await signModel({ modelPath: writeModel({ a: '1' }), privateKeyPath: priv }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'KEY_INVALID' });
      expect((error as Error).message).toContain(priv);
    }
  });

  it('an unwritable output is OUTPUT_UNWRITABLE', async () => {
    const model = writeModel({ a: '1' });
    const missingDir = join(tempDir(), 'no', 'such', 'dir', 'model.sig');
    rmSync(dirname(dirname(missingDir)), { recursive: true, force: true });
    await expect(signModel({ modelPath: model, privateKeyPath: P256.priv, signaturePath: missingDir })).rejects.toMatchObject({ code: 'OUTPUT_UNWRITABLE' });
  });
});
