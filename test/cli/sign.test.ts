import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';

/*
 * `antidote sign` and `antidote verify-signature` as a user runs them (child processes): exit 0 signed or
 * verified, 1 verification failed with the reason code on screen, 2 usage or tool error (and no verdict
 * without trust material), never a stack trace.
 */

const BIN = fileURLToPath(new URL('../../src/cli/bin.ts', import.meta.url));
const VECTORS = fileURLToPath(new URL('../fixtures/signing/model-signing-vectors/', import.meta.url));
const PUBLIC_GOOD_ROOT = fileURLToPath(new URL('../fixtures/signing/public-good-trusted-root.json', import.meta.url));

/** Run the real binary in a child process (slow on a busy machine: used for the exit-code contract only). */
function spawned(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * Run the CLI entry point (`run()`, the same function bin.ts calls) in this process, capturing what it writes
 * and the exit code it sets. Same code path as the binary, without a Node start per case.
 */
async function antidote(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const saved = { argv: process.argv, out: process.stdout.write, err: process.stderr.write, exitCode: process.exitCode };
  let stdout = '';
  let stderr = '';
  process.argv = [process.execPath, BIN, ...args];
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    process.exitCode = undefined;
    await run();
    return { code: Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    process.argv = saved.argv;
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    process.exitCode = saved.exitCode;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'antidote-cli-sign-'));
const pair = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
const keyPath = join(dir, 'key.pem');
const pubPath = join(dir, 'key.pub');
writeFileSync(keyPath, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
writeFileSync(pubPath, pair.publicKey.export({ type: 'spki', format: 'pem' }));
const model = join(dir, 'model');
mkdirSync(model);
writeFileSync(join(model, 'weights.bin'), 'weights');
writeFileSync(join(model, 'config.json'), '{}');

const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('antidote sign / verify-signature', async () => {
  it('the binary: signs (exit 0) and verifies (exit 0), default signature inside the model', async () => {
    const signed = await spawned(['sign', model, '--key', keyPath]);
    expect(signed.code).toBe(0);
    expect(signed.stdout).toContain(join(model, 'model.sig'));
    const verified = await spawned(['verify-signature', model, '--public-key', pubPath]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^VERIFIED/);
    expect(verified.stdout).toContain('P-384');
  });

  it('the binary: a changed file is exit 1 with the reason code and the file named', async () => {
    const copy = join(dir, 'tampered');
    cpSync(model, copy, { recursive: true });
    expect((await antidote(['sign', copy, '--key', keyPath])).code).toBe(0);
    writeFileSync(join(copy, 'weights.bin'), 'weightz');
    const result = await spawned(['verify-signature', copy, '--public-key', pubPath]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('digest-mismatch');
    expect(result.stdout).toContain('weights.bin');
  });

  it('--format json carries a version, the status and the reason code', async () => {
    const copy = join(dir, 'json');
    cpSync(model, copy, { recursive: true });
    await antidote(['sign', copy, '--key', keyPath]);
    writeFileSync(join(copy, 'extra.pkl'), 'x');
    const result = await antidote(['verify-signature', copy, '--public-key', pubPath, '--format', 'json']);
    expect(result.code).toBe(1);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ version: '1.0.0', status: 'failed', reason: { code: 'file-extra', path: 'extra.pkl' }, mode: 'public-key' });
  });

  it('--ignore-paths and -o work as in model_signing', async () => {
    const copy = join(dir, 'ignoring');
    cpSync(model, copy, { recursive: true });
    writeFileSync(join(copy, 'README.md'), 'readme');
    const sig = join(dir, 'ignoring.sig');
    expect((await antidote(['sign', copy, '--key', keyPath, '-o', sig, '--ignore-paths', join(copy, 'README.md')])).code).toBe(0);
    writeFileSync(join(copy, 'README.md'), 'edited');
    expect((await antidote(['verify-signature', copy, '--signature', sig, '--public-key', pubPath])).code).toBe(0);
  });

  it('the reference vectors verify from the command line in every mode', async () => {
    const v = (name: string) => join(VECTORS, name);
    expect((await antidote(['verify-signature', v('v1.1.0-elliptic-key'), '--public-key', join(VECTORS, 'keys/certificate/signing-key-pub.pem')])).code).toBe(0);
    expect((await antidote(['verify-signature', v('v1.0.1-certificate'), '--certificate-chain', join(VECTORS, 'keys/certificate/ca-cert.pem'), '--ignore-paths', v('v1.0.1-certificate/ignore-me')])).code).toBe(0);
    const sigstore = await antidote(['verify-signature', v('v1.1.0-sigstore'), '--sigstore-identity', 'stefanb@us.ibm.com', '--sigstore-issuer', 'https://sigstore.verify.ibm.com/oauth2', '--trusted-root', PUBLIC_GOOD_ROOT]);
    expect(sigstore.code).toBe(0);
    expect(sigstore.stdout).toContain('rekor.sigstore.dev');
  });

  it('a Sigstore bundle without trust: inspected, digests checked, told what to pass, exit 2', async () => {
    const result = await antidote(['verify-signature', join(VECTORS, 'v1.1.0-sigstore')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^NOT VERIFIED/);
    expect(result.stdout).toContain('--sigstore-identity stefanb@us.ibm.com');
    expect(result.stdout).toContain('--trusted-root FILE');
    expect(result.stdout).toContain('match the unverified statement');
    const json = JSON.parse((await antidote(['verify-signature', join(VECTORS, 'v1.1.0-sigstore'), '--format', 'json'])).stdout);
    expect(json).toMatchObject({ status: 'unverifiable', reason: { code: 'trust-missing' }, inspection: { material: 'sigstore-certificate', files: { matches: true } } });
  });

  it('the binary: Sigstore flags without --trusted-root are exit 2, saying antidote never fetches one', async () => {
    const result = await spawned(['verify-signature', join(VECTORS, 'v1.1.0-sigstore'), '--sigstore-identity', 'a@b', '--sigstore-issuer', 'https://x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--trusted-root FILE');
    expect(result.stderr).toContain('offline');
    noStackTrace(result.stderr);
  });

  it.each([
    ['sign without --key', ['sign', model]],
    ['sign without a model', ['sign', '--key', keyPath]],
    ['sign with an unknown hash', ['sign', model, '--key', keyPath, '--hash', 'md5']],
    ['sign with a key file that is not a key', ['sign', model, '--key', join(model, 'config.json')]],
    ['sign a model that does not exist', ['sign', join(dir, 'nope'), '--key', keyPath]],
    ['verify with two kinds of trust', ['verify-signature', model, '--public-key', pubPath, '--certificate-chain', pubPath]],
    ['verify with a missing public key file', ['verify-signature', model, '--public-key', join(dir, 'missing.pub')]],
    ['verify a file model whose default signature (FILE.sig) does not exist', ['verify-signature', join(model, 'weights.bin'), '--public-key', pubPath]],
    ['verify with an unknown flag', ['verify-signature', model, '--public_key', pubPath]],
  ])('%s: exit 2 with a message, no stack trace', async (_name, args) => {
    const result = await antidote(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^antidote: error: /);
    noStackTrace(result.stderr);
  });

  it('a signature file that is not a bundle: exit 1 (bundle-malformed), naming the field', async () => {
    const copy = join(dir, 'garbage');
    cpSync(model, copy, { recursive: true });
    writeFileSync(join(copy, 'model.sig'), '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{}},"dsseEnvelope":{"signatures":[{"sig":"!!"}]}}');
    const result = await antidote(['verify-signature', copy, '--public-key', pubPath]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('bundle-malformed');
    expect(result.stdout).toContain('dsseEnvelope.signatures[0].sig');
  });

  it('--help exits 0 for both commands and they are listed in the usage', async () => {
    expect((await antidote(['sign', '--help'])).code).toBe(0);
    expect((await antidote(['verify-signature', '--help'])).stdout).toContain('--sigstore-identity');
    const usage = (await antidote(['--help'])).stdout;
    expect(usage).toContain('sign MODEL');
    expect(usage).toContain('verify-signature MODEL');
  });
});
