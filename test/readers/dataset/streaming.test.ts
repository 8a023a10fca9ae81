import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { openDataset, openDatasetStream, type TextDatasetFormat } from '../../../src/readers/dataset/index.js';
import { alpacaRows, tempDir } from '../../builders/dataset.js';
import { join } from 'node:path';

/*
 * Datasets run to many GB: the readers must hold one row (or one row group) at a time, never the file.
 */

function memory(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** A source of endless rows that fails the test if it is read past `maxChunks` chunks. */
function endless(format: TextDatasetFormat, maxChunks: number): { chunks: AsyncIterable<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const line = JSON.stringify(alpacaRows(1)[0]);
  const body = format === 'json' ? `${line},\n` : `${line}\n`;
  const chunk = Buffer.from(body.repeat(Math.ceil((1 << 20) / body.length)));
  async function* chunks(): AsyncGenerator<Uint8Array> {
    if (format === 'json') yield Buffer.from('[\n');
    for (;;) {
      pulled++;
      if (pulled > maxChunks) throw new Error(`read past ${maxChunks} chunks`);
      yield chunk;
    }
  }
  return { chunks: chunks(), pulled: () => pulled };
}

describe('streaming with bounded memory', () => {
  for (const format of ['jsonl', 'json'] as const) {
    it(`${format}: a consumer that stops early stops the reading (the source is never read to its end)`, async () => {
      const source = endless(format, 3);
      let rows = 0;
      for await (const event of openDatasetStream(source.chunks, format).events()) {
        expect(event.kind).toBe('row');
        if (++rows === 1000) break;
      }
      expect(rows).toBe(1000);
      expect(source.pulled()).toBeLessThanOrEqual(1);
    });
  }

  it('a 200 MiB line over maxRowBytes is reported without being buffered', async () => {
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('{"a":1}\n{"text":"');
      for (let i = 0; i < 200; i++) yield Buffer.alloc(1 << 20, 0x78);
      yield Buffer.from('"}\n{"a":2}\n');
    }
    const before = memory();
    let peak = 0;
    const kinds: string[] = [];
    let chunkCount = 0;
    for await (const event of openDatasetStream(chunks(), 'jsonl', { limits: { maxRowBytes: 1 << 20 } }).events()) {
      kinds.push(event.kind);
      peak = Math.max(peak, memory() - before);
      if (event.kind === 'bad') expect(event.bad.message).toContain(`${200 * (1 << 20) + 11} bytes, over the 1048576-byte row limit`);
      chunkCount++;
    }
    expect(kinds).toEqual(['row', 'bad', 'row']);
    expect(chunkCount).toBe(3);
    expect(peak).toBeLessThan(100 * (1 << 20));
  });

  it('a 200 MB JSONL file streams in bounded memory', async () => {
    const path = join(tempDir(), 'big.jsonl');
    const out = createWriteStream(path);
    const rows = alpacaRows(2000, 42).map((row) => `${JSON.stringify(row)}\n`).join('');
    let written = 0;
    let expected = 0;
    while (written < 200e6) {
      if (!out.write(rows)) await once(out, 'drain');
      written += Buffer.byteLength(rows);
      expected += 2000;
    }
    out.end();
    await once(out, 'close');
    const opened = await openDataset(path);
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    const before = memory();
    let peak = 0;
    let count = 0;
    let bad = 0;
    for await (const event of opened.value.events()) {
      if (event.kind === 'row') count++;
      else bad++;
      if (count % 20_000 === 0) peak = Math.max(peak, memory() - before);
    }
    expect(bad).toBe(0);
    expect(count).toBe(expected);
    // The file is 200 MB; a reader holding it would grow by more than that.
    expect(peak).toBeLessThan(64 * (1 << 20));
  }, 180_000);
});
