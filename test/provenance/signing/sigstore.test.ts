import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signModel, verifyModelSignature } from '../../../src/provenance/signing/index.js';
import { rootFromInclusionProof, leafHash } from '../../../src/provenance/signing/transparency-log.js';
import { buildSigstoreInstance, makeKeyless, newLeafKey, type KeylessOptions } from '../../builders/sigstore-instance.js';
import { buildIntermediateCa, buildRootCa } from '../../builders/x509.js';
import { tempDir, writeModel } from './helpers.js';

/*
 * Keyless (Sigstore) verification against an instance built in the test: our own Fulcio-like CA, Rekor-like
 * log key and trusted_root.json, since no public instance is reachable offline. The control verifies;
 * each broken piece fails with its own reason code.
 */

const IDENTITY = 'signer@antidote.test';
const ISSUER = 'https://oidc.antidote.test';
const instance = buildSigstoreInstance();

async function keyless(options: KeylessOptions = {}, rootMutation?: (root: Record<string, any>) => void) {
  const dir = tempDir('antidote-keyless-');
  const leafKey = newLeafKey();
  const model = writeModel({ 'model.safetensors': Buffer.alloc(256, 3), 'tokenizer.json': '{"v":1}' });
  const signed = await signModel({ modelPath: model, privateKeyPath: leafKey.pemPath(dir) });
  makeKeyless(instance, signed.signaturePath, leafKey, options);
  const trustedRootPath = instance.writeTrustedRoot(dir, rootMutation as (root: Record<string, unknown>) => void);
  const verify = (identity = IDENTITY, issuer = ISSUER) => verifyModelSignature({ modelPath: model, signaturePath: signed.signaturePath, trust: { kind: 'sigstore', identity, issuer, trustedRootPath } });
  return { model, signaturePath: signed.signaturePath, trustedRootPath, verify };
}

