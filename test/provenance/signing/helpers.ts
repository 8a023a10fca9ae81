import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KeyObject } from 'node:crypto';

/** Paths and small helpers shared by the signing tests. */

export const FIXTURES = fileURLToPath(new URL('../../fixtures/signing/', import.meta.url));
export const VECTORS = join(FIXTURES, 'model-signing-vectors');
export const VECTOR_KEYS = join(VECTORS, 'keys', 'certificate');
export const PUBLIC_GOOD_ROOT = join(FIXTURES, 'public-good-trusted-root.json');

/** The IBM identity and OIDC issuer of the reference's Sigstore vectors. */
export const VECTOR_IDENTITY = 'stefanb@us.ibm.com';
export const VECTOR_ISSUER = 'https://sigstore.verify.ibm.com/oauth2';

/** A fresh temporary directory. */
export function tempDir(prefix = 'antidote-signing-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Write `files` (relative path -> content) under a new model directory named `name` and return its path. */
export function writeModel(files: Record<string, string | Buffer>, name = 'model'): string {
  const root = join(tempDir(), name);
  mkdirSync(root, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

/** A writable copy of one reference vector folder, keeping its name (the subject name depends on it). */
export function copyVector(name: string): string {
  const target = join(tempDir(), name);
  cpSync(join(VECTORS, name), target, { recursive: true });
  return target;
}

/** Write a private key as PKCS#8 PEM into `dir`. */
export function writePrivateKey(dir: string, key: KeyObject, name = 'key.pem'): string {
  const path = join(dir, name);
  writeFileSync(path, key.export({ type: 'pkcs8', format: 'pem' }));
  return path;
}

/** Write a public key as SPKI PEM into `dir`. */
export function writePublicKey(dir: string, key: KeyObject, name = 'key.pub'): string {
  const path = join(dir, name);
  writeFileSync(path, key.export({ type: 'spki', format: 'pem' }));
  return path;
}
