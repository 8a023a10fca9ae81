import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyModelSignature } from '../../../src/provenance/signing/index.js';
import { digestFile, HASH_READ_BYTES, MANIFEST_HASHES } from '../../../src/provenance/signing/file-digest.js';
import { compareCodePoints, comparePaths, walkModel } from '../../../src/provenance/signing/model-manifest.js';
import { buildStatementPayload, pythonJson, rootDigestOf } from '../../../src/provenance/signing/statement.js';
import { preAuthEncoding } from '../../../src/readers/sigstore/dsse.js';
import { tempDir, writeModel, writePublicKey } from './helpers.js';

/*
 * The pieces of the manifest: streaming digests across read boundaries and ranges, the sort order, the
 * Python-compatible JSON writer, and shard serialization (verified from a statement made here, since the
 * reference vectors only use `files`).
 */

describe('digestFile', () => {
  it('streams a file larger than one read with the same digest as hashing it whole', async () => {
    const data = randomBytes(HASH_READ_BYTES * 2 + 12345);
    const path = join(tempDir(), 'big.bin');
    writeFileSync(path, data);
    expect(await digestFile(path, MANIFEST_HASHES.sha256)).toBe(createHash('sha256').update(data).digest('hex'));
    expect(await digestFile(path, MANIFEST_HASHES.blake2)).toBe(createHash('blake2b512').update(data).digest('hex'));
  });

  it('hashes a byte range [start, end) across a read boundary', async () => {
    const data = randomBytes(HASH_READ_BYTES + 100);
    const path = join(tempDir(), 'range.bin');
    writeFileSync(path, data);
    const start = HASH_READ_BYTES - 50;
    const end = HASH_READ_BYTES + 70;
    expect(await digestFile(path, MANIFEST_HASHES.sha256, { start, end })).toBe(createHash('sha256').update(data.subarray(start, end)).digest('hex'));
  });

  it('an empty file has the digest of nothing', async () => {
    const path = join(tempDir(), 'empty');
    writeFileSync(path, '');
    expect(await digestFile(path, MANIFEST_HASHES.sha256)).toBe(createHash('sha256').digest('hex'));
  });
});

describe('ordering', () => {
  it('compares by code point: U+FF5E sorts before U+1F600 (UTF-16 order says the opposite)', () => {
    expect('\u{1F600}' < '\uFF5E').toBe(true);
    expect(compareCodePoints('\uFF5E', '\u{1F600}')).toBe(-1);
    expect(compareCodePoints('abc', 'abc')).toBe(0);
    expect(compareCodePoints('ab', 'abc')).toBe(-1);
  });

  it('compares paths by component: a/b < a/c/d < a-b < a.b, and a < a/b', () => {
    const sorted = ['a.b', 'a-b', 'a/c/d', 'a/b', 'a'].sort(comparePaths);
    expect(sorted).toEqual(['a', 'a/b', 'a/c/d', 'a-b', 'a.b']);
  });
});

describe('pythonJson', () => {
  it('escapes as json.dumps(ensure_ascii=True): control characters, DEL, non-ASCII as UTF-16 units', () => {
    expect(pythonJson('tab\tnl\nq"bs\\')).toBe('"tab\\tnl\\nq\\"bs\\\\"');
    expect(pythonJson('\u0001\u007f\u00e9')).toBe('"\\u0001\\u007f\\u00e9"');
    expect(pythonJson('\u{1F600}')).toBe('"\\ud83d\\ude00"');
    expect(pythonJson('/')).toBe('"/"');
  });

  it('lays out like indent=2: empty containers inline, ", " never used', () => {
    expect(pythonJson({ a: [], b: {}, c: [1, true, null] })).toBe('{\n  "a": [],\n  "b": {},\n  "c": [\n    1,\n    true,\n    null\n  ]\n}');
  });
});

describe('shard serialization (method: shards)', () => {
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

  async function shardedModel() {
    const data = randomBytes(2500);
    const model = writeModel({ 'big.bin': data, 'empty.bin': '', 'small.txt': 'abc' });
    const tree = await walkModel(model, { allowSymlinks: false, ignore: [], shardSize: 1000 });
    return { model, data, tree };
  }

  it('cuts files model_signing-style: [0,1000), [1000,2000), [2000,2500); empty files have no shard', async () => {
    const { tree } = await shardedModel();
    expect(tree.items.map((i) => i.name)).toEqual(['big.bin:0:1000', 'big.bin:1000:2000', 'big.bin:2000:2500', 'small.txt:0:3']);
  });

  it('a signed shard statement verifies, and a changed byte names its shard', async () => {
    const { model, data, tree } = await shardedModel();
    const resources = tree.items.map((item) => ({
      name: item.name,
      algorithm: 'sha256',
      digest: createHash('sha256').update(item.path === 'big.bin' ? data.subarray(item.start, item.end) : Buffer.from('abc')).digest('hex'),
    }));
    const payload = buildStatementPayload('model', resources, { method: 'shards', hashType: 'sha256', allowSymlinks: false, ignorePaths: ['model.sig'], shardSize: 1000 });
    expect(JSON.parse(payload.toString()).subject[0].digest.sha256).toBe(rootDigestOf(resources));
    const bundle = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: '' }, tlogEntries: [] },
      dsseEnvelope: {
        payload: payload.toString('base64'),
        payloadType: 'application/vnd.in-toto+json',
        signatures: [{ sig: sign('sha256', preAuthEncoding('application/vnd.in-toto+json', payload), { key: pair.privateKey, dsaEncoding: 'der' }).toString('base64'), keyid: '' }],
      },
    };
    const signature = join(model, 'model.sig');
    writeFileSync(signature, JSON.stringify(bundle));
    const trust = { kind: 'public-key' as const, publicKeyPath: writePublicKey(tempDir(), pair.publicKey) };
    const verified = await verifyModelSignature({ modelPath: model, signaturePath: signature, trust });
    expect(verified.reason).toBeUndefined();
    expect(verified.status).toBe('verified');

    const changed = Buffer.from(data);
    changed[1500] = changed[1500]! ^ 0xff;
    writeFileSync(join(model, 'big.bin'), changed);
    const failed = await verifyModelSignature({ modelPath: model, signaturePath: signature, trust });
    expect(failed.reason).toMatchObject({ code: 'digest-mismatch', path: 'big.bin:1000:2000' });
    expect(failed.mismatches).toHaveLength(1);
  });
});
