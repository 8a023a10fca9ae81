import { createHash, sign, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCertificate, buildIntermediateCa, buildRootCa, newKeyPair, type CertificateSpec, type TestCa } from './x509.js';

/*
 * A Sigstore instance of our own, for tests that no public instance can serve offline: a Fulcio-like CA
 * (root and intermediate), a Rekor-like log key, the trusted_root.json that trusts them, and a way to turn a
 * key-signed model_signing bundle into a keyless one (short-lived certificate with the identity and OIDC
 * issuer extensions, a dsse log entry with its signed entry timestamp, an inclusion proof in a small Merkle
 * tree and a signed checkpoint). Each part can be built broken on purpose.
 */

/** The instance: CA, log key and trusted root. */
export interface TestSigstoreInstance {
  root: TestCa;
  intermediate: TestCa;
  logKey: { privateKey: KeyObject; publicKey: KeyObject };
  logId: Buffer;
  trustedRoot: Record<string, unknown>;
  /** Write the trusted root JSON into `dir` and return its path. */
  writeTrustedRoot(dir: string, mutate?: (root: Record<string, unknown>) => void): string;
}

const b64 = (bytes: Buffer) => bytes.toString('base64');

/** Build a fresh instance whose CA and log are valid from 2024 to 2034. */
export function buildSigstoreInstance(): TestSigstoreInstance {
  const root = buildRootCa({ o: 'antidote.test', cn: 'sigstore' });
  const intermediate = buildIntermediateCa(root, { o: 'antidote.test', cn: 'sigstore-intermediate' }, { extendedKeyUsage: ['1.3.6.1.5.5.7.3.3'] });
  const logKey = newKeyPair('P-256');
  const logId = createHash('sha256').update(logKey.publicKey.export({ type: 'spki', format: 'der' })).digest();
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: 'https://rekor.antidote.test',
        hashAlgorithm: 'SHA2_256',
        publicKey: { rawBytes: b64(logKey.publicKey.export({ type: 'spki', format: 'der' })), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2024-01-01T00:00:00Z' } },
        logId: { keyId: b64(logId) },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'antidote.test', commonName: 'sigstore' },
        uri: 'https://fulcio.antidote.test',
        certChain: { certificates: [{ rawBytes: b64(intermediate.certificate.der) }, { rawBytes: b64(root.certificate.der) }] },
        validFor: { start: '2024-01-01T00:00:00Z' },
      },
    ],
    ctlogs: [],
    timestampAuthorities: [],
  };
  return {
    root,
    intermediate,
    logKey,
    logId,
    trustedRoot,
    writeTrustedRoot(dir, mutate) {
      const copy = structuredClone(trustedRoot) as Record<string, unknown>;
      mutate?.(copy);
      const path = join(dir, 'trusted_root.json');
      writeFileSync(path, JSON.stringify(copy, null, 2));
      return path;
    },
  };
}

/** How to make the keyless bundle; defaults give a valid one. */
export interface KeylessOptions {
  identity?: string;
  issuer?: string;
  /** Write the legacy 1.1 issuer extension instead of (or with) 1.8. */
  issuerExtensions?: 'v2' | 'v1' | 'both';
  /** The CA that issues the leaf (default: the instance's intermediate). */
  ca?: TestCa;
  /** Certificate validity; the log time defaults to one minute after notBefore. */
  notBefore?: Date;
  notAfter?: Date;
  integratedTime?: Date;
  /** Overrides of the leaf certificate spec. */
  leaf?: Partial<CertificateSpec>;
  /** Change the SET or the inclusion proof after signing. */
  tamper?: { set?: boolean; proofHash?: boolean; checkpointSignature?: boolean; bodyPayloadHash?: boolean };
  /** Leave the SET or the inclusion proof out. */
  omit?: { set?: boolean; proof?: boolean; entry?: boolean };
}

