import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_BUNDLE_BYTES, parseBundle } from '../../../src/readers/sigstore/bundle.js';
import { parseCheckpoint } from '../../../src/readers/sigstore/checkpoint.js';
import { decodeBase64Strict } from '../../../src/readers/sigstore/json-fields.js';
import { parseModelSigningStatement } from '../../../src/readers/sigstore/model-signing-statement.js';
import { parseTrustedRoot } from '../../../src/readers/sigstore/trusted-root.js';

/*
 * The bundle, statement, checkpoint and trusted-root readers: every reference vector parses, every broken
 * field is named in the error, and no mutation of a real bundle makes them throw (fast-check).
 */

const FIXTURES = new URL('../../fixtures/signing/', import.meta.url);
const VECTORS = ['v1.0.0', 'v1.0.1', 'v1.1.0'].flatMap((v) => ['elliptic-key', 'certificate', 'sigstore'].map((m) => `${v}-${m}`));
const vectorBytes = (name: string): Buffer => readFileSync(new URL(`model-signing-vectors/${name}/model.sig`, FIXTURES));
const vectorJson = (name: string): Record<string, any> => JSON.parse(vectorBytes(name).toString('utf8'));
const toBytes = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe('parseBundle on the reference vectors', () => {
  it.each(VECTORS)('%s parses, with the material its mode implies', (name) => {
    const result = parseBundle(vectorBytes(name));
    if (!result.ok) throw new Error(result.error.message);
    const kind = result.value.verificationMaterial.kind;
    if (name.endsWith('elliptic-key')) expect(kind).toBe('publicKey');
    if (name.endsWith('certificate')) expect(kind).toBe('x509CertificateChain');
    if (name.endsWith('sigstore')) {
      expect(kind).toBe('certificate');
      expect(result.value.tlogEntries).toHaveLength(1);
      expect(result.value.tlogEntries[0]!.inclusionProof?.hashes.length).toBeGreaterThan(10);
    }
    expect(result.value.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(result.value.dsseEnvelope.signatures).toHaveLength(1);
  });

  it('counts the RFC 3161 timestamp of the v1.1.0 Sigstore vector', () => {
    const result = parseBundle(vectorBytes('v1.1.0-sigstore'));
    expect(result.ok && result.value.rfc3161Timestamps).toBe(1);
  });
});

describe('parseBundle names the broken field', () => {
  const base = () => vectorJson('v1.1.0-elliptic-key');
  const cases: [string, (b: Record<string, any>) => unknown, string][] = [
    ['no media type', (b) => delete b.mediaType, 'mediaType'],
    ['a message-signature bundle', (b) => { b.messageSignature = b.dsseEnvelope; delete b.dsseEnvelope; }, 'dsseEnvelope'],
    ['signatures not an array', (b) => (b.dsseEnvelope.signatures = {}), 'dsseEnvelope.signatures'],
    ['no signature at all', (b) => (b.dsseEnvelope.signatures = []), 'dsseEnvelope.signatures'],
    ['a signature with characters outside base64', (b) => (b.dsseEnvelope.signatures[0].sig = 'MEUC!IQ=='), 'dsseEnvelope.signatures[0].sig'],
    ['an empty signature', (b) => (b.dsseEnvelope.signatures[0].sig = ''), 'dsseEnvelope.signatures[0].sig'],
    ['a payload that is a number', (b) => (b.dsseEnvelope.payload = 5), 'dsseEnvelope.payload'],
    ['two kinds of verification material', (b) => (b.verificationMaterial.certificate = { rawBytes: 'AAAA' }), 'verificationMaterial'],
    ['no verification material', (b) => (b.verificationMaterial = {}), 'verificationMaterial'],
    ['a log entry without a body', (b) => (b.verificationMaterial.tlogEntries = [{ logIndex: '1', logId: { keyId: 'AAAA' }, kindVersion: { kind: 'dsse', version: '0.0.1' } }]), 'verificationMaterial.tlogEntries[0].canonicalizedBody'],
    ['a negative log index', (b) => (b.verificationMaterial.tlogEntries = [{ logIndex: '-1' }]), 'verificationMaterial.tlogEntries[0].logIndex'],
  ];
  it.each(cases)('%s', (_name, mutate, field) => {
    const bundle = base();
    mutate(bundle);
    const result = parseBundle(toBytes(bundle));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.field).toBe(field);
      expect(result.error.message.startsWith(field)).toBe(true);
    }
  });

  it('an unknown bundle media type is unsupported, not malformed', () => {
    const bundle = base();
    bundle.mediaType = 'application/vnd.dev.sigstore.bundle.v0.9+json';
    const result = parseBundle(toBytes(bundle));
    expect(!result.ok && result.error.kind).toBe('unsupported');
  });

  it('text that is not JSON is a document-level error', () => {
    const result = parseBundle(Buffer.from('{"mediaType": '));
    expect(!result.ok && result.error.field).toBe('');
    expect(!result.ok && result.error.message).toMatch(/not JSON/);
  });

  it(`refuses a file over MAX_BUNDLE_BYTES (${MAX_BUNDLE_BYTES}) without parsing it`, () => {
    const result = parseBundle(Buffer.alloc(MAX_BUNDLE_BYTES + 1, 0x20));
    expect(!result.ok && result.error.kind).toBe('limit');
  });
});

