import {
  asArray,
  asBase64,
  asNonEmptyString,
  asObject,
  asString,
  asUint64,
  at,
  FieldError,
  parseJsonText,
  readFields,
  type FieldReadResult,
} from './json-fields.js';

/*
 * Sigstore bundle (protobuf-specs dev.sigstore.bundle.v1.Bundle, JSON form) as OpenSSF model_signing writes it:
 * a DSSE envelope plus verification material (a public-key hint, an X.509 chain, or a Fulcio certificate with
 * transparency-log entries). Only the fields a verifier needs are read; each is checked for type and size, and
 * the first problem is reported with its field path. Nothing here decides whether a signature is valid.
 */

/** Bytes of a bundle file. The payload lists every file of the model: 64 MiB is several hundred thousand files. */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;
/** Certificates in `x509CertificateChain`. Real chains are 1-4 long. */
export const MAX_CHAIN_CERTIFICATES = 10;
/** Transparency-log entries. model_signing writes one. */
export const MAX_TLOG_ENTRIES = 8;
/** DSSE signatures in one envelope. model_signing writes one. */
export const MAX_DSSE_SIGNATURES = 8;
/** Hashes in one inclusion proof: a Merkle tree of 2^64 leaves needs at most 64. */
export const MAX_INCLUSION_PROOF_HASHES = 64;
/** Characters of a checkpoint note. Rekor's are about 250. */
export const MAX_CHECKPOINT_CHARS = 16 * 1024;

/** Media types of the bundle versions that carry a DSSE envelope the way model_signing uses it. */
export const BUNDLE_MEDIA_TYPES: readonly string[] = [
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle.v0.3+json',
];

/** How the signer's key reaches the verifier. */
export type VerificationMaterial =
  | { kind: 'publicKey'; hint?: string; rawBytes?: Buffer; keyDetails?: string }
  | { kind: 'x509CertificateChain'; certificates: Buffer[] }
  | { kind: 'certificate'; certificate: Buffer };

/** Inclusion proof of a Rekor entry, with the signed checkpoint it leads to. */
export interface InclusionProof {
  /** Index of the entry in the tree the proof is for (Rekor: the shard's index, not the global one). */
  logIndex: bigint;
  rootHash: Buffer;
  treeSize: bigint;
  hashes: Buffer[];
  /** The signed note text. */
  checkpoint: string;
}

/** One transparency-log entry (dev.sigstore.rekor.v1.TransparencyLogEntry). */
export interface TlogEntry {
  logIndex: bigint;
  logId: Buffer;
  kind: string;
  version: string;
  integratedTime: bigint;
  signedEntryTimestamp?: Buffer;
  inclusionProof?: InclusionProof;
  canonicalizedBody: Buffer;
}

/** One DSSE signature. */
export interface DsseSignature {
  sig: Buffer;
  keyid?: string;
}

/** The DSSE envelope: what is signed and the signatures over its PAE encoding. */
export interface DsseEnvelope {
  payload: Buffer;
  payloadType: string;
  signatures: DsseSignature[];
}

/** A parsed bundle. */
export interface SigstoreBundle {
  mediaType: string;
  verificationMaterial: VerificationMaterial;
  tlogEntries: TlogEntry[];
  /** RFC 3161 timestamps present in the bundle (counted; not verified). */
  rfc3161Timestamps: number;
  dsseEnvelope: DsseEnvelope;
}