/** The leaf key a keyless bundle must be signed with before `makeKeyless` turns it into one. */
export function newLeafKey(): { privateKey: KeyObject; publicKey: KeyObject; pemPath(dir: string): string } {
  const pair = newKeyPair('P-256');
  return {
    ...pair,
    pemPath(dir) {
      const path = join(dir, 'leaf-key.pem');
      writeFileSync(path, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      return path;
    },
  };
}

function rfc6962Root(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return createHash('sha256').update(Buffer.from([1])).update(rfc6962Root(leaves.slice(0, k))).update(rfc6962Root(leaves.slice(k))).digest();
}

function auditPath(index: number, leaves: Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return index < k ? [...auditPath(index, leaves.slice(0, k)), rfc6962Root(leaves.slice(k))] : [...auditPath(index - k, leaves.slice(k)), rfc6962Root(leaves.slice(0, k))];
}

/**
 * Rewrite a bundle that `signModel` wrote with the leaf key into a keyless Sigstore bundle: the Fulcio-style
 * certificate as verification material and a Rekor entry for the envelope.
 */
export function makeKeyless(instance: TestSigstoreInstance, bundlePath: string, leafKey: { publicKey: KeyObject }, options: KeylessOptions = {}): void {
  const bundle = JSON.parse(readFileSync(bundlePath, 'utf8')) as { mediaType: string; verificationMaterial: unknown; dsseEnvelope: { payload: string; signatures: { sig: string }[] } };
  const ca = options.ca ?? instance.intermediate;
  const notBefore = options.notBefore ?? new Date('2025-06-01T12:00:00Z');
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + 10 * 60 * 1000);
  const issuer = options.issuer ?? 'https://oidc.antidote.test';
  const extensions = options.issuerExtensions ?? 'both';
  const spec: CertificateSpec = {
    subject: {},
    publicKey: leafKey.publicKey,
    issuer: ca.issuer,
    serial: 77,
    notBefore,
    notAfter,
    keyUsage: { digitalSignature: true },
    extendedKeyUsage: ['1.3.6.1.5.5.7.3.3'],
    san: { email: [options.identity ?? 'signer@antidote.test'] },
  };
  if (extensions !== 'v2') spec.fulcioIssuerV1 = issuer;
  if (extensions !== 'v1') spec.fulcioIssuerV2 = issuer;
  const leaf = buildCertificate({ ...spec, ...options.leaf });

  const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
  const signature = bundle.dsseEnvelope.signatures[0]!.sig;
  const body = {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: createHash('sha256').update(JSON.stringify(bundle.dsseEnvelope)).digest('hex') },
      payloadHash: { algorithm: 'sha256', value: options.tamper?.bodyPayloadHash ? '00'.repeat(32) : createHash('sha256').update(payload).digest('hex') },
      signatures: [{ signature, verifier: Buffer.from(leaf.pem, 'utf8').toString('base64') }],
    },
  };
  const canonicalizedBody = Buffer.from(JSON.stringify(body), 'utf8');
  const integratedTime = BigInt(Math.floor((options.integratedTime ?? new Date(notBefore.getTime() + 60 * 1000)).getTime() / 1000));
  const logIndex = 4242n;

  const setPayload = `{"body":${JSON.stringify(b64(canonicalizedBody))},"integratedTime":${integratedTime},"logID":"${instance.logId.toString('hex')}","logIndex":${logIndex}}`;
  const set = sign('sha256', Buffer.from(setPayload), { key: instance.logKey.privateKey, dsaEncoding: 'der' });
  if (options.tamper?.set) set[set.length - 1]! ^= 0x01;

  // Our entry is leaf 5 of a 7-leaf tree; the others are stand-ins for other people's entries.
  const leafHash = (bytes: Buffer) => createHash('sha256').update(Buffer.from([0])).update(bytes).digest();
  const leaves = Array.from({ length: 7 }, (_, i) => leafHash(i === 5 ? canonicalizedBody : Buffer.from(`entry ${i}`)));
  const rootHash = rfc6962Root(leaves);
  const hashes = auditPath(5, leaves);
  if (options.tamper?.proofHash) hashes[0]![0]! ^= 0x01;
  const note = `rekor.antidote.test - 42\n${leaves.length}\n${b64(rootHash)}\n`;
  const noteSignature = sign('sha256', Buffer.from(note), { key: instance.logKey.privateKey, dsaEncoding: 'der' });
  if (options.tamper?.checkpointSignature) noteSignature[noteSignature.length - 1]! ^= 0x01;
  const checkpoint = `${note}\n\u2014 rekor.antidote.test ${b64(Buffer.concat([instance.logId.subarray(0, 4), noteSignature]))}\n`;

  const entry: Record<string, unknown> = {
    logIndex: logIndex.toString(),
    logId: { keyId: b64(instance.logId) },
    kindVersion: { kind: 'dsse', version: '0.0.1' },
    integratedTime: integratedTime.toString(),
    canonicalizedBody: b64(canonicalizedBody),
  };
  if (!options.omit?.set) entry.inclusionPromise = { signedEntryTimestamp: b64(set) };
  if (!options.omit?.proof) entry.inclusionProof = { logIndex: '5', rootHash: b64(rootHash), treeSize: String(leaves.length), hashes: hashes.map(b64), checkpoint: { envelope: checkpoint } };
  bundle.verificationMaterial = { certificate: { rawBytes: b64(leaf.der) }, tlogEntries: options.omit?.entry ? [] : [entry], timestampVerificationData: {} };
  writeFileSync(bundlePath, JSON.stringify(bundle));
}
