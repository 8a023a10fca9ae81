import {
  asArray,
  asBase64,
  asObject,
  asString,
  asTimestamp,
  at,
  FieldError,
  parseJsonText,
  readFields,
  type FieldReadResult,
} from './json-fields.js';

/*
 * A Sigstore trusted root (protobuf-specs dev.sigstore.trustroot.v1.TrustedRoot, JSON form): the certificate
 * authorities and transparency logs a verifier trusts, each with the period it was trusted for. antidote never
 * downloads one (offline by design): the user passes the file, taken from the instance's TUF repository.
 */

/** Bytes of a trusted root file; the public-good one is about 6 KB. */
export const MAX_TRUSTED_ROOT_BYTES = 4 * 1024 * 1024;
/** Entries in each list of a trusted root. */
export const MAX_TRUSTED_ROOT_ENTRIES = 256;

/** Media types of trusted root versions with the layout read here. */
export const TRUSTED_ROOT_MEDIA_TYPES: readonly string[] = [
  'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  'application/vnd.dev.sigstore.trustedroot.v0.2+json',
];

/** A period of trust; `end` absent means still trusted. */
export interface ValidityPeriod {
  start: Date;
  end?: Date;
}

/** A transparency log (Rekor) or certificate transparency log. */
export interface TrustedLog {
  baseUrl: string;
  /** DER SubjectPublicKeyInfo. */
  publicKey: Buffer;
  keyDetails: string;
  validFor: ValidityPeriod;
  /** sha256 of the DER public key for Rekor v1 logs. */
  logId: Buffer;
}

/** A certificate authority (Fulcio) with its chain, issuing certificate first and root last. */
export interface TrustedCertificateAuthority {
  uri: string;
  certificates: Buffer[];
  validFor: ValidityPeriod;
}

/** The parsed trusted root. */
export interface TrustedRoot {
  mediaType: string;
  tlogs: TrustedLog[];
  certificateAuthorities: TrustedCertificateAuthority[];
  ctlogs: TrustedLog[];
  /** Timestamp authorities present (counted; RFC 3161 timestamps are not verified). */
  timestampAuthorities: number;
}

/** Parse a trusted_root.json. Never throws; the failure names the field. */
export function parseTrustedRoot(bytes: Buffer): FieldReadResult<TrustedRoot> {
  return readFields(() => {
    if (bytes.length > MAX_TRUSTED_ROOT_BYTES) {
      throw new FieldError('', `trusted root of ${bytes.length} bytes is over ${MAX_TRUSTED_ROOT_BYTES} (MAX_TRUSTED_ROOT_BYTES)`, 'limit', 'MAX_TRUSTED_ROOT_BYTES');
    }
    const root = asObject(parseJsonText(bytes.toString('utf8'), 'the trusted root'), '');
    const mediaType = asString(root.mediaType, 'mediaType');
    if (!TRUSTED_ROOT_MEDIA_TYPES.includes(mediaType)) {
      throw new FieldError('mediaType', `'${mediaType}' is not a trusted root media type this verifier reads (${TRUSTED_ROOT_MEDIA_TYPES.join(', ')})`, 'unsupported');
    }
    return {
      mediaType,
      tlogs: list(root.tlogs, 'tlogs').map((item, i) => readLog(item, at('tlogs', i))),
      certificateAuthorities: list(root.certificateAuthorities, 'certificateAuthorities').map((item, i) => readAuthority(item, at('certificateAuthorities', i))),
      ctlogs: list(root.ctlogs, 'ctlogs').map((item, i) => readLog(item, at('ctlogs', i))),
      timestampAuthorities: list(root.timestampAuthorities, 'timestampAuthorities').length,
    };
  });
}

function list(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  return asArray(value, path, MAX_TRUSTED_ROOT_ENTRIES, 'MAX_TRUSTED_ROOT_ENTRIES');
}

function readValidity(value: unknown, path: string): ValidityPeriod {
  const period = asObject(value, path);
  const result: ValidityPeriod = { start: asTimestamp(period.start, at(path, 'start')) };
  if (period.end !== undefined && period.end !== null) result.end = asTimestamp(period.end, at(path, 'end'));
  return result;
}

function readLog(value: unknown, path: string): TrustedLog {
  const log = asObject(value, path);
  const key = asObject(log.publicKey, at(path, 'publicKey'));
  const publicKey = asBase64(key.rawBytes, at(path, 'publicKey.rawBytes'));
  if (publicKey.length === 0) throw new FieldError(at(path, 'publicKey.rawBytes'), 'must not be empty');
  return {
    baseUrl: typeof log.baseUrl === 'string' ? log.baseUrl : '',
    publicKey,
    keyDetails: asString(key.keyDetails, at(path, 'publicKey.keyDetails')),
    validFor: readValidity(key.validFor, at(path, 'publicKey.validFor')),
    logId: asBase64(asObject(log.logId, at(path, 'logId')).keyId, at(path, 'logId.keyId')),
  };
}

function readAuthority(value: unknown, path: string): TrustedCertificateAuthority {
  const authority = asObject(value, path);
  const chainPath = at(path, 'certChain.certificates');
  const certificates = asArray(asObject(authority.certChain, at(path, 'certChain')).certificates, chainPath, 16, 'MAX_CA_CHAIN').map((item, i) =>
    asBase64(asObject(item, at(chainPath, i)).rawBytes, at(at(chainPath, i), 'rawBytes')),
  );
  if (certificates.length === 0) throw new FieldError(chainPath, 'must hold at least the issuing certificate');
  return {
    uri: typeof authority.uri === 'string' ? authority.uri : '',
    certificates,
    validFor: readValidity(authority.validFor, at(path, 'validFor')),
  };
}
