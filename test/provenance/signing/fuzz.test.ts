import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AntidoteError } from '../../../src/core/errors.js';
import { verifyModelSignature, type SignatureTrust } from '../../../src/provenance/signing/index.js';
import { PUBLIC_GOOD_ROOT, tempDir, VECTOR_IDENTITY, VECTOR_ISSUER, VECTOR_KEYS, VECTORS } from './helpers.js';

/*
 * The whole verifier over mutated signature files: it never throws (a tool error would be exit 2 for what
 * is the artifact's fault), never crashes, and never says `verified` unless the signed bytes (statement and
 * signature) are still the original ones.
 */

function mutate(root: unknown, picks: number[], replacement: unknown): unknown {
  const copy = structuredClone(root) as Record<string, unknown>;
  let node: any = copy;
  for (let depth = 0; depth < picks.length; depth++) {
    if (node === null || typeof node !== 'object') break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[picks[depth]! % keys.length]!;
    if (depth === picks.length - 1 || node[key] === null || typeof node[key] !== 'object') {
      if (picks[depth]! % 3 === 0) delete node[key];
      else node[key] = replacement;
      break;
    }
    node = node[key];
  }
  return copy;
}

const CASES: [string, SignatureTrust][] = [
  ['v1.1.0-elliptic-key', { kind: 'public-key', publicKeyPath: join(VECTOR_KEYS, 'signing-key-pub.pem') }],
  ['v1.1.0-certificate', { kind: 'certificate', certificateChainPaths: [join(VECTOR_KEYS, 'ca-cert.pem')] }],
  ['v1.1.0-sigstore', { kind: 'sigstore', identity: VECTOR_IDENTITY, issuer: VECTOR_ISSUER, trustedRootPath: PUBLIC_GOOD_ROOT }],
];

describe('fuzz: verifyModelSignature on mutated bundles', () => {
  it.each(CASES)('%s: a result every time, and verified only when the signed bytes are intact', async (name, trust) => {
    const model = join(tempDir(), name);
    cpSync(join(VECTORS, name), model, { recursive: true });
    const signaturePath = join(model, 'model.sig');
    const original = JSON.parse(readFileSync(signaturePath, 'utf8'));
    const replacement = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.base64String({ maxLength: 40 }), fc.constant(''), fc.constant(null), fc.constant('0'));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(40), { minLength: 1, maxLength: 6 }), replacement, async (picks, value) => {
        const mutated = mutate(original, picks, value) as any;
        writeFileSync(signaturePath, JSON.stringify(mutated));
        const result = await verifyModelSignature({ modelPath: model, signaturePath, trust });
        expect(['verified', 'failed', 'unverifiable']).toContain(result.status);
        if (result.status === 'verified') {
          expect(mutated.dsseEnvelope.payload).toBe(original.dsseEnvelope.payload);
          expect(mutated.dsseEnvelope.signatures[0].sig).toBe(original.dsseEnvelope.signatures[0].sig);
        } else {
          expect(result.reason?.code).toBeTruthy();
          expect(result.reason?.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a tool error is only ever a caller problem: an unreadable key file, not a hostile bundle', async () => {
    const model = join(tempDir(), 'v1.1.0-elliptic-key');
    cpSync(join(VECTORS, 'v1.1.0-elliptic-key'), model, { recursive: true });
    writeFileSync(join(model, 'model.sig'), '\u0000\u0001garbage');
    const garbage = await verifyModelSignature({ modelPath: model, signaturePath: join(model, 'model.sig'), trust: CASES[0]![1] });
    expect(garbage.reason?.code).toBe('bundle-malformed');
    await expect(verifyModelSignature({ modelPath: model, signaturePath: join(model, 'model.sig'), trust: { kind: 'public-key', publicKeyPath: join(model, 'signme-1') } })).rejects.toBeInstanceOf(AntidoteError);
  });

  it('a 1.0 bundle whose embedded public key is another key is key-mismatch', async () => {
    const model = join(tempDir(), 'v1.0.1-elliptic-key');
    cpSync(join(VECTORS, 'v1.0.1-elliptic-key'), model, { recursive: true });
    const signaturePath = join(model, 'model.sig');
    const bundle = JSON.parse(readFileSync(signaturePath, 'utf8'));
    const other = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'pem' });
    expect(createPublicKey(Buffer.from(bundle.verificationMaterial.publicKey.rawBytes, 'base64')).asymmetricKeyType).toBe('ec');
    bundle.verificationMaterial.publicKey.rawBytes = Buffer.from(other).toString('base64');
    writeFileSync(signaturePath, JSON.stringify(bundle));
    const result = await verifyModelSignature({ modelPath: model, signaturePath, trust: CASES[0]![1], ignorePaths: [join(model, 'ignore-me')] });
    expect(result.reason).toMatchObject({ code: 'key-mismatch', path: 'verificationMaterial.publicKey.rawBytes' });
  });
});
