import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signModel, verifyModelSignature } from '../../../src/provenance/signing/index.js';
import { buildCertificate, buildIntermediateCa, buildRootCa, newKeyPair, type CertificateSpec, type TestCa } from '../../builders/x509.js';
import { tempDir, writeModel, writePrivateKey } from './helpers.js';

/*
 * Certificate mode: the bundle embeds the signing certificate and its chain, the user trusts a root or an
 * intermediate. Each broken chain is built on purpose and must fail with its own reason code; the control
 * chain next to them verifies.
 */

const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

interface Pki {
  root: TestCa;
  intermediate: TestCa;
  dir: string;
}

function pki(intermediateOverrides: Partial<CertificateSpec> = {}): Pki {
  const root = buildRootCa({ o: 'antidote.test', cn: 'root' });
  const intermediate = buildIntermediateCa(root, { o: 'antidote.test', cn: 'intermediate' }, intermediateOverrides);
  return { root, intermediate, dir: tempDir('antidote-pki-') };
}

function writePem(dir: string, name: string, ...pems: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, pems.join(''));
  return path;
}

/** Sign a fresh model with a leaf issued by `issuer`; returns what verification needs. */
async function signWithLeaf(p: Pki, leaf: Partial<CertificateSpec> = {}, issuer: TestCa = p.intermediate, chain: string[] = [p.intermediate.certificate.pem]) {
  const pair = newKeyPair('P-384');
  const certificate = buildCertificate({
    subject: { cn: 'model-signer' },
    publicKey: pair.publicKey,
    issuer: issuer.issuer,
    serial: 9,
    notBefore: new Date('2025-01-01T00:00:00Z'),
    notAfter: new Date('2026-01-01T00:00:00Z'),
    keyUsage: { digitalSignature: true },
    extendedKeyUsage: [CODE_SIGNING],
    ...leaf,
  });
  const model = writeModel({ 'weights.bin': 'w', 'config.json': '{}' });
  const signed = await signModel({
    modelPath: model,
    privateKeyPath: writePrivateKey(p.dir, pair.privateKey, 'leaf-key.pem'),
    certificateChainPaths: [writePem(p.dir, 'leaf.pem', certificate.pem), ...(chain.length ? [writePem(p.dir, 'chain.pem', ...chain)] : [])],
  });
  return {
    model,
    signed,
    verify: (trusted: string[]) => verifyModelSignature({ modelPath: model, signaturePath: signed.signaturePath, trust: { kind: 'certificate', certificateChainPaths: [writePem(p.dir, 'trusted.pem', ...trusted)] } }),
  };
}

