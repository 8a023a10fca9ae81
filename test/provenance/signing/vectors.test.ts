import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signModel, verifyModelSignature, type SignatureTrust } from '../../../src/provenance/signing/index.js';
import { publicKeyHint } from '../../../src/provenance/signing/keys.js';
import { pythonJson, type OrderedJson } from '../../../src/provenance/signing/statement.js';
import { preAuthEncoding } from '../../../src/readers/sigstore/dsse.js';
import { copyVector, PUBLIC_GOOD_ROOT, tempDir, VECTOR_IDENTITY, VECTOR_ISSUER, VECTOR_KEYS, VECTORS } from './helpers.js';

/*
 * Compatibility with the reference implementation (sigstore/model-transparency): every one of its v1.x test
 * vectors verifies with the options its own test scripts use, and what `signModel` writes has the shape,
 * field order and bytes-on-the-wire conventions of the reference's v1.1.0 elliptic-key vector.
 */

const keyTrust: SignatureTrust = { kind: 'public-key', publicKeyPath: join(VECTOR_KEYS, 'signing-key-pub.pem') };
const certificateTrust: SignatureTrust = { kind: 'certificate', certificateChainPaths: [join(VECTOR_KEYS, 'ca-cert.pem')] };
const sigstoreTrust = (identity = VECTOR_IDENTITY, issuer = VECTOR_ISSUER, trustedRootPath = PUBLIC_GOOD_ROOT): SignatureTrust => ({ kind: 'sigstore', identity, issuer, trustedRootPath });

/** The reference's own test invocations: model path, and --ignore-paths ./VDIR/ignore-me where the folder has one. */
function vectorRun(name: string, trust: SignatureTrust) {
  const dir = join(VECTORS, name);
  const model = name === 'v1.0.0-elliptic-key' ? join(dir, 'signme-1') : dir;
  return verifyModelSignature({ modelPath: model, signaturePath: join(dir, 'model.sig'), trust, ignorePaths: [join(dir, 'ignore-me')] });
}

describe('the reference v1.x vectors verify', () => {
  it.each(['v1.0.0', 'v1.0.1', 'v1.1.0'])('%s elliptic-key, with the P-384 public key', async (version) => {
    const result = await vectorRun(`${version}-elliptic-key`, keyTrust);
    expect(result.reason).toBeUndefined();
    expect(result.status).toBe('verified');
    expect(result.checks).toEqual(['bundle', 'key', 'dsse-signature', 'statement', 'files']);
    expect(result.signer?.curve).toBe('P-384');
  });

  it.each(['v1.0.0', 'v1.0.1', 'v1.1.0'])('%s certificate, chained to the vectors root CA through the bundle intermediate', async (version) => {
    const result = await vectorRun(`${version}-certificate`, certificateTrust);
    expect(result.reason).toBeUndefined();
    expect(result.status).toBe('verified');
    expect(result.checks).toContain('certificate-chain');
    expect(result.signer?.certificateSubject).toBe('CN=intermediate-ca');
  });

  it.each(['v1.0.0', 'v1.0.1', 'v1.1.0'])('%s certificate, with only the intermediate trusted (pinned)', async (version) => {
    const result = await vectorRun(`${version}-certificate`, { kind: 'certificate', certificateChainPaths: [join(VECTOR_KEYS, 'int-ca-cert.pem')] });
    expect(result.status).toBe('verified');
  });

  it.each(['v1.0.0', 'v1.0.1', 'v1.1.0'])('%s sigstore, offline against the public-good trusted root', async (version) => {
    const result = await vectorRun(`${version}-sigstore`, sigstoreTrust());
    expect(result.reason).toBeUndefined();
    expect(result.status).toBe('verified');
    expect(result.checks).toEqual(['bundle', 'tlog-signed-entry-timestamp', 'tlog-inclusion-proof', 'tlog-checkpoint', 'certificate-chain', 'identity', 'issuer', 'dsse-signature', 'tlog-body', 'statement', 'files']);
    expect(result.signer?.identity).toBe(VECTOR_IDENTITY);
    expect(result.signer?.tlog?.baseUrl).toBe('https://rekor.sigstore.dev');
  });

  it('the v1.1.0 sigstore vector notes its RFC 3161 timestamp as not checked', async () => {
    const result = await vectorRun('v1.1.0-sigstore', sigstoreTrust());
    expect(result.notes.join(' ')).toMatch(/RFC 3161/);
  });
});

describe('the reference vectors fail where the reference fails', () => {
  it('v1.0.1 needs --ignore-paths for ignore-me (its statement does not list ignore paths)', async () => {
    const dir = join(VECTORS, 'v1.0.1-elliptic-key');
    const result = await verifyModelSignature({ modelPath: dir, signaturePath: join(dir, 'model.sig'), trust: keyTrust });
    expect(result.status).toBe('failed');
    expect(result.reason?.code).toBe('file-extra');
    expect(result.reason?.path).toBe('ignore-me');
  });

  it('v1.1.0 needs no --ignore-paths: the statement lists ignore-me itself', async () => {
    const dir = join(VECTORS, 'v1.1.0-elliptic-key');
    const result = await verifyModelSignature({ modelPath: dir, signaturePath: join(dir, 'model.sig'), trust: keyTrust });
    expect(result.status).toBe('verified');
    expect(result.ignored).toEqual(['ignore-me', 'model.sig']);
  });

  it('a Sigstore vector with another identity is identity-mismatch', async () => {
    const result = await vectorRun('v1.1.0-sigstore', sigstoreTrust('someone@example.com'));
    expect(result.reason?.code).toBe('identity-mismatch');
  });

  it('a Sigstore vector with another OIDC issuer is issuer-mismatch', async () => {
    const result = await vectorRun('v1.1.0-sigstore', sigstoreTrust(VECTOR_IDENTITY, 'https://accounts.google.com'));
    expect(result.reason?.code).toBe('issuer-mismatch');
  });

  it('a Sigstore vector against a root without the 2022 Fulcio CA is chain-untrusted', async () => {
    const root = JSON.parse(readFileSync(PUBLIC_GOOD_ROOT, 'utf8'));
    root.certificateAuthorities = root.certificateAuthorities.slice(0, 1);
    const path = join(tempDir(), 'root.json');
    writeFileSync(path, JSON.stringify(root));
    const result = await vectorRun('v1.1.0-sigstore', sigstoreTrust(VECTOR_IDENTITY, VECTOR_ISSUER, path));
    expect(result.reason?.code).toBe('chain-untrusted');
  });

  it('a key vector checked with the certificate trust is material-mismatch, a certificate vector with the key is verified (same key)', async () => {
    expect((await vectorRun('v1.1.0-elliptic-key', certificateTrust)).reason?.code).toBe('material-mismatch');
    expect((await vectorRun('v1.1.0-certificate', keyTrust)).status).toBe('verified');
  });
});

