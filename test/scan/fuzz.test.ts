import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ScanResult } from '../../src/core/result.js';
import { atLeast } from '../../src/core/severity.js';
import { payloadPickle } from '../builders/pickle.js';
import { buildLegacyTorch, buildTorchZip } from '../builders/torch.js';
import { buildNpy } from '../builders/npy.js';
import { gzipBytes } from '../builders/compression.js';
import { buildSavedModel, tfAttr } from '../builders/protobuf.js';
import { scanOf } from './helpers.js';

/*
 * Property-based tests of the whole engine over hostile bytes: no exception escapes, every run ends with a
 * well-formed result, and a damaged malicious file never reads as clean (unknown is not clean).
 */

const real = (name: string): Buffer => readFileSync(new URL(`../fixtures/real/${name}`, import.meta.url));

const MALICIOUS: [string, Buffer][] = [
  ['torch zip', buildTorchZip({ pickle: payloadPickle('os', 'system', 'id') })],
  ['legacy torch', buildLegacyTorch({ payload: payloadPickle('os', 'system', 'id') })],
  ['object npy', buildNpy({ descr: '|O', shape: [1], data: payloadPickle('os', 'system', 'id') })],
  ['gzip pickle', gzipBytes(payloadPickle('os', 'system', 'id'))],
  ['real joblib payload', real('malicious/joblib-payload.joblib')],
  ['real torch exec', real('malicious/torch-zip-exec.pt')],
  ['real ONNX with traversing external data', readFileSync(new URL('../fixtures/onnx/external-data-traversal.onnx', import.meta.url))],
  ['SavedModel calling PyFunc', buildSavedModel({ metaGraphs: [{ nodes: [{ name: 'x', op: 'Placeholder' }, { name: 'p', op: 'PyFunc', inputs: ['x'], attrs: { token: tfAttr.s('pyfunc_0') } }] }] })],
];

const VALID: Buffer[] = [
  real('linear-state-dict.pt'),
  real('legacy-state-dict.pt'),
  real('checkpoint-full.pt'),
  real('sklearn-like.joblib'),
  real('arrays-xz.joblib'),
  real('arrays.npz'),
  ...MALICIOUS.map(([, b]) => b),
];

function wellFormed(result: ScanResult): void {
  expect(['succeeded', 'partial', 'failed']).toContain(result.status);
  expect(result.files.length).toBeGreaterThan(0);
  for (const f of result.files) expect(['scanned', 'partial', 'failed', 'skipped']).toContain(f.status);
  for (const f of result.findings) expect(typeof f.message).toBe('string');
}

/** Clean = the run succeeded and nothing reached medium. */
const clean = (r: ScanResult): boolean => r.status === 'succeeded' && !r.findings.some((f) => atLeast(f.severity, 'medium'));

describe('engine fuzz', () => {
  it('random bytes never crash the scan', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => wellFormed(await scanOf(Buffer.from(bytes), 'random.bin'))),
      { numRuns: 300 },
    );
  });

  it('random bytes behind a pickle or zip magic never crash the scan', async () => {
    const magics = [Buffer.from([0x80, 0x02]), Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('\x93NUMPY', 'latin1'), Buffer.from([0x1f, 0x8b, 0x08]), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 2048 }), async (magic, rest) =>
        wellFormed(await scanOf(Buffer.concat([magic, Buffer.from(rest)]), 'magic.bin')),
      ),
      { numRuns: 300 },
    );
  });

  it('byte-mutated valid files never crash the scan', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...VALID),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        async (file, edits) => {
          const bytes = Buffer.from(file);
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          wellFormed(await scanOf(bytes, 'mutated.bin'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it.each(MALICIOUS)('every truncation of a malicious %s is reported, never clean', async (_name, file) => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: file.length - 1 }), async (cut) => {
        const result = await scanOf(file.subarray(0, cut), 'truncated.bin');
        wellFormed(result);
        if (clean(result) && result.files[0]?.status !== 'skipped') {
          throw new Error(`prefix of ${cut} bytes read as clean: ${JSON.stringify(result.files)}`);
        }
      }),
      { numRuns: 200 },
    );
  });
});
