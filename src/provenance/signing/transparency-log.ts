import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { parseCheckpoint, type TlogEntry, type TrustedLog } from '../../readers/sigstore/index.js';
import type { ChainFailure } from './certificate-chain.js';

/*
 * Offline checks of a Rekor (v1) transparency-log entry against a log key from the trusted root:
 * - the signed entry timestamp (SET): the log's signature over the canonical JSON of body, integrated time,
 *   log id and log index; it is what makes the integrated time a trusted signing time;
 * - the inclusion proof (RFC 6962 / RFC 9162 section 2.1.3.2) from the entry's leaf hash to the root hash;
 * - the checkpoint (signed note) that commits the log to that root hash and tree size.
 * Nothing is fetched: a log that later dropped or forked the entry is not detected (that needs a monitor).
 */

/** The key of a trusted log and the hash its ECDSA signatures use (undefined for Ed25519). */
export interface LogKey {
  key: KeyObject;
  hash: 'sha256' | 'sha384' | 'sha512' | undefined;
}

/** A log key from its trusted-root entry, or undefined when the key cannot be loaded. */
export function logKey(log: TrustedLog): LogKey | undefined {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: log.publicKey, format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
  if (key.asymmetricKeyType === 'ed25519') return { key, hash: undefined };
  const hash = /SHA_?384/.test(log.keyDetails) ? 'sha384' : /SHA_?512/.test(log.keyDetails) ? 'sha512' : 'sha256';
  return { key, hash };
}

function verifyLogSignature(key: LogKey, data: Buffer, signature: Buffer): boolean {
  try {
    return key.hash === undefined ? verify(null, data, key.key, signature) : verify(key.hash, data, { key: key.key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

/** The trusted log that wrote `entry`, if its key was trusted at the entry's integrated time. */
export function findLog(entry: TlogEntry, logs: readonly TrustedLog[]): TrustedLog | undefined {
  const time = Number(entry.integratedTime) * 1000;
  return logs.find((log) => log.logId.equals(entry.logId) && log.validFor.start.getTime() <= time && (log.validFor.end === undefined || time <= log.validFor.end.getTime()));
}

/** The SET payload: canonical JSON (sorted keys, no spaces) exactly as Rekor signs it. */
export function signedEntryTimestampPayload(entry: TlogEntry): Buffer {
  const body = entry.canonicalizedBody.toString('base64');
  return Buffer.from(`{"body":${JSON.stringify(body)},"integratedTime":${entry.integratedTime},"logID":"${entry.logId.toString('hex')}","logIndex":${entry.logIndex}}`, 'utf8');
}

/** Check the entry's signed entry timestamp against the log key. */
export function checkSignedEntryTimestamp(entry: TlogEntry, key: LogKey): ChainFailure | undefined {
  if (!entry.signedEntryTimestamp) return { code: 'tlog-missing', message: 'the log entry has no signed entry timestamp, so its integrated time is not authenticated (RFC 3161 timestamps are not checked)' };
  if (!verifyLogSignature(key, signedEntryTimestampPayload(entry), entry.signedEntryTimestamp)) {
    return { code: 'tlog-set-invalid', message: `the signed entry timestamp of log entry ${entry.logIndex} does not verify with the log key` };
  }
  return undefined;
}

/** RFC 6962 leaf hash of a log entry body. */
export function leafHash(body: Buffer): Buffer {
  return createHash('sha256').update(Buffer.from([0])).update(body).digest();
}

function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(Buffer.from([1])).update(left).update(right).digest();
}

/** Root hash implied by an inclusion proof (RFC 9162 2.1.3.2), or undefined when the proof is malformed. */
export function rootFromInclusionProof(leaf: Buffer, index: bigint, treeSize: bigint, proof: readonly Buffer[]): Buffer | undefined {
  if (index >= treeSize) return undefined;
  let fn = index;
  let sn = treeSize - 1n;
  let hash = leaf;
  for (const sibling of proof) {
    if (sibling.length !== 32 || sn === 0n) return undefined;
    if ((fn & 1n) === 1n || fn === sn) {
      hash = nodeHash(sibling, hash);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      hash = nodeHash(hash, sibling);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? hash : undefined;
}

/** Check the inclusion proof and its signed checkpoint. */
export function checkInclusionProof(entry: TlogEntry, log: TrustedLog, key: LogKey): ChainFailure | undefined {
  const proof = entry.inclusionProof;
  if (!proof) return undefined;
  const root = rootFromInclusionProof(leafHash(entry.canonicalizedBody), proof.logIndex, proof.treeSize, proof.hashes);
  if (!root || !root.equals(proof.rootHash)) {
    return { code: 'tlog-inclusion-proof-invalid', message: `the inclusion proof does not lead from entry ${proof.logIndex} to root hash ${proof.rootHash.toString('hex')} of a tree of ${proof.treeSize}` };
  }
  const checkpoint = parseCheckpoint(proof.checkpoint);
  if (!checkpoint.ok) return { code: 'tlog-checkpoint-invalid', message: `the checkpoint is malformed: ${checkpoint.error.message}` };
  if (checkpoint.value.treeSize !== proof.treeSize || !checkpoint.value.rootHash.equals(proof.rootHash)) {
    return { code: 'tlog-checkpoint-invalid', message: 'the checkpoint commits to a different tree size or root hash than the inclusion proof' };
  }
  // Rekor v1 names its key in a note by the first 4 bytes of the log id (sha256 of the DER public key).
  const hint = log.logId.subarray(0, 4);
  const signed = Buffer.from(checkpoint.value.signedText, 'utf8');
  const good = checkpoint.value.signatures.some((s) => s.keyHint.equals(hint) && verifyLogSignature(key, signed, s.signature));
  if (!good) return { code: 'tlog-checkpoint-invalid', message: `no signature on the checkpoint verifies with the key of ${log.baseUrl || 'the log'}` };
  return undefined;
}
