import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { signModel, verifyModelSignature, type SignatureTrust } from '../../../src/provenance/signing/index.js';
import { preAuthEncoding } from '../../../src/readers/sigstore/dsse.js';
import { tempDir, writeModel, writePrivateKey, writePublicKey } from './helpers.js';

/*
 * The tamper matrix: every single-byte change of every model file, of the decoded DSSE signature and of the
 * decoded statement (re-encoded into the bundle) must fail, each with the reason that names what changed.
 * Then statements that are validly signed but wrong in themselves (a forged root digest, a path outside the
 * model, another payload type), which only the checks after the signature can catch.
 */

const FILES = { 'config.json': '{"hidden_size": 64, "layers": 2}', 'weights.bin': Buffer.from(Array.from({ length: 40 }, (_, i) => (i * 37) & 0xff)) };

interface Fixture {
  model: string;
  signature: string;
  trust: SignatureTrust;
  bundle: Record<string, any>;
  privateKey: KeyObject;
}

async function fixture(namedCurve: string): Promise<Fixture> {
  const dir = tempDir('antidote-tamper-keys-');
  const pair = generateKeyPairSync('ec', { namedCurve });
  const model = writeModel(FILES);
  const signed = await signModel({ modelPath: model, privateKeyPath: writePrivateKey(dir, pair.privateKey) });
  return { model, signature: signed.signaturePath, trust: { kind: 'public-key', publicKeyPath: writePublicKey(dir, pair.publicKey) }, bundle: JSON.parse(signed.bundle), privateKey: pair.privateKey };
}

const verifyWith = (f: Fixture, bundle: unknown) => {
  writeFileSync(f.signature, JSON.stringify(bundle));
  return verifyModelSignature({ modelPath: f.model, signaturePath: f.signature, trust: f.trust });
};

describe.each(['prime256v1', 'secp521r1'])('tamper matrix, %s key', (namedCurve) => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture(namedCurve);
  });

  it('control: the untouched model verifies', async () => {
    expect((await verifyWith(f, f.bundle)).status).toBe('verified');
  });

  it('every single-byte change of every model file is digest-mismatch naming that file', async () => {
    for (const name of Object.keys(FILES)) {
      const path = join(f.model, name);
      const original = readFileSync(path);
      for (let i = 0; i < original.length; i++) {
        const changed = Buffer.from(original);
        changed[i] = changed[i]! ^ 0x01;
        writeFileSync(path, changed);
        const result = await verifyWith(f, f.bundle);
        expect(result.status, `${name} byte ${i}`).toBe('failed');
        expect(result.reason?.code).toBe('digest-mismatch');
        expect(result.reason?.path).toBe(name);
      }
      writeFileSync(path, original);
    }
    expect((await verifyWith(f, f.bundle)).status).toBe('verified');
  });

  it('every single-byte change of the decoded signature is signature-invalid', async () => {
    const sig = Buffer.from(f.bundle.dsseEnvelope.signatures[0].sig, 'base64');
    for (let i = 0; i < sig.length; i++) {
      for (const mask of [0x01, 0x80]) {
        const changed = Buffer.from(sig);
        changed[i] = changed[i]! ^ mask;
        const bundle = structuredClone(f.bundle);
        bundle.dsseEnvelope.signatures[0].sig = changed.toString('base64');
        const result = await verifyWith(f, bundle);
        expect(result.reason?.code, `signature byte ${i} ^ ${mask}`).toBe('signature-invalid');
        expect(result.checks).not.toContain('files');
      }
    }
  });

  it('every single-byte change of the decoded statement is signature-invalid, and no file is read', async () => {
    const payload = Buffer.from(f.bundle.dsseEnvelope.payload, 'base64');
    for (let i = 0; i < payload.length; i++) {
      const changed = Buffer.from(payload);
      changed[i] = changed[i]! ^ 0x01;
      const bundle = structuredClone(f.bundle);
      bundle.dsseEnvelope.payload = changed.toString('base64');
      const result = await verifyWith(f, bundle);
      expect(result.reason?.code, `payload byte ${i}`).toBe('signature-invalid');
      expect(result.model).toBeUndefined();
    }
  });

  it('a changed payload type breaks the PAE and so the signature', async () => {
    const bundle = structuredClone(f.bundle);
    bundle.dsseEnvelope.payloadType = 'application/vnd.in-toto+jsom';
    expect((await verifyWith(f, bundle)).reason?.code).toBe('signature-invalid');
  });

  it('a changed key hint is key-mismatch; a changed media type makes the bundle unsupported (no verdict)', async () => {
    const hinted = structuredClone(f.bundle);
    hinted.verificationMaterial.publicKey.hint = '00'.repeat(32);
    expect((await verifyWith(f, hinted)).reason?.code).toBe('key-mismatch');
    const media = structuredClone(f.bundle);
    media.mediaType = 'application/vnd.dev.sigstore.bundle.v0.4+json';
    const result = await verifyWith(f, media);
    expect(result.status).toBe('unverifiable');
    expect(result.reason?.code).toBe('bundle-unsupported');
  });

  it('a second signature in the envelope is refused (model_signing writes one; which would count is ambiguous)', async () => {
    const bundle = structuredClone(f.bundle);
    bundle.dsseEnvelope.signatures.push(bundle.dsseEnvelope.signatures[0]);
    expect((await verifyWith(f, bundle)).reason).toMatchObject({ code: 'bundle-malformed', path: 'dsseEnvelope.signatures' });
  });
});

