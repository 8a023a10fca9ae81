import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLockAgainstPolicy, checkSignatureAgainstPolicy, loadPolicy, lockFactsOf, signatureFactsOf } from '../../../src/provenance/policy/index.js';
import { lock } from '../../../src/provenance/lock/index.js';
import { signModel, verifyModelSignature } from '../../../src/provenance/signing/index.js';
import { tempProject, writeTree } from './policy-fixtures.js';

/*
 * The policy checks fed with what the lock and signing modules really produce: the wiring `antidote verify`
 * uses (lockFactsOf, signatureFactsOf), end to end on a real lockfile and a real signature.
 */

function ecKeys(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

describe('policy checks on real lock and signature results', () => {
  it('a lockfile written with --source is judged by the policy sources and coverage', async () => {
    const root = tempProject();
    writeTree(root, { 'data/train.jsonl': '{"a": 1}\n', 'data/extra.csv': 'a\n1\n' });
    const lockfilePath = join(root, 'antidote.lock.json');
    const outcome = await lock({ paths: [join(root, 'data/train.jsonl')], output: lockfilePath, source: { url: 'https://huggingface.co/datasets/allenai/c4', revision: 'main' } });

    writeTree(root, { 'antidote.yaml': 'version: 1\nsources:\n  huggingface: [allenai]\nlock:\n  require: [data]\n' });
    const policy = loadPolicy(join(root, 'antidote.yaml'));
    const check = checkLockAgainstPolicy(lockFactsOf(outcome.lockfile, lockfilePath), policy);
    // The source is allowed; extra.csv was never locked.
    expect(check.violations.map((v) => [v.rule, v.subject])).toEqual([['lock-coverage', 'data/extra.csv']]);

    writeTree(root, { 'antidote.yaml': 'version: 1\nsources:\n  huggingface: [meta-llama]\n' });
    const strict = checkLockAgainstPolicy(lockFactsOf(outcome.lockfile, lockfilePath), loadPolicy(join(root, 'antidote.yaml')));
    expect(strict.violations.map((v) => [v.rule, v.subject])).toEqual([['sources', 'https://huggingface.co/datasets/allenai/c4']]);
  });

  it('a verified signature is accepted only when the policy names its key', async () => {
    const root = tempProject();
    const signer = ecKeys();
    const other = ecKeys();
    writeTree(root, { 'models/m/model.safetensors': 'weights', 'signer.key': signer.privatePem, 'keys/signer.pub': signer.publicPem, 'keys/other.pub': other.publicPem });
    await signModel({ modelPath: join(root, 'models/m'), privateKeyPath: join(root, 'signer.key') });
    const verification = await verifyModelSignature({
      modelPath: join(root, 'models/m'),
      signaturePath: join(root, 'models/m/model.sig'),
      trust: { kind: 'public-key', publicKeyPath: join(root, 'keys/signer.pub') },
    });
    expect(verification.status).toBe('verified');
    const facts = signatureFactsOf(verification);

    writeTree(root, { 'antidote.yaml': 'version: 1\nsignatures:\n  require: [models/m]\n  keys:\n    - path: keys/signer.pub\n' });
    expect(checkSignatureAgainstPolicy([facts], loadPolicy(join(root, 'antidote.yaml')))).toEqual({ ok: true, violations: [] });

    writeTree(root, { 'antidote.yaml': 'version: 1\nsignatures:\n  require: [models/m]\n  keys:\n    - path: keys/other.pub\n' });
    const check = checkSignatureAgainstPolicy([facts], loadPolicy(join(root, 'antidote.yaml')));
    expect(check.violations.map((v) => v.rule)).toEqual(['signatures', 'signatures']);
    expect(check.violations[0]!.message).toContain('not among the signers');
  });
});