/** Key order of every object in a JSON value, as paths: what "same shape, same order" means. */
function keyOrder(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return value.length ? keyOrder(value[0], `${path}[]`) : [];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [`${path}.${k}`, ...keyOrder(v, `${path}.${k}`)]);
}

describe('what signModel writes matches the reference field for field', () => {
  const reference = JSON.parse(readFileSync(join(VECTORS, 'v1.1.0-elliptic-key', 'model.sig'), 'utf8'));
  const referencePayload = JSON.parse(Buffer.from(reference.dsseEnvelope.payload, 'base64').toString('utf8'));

  it('the statement writer reproduces every vector payload byte for byte (json.dumps indent=2, ensure_ascii)', () => {
    for (const version of ['v1.0.0', 'v1.0.1', 'v1.1.0']) {
      for (const mode of ['elliptic-key', 'certificate', 'sigstore']) {
        const bundle = JSON.parse(readFileSync(join(VECTORS, `${version}-${mode}`, 'model.sig'), 'utf8'));
        const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8');
        expect(pythonJson(JSON.parse(payload) as OrderedJson)).toBe(payload);
      }
    }
  });

  it('signing the v1.1.0 model with the vector key gives the reference bundle, up to the signature and the ignore-path order', async () => {
    const model = copyVector('v1.1.0-elliptic-key');
    const out = await signModel({ modelPath: model, privateKeyPath: join(VECTOR_KEYS, 'signing-key.pem'), ignorePaths: [join(model, 'ignore-me')] });
    const ours = JSON.parse(out.bundle);
    const ourPayload = JSON.parse(Buffer.from(ours.dsseEnvelope.payload, 'base64').toString('utf8'));

    expect(keyOrder(ours)).toEqual(keyOrder(reference));
    expect(keyOrder(ourPayload)).toEqual(keyOrder(referencePayload));
    expect(ours.mediaType).toBe(reference.mediaType);
    expect(ours.verificationMaterial).toEqual(reference.verificationMaterial);
    expect(ours.dsseEnvelope.signatures[0].keyid).toBe('');
    const sorted = (p: any) => ({ ...p, predicate: { ...p.predicate, serialization: { ...p.predicate.serialization, ignore_paths: [...p.predicate.serialization.ignore_paths].sort() } } });
    expect(sorted(ourPayload)).toEqual(sorted(referencePayload));
    // Compact JSON with no trailing newline, as the reference writes it.
    expect(readFileSync(out.signaturePath, 'utf8')).toBe(out.bundle);
    expect(out.bundle).not.toMatch(/\s/);
  });

  it("the bundle's key hint is the sha256 of the PEM public key, as model_signing computes it", () => {
    const key = createPublicKey(readFileSync(join(VECTOR_KEYS, 'signing-key-pub.pem')));
    expect(publicKeyHint(key)).toBe(reference.verificationMaterial.publicKey.hint);
  });

  it('a P-384 signature is made over SHA-384, not SHA-256, of the DSSE PAE', async () => {
    const model = copyVector('v1.1.0-elliptic-key');
    const out = await signModel({ modelPath: model, privateKeyPath: join(VECTOR_KEYS, 'signing-key.pem') });
    const bundle = JSON.parse(out.bundle);
    const pae = preAuthEncoding(bundle.dsseEnvelope.payloadType, Buffer.from(bundle.dsseEnvelope.payload, 'base64'));
    const sig = Buffer.from(bundle.dsseEnvelope.signatures[0].sig, 'base64');
    const key = createPublicKey(readFileSync(join(VECTOR_KEYS, 'signing-key-pub.pem')));
    expect(cryptoVerify('sha384', pae, key, sig)).toBe(true);
    expect(cryptoVerify('sha256', pae, key, sig)).toBe(false);
    // And the reference's own v1.1.0 signature is over SHA-384 too.
    const refPae = preAuthEncoding(reference.dsseEnvelope.payloadType, Buffer.from(reference.dsseEnvelope.payload, 'base64'));
    expect(cryptoVerify('sha384', refPae, key, Buffer.from(reference.dsseEnvelope.signatures[0].sig, 'base64'))).toBe(true);
  });

  it('the PAE is DSSEv1 SP len(type) SP type SP len(body) SP body', () => {
    expect(preAuthEncoding('application/vnd.in-toto+json', Buffer.from('{}')).toString()).toBe('DSSEv1 28 application/vnd.in-toto+json 2 {}');
  });
});
