import { fail, ok, type ReadResult } from '../../core/read-result.js';
import {
  DER_TAG,
  DerError,
  decodeBitString,
  decodeBoolean,
  decodeDer,
  decodeOid,
  decodeSmallInteger,
  decodeString,
  decodeTime,
  decodeUtf8Strict,
  derChildren,
  expectUniversal,
  isContext,
  isUniversal,
  type DerElement,
} from './der.js';

/*
 * The parts of an X.509 certificate that signature checks need and that Node's X509Certificate does not expose
 * as data: validity as dates, extensions with their criticality, basic constraints, key usage bits, extended
 * key usage, subject alternative names and the Fulcio (Sigstore CA) extensions. Signatures, name chaining and
 * public keys stay with node:crypto; this file only reads.
 */

/** Bytes of one certificate. A Fulcio leaf is about 1 KB and CA certificates rarely pass 4 KB. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;

/** Extension OIDs read here. */
export const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extendedKeyUsage: '2.5.29.37',
  /** id-kp-codeSigning. */
  codeSigning: '1.3.6.1.5.5.7.3.3',
  anyExtendedKeyUsage: '2.5.29.37.0',
  /** Fulcio: OIDC issuer, the raw string as the extension value (deprecated but still written). */
  fulcioIssuerV1: '1.3.6.1.4.1.57264.1.1',
  /** Fulcio: OIDC issuer as a DER UTF8String (the current form). */
  fulcioIssuerV2: '1.3.6.1.4.1.57264.1.8',
  /** Certificate Transparency precertificate SCT list. */
  sctList: '1.3.6.1.4.1.11129.2.4.2',
} as const;

/** One extension as it appears in the certificate. */
export interface CertificateExtension {
  oid: string;
  critical: boolean;
  /** Contents of the extnValue OCTET STRING. */
  value: Buffer;
}

/** One subjectAltName entry that a Sigstore identity can be. */
export interface GeneralName {
  type: 'email' | 'dns' | 'uri' | 'other';
  value: string;
  /** For `other` names: the type OID (Fulcio writes usernames as 1.3.6.1.4.1.57264.1.7). */
  oid?: string;
}

/** Key usage bits of RFC 5280 4.2.1.3 that chain checks look at. */
export interface KeyUsage {
  digitalSignature: boolean;
  keyCertSign: boolean;
}

/** What the verifier reads from a certificate. */
export interface ParsedCertificate {
  der: Buffer;
  version: number;
  serialHex: string;
  /** The issuer Name as encoded (chains link by exact bytes, as Go's crypto/x509 does). */
  issuerDer: Buffer;
  /** The subject Name as encoded. */
  subjectDer: Buffer;
  notBefore: Date;
  notAfter: Date;
  extensions: CertificateExtension[];
  basicConstraints?: { ca: boolean; pathLength?: number };
  keyUsage?: KeyUsage;
  extendedKeyUsage?: string[];
  subjectAltNames: GeneralName[];
  /** Fulcio OIDC issuer from the 1.1 extension, when present. */
  fulcioIssuerV1?: string;
  /** Fulcio OIDC issuer from the 1.8 extension, when present. */
  fulcioIssuerV2?: string;
}

/** Read a DER certificate. Never throws: a hostile certificate becomes a `malformed` failure. */
export function parseCertificate(der: Buffer): ReadResult<ParsedCertificate> {
  if (der.length > MAX_CERTIFICATE_BYTES) {
    return fail({ kind: 'limit', limit: 'MAX_CERTIFICATE_BYTES', message: `certificate of ${der.length} bytes is over ${MAX_CERTIFICATE_BYTES}` });
  }
  try {
    return ok(readCertificate(der));
  } catch (error) {
    if (error instanceof DerError) return fail({ kind: 'malformed', message: `certificate: ${error.message}` });
    throw error;
  }
}

function readCertificate(der: Buffer): ParsedCertificate {
  const certificate = expectUniversal(decodeDer(der), DER_TAG.SEQUENCE, 'Certificate');
  const [tbs, algorithm, signature, ...rest] = derChildren(certificate);
  if (rest.length > 0 || !tbs || !algorithm || !signature) throw new DerError('Certificate must hold exactly 3 elements');
  expectUniversal(tbs, DER_TAG.SEQUENCE, 'tbsCertificate');
  expectUniversal(algorithm, DER_TAG.SEQUENCE, 'signatureAlgorithm');
  decodeBitString(signature);

  const fields = derChildren(tbs);
  let index = 0;
  let version = 1;
  if (isContext(fields[0], 0)) {
    const inner = derChildren(fields[0]!);
    if (inner.length !== 1) throw new DerError('version must hold one INTEGER');
    version = decodeSmallInteger(inner[0]!) + 1;
    index = 1;
  }
  const serial = expectUniversal(fields[index], DER_TAG.INTEGER, 'serialNumber');
  expectUniversal(fields[index + 1], DER_TAG.SEQUENCE, 'signature');
  const issuer = expectUniversal(fields[index + 2], DER_TAG.SEQUENCE, 'issuer');
  const validity = derChildren(expectUniversal(fields[index + 3], DER_TAG.SEQUENCE, 'validity'));
  const subject = expectUniversal(fields[index + 4], DER_TAG.SEQUENCE, 'subject');
  expectUniversal(fields[index + 5], DER_TAG.SEQUENCE, 'subjectPublicKeyInfo');
  if (validity.length !== 2) throw new DerError('validity must hold notBefore and notAfter');
  const notBefore = decodeTime(validity[0]!);
  const notAfter = decodeTime(validity[1]!);

  let extensions: CertificateExtension[] = [];
  for (const field of fields.slice(index + 6)) {
    if (isContext(field, 1) || isContext(field, 2)) continue;
    if (!isContext(field, 3)) throw new DerError('unexpected element after subjectPublicKeyInfo');
    if (version !== 3) throw new DerError('extensions in a certificate that is not version 3');
    const wrapped = derChildren(field);
    if (wrapped.length !== 1) throw new DerError('extensions must be one SEQUENCE');
    extensions = derChildren(expectUniversal(wrapped[0], DER_TAG.SEQUENCE, 'extensions')).map(readExtension);
  }
  const seen = new Set<string>();
  for (const extension of extensions) {
    // RFC 5280 4.2: a certificate must not include more than one instance of an extension.
    if (seen.has(extension.oid)) throw new DerError(`extension ${extension.oid} appears twice`);
    seen.add(extension.oid);
  }

  const parsed: ParsedCertificate = {
    der,
    version,
    serialHex: serial.value.toString('hex'),
    issuerDer: issuer.raw,
    subjectDer: subject.raw,
    notBefore,
    notAfter,
    extensions,
    subjectAltNames: [],
  };
  for (const extension of extensions) readKnownExtension(parsed, extension);
  return parsed;
}

