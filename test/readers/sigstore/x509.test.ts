import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DerError, decodeDer, decodeOid, MAX_DER_DEPTH } from '../../../src/readers/sigstore/der.js';
import { parseCertificate } from '../../../src/readers/sigstore/x509.js';
import { buildCertificate, buildRootCa, der, newKeyPair, tlv } from '../../builders/x509.js';

/*
 * The X.509 reader against real certificates (the reference vectors' CA chain, public-good Fulcio leaves)
 * and hostile DER built byte by byte, each case named for what it stops, next to a control that parses.
 */

const VECTORS = new URL('../../fixtures/signing/model-signing-vectors/', import.meta.url);
const bundleCertificate = (vector: string, index = 0): Buffer => {
  const bundle = JSON.parse(readFileSync(new URL(`${vector}/model.sig`, VECTORS), 'utf8'));
  const material = bundle.verificationMaterial;
  const raw = material.certificate?.rawBytes ?? material.x509CertificateChain.certificates[index].rawBytes;
  return Buffer.from(raw, 'base64');
};

describe('parseCertificate on real certificates', () => {
  it('reads a public-good Fulcio leaf: validity, usage, e-mail SAN and both OIDC issuer extensions', () => {
    const der = bundleCertificate('v1.1.0-sigstore');
    const parsed = parseCertificate(der);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const node = new X509Certificate(der);
    expect(parsed.value.notBefore.getTime()).toBe(new Date(node.validFrom).getTime());
    expect(parsed.value.notAfter.getTime()).toBe(new Date(node.validTo).getTime());
    expect(parsed.value.serialHex.toUpperCase()).toBe(node.serialNumber);
    expect(parsed.value.subjectAltNames).toEqual([{ type: 'email', value: 'stefanb@us.ibm.com' }]);
    expect(parsed.value.fulcioIssuerV1).toBe('https://sigstore.verify.ibm.com/oauth2');
    expect(parsed.value.fulcioIssuerV2).toBe('https://sigstore.verify.ibm.com/oauth2');
    expect(parsed.value.keyUsage).toEqual({ digitalSignature: true, keyCertSign: false });
    expect(parsed.value.extendedKeyUsage).toEqual(['1.3.6.1.5.5.7.3.3']);
    expect(parsed.value.basicConstraints).toBeUndefined();
    expect(parsed.value.extensions.find((e) => e.oid === '2.5.29.17')?.critical).toBe(true);
  });

  it('reads the vectors CA certificates (RSA-signed) with their CA flags', () => {
    const root = parseCertificate(new X509Certificate(readFileSync(new URL('keys/certificate/ca-cert.pem', VECTORS))).raw);
    const leaf = parseCertificate(bundleCertificate('v1.1.0-certificate', 0));
    if (!root.ok || !leaf.ok) throw new Error('parse failed');
    expect(root.value.basicConstraints).toEqual({ ca: true });
    expect(root.value.keyUsage).toEqual({ digitalSignature: false, keyCertSign: true });
    expect(leaf.value.keyUsage?.digitalSignature).toBe(true);
    expect(leaf.value.version).toBe(3);
  });

  it('reads what the test builder writes, including path length and URI names', () => {
    const ca = buildRootCa({ cn: 'root' });
    const pair = newKeyPair();
    const built = buildCertificate({ subject: { cn: 'x' }, publicKey: pair.publicKey, issuer: ca.issuer, ca: { ca: true, pathLength: 3 }, san: { uri: ['https://github.com/o/r/.github/workflows/w.yml@refs/heads/main'] } });
    const parsed = parseCertificate(built.der);
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(parsed.value.basicConstraints).toEqual({ ca: true, pathLength: 3 });
    expect(parsed.value.subjectAltNames).toEqual([{ type: 'uri', value: 'https://github.com/o/r/.github/workflows/w.yml@refs/heads/main' }]);
  });
});

