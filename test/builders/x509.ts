import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/*
 * A tiny DER writer and X.509 certificate builder for tests: CAs, leaves, Fulcio-style certificates, and the
 * broken ones (expired, not a CA, wrong usage, unknown critical extension) that a verifier must refuse.
 * Certificates are signed with ECDSA by node:crypto; nothing here shells out to openssl.
 */

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV with a raw first (tag) byte. */
export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

/** DER encoders for the few ASN.1 types certificates use. */
export const der = {
  seq: (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts)),
  set: (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts)),
  bool: (value: boolean) => tlv(0x01, Buffer.from([value ? 0xff : 0x00])),
  int: (value: number | bigint) => {
    let hex = BigInt(value).toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    let bytes = Buffer.from(hex, 'hex');
    if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return tlv(0x02, bytes);
  },
  oid: (dotted: string) => {
    const arcs = dotted.split('.').map(Number);
    const out: number[] = [arcs[0]! * 40 + arcs[1]!];
    for (const arc of arcs.slice(2)) {
      const chunk: number[] = [];
      let n = arc;
      do {
        chunk.unshift(n & 0x7f);
        n = Math.floor(n / 128);
      } while (n > 0);
      for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
      out.push(...chunk);
    }
    return tlv(0x06, Buffer.from(out));
  },
  utf8: (text: string) => tlv(0x0c, Buffer.from(text, 'utf8')),
  octet: (bytes: Buffer) => tlv(0x04, bytes),
  bitString: (bytes: Buffer, unused = 0) => tlv(0x03, Buffer.concat([Buffer.from([unused]), bytes])),
  utcTime: (date: Date) => {
    const iso = date.toISOString();
    const text = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
    return tlv(0x17, Buffer.from(text, 'latin1'));
  },
  /** `[n]` context tag around `content` (constructed when `constructed`). */
  context: (n: number, content: Buffer, constructed = true) => tlv((constructed ? 0xa0 : 0x80) | n, content),
};

/** A distinguished name with optional O and CN (an empty name, as Fulcio leaves have, when both are absent). */
export interface Name {
  o?: string;
  cn?: string;
}

function encodeName(name: Name): Buffer {
  const rdns: Buffer[] = [];
  if (name.o !== undefined) rdns.push(der.set(der.seq(der.oid('2.5.4.10'), der.utf8(name.o))));
  if (name.cn !== undefined) rdns.push(der.set(der.seq(der.oid('2.5.4.3'), der.utf8(name.cn))));
  return der.seq(...rdns);
}

/** An extension as built into a certificate. */
export interface ExtensionSpec {
  oid: string;
  critical?: boolean;
  /** Write the criticality BOOLEAN with this raw byte (for non-DER 0x01 "true"). */
  criticalByte?: number;
  value: Buffer;
}

/** What a test certificate holds; every field has a sensible default. */
export interface CertificateSpec {
  subject: Name;
  publicKey: KeyObject;
  /** Issuer's name and keys (for a self-signed certificate: its own). */
  issuer: { name: Name; key: KeyObject; publicKey: KeyObject };
  serial?: number;
  notBefore?: Date;
  notAfter?: Date;
  /** basicConstraints; absent means no extension. */
  ca?: { ca: boolean; pathLength?: number };
  keyUsage?: { digitalSignature?: boolean; keyCertSign?: boolean; crlSign?: boolean };
  extendedKeyUsage?: string[];
  san?: { email?: string[]; uri?: string[] };
  fulcioIssuerV1?: string;
  fulcioIssuerV2?: string;
  extra?: ExtensionSpec[];
}

/** A built certificate and its key material. */
export interface BuiltCertificate {
  der: Buffer;
  pem: string;
  name: Name;
  publicKey: KeyObject;
}

function keyId(publicKey: KeyObject): Buffer {
  return createHash('sha1').update(publicKey.export({ type: 'spki', format: 'der' })).digest();
}

function signatureAlgorithm(key: KeyObject): { oid: string; hash: string } {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'secp384r1') return { oid: '1.2.840.10045.4.3.3', hash: 'sha384' };
  if (curve === 'secp521r1') return { oid: '1.2.840.10045.4.3.4', hash: 'sha512' };
  return { oid: '1.2.840.10045.4.3.2', hash: 'sha256' };
}

function extension(spec: ExtensionSpec): Buffer {
  const critical = spec.criticalByte !== undefined ? [tlv(0x01, Buffer.from([spec.criticalByte]))] : spec.critical ? [der.bool(true)] : [];
  return der.seq(der.oid(spec.oid), ...critical, der.octet(spec.value));
}

