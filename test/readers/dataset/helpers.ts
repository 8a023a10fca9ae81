import { expect } from 'vitest';
import { collectDataset, openDatasetStream, readDatasetRows, type DatasetEvent, type DatasetRows, type OpenDatasetOptions, type TextDatasetFormat } from '../../../src/readers/dataset/index.js';
import { tempDir, writeTemp } from '../../builders/dataset.js';

const dir = tempDir();
let counter = 0;

/** Write bytes to a temporary file named `name` and read it whole; fails the test if opening fails. */
export async function readBytes(name: string, bytes: Uint8Array | string, options: OpenDatasetOptions = {}): Promise<DatasetRows> {
  const path = writeTemp(dir, `${counter++}-${name}`, bytes);
  const result = await readDatasetRows(path, options);
  if (!result.ok) throw new Error(`read failed: ${result.error.kind}: ${result.error.message}`);
  return result.value;
}

/** Read text-format bytes through openDatasetStream, cut into chunks of `chunkSize` bytes. */
export async function readChunked(format: TextDatasetFormat, bytes: Uint8Array, chunkSize: number, options: Omit<OpenDatasetOptions, 'format'> = {}): Promise<DatasetRows> {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
  }
  const result = await collectDataset(openDatasetStream(chunks(), format, options));
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

/** Write bytes to a temporary file and return its path. */
export function tempFile(name: string, bytes: Uint8Array | string): string {
  return writeTemp(dir, `${counter++}-${name}`, bytes);
}

/** The "nothing lost" invariant: events in file order, indices contiguous from 0, a fatal bad only last. */
export function expectContiguous(result: DatasetRows): void {
  const events: { index: number; rows: number; fatal: boolean; line?: number }[] = [
    ...result.rows.map((row) => ({ index: row.index, rows: 1, fatal: false, ...(row.line !== undefined ? { line: row.line } : {}) })),
    ...result.bad.map((bad) => ({ index: bad.index, rows: bad.rows ?? 1, fatal: bad.fatal === true, ...(bad.line !== undefined ? { line: bad.line } : {}) })),
  ].sort((a, b) => a.index - b.index);
  let next = 0;
  let lastLine = 0;
  events.forEach((event, i) => {
    expect(event.index).toBe(next);
    next += event.rows;
    if (event.fatal) expect(i).toBe(events.length - 1);
    if (event.line !== undefined) {
      expect(event.line).toBeGreaterThanOrEqual(lastLine);
      lastLine = event.line;
    }
  });
}

/** Collect events from any async iterable (for tests that watch the order of row and bad events). */
export async function eventsOf(iterable: AsyncIterable<DatasetEvent>): Promise<DatasetEvent[]> {
  const out: DatasetEvent[] = [];
  for await (const event of iterable) out.push(event);
  return out;
}