describe('validly signed statements that lie', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture('prime256v1');
  });

  /** Re-sign a modified statement with the real key, as a signer with a bug (or a confused signer) would. */
  const resign = (mutate: (statement: Record<string, any>) => void, payloadType = 'application/vnd.in-toto+json') => {
    const statement = JSON.parse(Buffer.from(f.bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
    mutate(statement);
    const payload = Buffer.from(JSON.stringify(statement));
    const bundle = structuredClone(f.bundle);
    bundle.dsseEnvelope.payload = payload.toString('base64');
    bundle.dsseEnvelope.payloadType = payloadType;
    bundle.dsseEnvelope.signatures[0].sig = sign('sha256', preAuthEncoding(payloadType, payload), { key: f.privateKey, dsaEncoding: 'der' }).toString('base64');
    return verifyWith(f, bundle);
  };

  it('control: re-signing the unchanged statement verifies', async () => {
    expect((await resign(() => undefined)).status).toBe('verified');
  });

  it('a subject digest that is not the hash of the resources is root-digest-mismatch', async () => {
    const result = await resign((s) => (s.subject[0].digest.sha256 = 'ab'.repeat(32)));
    expect(result.reason).toMatchObject({ code: 'root-digest-mismatch', path: 'subject[0].digest.sha256' });
  });

  it('a resource outside the model is payload-malformed, before any file is read', async () => {
    const result = await resign((s) => (s.predicate.resources[0].name = '../../etc/shadow'));
    expect(result.reason).toMatchObject({ code: 'payload-malformed', path: 'predicate.resources[0].name' });
    expect(result.checks).not.toContain('files');
  });

  it('another payload type is payload-type', async () => {
    const result = await resign(() => undefined, 'text/plain');
    expect(result.reason?.code).toBe('payload-type');
  });

  it('a blake3 statement is unverifiable (hash-unsupported), never verified', async () => {
    const result = await resign((s) => {
      s.predicate.serialization.hash_type = 'blake3';
      for (const r of s.predicate.resources) r.algorithm = 'blake3';
    });
    expect(result.status).toBe('unverifiable');
    expect(result.reason?.code).toBe('hash-unsupported');
  });

  it('a digest whose length does not fit the hash is refused as hash-unsupported', async () => {
    const result = await resign((s) => {
      s.predicate.resources[0].digest = 'ab'.repeat(20);
      // Keep the root digest consistent so that only the length is wrong.
      const hash = createHash('sha256');
      for (const r of s.predicate.resources) hash.update(Buffer.from(r.digest, 'hex'));
      s.subject[0].digest.sha256 = hash.digest('hex');
    });
    expect(result.reason?.code).toBe('hash-unsupported');
  });
});