/** Build and sign one certificate. */
export function buildCertificate(spec: CertificateSpec): BuiltCertificate {
  const issuerName = spec.issuer.name;
  const issuerPublic = spec.issuer.publicKey;
  const extensions: ExtensionSpec[] = [];
  if (spec.ca) {
    const inner = [...(spec.ca.ca ? [der.bool(true)] : []), ...(spec.ca.pathLength !== undefined ? [der.int(spec.ca.pathLength)] : [])];
    extensions.push({ oid: '2.5.29.19', critical: true, value: der.seq(...inner) });
  }
  if (spec.keyUsage) {
    const bits = (spec.keyUsage.digitalSignature ? 0x80 : 0) | (spec.keyUsage.keyCertSign ? 0x04 : 0) | (spec.keyUsage.crlSign ? 0x02 : 0);
    extensions.push({ oid: '2.5.29.15', critical: true, value: der.bitString(Buffer.from([bits]), 1) });
  }
  if (spec.extendedKeyUsage) extensions.push({ oid: '2.5.29.37', value: der.seq(...spec.extendedKeyUsage.map(der.oid)) });
  extensions.push({ oid: '2.5.29.14', value: der.octet(keyId(spec.publicKey)) });
  extensions.push({ oid: '2.5.29.35', value: der.seq(der.context(0, keyId(issuerPublic), false)) });
  if (spec.san) {
    const names = [...(spec.san.email ?? []).map((e) => der.context(1, Buffer.from(e, 'latin1'), false)), ...(spec.san.uri ?? []).map((u) => der.context(6, Buffer.from(u, 'latin1'), false))];
    extensions.push({ oid: '2.5.29.17', critical: true, value: der.seq(...names) });
  }
  if (spec.fulcioIssuerV1 !== undefined) extensions.push({ oid: '1.3.6.1.4.1.57264.1.1', value: Buffer.from(spec.fulcioIssuerV1, 'utf8') });
  if (spec.fulcioIssuerV2 !== undefined) extensions.push({ oid: '1.3.6.1.4.1.57264.1.8', value: der.utf8(spec.fulcioIssuerV2) });
  extensions.push(...(spec.extra ?? []));

  const algorithm = signatureAlgorithm(spec.issuer.publicKey);
  const algorithmId = der.seq(der.oid(algorithm.oid));
  const tbs = der.seq(
    der.context(0, der.int(2)),
    der.int(spec.serial ?? 1),
    algorithmId,
    encodeName(issuerName),
    der.seq(der.utcTime(spec.notBefore ?? new Date('2024-01-01T00:00:00Z')), der.utcTime(spec.notAfter ?? new Date('2034-01-01T00:00:00Z'))),
    encodeName(spec.subject),
    spec.publicKey.export({ type: 'spki', format: 'der' }),
    der.context(3, der.seq(...extensions.map(extension))),
  );
  const signature = sign(algorithm.hash, tbs, { key: spec.issuer.key, dsaEncoding: 'der' });
  const certificate = der.seq(tbs, algorithmId, der.bitString(signature));
  const lines = certificate.toString('base64').match(/.{1,64}/g) ?? [];
  return { der: certificate, pem: `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`, name: spec.subject, publicKey: spec.publicKey };
}

/** A fresh EC key pair on `curve`. */
export function newKeyPair(curve: 'P-256' | 'P-384' | 'P-521' = 'P-256'): { privateKey: KeyObject; publicKey: KeyObject } {
  const namedCurve = curve === 'P-256' ? 'prime256v1' : curve === 'P-384' ? 'secp384r1' : 'secp521r1';
  return generateKeyPairSync('ec', { namedCurve });
}

/** A CA: a certificate plus what it needs to issue others. */
export interface TestCa {
  certificate: BuiltCertificate;
  privateKey: KeyObject;
  issuer: { name: Name; key: KeyObject; publicKey: KeyObject };
}

/** A self-signed root CA. */
export function buildRootCa(name: Name, options: { curve?: 'P-256' | 'P-384'; notBefore?: Date; notAfter?: Date } = {}): TestCa {
  const pair = newKeyPair(options.curve ?? 'P-384');
  const self = { name, key: pair.privateKey, publicKey: pair.publicKey };
  const spec: CertificateSpec = { subject: name, publicKey: pair.publicKey, issuer: self, ca: { ca: true }, keyUsage: { keyCertSign: true, crlSign: true } };
  if (options.notBefore) spec.notBefore = options.notBefore;
  if (options.notAfter) spec.notAfter = options.notAfter;
  const certificate = buildCertificate(spec);
  return { certificate, privateKey: pair.privateKey, issuer: self };
}

/** A CA issued by `parent`, with overrides for broken variants. */
export function buildIntermediateCa(parent: TestCa, name: Name, overrides: Partial<CertificateSpec> = {}): TestCa {
  const pair = newKeyPair('P-384');
  const certificate = buildCertificate({ subject: name, publicKey: pair.publicKey, issuer: parent.issuer, ca: { ca: true, pathLength: 0 }, keyUsage: { keyCertSign: true, crlSign: true }, serial: 2, ...overrides });
  return { certificate, privateKey: pair.privateKey, issuer: { name, key: pair.privateKey, publicKey: pair.publicKey } };
}