describe('certificate mode', () => {
  it('control: a leaf issued through an intermediate verifies against the root', async () => {
    const p = pki();
    const { verify, signed } = await signWithLeaf(p);
    const bundle = JSON.parse(signed.bundle);
    expect(bundle.verificationMaterial.x509CertificateChain.certificates).toHaveLength(2);
    expect(bundle.verificationMaterial.tlogEntries).toEqual([]);
    const result = await verify([p.root.certificate.pem]);
    expect(result.reason).toBeUndefined();
    expect(result.status).toBe('verified');
    expect(result.signer?.certificateSubject).toBe('CN=model-signer');
  });

  it('trusting only the intermediate (pinned) verifies too', async () => {
    const p = pki();
    const { verify } = await signWithLeaf(p);
    expect((await verify([p.intermediate.certificate.pem])).status).toBe('verified');
  });

  it('a root the user does not trust is chain-untrusted', async () => {
    const p = pki();
    const { verify } = await signWithLeaf(p);
    const stranger = buildRootCa({ cn: 'someone else' });
    expect((await verify([stranger.certificate.pem])).reason?.code).toBe('chain-untrusted');
  });

  it('a chain that leaves out the intermediate cannot reach the root: chain-untrusted', async () => {
    const p = pki();
    const { verify } = await signWithLeaf(p, {}, p.intermediate, []);
    expect((await verify([p.root.certificate.pem])).reason?.code).toBe('chain-untrusted');
  });

  it('an intermediate that is not a CA (basicConstraints cA false) is certificate-not-ca', async () => {
    const p = pki({ ca: { ca: false } });
    const { verify } = await signWithLeaf(p);
    expect((await verify([p.root.certificate.pem])).reason?.code).toBe('certificate-not-ca');
  });

  it('an intermediate whose key usage lacks keyCertSign is refused as an issuer', async () => {
    const p = pki({ keyUsage: { digitalSignature: true } });
    const { verify } = await signWithLeaf(p);
    expect((await verify([p.root.certificate.pem])).reason?.code).toBe('certificate-not-ca');
  });

  it('a path longer than the root allows (pathLen 0 above two CAs) is certificate-not-ca', async () => {
    const root = buildRootCa({ cn: 'root' });
    const first = buildIntermediateCa(root, { cn: 'first' }, { ca: { ca: true, pathLength: 0 } });
    const second = buildIntermediateCa(first, { cn: 'second' }, { ca: { ca: true } });
    const p: Pki = { root, intermediate: second, dir: tempDir() };
    const { verify } = await signWithLeaf(p, {}, second, [second.certificate.pem, first.certificate.pem]);
    expect((await verify([root.certificate.pem])).reason?.code).toBe('certificate-not-ca');
  });

  it('an intermediate that had expired when the leaf was issued is certificate-expired', async () => {
    const p = pki({ notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2024-06-01T00:00:00Z') });
    const { verify } = await signWithLeaf(p);
    expect((await verify([p.root.certificate.pem])).reason?.code).toBe('certificate-expired');
  });

  it('a leaf without digitalSignature is certificate-usage', async () => {
    const p = pki();
    const { verify } = await signWithLeaf(p, { keyUsage: { keyCertSign: true } });
    expect((await verify([p.root.certificate.pem])).reason?.code).toBe('certificate-usage');
  });

  it('a leaf for TLS servers only (no codeSigning) is certificate-usage', async () => {
    const p = pki();
    const { verify } = await signWithLeaf(p, { extendedKeyUsage: ['1.3.6.1.5.5.7.3.1'] });
    expect((await verify([p.root.certificate.pem])).reason?.code).toBe('certificate-usage');
  });

  it('a critical extension the verifier does not implement is certificate-critical-extension', async () => {
    const p = pki();
    const { verify } = await signWithLeaf(p, { extra: [{ oid: '1.2.3.4.5', critical: true, value: Buffer.from([0x05, 0x00]) }] });
    expect((await verify([p.root.certificate.pem])).reason?.code).toBe('certificate-critical-extension');
  });

  it('a leaf whose signature was made by another CA key (forged issuer name) is chain-untrusted', async () => {
    const p = pki();
    const impostor = buildRootCa({ o: 'antidote.test', cn: 'intermediate' });
    // Same issuer name as the real intermediate, different key: the name matches, the signature does not.
    const { verify } = await signWithLeaf(p, {}, impostor);
    expect((await verify([p.root.certificate.pem])).reason?.code).toBe('chain-untrusted');
  });

  it('signing with a certificate that does not hold the private key is refused (KEY_INVALID)', async () => {
    const p = pki();
    const other = newKeyPair('P-384');
    const certificate = buildCertificate({ subject: { cn: 'x' }, publicKey: other.publicKey, issuer: p.intermediate.issuer });
    const mine = newKeyPair('P-384');
    await expect(
      signModel({ modelPath: writeModel({ a: '1' }), privateKeyPath: writePrivateKey(p.dir, mine.privateKey), certificateChainPaths: [writePem(p.dir, 'c.pem', certificate.pem)] }),
    ).rejects.toMatchObject({ code: 'KEY_INVALID' });
  });

  it('a trusted-certificate file without any certificate is KEY_INVALID naming the file', async () => {
    const p = pki();
    const { model, signed } = await signWithLeaf(p);
    const empty = writePem(p.dir, 'empty.pem', 'not a certificate\n');
    await expect(verifyModelSignature({ modelPath: model, signaturePath: signed.signaturePath, trust: { kind: 'certificate', certificateChainPaths: [empty] } })).rejects.toThrow(empty);
  });
});