describe('Sigstore mode against a test instance', () => {
  it('control: a keyless bundle from the instance verifies, with every check', async () => {
    const { verify } = await keyless();
    const result = await verify();
    expect(result.reason).toBeUndefined();
    expect(result.status).toBe('verified');
    expect(result.checks).toEqual(['bundle', 'tlog-signed-entry-timestamp', 'tlog-inclusion-proof', 'tlog-checkpoint', 'certificate-chain', 'identity', 'issuer', 'dsse-signature', 'tlog-body', 'statement', 'files']);
    expect(result.signer).toMatchObject({ identity: IDENTITY, issuer: ISSUER, tlog: { baseUrl: 'https://rekor.antidote.test', logIndex: '4242' }, signedAt: '2025-06-01T12:01:00.000Z' });
  });

  it('a certificate with only the legacy (1.1) issuer extension verifies', async () => {
    const { verify } = await keyless({ issuerExtensions: 'v1' });
    expect((await verify()).status).toBe('verified');
  });

  it('wrong identity: identity-mismatch', async () => {
    const { verify } = await keyless();
    expect((await verify('mallory@antidote.test')).reason?.code).toBe('identity-mismatch');
  });

  it('wrong issuer: issuer-mismatch', async () => {
    const { verify } = await keyless();
    expect((await verify(IDENTITY, 'https://accounts.example.com')).reason?.code).toBe('issuer-mismatch');
  });

  it('issuer extensions that disagree with each other: issuer-mismatch', async () => {
    const { verify } = await keyless({ leaf: { fulcioIssuerV1: 'https://evil.example' } });
    expect((await verify()).reason?.code).toBe('issuer-mismatch');
  });

  it('wrong CA (a leaf from a CA the trusted root does not list): chain-untrusted', async () => {
    const rogueRoot = buildRootCa({ o: 'antidote.test', cn: 'sigstore' });
    const rogue = buildIntermediateCa(rogueRoot, { o: 'antidote.test', cn: 'sigstore-intermediate' });
    const { verify } = await keyless({ ca: rogue });
    expect((await verify()).reason?.code).toBe('chain-untrusted');
  });

  it('tampered signed entry timestamp: tlog-set-invalid', async () => {
    const { verify } = await keyless({ tamper: { set: true } });
    expect((await verify()).reason?.code).toBe('tlog-set-invalid');
  });

  it('certificate already expired at the log time: certificate-expired', async () => {
    const { verify } = await keyless({ notBefore: new Date('2025-06-01T12:00:00Z'), notAfter: new Date('2025-06-01T12:10:00Z'), integratedTime: new Date('2025-06-01T12:30:00Z') });
    expect((await verify()).reason?.code).toBe('certificate-expired');
  });

  it('logged before the certificate existed: certificate-expired', async () => {
    const { verify } = await keyless({ notBefore: new Date('2025-06-01T12:00:00Z'), integratedTime: new Date('2025-06-01T11:00:00Z') });
    expect((await verify()).reason?.code).toBe('certificate-expired');
  });

  it('a broken inclusion proof: tlog-inclusion-proof-invalid', async () => {
    const { verify } = await keyless({ tamper: { proofHash: true } });
    expect((await verify()).reason?.code).toBe('tlog-inclusion-proof-invalid');
  });

  it('a checkpoint not signed by the log: tlog-checkpoint-invalid', async () => {
    const { verify } = await keyless({ tamper: { checkpointSignature: true } });
    expect((await verify()).reason?.code).toBe('tlog-checkpoint-invalid');
  });

  it('a log entry for another payload: tlog-body-mismatch', async () => {
    const { verify } = await keyless({ tamper: { bodyPayloadHash: true } });
    expect((await verify()).reason?.code).toBe('tlog-body-mismatch');
  });

  it('no log entry at all: tlog-missing', async () => {
    const { verify } = await keyless({ omit: { entry: true } });
    expect((await verify()).reason?.code).toBe('tlog-missing');
  });

  it('a second log entry (another artifact lending its earlier time) is refused: bundle-malformed', async () => {
    const { verify, signaturePath } = await keyless();
    const bundle = JSON.parse(readFileSync(signaturePath, 'utf8'));
    bundle.verificationMaterial.tlogEntries.push(structuredClone(bundle.verificationMaterial.tlogEntries[0]));
    writeFileSync(signaturePath, JSON.stringify(bundle));
    expect((await verify()).reason?.code).toBe('bundle-malformed');
  });

  it('an entry without a signed entry timestamp (integrated time unauthenticated): tlog-missing', async () => {
    const { verify } = await keyless({ omit: { set: true } });
    expect((await verify()).reason?.code).toBe('tlog-missing');
  });

  it('an entry without an inclusion proof still verifies on its signed entry timestamp', async () => {
    const { verify } = await keyless({ omit: { proof: true } });
    const result = await verify();
    expect(result.status).toBe('verified');
    expect(result.checks).not.toContain('tlog-inclusion-proof');
  });

  it('a log the trusted root does not list: tlog-unknown-log', async () => {
    const other = buildSigstoreInstance();
    const { verify } = await keyless({}, (root) => (root.tlogs = other.trustedRoot.tlogs));
    expect((await verify()).reason?.code).toBe('tlog-unknown-log');
  });

  it('a CA whose trust period ended before the signature: chain-untrusted', async () => {
    const { verify } = await keyless({}, (root) => (root.certificateAuthorities[0].validFor.end = '2025-01-01T00:00:00Z'));
    expect((await verify()).reason?.code).toBe('chain-untrusted');
  });

  it('the DSSE signature is still checked: a changed statement is signature-invalid', async () => {
    const { verify, signaturePath } = await keyless();
    const bundle = JSON.parse(readFileSync(signaturePath, 'utf8'));
    const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
    payload[20] = payload[20]! ^ 0x01;
    bundle.dsseEnvelope.payload = payload.toString('base64');
    writeFileSync(signaturePath, JSON.stringify(bundle));
    expect((await verify()).reason?.code).toBe('signature-invalid');
  });

  it('a changed model file is digest-mismatch after every signer check passed', async () => {
    const { verify, model } = await keyless();
    writeFileSync(`${model}/tokenizer.json`, '{"v":2}');
    const result = await verify();
    expect(result.reason).toMatchObject({ code: 'digest-mismatch', path: 'tokenizer.json' });
    expect(result.checks).toContain('tlog-body');
  });

  it('a key-signed bundle offered as keyless is material-mismatch', async () => {
    const dir = tempDir();
    const leafKey = newLeafKey();
    const model = writeModel({ a: '1' });
    const signed = await signModel({ modelPath: model, privateKeyPath: leafKey.pemPath(dir) });
    const result = await verifyModelSignature({ modelPath: model, signaturePath: signed.signaturePath, trust: { kind: 'sigstore', identity: IDENTITY, issuer: ISSUER, trustedRootPath: instance.writeTrustedRoot(dir) } });
    expect(result.reason?.code).toBe('material-mismatch');
  });

  it('a trusted root that is not one is TRUST_ROOT_INVALID naming the field, not a verdict', async () => {
    const { model, signaturePath } = await keyless();
    const bad = `${tempDir()}/root.json`;
    writeFileSync(bad, JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [{ publicKey: {} }] }));
    const error = await verifyModelSignature({ modelPath: model, signaturePath, trust: { kind: 'sigstore', identity: IDENTITY, issuer: ISSUER, trustedRootPath: bad } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TRUST_ROOT_INVALID' });
    expect((error as Error).message).toContain('tlogs[0].publicKey.rawBytes');
  });
});

describe('RFC 6962 inclusion proofs', () => {
  it('the proofs of the public-good vectors lead to their root hashes, and a one-bit change does not', () => {
    for (const version of ['v1.0.0', 'v1.0.1', 'v1.1.0']) {
      const bundle = JSON.parse(readFileSync(new URL(`../../fixtures/signing/model-signing-vectors/${version}-sigstore/model.sig`, import.meta.url), 'utf8'));
      const entry = bundle.verificationMaterial.tlogEntries[0];
      const proof = entry.inclusionProof;
      const leaf = leafHash(Buffer.from(entry.canonicalizedBody, 'base64'));
      const hashes = proof.hashes.map((h: string) => Buffer.from(h, 'base64'));
      const root = rootFromInclusionProof(leaf, BigInt(proof.logIndex), BigInt(proof.treeSize), hashes);
      expect(root?.toString('base64')).toBe(proof.rootHash);
      expect(rootFromInclusionProof(leaf, BigInt(proof.logIndex) + 1n, BigInt(proof.treeSize), hashes)?.toString('base64')).not.toBe(proof.rootHash);
      expect(rootFromInclusionProof(leaf, BigInt(proof.treeSize), BigInt(proof.treeSize), hashes)).toBeUndefined();
    }
  });
});
