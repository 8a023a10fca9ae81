import fc from 'fast-check';
import { tableFromArrays } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { collectDataset, openDataset, type DatasetRows, type TextDatasetFormat } from '../../../src/readers/dataset/index.js';
import { alpacaRows, buildArrow, buildCsv, buildJsonArray, buildJsonl, buildParquet } from '../../builders/dataset.js';
import { expectContiguous, readChunked, tempFile } from './helpers.js';

/*
 * Hostile and broken inputs: readers never throw, every event keeps its place (indices contiguous, a fatal
 * bad record only last), and the result never depends on where the chunks of a stream happen to split.
 */

/** Runs per property; FUZZ_RUNS raises it for a longer local hunt. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

const SMALL_LIMITS = { maxRowBytes: 256, maxNestingDepth: 8, maxColumns: 16 };

/** What a read gave, in a form that compares across chunkings. */
function summary(result: DatasetRows): unknown[] {
  const events = [...result.rows.map((row) => ({ i: row.index, line: row.line, offset: row.offset, path: row.path, value: row.value })), ...result.bad.map((bad) => ({ i: bad.index, line: bad.line, bad: bad.message, fatal: bad.fatal }))];
  return [events.sort((a, b) => a.i - b.i), result.issues, result.columns, result.metadata];
}

/** Text inputs built from pieces that matter to the tokenizers. */
const textPieces = fc.array(
  fc.oneof(
    fc.constantFrom('{', '}', '[', ']', '"', '\\', ',', ':', '\n', '\r\n', '\t', ' ', '  ', '""', '\ufeff', 'é', '{"a": 1}', '[1, 2]', 'null', 'true', '-1.5e3'),
    fc.string({ maxLength: 6 }),
  ),
  { maxLength: 60 },
).map((parts) => Buffer.from(parts.join(''), 'utf8'));

const FORMATS: TextDatasetFormat[] = ['jsonl', 'json', 'csv', 'tsv'];

async function checkText(format: TextDatasetFormat, bytes: Uint8Array, chunk: number): Promise<void> {
  const whole = await readChunked(format, bytes, Math.max(1, bytes.length), { limits: SMALL_LIMITS });
  const chunked = await readChunked(format, bytes, chunk, { limits: SMALL_LIMITS });
  expectContiguous(whole);
  expect(summary(chunked)).toEqual(summary(whole));
}

/** Non-blank JSONL lines (as the reader defines blank: only spaces, tabs, CR), with their 1-based numbers. */
function jsonlLines(bytes: Buffer): number[] {
  const text = bytes.subarray(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0);
  const out: number[] = [];
  let line = 1;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || text[i] === 0x0a) {
      const content = text.subarray(start, i);
      if ([...content].some((b) => b !== 0x20 && b !== 0x09 && b !== 0x0d)) out.push(line);
      line++;
      start = i + 1;
    }
  }
  return out;
}

describe('dataset readers under fuzz', () => {
  for (const format of FORMATS) {
    it(`${format}: random text never throws and reads the same whatever the chunking`, async () => {
      await fc.assert(fc.asyncProperty(textPieces, fc.integer({ min: 1, max: 17 }), (bytes, chunk) => checkText(format, bytes, chunk)), { numRuns: RUNS });
    });
  }

  it('jsonl: every non-blank line is exactly one event, at its line (nothing lost, nothing invented)', async () => {
    await fc.assert(
      fc.asyncProperty(textPieces, async (bytes) => {
        const result = await readChunked('jsonl', bytes, 7, { limits: SMALL_LIMITS });
        const events = [...result.rows.map((row) => [row.index, row.line]), ...result.bad.map((bad) => [bad.index, bad.line])].sort((a, b) => a[0]! - b[0]!);
        expect(events.map((event) => event[1])).toEqual(jsonlLines(bytes));
      }),
      { numRuns: RUNS },
    );
  });

  const samples: [TextDatasetFormat, Buffer][] = [
    ['jsonl', buildJsonl(alpacaRows(8, 2), { eol: '\r\n' })],
    ['json', buildJsonArray(alpacaRows(8, 3))],
    ['json', buildJsonArray(alpacaRows(8, 4), { indent: 0, field: 'data' })],
    ['csv', buildCsv(['instruction', 'input', 'output'], alpacaRows(8, 5).map((row) => [row.instruction, row.input, row.output]))],
    ['tsv', buildCsv(['sentence', 'label'], [['a "b" c', '1'], ['x\ty', '0']], { delimiter: '\t' })],
  ];

  it('truncated and mutated valid files never throw and keep their indices', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...samples),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.integer({ min: 1, max: 64 }),
        async ([format, sample], fraction, mutations, chunk) => {
          const bytes = Buffer.from(sample.subarray(0, Math.floor(sample.length * fraction)));
          for (const [at, value] of mutations) if (bytes.length > 0) bytes[at % bytes.length] = value;
          await checkText(format, bytes, chunk);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a valid JSON array always reads as JSON.parse reads it, at any chunking', async () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    await fc.assert(
      fc.asyncProperty(fc.array(json, { maxLength: 8 }), fc.constantFrom(0, 2, 4), fc.integer({ min: 1, max: 9 }), async (rows, indent, chunk) => {
        const bytes = buildJsonArray(rows, { indent });
        const result = await readChunked('json', bytes, chunk);
        expect(result.bad).toEqual([]);
        const parsed = JSON.parse(bytes.toString('utf8')) as unknown[];
        expect(result.rows.map((row) => row.value)).toEqual(parsed.map((value) => (value !== null && typeof value === 'object' && !Array.isArray(value) ? value : { value })));
      }),
      { numRuns: RUNS },
    );
  });

  const parquet = buildParquet(
    [
      { name: 'instruction', data: alpacaRows(20).map((row) => row.instruction), type: 'STRING' },
      { name: 'n', data: Array.from({ length: 20 }, (_, i) => BigInt(i)), type: 'INT64' },
    ],
    { rowGroupSize: 6 },
  );
  const arrowStream = buildArrow(tableFromArrays({ a: Int32Array.from({ length: 20 }, (_, i) => i), s: alpacaRows(20).map((row) => row.output) }), 'stream');
  const arrowFile = buildArrow(tableFromArrays({ a: Int32Array.from({ length: 20 }, (_, i) => i) }), 'file');

  it('truncated and mutated Parquet and Arrow files never throw: a ReadResult error or events that keep their indices', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(parquet, arrowStream, arrowFile),
        fc.double({ min: 0.5, max: 1, noNaN: true }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        async (sample, fraction, mutations) => {
          const bytes = Buffer.from(sample.subarray(0, Math.floor(sample.length * fraction)));
          for (const [at, value] of mutations) bytes[at % bytes.length] = value;
          const opened = await openDataset(tempFile('fuzz.bin', bytes), { limits: { maxBlockBytes: 1 << 20, maxFooterBytes: 1 << 16 } });
          if (!opened.ok) {
            expect(['malformed', 'truncated', 'limit', 'unsupported', 'io']).toContain(opened.error.kind);
            return;
          }
          const result = await collectDataset(opened.value);
          expect(result.ok).toBe(true);
          if (result.ok) expectContiguous(result.value);
        },
      ),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  });
});