/** Parse a bundle from its file bytes. Never throws; the failure names the field. */
export function parseBundle(bytes: Buffer): FieldReadResult<SigstoreBundle> {
  return readFields(() => {
    if (bytes.length > MAX_BUNDLE_BYTES) {
      throw new FieldError('', `bundle of ${bytes.length} bytes is over ${MAX_BUNDLE_BYTES} (MAX_BUNDLE_BYTES)`, 'limit', 'MAX_BUNDLE_BYTES');
    }
    const root = asObject(parseJsonText(bytes.toString('utf8'), 'the signature file'), '');
    const mediaType = asString(root.mediaType, 'mediaType');
    if (!BUNDLE_MEDIA_TYPES.includes(mediaType)) {
      throw new FieldError('mediaType', `'${mediaType}' is not a Sigstore bundle media type this verifier reads (${BUNDLE_MEDIA_TYPES.join(', ')})`, 'unsupported');
    }
    const material = asObject(root.verificationMaterial, 'verificationMaterial');
    if (root.dsseEnvelope === undefined) {
      const other = root.messageSignature !== undefined ? ' (it signs a message digest: not a model_signing signature)' : '';
      throw new FieldError('dsseEnvelope', `missing${other}`);
    }
    return {
      mediaType,
      verificationMaterial: readMaterial(material),
      tlogEntries: readTlogEntries(material.tlogEntries),
      rfc3161Timestamps: countTimestamps(material.timestampVerificationData),
      dsseEnvelope: readEnvelope(asObject(root.dsseEnvelope, 'dsseEnvelope')),
    };
  });
}

function readMaterial(material: Record<string, unknown>): VerificationMaterial {
  const path = 'verificationMaterial';
  const present = ['publicKey', 'x509CertificateChain', 'certificate'].filter((key) => material[key] !== undefined && material[key] !== null);
  // The protobuf field is a oneof: two of them at once is not a bundle any implementation writes.
  if (present.length !== 1) throw new FieldError(path, `expected exactly one of publicKey, x509CertificateChain, certificate (found ${present.length === 0 ? 'none' : present.join(', ')})`);
  if (material.publicKey !== undefined && material.publicKey !== null) {
    const key = asObject(material.publicKey, at(path, 'publicKey'));
    const result: VerificationMaterial = { kind: 'publicKey' };
    if (key.hint !== undefined && key.hint !== null) result.hint = asString(key.hint, at(path, 'publicKey.hint'));
    if (key.rawBytes !== undefined && key.rawBytes !== null) result.rawBytes = asBase64(key.rawBytes, at(path, 'publicKey.rawBytes'));
    if (key.keyDetails !== undefined && key.keyDetails !== null) result.keyDetails = asString(key.keyDetails, at(path, 'publicKey.keyDetails'));
    return result;
  }
  if (material.x509CertificateChain !== undefined && material.x509CertificateChain !== null) {
    const chainPath = at(path, 'x509CertificateChain');
    const chain = asObject(material.x509CertificateChain, chainPath);
    const list = asArray(chain.certificates, at(chainPath, 'certificates'), MAX_CHAIN_CERTIFICATES, 'MAX_CHAIN_CERTIFICATES');
    if (list.length === 0) throw new FieldError(at(chainPath, 'certificates'), 'must hold the signing certificate');
    const certificates = list.map((item, i) => {
      const itemPath = at(at(chainPath, 'certificates'), i);
      return nonEmpty(asBase64(asObject(item, itemPath).rawBytes, at(itemPath, 'rawBytes')), at(itemPath, 'rawBytes'));
    });
    return { kind: 'x509CertificateChain', certificates };
  }
  const certPath = at(path, 'certificate');
  const certificate = asObject(material.certificate, certPath);
  return { kind: 'certificate', certificate: nonEmpty(asBase64(certificate.rawBytes, at(certPath, 'rawBytes')), at(certPath, 'rawBytes')) };
}

function readTlogEntries(value: unknown): TlogEntry[] {
  const path = 'verificationMaterial.tlogEntries';
  if (value === undefined || value === null) return [];
  return asArray(value, path, MAX_TLOG_ENTRIES, 'MAX_TLOG_ENTRIES').map((item, i) => readTlogEntry(asObject(item, at(path, i)), at(path, i)));
}