function readExtension(element: DerElement): CertificateExtension {
  const parts = derChildren(expectUniversal(element, DER_TAG.SEQUENCE, 'Extension'));
  const oid = decodeOid(parts[0]!);
  let critical = false;
  let valueIndex = 1;
  if (isUniversal(parts[1], DER_TAG.BOOLEAN)) {
    critical = decodeBoolean(parts[1]);
    valueIndex = 2;
  }
  const value = expectUniversal(parts[valueIndex], DER_TAG.OCTET_STRING, `extension ${oid} value`);
  if (parts.length !== valueIndex + 1) throw new DerError(`extension ${oid} has extra elements`);
  return { oid, critical, value: value.value };
}

function readKnownExtension(certificate: ParsedCertificate, extension: CertificateExtension): void {
  switch (extension.oid) {
    case OID.basicConstraints: {
      const parts = derChildren(expectUniversal(decodeDer(extension.value), DER_TAG.SEQUENCE, 'basicConstraints'));
      let ca = false;
      let next = 0;
      if (isUniversal(parts[0], DER_TAG.BOOLEAN)) {
        ca = decodeBoolean(parts[0]);
        next = 1;
      }
      const constraints: { ca: boolean; pathLength?: number } = { ca };
      if (parts[next]) constraints.pathLength = decodeSmallInteger(parts[next]!);
      certificate.basicConstraints = constraints;
      return;
    }
    case OID.keyUsage: {
      const { bytes } = decodeBitString(decodeDer(extension.value));
      const first = bytes[0] ?? 0;
      // Bit 0 (digitalSignature) is the most significant bit of the first byte; bit 5 is keyCertSign.
      certificate.keyUsage = { digitalSignature: (first & 0x80) !== 0, keyCertSign: (first & 0x04) !== 0 };
      return;
    }
    case OID.extendedKeyUsage:
      certificate.extendedKeyUsage = derChildren(expectUniversal(decodeDer(extension.value), DER_TAG.SEQUENCE, 'extKeyUsage')).map(decodeOid);
      return;
    case OID.subjectAltName:
      certificate.subjectAltNames = derChildren(expectUniversal(decodeDer(extension.value), DER_TAG.SEQUENCE, 'subjectAltName')).flatMap(readGeneralName);
      return;
    case OID.fulcioIssuerV1:
      // The legacy extension holds the issuer URL as raw bytes, not as a DER string.
      certificate.fulcioIssuerV1 = decodeUtf8Strict(extension.value);
      return;
    case OID.fulcioIssuerV2:
      certificate.fulcioIssuerV2 = decodeString(expectUniversal(decodeDer(extension.value), DER_TAG.UTF8_STRING, 'Fulcio issuer (1.8)'));
      return;
    default:
      return;
  }
}

function readGeneralName(element: DerElement): GeneralName[] {
  if (element.tagClass !== 2) throw new DerError('GeneralName must be context-tagged');
  switch (element.tagNumber) {
    case 1:
    case 2:
    case 6: {
      if (element.constructed) throw new DerError('constructed IA5String in a GeneralName');
      if (element.value.some((b) => b > 0x7f)) throw new DerError('non-ASCII byte in an email, DNS name or URI');
      const type = element.tagNumber === 1 ? 'email' : element.tagNumber === 2 ? 'dns' : 'uri';
      return [{ type, value: element.value.toString('latin1') }];
    }
    case 0: {
      // otherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY }; Fulcio puts a UTF8String there.
      const parts = derChildren(element);
      const oid = decodeOid(parts[0]!);
      const wrapped = isContext(parts[1], 0) ? derChildren(parts[1]) : [];
      const inner = wrapped[0];
      // A value that is not a string type cannot match an identity; keep the entry with an empty value.
      const text = inner && inner.tagClass === 0 && !inner.constructed ? tryString(inner) : '';
      return [{ type: 'other', oid, value: text }];
    }
    default:
      // x400Address, directoryName, ediPartyName, iPAddress, registeredID: never a Sigstore identity.
      return [];
  }
}

function tryString(element: DerElement): string {
  try {
    return decodeString(element);
  } catch {
    return '';
  }
}