describe('strict base64', () => {
  it('refuses what Node would silently skip, so a tampered byte cannot decode to the original', () => {
    // Node's decoder drops the '!' and returns the same bytes as the clean string: ours refuses it.
    expect(Buffer.from('QU!JD', 'base64')).toEqual(Buffer.from('QUJD', 'base64'));
    expect(() => decodeBase64Strict('QU!JD', 'f')).toThrow(/base64/);
    expect(decodeBase64Strict('QUJD', 'f').toString()).toBe('ABC');
  });

  it('accepts the URL-safe alphabet and missing padding (protobuf JSON does), refuses stray padding bits', () => {
    expect(decodeBase64Strict('-_8', 'f')).toEqual(Buffer.from([0xfb, 0xff]));
    expect(decodeBase64Strict('QQ', 'f').toString()).toBe('A');
    expect(() => decodeBase64Strict('QR==', 'f')).toThrow(/padding bits/);
  });
});

describe('parseModelSigningStatement', () => {
  const payloadOf = (name: string) => Buffer.from(vectorJson(name).dsseEnvelope.payload, 'base64');
  const statementJson = (name = 'v1.1.0-elliptic-key') => JSON.parse(payloadOf(name).toString('utf8'));

  it.each(VECTORS)('%s: the statement parses', (name) => {
    const result = parseModelSigningStatement(payloadOf(name));
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.serialization.method).toBe('files');
    expect(result.value.serialization.hashType).toBe('sha256');
    expect(result.value.rootDigest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads the 1.1 ignore paths and leaves them absent for 1.0', () => {
    const v11 = parseModelSigningStatement(payloadOf('v1.1.0-certificate'));
    const v10 = parseModelSigningStatement(payloadOf('v1.0.1-certificate'));
    expect(v11.ok && [...(v11.value.serialization.ignorePaths ?? [])].sort()).toEqual(['.git', '.gitattributes', '.github', '.gitignore', 'ignore-me', 'model.sig']);
    expect(v10.ok && v10.value.serialization.ignorePaths).toBeUndefined();
  });

  const bad: [string, (s: Record<string, any>) => unknown, string, string][] = [
    ['a model_signing 0.2 predicate', (s) => (s.predicateType = 'https://model_signing/Digests/v0.1'), 'predicateType', 'unsupported'],
    ['another statement type', (s) => (s._type = 'https://in-toto.io/Statement/v0.1'), '_type', 'malformed'],
    ['two subjects', (s) => s.subject.push(s.subject[0]), 'subject', 'malformed'],
    ['a resource listed twice', (s) => s.predicate.resources.push(s.predicate.resources[0]), 'predicate.resources[2]', 'malformed'],
    ['a resource that climbs out of the model', (s) => (s.predicate.resources[0].name = '../etc/passwd'), 'predicate.resources[0].name', 'malformed'],
    ['an absolute resource name', (s) => (s.predicate.resources[0].name = '/etc/passwd'), 'predicate.resources[0].name', 'malformed'],
    ['a digest that is not hex', (s) => (s.predicate.resources[1].digest = 'zz'), 'predicate.resources[1].digest', 'malformed'],
    ['allow_symlinks as a string', (s) => (s.predicate.serialization.allow_symlinks = 'false'), 'predicate.serialization.allow_symlinks', 'malformed'],
    ['an unknown serialization method', (s) => (s.predicate.serialization.method = 'tensors'), 'predicate.serialization.method', 'unsupported'],
    ['shards without a shard size', (s) => (s.predicate.serialization.method = 'shards'), 'predicate.serialization.shard_size', 'malformed'],
  ];
  it.each(bad)('refuses %s, naming the field', (_name, mutate, field, kind) => {
    const statement = statementJson();
    mutate(statement);
    const result = parseModelSigningStatement(toBytes(statement));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.field).toBe(field);
      expect(result.error.kind).toBe(kind);
    }
  });

  it('refuses a payload that is not UTF-8', () => {
    const result = parseModelSigningStatement(Buffer.from([0x7b, 0xff, 0x7d]));
    expect(!result.ok && result.error.message).toMatch(/UTF-8/);
  });
});