describe('parseCertificate on hostile DER', () => {
  const ca = buildRootCa({ cn: 'root' });
  const good = buildCertificate({ subject: { cn: 'leaf' }, publicKey: newKeyPair().publicKey, issuer: ca.issuer }).der;

  it('control: the unmodified certificate parses', () => {
    expect(parseCertificate(good).ok).toBe(true);
  });

  it('refuses a truncated certificate instead of reading past the end', () => {
    for (const cut of [1, 2, 10, good.length - 1]) {
      const result = parseCertificate(good.subarray(0, cut));
      expect(result.ok).toBe(false);
    }
  });

  it('refuses trailing bytes after the certificate (two parsers, two meanings)', () => {
    const result = parseCertificate(Buffer.concat([good, Buffer.from([0])]));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain('trailing');
  });

  it('refuses BER indefinite lengths (not DER)', () => {
    const indefinite = Buffer.concat([Buffer.from([0x30, 0x80]), good.subarray(4), Buffer.from([0, 0])]);
    const result = parseCertificate(indefinite);
    expect(result.ok).toBe(false);
  });

  it('refuses a non-minimal length encoding', () => {
    expect(() => decodeDer(Buffer.from([0x04, 0x81, 0x01, 0x00]))).toThrow(DerError);
    expect(decodeDer(Buffer.from([0x04, 0x01, 0x00])).value).toEqual(Buffer.from([0]));
  });

  it('refuses a length that claims more bytes than remain (no over-read, CWE-125)', () => {
    expect(() => decodeDer(Buffer.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]))).toThrow(/remain/);
  });

  it(`stops nesting deeper than MAX_DER_DEPTH (${MAX_DER_DEPTH}) instead of recursing without end (CWE-674)`, () => {
    let nested = der.octet(Buffer.from('x'));
    for (let i = 0; i < MAX_DER_DEPTH + 5; i++) nested = der.seq(nested);
    const cert = der.seq(nested, der.seq(der.oid('1.2.840.10045.4.3.2')), der.bitString(Buffer.from([1])));
    const result = parseCertificate(cert);
    expect(result.ok).toBe(false);
  });

  it('refuses a BOOLEAN other than 0x00/0xff (criticality must have one spelling)', () => {
    const pair = newKeyPair();
    const build = (criticalByte: number) => buildCertificate({ subject: { cn: 'x' }, publicKey: pair.publicKey, issuer: ca.issuer, extra: [{ oid: '1.2.3.4', criticalByte, value: Buffer.from([5]) }] });
    const control = parseCertificate(build(0xff).der);
    expect(control.ok && control.value.extensions.find((e) => e.oid === '1.2.3.4')?.critical).toBe(true);
    const sloppy = parseCertificate(build(0x01).der);
    expect(sloppy.ok).toBe(false);
    if (!sloppy.ok) expect(sloppy.error.message).toContain('BOOLEAN');
  });

  it('refuses a certificate that repeats an extension (RFC 5280 4.2)', () => {
    const pair = newKeyPair();
    const twice = buildCertificate({ subject: { cn: 'x' }, publicKey: pair.publicKey, issuer: ca.issuer, extra: [{ oid: '2.5.29.19', value: der.seq() }] , ca: { ca: false } });
    const result = parseCertificate(twice.der);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toContain('twice');
  });

  it('refuses a Fulcio issuer extension that is not valid UTF-8 (identities compare byte for byte)', () => {
    const pair = newKeyPair();
    const bad = buildCertificate({ subject: {}, publicKey: pair.publicKey, issuer: ca.issuer, extra: [{ oid: '1.3.6.1.4.1.57264.1.1', value: Buffer.from([0xc3, 0x28]) }] });
    expect(parseCertificate(bad.der).ok).toBe(false);
  });

  it('refuses certificates over MAX_CERTIFICATE_BYTES before parsing', () => {
    const result = parseCertificate(Buffer.alloc(65 * 1024));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.kind).toBe('limit');
  });
});

describe('decodeOid', () => {
  it('decodes multi-byte arcs (the Fulcio arc 57264)', () => {
    expect(decodeOid(decodeDer(der.oid('1.3.6.1.4.1.57264.1.8')))).toBe('1.3.6.1.4.1.57264.1.8');
    expect(decodeOid(decodeDer(der.oid('2.5.29.37.0')))).toBe('2.5.29.37.0');
  });

  it('refuses an arc with a leading 0x80 (non-minimal) and an OID cut inside an arc', () => {
    expect(() => decodeOid(decodeDer(Buffer.from([0x06, 0x02, 0x80, 0x01])))).toThrow(DerError);
    expect(() => decodeOid(decodeDer(Buffer.from([0x06, 0x02, 0x2a, 0x86])))).toThrow(DerError);
  });
});