function readTlogEntry(entry: Record<string, unknown>, path: string): TlogEntry {
  // Fields are read in the order the protobuf JSON writes them, so the first broken one is the one named.
  const logIndex = asUint64(entry.logIndex, at(path, 'logIndex'));
  const logId = nonEmpty(asBase64(asObject(entry.logId, at(path, 'logId')).keyId, at(path, 'logId.keyId')), at(path, 'logId.keyId'));
  const kindVersion = asObject(entry.kindVersion, at(path, 'kindVersion'));
  const result: TlogEntry = {
    logIndex,
    logId,
    kind: asNonEmptyString(kindVersion.kind, at(path, 'kindVersion.kind')),
    version: asNonEmptyString(kindVersion.version, at(path, 'kindVersion.version')),
    integratedTime: asUint64(entry.integratedTime ?? '0', at(path, 'integratedTime')),
    canonicalizedBody: nonEmpty(asBase64(entry.canonicalizedBody, at(path, 'canonicalizedBody')), at(path, 'canonicalizedBody')),
  };
  if (entry.inclusionPromise !== undefined && entry.inclusionPromise !== null) {
    const promisePath = at(path, 'inclusionPromise');
    const promise = asObject(entry.inclusionPromise, promisePath);
    result.signedEntryTimestamp = nonEmpty(asBase64(promise.signedEntryTimestamp, at(promisePath, 'signedEntryTimestamp')), at(promisePath, 'signedEntryTimestamp'));
  }
  if (entry.inclusionProof !== undefined && entry.inclusionProof !== null) {
    const proofPath = at(path, 'inclusionProof');
    const proof = asObject(entry.inclusionProof, proofPath);
    const checkpoint = asObject(proof.checkpoint, at(proofPath, 'checkpoint'));
    const envelope = asNonEmptyString(checkpoint.envelope, at(proofPath, 'checkpoint.envelope'));
    if (envelope.length > MAX_CHECKPOINT_CHARS) {
      throw new FieldError(at(proofPath, 'checkpoint.envelope'), `over ${MAX_CHECKPOINT_CHARS} characters (MAX_CHECKPOINT_CHARS)`, 'limit', 'MAX_CHECKPOINT_CHARS');
    }
    result.inclusionProof = {
      logIndex: asUint64(proof.logIndex, at(proofPath, 'logIndex')),
      rootHash: nonEmpty(asBase64(proof.rootHash, at(proofPath, 'rootHash')), at(proofPath, 'rootHash')),
      treeSize: asUint64(proof.treeSize, at(proofPath, 'treeSize')),
      hashes: asArray(proof.hashes ?? [], at(proofPath, 'hashes'), MAX_INCLUSION_PROOF_HASHES, 'MAX_INCLUSION_PROOF_HASHES').map((hash, i) =>
        asBase64(hash, at(at(proofPath, 'hashes'), i)),
      ),
      checkpoint: envelope,
    };
  }
  return result;
}

function countTimestamps(value: unknown): number {
  if (value === undefined || value === null) return 0;
  const data = asObject(value, 'verificationMaterial.timestampVerificationData');
  if (data.rfc3161Timestamps === undefined || data.rfc3161Timestamps === null) return 0;
  return asArray(data.rfc3161Timestamps, 'verificationMaterial.timestampVerificationData.rfc3161Timestamps', 64, 'MAX_RFC3161_TIMESTAMPS').length;
}

function readEnvelope(envelope: Record<string, unknown>): DsseEnvelope {
  const path = 'dsseEnvelope';
  const signatures = asArray(envelope.signatures, at(path, 'signatures'), MAX_DSSE_SIGNATURES, 'MAX_DSSE_SIGNATURES').map((item, i) => {
    const itemPath = at(at(path, 'signatures'), i);
    const signature = asObject(item, itemPath);
    const result: DsseSignature = { sig: nonEmpty(asBase64(signature.sig, at(itemPath, 'sig')), at(itemPath, 'sig')) };
    if (signature.keyid !== undefined && signature.keyid !== null) result.keyid = asString(signature.keyid, at(itemPath, 'keyid'));
    return result;
  });
  if (signatures.length === 0) throw new FieldError(at(path, 'signatures'), 'holds no signature');
  return {
    payload: asBase64(envelope.payload, at(path, 'payload')),
    payloadType: asString(envelope.payloadType, at(path, 'payloadType')),
    signatures,
  };
}

function nonEmpty(bytes: Buffer, path: string): Buffer {
  if (bytes.length === 0) throw new FieldError(path, 'must not be empty');
  return bytes;
}
