import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DatasetEvent } from '../../../src/readers/dataset/types.js';
import { RowDigester } from '../../../src/provenance/lock/row-digester.js';
import { ThreadedDigester } from '../../../src/provenance/lock/threaded-digester.js';

/*
 * lock hashes rows on a worker thread whose Merkle tree is a second copy of MerkleBuilder's (it runs from a
 * string); it must give verify's in-thread digests exactly: same prefixes, same root, same counts.
 */

const event = (value: unknown, i: number): DatasetEvent =>
  value === undefined ? { kind: 'bad', bad: { index: i, message: 'not JSON', excerpt: `bad ${i}` } } : { kind: 'row', row: { index: i, value: value as never } };

async function threaded(digester: ThreadedDigester, events: DatasetEvent[]): Promise<{ prefixes: string; root: string; rows: number; badRows: number }> {
  const parts: Buffer[] = [];
  digester.begin((p) => parts.push(p));
  for (const e of events) await digester.push(e);
  const { root } = await digester.finish();
  return { prefixes: Buffer.concat(parts).toString('hex'), root, rows: digester.rows, badRows: digester.badRows };
}

function inThread(events: DatasetEvent[]): { prefixes: string; root: string; rows: number; badRows: number } {
  const digester = new RowDigester();
  const parts: Buffer[] = [];
  for (const e of events) digester.push(e, (hash) => parts.push(hash.subarray(0, 8)));
  return { prefixes: Buffer.concat(parts).toString('hex'), root: digester.root(), rows: digester.rows, badRows: digester.badRows };
}

describe('threaded row digests', () => {
  it('equal the in-thread digests for any rows, bad rows included, and across datasets', async () => {
    const digester = new ThreadedDigester();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.option(fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })), { nil: undefined, freq: 5 }), { maxLength: 40 }), async (values) => {
          const events = values.map(event);
          expect(await threaded(digester, events)).toEqual(inThread(events));
        }),
        { numRuns: 60 },
      );
    } finally {
      await digester.close();
    }
  });

  it('handles many batches and a row larger than a batch', async () => {
    const digester = new ThreadedDigester();
    try {
      const events = Array.from({ length: 50_000 }, (_, i) => event({ i, text: `row ${i} ${'x'.repeat(i % 100)}` }, i));
      events.splice(20_000, 0, event({ big: 'é'.repeat(2 * 1024 * 1024) }, 20_000));
      expect(await threaded(digester, events)).toEqual(inThread(events));
    } finally {
      await digester.close();
    }
  });
});
