import { generateKeyPairSync, createHash, createPublicKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A fresh temporary project folder. */
export function tempProject(prefix = 'antidote-policy-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Write `files` (relative path -> content) under `root`, creating folders. */
export function writeTree(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
}

/** A new Ed25519 key pair as PEM, with the public key's SPKI sha256 computed independently of the loader. */
export function keyPair(): { publicPem: string; privatePem: string; sha256: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const der = createPublicKey(publicPem).export({ type: 'spki', format: 'der' });
  return { publicPem, privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), sha256: createHash('sha256').update(der).digest('hex') };
}

/** The full example antidote.yaml from docs/policy.md (the first ```yaml block), as documented. */
export function docsExamplePolicy(): string {
  const markdown = readFileSync(new URL('../../../docs/policy.md', import.meta.url), 'utf8');
  const match = /```yaml\n([\s\S]*?)```/.exec(markdown);
  if (!match) throw new Error('docs/policy.md has no ```yaml example');
  return match[1]!;
}
