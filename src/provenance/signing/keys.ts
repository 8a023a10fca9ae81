import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AntidoteError, errorMessage } from '../../core/errors.js';

/*
 * Elliptic-curve keys as model_signing uses them: P-256, P-384 and P-521 only, each signing with the hash of
 * matching strength (sigstore protobuf-specs PKIX_ECDSA_P384_SHA_384 and so on; model_signing signs P-384
 * with SHA-384 and P-521 with SHA-512, never SHA-256), ECDSA signatures DER-encoded.
 */

/** The curves model_signing accepts. */
export type Curve = 'P-256' | 'P-384' | 'P-521';

const CURVES: Record<string, { curve: Curve; hash: 'sha256' | 'sha384' | 'sha512' }> = {
  prime256v1: { curve: 'P-256', hash: 'sha256' },
  secp384r1: { curve: 'P-384', hash: 'sha384' },
  secp521r1: { curve: 'P-521', hash: 'sha512' },
};

/** Bytes of a key or certificate file; PEM keys are under 1 KB, certificate bundles a few KB. */
export const MAX_KEY_FILE_BYTES = 1024 * 1024;

/** A public key with its curve and the hash its signatures use. */
export interface EcPublicKey {
  key: KeyObject;
  curve: Curve;
  hash: 'sha256' | 'sha384' | 'sha512';
}

/** Curve and hash of an EC key, or undefined for any other key type or curve. */
export function ecKeyInfo(key: KeyObject): { curve: Curve; hash: 'sha256' | 'sha384' | 'sha512' } | undefined {
  if (key.asymmetricKeyType !== 'ec') return undefined;
  const named = key.asymmetricKeyDetails?.namedCurve;
  return named ? CURVES[named] : undefined;
}

/** Read a small key or certificate file, or fail with a tool error that names it. */
export function readKeyFile(path: string, what: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'INPUT_NOT_FOUND' : 'INPUT_UNREADABLE';
    throw new AntidoteError(code, `${path}: cannot read the ${what} (${errorMessage(error)})`, { cause: error });
  }
  if (bytes.length > MAX_KEY_FILE_BYTES) throw new AntidoteError('KEY_INVALID', `${path}: ${bytes.length} bytes is too large for a ${what}`);
  return bytes;
}

/** Load a PEM or DER public key file; only P-256/P-384/P-521 EC keys are accepted. */
export function loadPublicKey(path: string): EcPublicKey {
  const bytes = readKeyFile(path, 'public key');
  let key: KeyObject;
  try {
    key = bytes.includes('-----BEGIN') ? createPublicKey(bytes) : createPublicKey({ key: bytes, format: 'der', type: 'spki' });
  } catch (error) {
    throw new AntidoteError('KEY_INVALID', `${path}: not a PEM or DER public key (${errorMessage(error)}). Pass the signer's public key, e.g. from 'openssl ec -in key.pem -pubout'.`, { cause: error });
  }
  return withCurve(key, path);
}

/** Load a PEM private key (PKCS#8 or SEC1, optionally encrypted with `passphrase`). */
export function loadPrivateKey(path: string, passphrase?: string): { key: KeyObject; publicKey: EcPublicKey } {
  const bytes = readKeyFile(path, 'private key');
  let key: KeyObject;
  try {
    key = createPrivateKey(passphrase === undefined ? { key: bytes } : { key: bytes, passphrase });
  } catch (error) {
    const hint = /passphrase|decrypt|bad decrypt/i.test(errorMessage(error)) ? ' The key is encrypted: set ANTIDOTE_KEY_PASSWORD.' : '';
    throw new AntidoteError('KEY_INVALID', `${path}: not a usable PEM private key (${errorMessage(error)}).${hint}`, { cause: error });
  }
  const publicKey = withCurve(createPublicKey(key), path);
  return { key, publicKey };
}

function withCurve(key: KeyObject, path: string): EcPublicKey {
  const info = ecKeyInfo(key);
  if (!info) {
    const what = key.asymmetricKeyType === 'ec' ? `EC curve ${key.asymmetricKeyDetails?.namedCurve ?? 'unknown'}` : `${key.asymmetricKeyType ?? 'unknown'} key`;
    throw new AntidoteError('KEY_INVALID', `${path}: ${what} is not supported; model_signing uses EC keys on P-256, P-384 or P-521.`);
  }
  return { key, ...info };
}

/** model_signing's key hint: hex sha256 of the PEM SubjectPublicKeyInfo (as Python's cryptography writes it). */
export function publicKeyHint(key: KeyObject): string {
  return createHash('sha256').update(key.export({ type: 'spki', format: 'pem' })).digest('hex');
}

/** Hex sha256 of the DER SubjectPublicKeyInfo: a key's name that does not depend on PEM formatting. */
export function publicKeySha256(key: KeyObject): string {
  return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** True when two public keys are the same key (compared as DER SubjectPublicKeyInfo). */
export function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  return a.export({ type: 'spki', format: 'der' }).equals(b.export({ type: 'spki', format: 'der' }));
}

/** ECDSA signature (DER) over `data` with the curve's hash. */
export function signWithKey(privateKey: KeyObject, hash: EcPublicKey['hash'], data: Buffer): Buffer {
  return sign(hash, data, { key: privateKey, dsaEncoding: 'der' });
}

/**
 * Check an ECDSA signature (DER) over `data`. OpenSSL refuses non-canonical DER, so one signature has one
 * encoding and a flipped byte cannot slip through as an alternative spelling.
 */
export function verifyWithKey(publicKey: EcPublicKey, data: Buffer, signature: Buffer): boolean {
  try {
    return verify(publicKey.hash, data, { key: publicKey.key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}
