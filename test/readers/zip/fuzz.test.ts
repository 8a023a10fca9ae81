import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource, resolveLimits, type Limits } from '../../../src/core/index.js';
import { openEntry, readZip, verifyCrc } from '../../../src/readers/zip/index.js';
import { buildZip, torchLikeEntries } from '../../builders/zip.js';

/** Small limits keep each run fast; the properties are about never throwing, not about sizes. */
const LIMITS: Limits = resolveLimits({ maxMemberBytes: 4 * 1024 * 1024, maxZipEntries: 1000, maxResyncScan: 1024 * 1024 });
/** Wall-clock budget for reading and opening every entry of one input of a few KiB. */
const BUDGET_MS = 1000;

const PICKLE = Buffer.from("cos\nsystem\n(S'id'\ntR.", 'latin1');
const text = Buffer.from('weight bias tensor storage '.repeat(40));

const templates: Buffer[] = [
  buildZip({ entries: [{ name: 'archive/data.pkl', data: PICKLE }, { name: 'archive/data/0', data: text, method: 'deflate' }] }),
  buildZip({ zip64: true, alignData: 64, entries: torchLikeEntries(PICKLE) }),
  buildZip({ entries: [{ name: 'a.pkl', data: PICKLE, dataDescriptor: true }, { name: 'b', data: text, method: 'deflate', dataDescriptor: true }] }),
  buildZip({ zip64: true, entries: [{ name: 'a.pkl', data: text, method: 'deflate', dataDescriptor: true }] }),
  buildZip({ prefix: PICKLE, comment: 'c', entries: [{ name: 'a.pkl', data: PICKLE, method: 'deflate' }, { name: 'd/', data: '' }] }),
  buildZip({ omitCentralDirectory: true, entries: [{ name: 'a.pkl', data: PICKLE, dataDescriptor: true }, { name: 'b', data: text, method: 'deflate' }] }),
  buildZip({ entries: [] }),
];

/** Read, open every entry and verify CRCs: every step returns a result and nothing throws. */
function exercise(bytes: Uint8Array): void {
  const started = performance.now();
  const source = bufferSource(Buffer.from(bytes));
  const result = readZip(source, LIMITS);
  expect(typeof result.ok).toBe('boolean');
  if (result.ok) {
    for (const entry of result.value.entries) {
      const opened = openEntry(source, result.value, entry, LIMITS);
      expect(typeof opened.ok).toBe('boolean');
      if (opened.ok) {
        expect(opened.value.size).toBeLessThanOrEqual(Math.max(LIMITS.maxMemberBytes, source.size));
        expect(verifyCrc(source, entry, opened.value)?.kind ?? 'crc-mismatch').toBe('crc-mismatch');
      } else {
        // An in-memory source never fails, so 'io' here would be an exception caught at the boundary: a bug.
        expect(['malformed', 'truncated', 'limit', 'unsupported']).toContain(opened.error.kind);
      }
      const crc = verifyCrc(source, entry);
      if (crc) expect(['crc-mismatch', 'malformed']).toContain(crc.kind);
    }
  } else {
    expect(result.error.kind).not.toBe('io');
    expect(result.error.message.length).toBeGreaterThan(0);
  }
  expect(performance.now() - started).toBeLessThan(BUDGET_MS);
}

const template = fc.constantFrom(...templates);
const signatures = [0x04034b50, 0x02014b50, 0x06054b50, 0x06064b50, 0x07064b50, 0x08074b50].map((value) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value);
  return new Uint8Array(bytes);
});

describe('zip reader fuzzing', () => {
  it('random bytes, with and without zip signatures sprinkled in, never throw', () => {
    const chunk = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...signatures));
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 40 }), (chunks) => exercise(Buffer.concat(chunks.map((c) => Buffer.from(c))))),
      { numRuns: 500 },
    );
  });

  it('every truncation of a valid archive never throws', () => {
    fc.assert(
      fc.property(template, fc.nat(), fc.boolean(), (zip, cut, fromFront) => {
        const at = cut % (zip.length + 1);
        exercise(fromFront ? zip.subarray(at) : zip.subarray(0, at));
      }),
      { numRuns: 500 },
    );
  });

  it('random byte mutations of valid archives never throw', () => {
    const edit = fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(template, fc.array(edit, { minLength: 1, maxLength: 8 }), (zip, edits) => {
        const copy = Buffer.from(zip);
        for (const { at, value } of edits) if (copy.length > 0) copy[at % copy.length] = value;
        exercise(copy);
      }),
      { numRuns: 1000 },
    );
  });

  it('header fields overwritten with extreme values never throw', () => {
    const extreme = fc.constantFrom(0, 1, 0x7f, 0xff, 0xffff, 0x7fffffff, 0xffffffff, 0xfffffffe);
    const edit = fc.record({ at: fc.nat(), width: fc.constantFrom(2, 4, 8), value: extreme });
    fc.assert(
      fc.property(template, fc.array(edit, { minLength: 1, maxLength: 4 }), (zip, edits) => {
        const copy = Buffer.from(zip);
        // Aim at record fields: offsets a short distance after a signature.
        const anchors = [...copy.entries()].filter(([i, b]) => b === 0x50 && copy[i + 1] === 0x4b).map(([i]) => i);
        for (const { at, width, value } of edits) {
          const anchor = anchors.length > 0 ? (anchors[at % anchors.length] ?? 0) : 0;
          const position = anchor + 4 + ((at >> 4) % 52);
          if (position + width > copy.length) continue;
          if (width === 2) copy.writeUInt16LE(value & 0xffff, position);
          else if (width === 4) copy.writeUInt32LE(value >>> 0, position);
          else copy.writeBigUInt64LE(value === 0xffffffff ? 0xffffffffffffffffn : BigInt(value), position);
        }
        exercise(copy);
      }),
      { numRuns: 1000 },
    );
  });
});