describe('parseCheckpoint', () => {
  const checkpoint = vectorJson('v1.1.0-sigstore').verificationMaterial.tlogEntries[0].inclusionProof.checkpoint.envelope as string;

  it('reads the public-good Rekor checkpoint: origin, size, root, key hint', () => {
    const result = parseCheckpoint(checkpoint);
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.origin).toBe('rekor.sigstore.dev - 1193050959916656506');
    expect(result.value.treeSize).toBe(476246825n);
    expect(result.value.signatures[0]!.keyHint.toString('hex')).toBe('c0d23d6a');
    expect(result.value.signedText.endsWith('\n')).toBe(true);
    expect(result.value.signedText).not.toContain('\u2014');
  });

  it.each([
    ['no blank line', checkpoint.replace('\n\n', '\n')],
    ['a tree size that is not a number', checkpoint.replace('476246825', '4762x6825')],
    ['no signature line', checkpoint.slice(0, checkpoint.indexOf('\n\n') + 2)],
    ['a signature line without the em dash', checkpoint.replace('\u2014', '-')],
  ])('refuses %s', (_name, text) => {
    expect(parseCheckpoint(text).ok).toBe(false);
  });
});

describe('parseTrustedRoot', () => {
  const rootBytes = readFileSync(new URL('public-good-trusted-root.json', FIXTURES));

  it('reads the public-good trusted root', () => {
    const result = parseTrustedRoot(rootBytes);
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.tlogs).toHaveLength(1);
    expect(result.value.certificateAuthorities).toHaveLength(2);
    expect(result.value.certificateAuthorities[1]!.certificates).toHaveLength(2);
    expect(result.value.certificateAuthorities[0]!.validFor.end?.toISOString()).toBe('2022-12-31T23:59:59.999Z');
    expect(result.value.timestampAuthorities).toBe(1);
  });

  it('names a broken validity time', () => {
    const root = JSON.parse(rootBytes.toString('utf8'));
    root.tlogs[0].publicKey.validFor.start = 'yesterday';
    const result = parseTrustedRoot(toBytes(root));
    expect(!result.ok && result.error.field).toBe('tlogs[0].publicKey.validFor.start');
  });
});

/** Random edits of a JSON tree: replace a value, delete a key, or add junk, at a random path. */
function mutateJson(root: unknown, picks: number[], replacement: unknown): unknown {
  const copy = structuredClone(root) as Record<string, unknown>;
  let node: any = copy;
  for (let depth = 0; depth < picks.length; depth++) {
    if (node === null || typeof node !== 'object') break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[picks[depth]! % keys.length]!;
    const last = depth === picks.length - 1 || node[key] === null || typeof node[key] !== 'object';
    if (last) {
      if (picks[depth]! % 3 === 0) delete node[key];
      else node[key] = replacement;
      break;
    }
    node = node[key];
  }
  return copy;
}

describe('fuzz: no mutated bundle makes a reader throw', () => {
  const sources = VECTORS.map((name) => vectorJson(name));
  const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string(), fc.base64String(), fc.constant(''), fc.constant(null), fc.integer(), fc.constant('-1'));

  it('parseBundle returns a result with a field path for every mutation of a real bundle', () => {
    fc.assert(
      fc.property(fc.nat(VECTORS.length - 1), fc.array(fc.nat(50), { minLength: 1, maxLength: 7 }), anyJson, (which, picks, replacement) => {
        const mutated = toBytes(mutateJson(sources[which], picks, replacement));
        const result = parseBundle(mutated);
        if (!result.ok) {
          expect(typeof result.error.field).toBe('string');
          expect(result.error.message.length).toBeGreaterThan(0);
          expect(['malformed', 'unsupported', 'limit']).toContain(result.error.kind);
        } else {
          // Whatever parsed must still be the documented shape, and its statement reader must not throw either.
          expect(Buffer.isBuffer(result.value.dsseEnvelope.payload)).toBe(true);
          parseModelSigningStatement(result.value.dsseEnvelope.payload);
          for (const entry of result.value.tlogEntries) if (entry.inclusionProof) parseCheckpoint(entry.inclusionProof.checkpoint);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('parseModelSigningStatement never throws on mutated statements', () => {
    const statements = VECTORS.map((name) => JSON.parse(Buffer.from(vectorJson(name).dsseEnvelope.payload, 'base64').toString('utf8')));
    fc.assert(
      fc.property(fc.nat(VECTORS.length - 1), fc.array(fc.nat(50), { minLength: 1, maxLength: 6 }), anyJson, (which, picks, replacement) => {
        const result = parseModelSigningStatement(toBytes(mutateJson(statements[which], picks, replacement)));
        if (!result.ok) expect(typeof result.error.field).toBe('string');
      }),
      { numRuns: 1500 },
    );
  });

  it('random bytes and truncations of a bundle give a clear error, never an exception', () => {
    const bytes = vectorBytes('v1.1.0-sigstore');
    fc.assert(
      fc.property(fc.nat(bytes.length), fc.uint8Array({ maxLength: 64 }), (cut, junk) => {
        const result = parseBundle(Buffer.concat([bytes.subarray(0, cut), Buffer.from(junk)]));
        if (!result.ok) expect(result.error.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 800 },
    );
  });
});
