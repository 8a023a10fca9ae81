import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import { DEFAULT_LIMITS, resolveLimits } from '../../../src/core/limits.js';
import { disassemblePickle, OPCODES, type PickleAnalysis } from '../../../src/readers/pickle/index.js';
import { payloadPickle } from '../../builders/pickle.js';
import { buildLegacyTorch, stateDictPickle } from '../../builders/torch.js';

/*
 * Property-based fuzzing of the disassembler: for random, truncated and mutated streams it never throws,
 * returns a consistent analysis, and stays within its limits (time is bounded by the stream length).
 */

const real = (name: string): Buffer => readFileSync(new URL(`../../fixtures/real/${name}`, import.meta.url));
const SEEDS = [
  payloadPickle('os', 'system', 'id'),
  stateDictPickle(3),
  buildLegacyTorch({ payload: payloadPickle('os', 'system', 'id') }),
  real('plain-protocol0.pkl'),
  real('plain-protocol4.pkl'),
  real('plain-protocol5.pkl'),
  real('sklearn-like.joblib'),
  real('malicious/joblib-payload.joblib'),
];
const VALID_OPCODES = OPCODES.flatMap((info, code) => (info ? [code] : []));

function consistent(a: PickleAnalysis, size: number): void {
  expect(a.completePickles).toBeLessThanOrEqual(a.startedPickles);
  expect(a.endOffset).toBeLessThanOrEqual(size);
  for (const issue of a.issues) expect(issue.offset).toBeLessThanOrEqual(size);
  for (const imp of a.imports) expect(imp.offset).toBeLessThan(size);
}

describe('pickle disassembler fuzz', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
      consistent(disassemblePickle(bufferSource(Buffer.from(bytes)), { limits: DEFAULT_LIMITS }), bytes.length);
    }), { numRuns: 1000 });
  });

  it('random sequences of valid opcodes with random operands', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom(...VALID_OPCODES), fc.uint8Array({ maxLength: 6 })), { maxLength: 200 }), (ops) => {
      const bytes = Buffer.concat(ops.map(([code, operand]) => Buffer.concat([Buffer.from([code]), Buffer.from(operand)])));
      consistent(disassemblePickle(bufferSource(bytes), { limits: DEFAULT_LIMITS, expectedPickles: 5 }), bytes.length);
    }), { numRuns: 1000 });
  });

  it('truncated and mutated real streams', () => {
    fc.assert(fc.property(
      fc.constantFrom(...SEEDS),
      fc.nat(),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      (seed, cut, edits) => {
        const bytes = Buffer.from(seed.subarray(0, 1 + (cut % seed.length)));
        for (const [at, v] of edits) bytes[at % bytes.length] = v;
        consistent(disassemblePickle(bufferSource(bytes), { limits: DEFAULT_LIMITS }), bytes.length);
      },
    ), { numRuns: 1000 });
  });

  it('tight limits hold on hostile streams (stack, memo, opcodes)', () => {
    const limits = resolveLimits({ maxStackDepth: 64, maxMemo: 16, maxOpcodes: 500, maxStringLength: 32 });
    fc.assert(fc.property(fc.array(fc.constantFrom(0x28, 0x4e, 0x94, 0x71, 0x88, 0x5d), { maxLength: 2000 }), (ops) => {
      const bytes = Buffer.from([0x80, 0x04, ...ops]);
      const a = disassemblePickle(bufferSource(bytes), { limits });
      expect(a.opcodes).toBeLessThanOrEqual(500);
      consistent(a, bytes.length);
    }), { numRuns: 300 });
  });
});
