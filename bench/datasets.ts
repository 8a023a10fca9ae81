/*
 * Dataset reader throughput: the same Alpaca-like rows (1,000,000 by default) written as JSONL, a pretty-printed
 * JSON array, CSV, Parquet (snappy, row groups of 100,000) and an Arrow IPC stream, then read back through
 * openDataset in this process, timing open + every event. Inputs go to bench/out/datasets/ (git-ignored) and
 * are reused while the row count matches.
 *
 *   npx tsx bench/datasets.ts            # 1,000,000 rows
 *   npx tsx bench/datasets.ts 200000     # fewer rows
 *
 * Prints a markdown table: file size, seconds, MB/s (file bytes over wall time), rows/s, and peak RSS of the process so far
 * (it only grows, so later rows include earlier ones; run twice so the second run skips generation).
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { parquetWriteFile } from 'hyparquet-writer';
import { openDataset } from '../src/readers/dataset/index.js';
import { alpacaRows, csvField } from '../test/builders/dataset.js';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const OUT = join(import.meta.dirname, 'out', 'datasets');
const BATCH = 100_000;

async function writeText(path: string, header: string, rowText: (row: ReturnType<typeof alpacaRows>[number], first: boolean) => string, footer: string): Promise<void> {
  const out = createWriteStream(path);
  out.write(header);
  for (let start = 0; start < ROWS; start += BATCH) {
    const rows = alpacaRows(Math.min(BATCH, ROWS - start), start + 1);
    const text = rows.map((row, i) => rowText(row, start + i === 0)).join('');
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end(footer);
  await once(out, 'close');
}

async function generate(): Promise<Record<'jsonl' | 'json' | 'csv' | 'parquet' | 'arrow', string>> {
  mkdirSync(OUT, { recursive: true });
  const files = {
    jsonl: join(OUT, 'alpaca.jsonl'),
    json: join(OUT, 'alpaca.json'),
    csv: join(OUT, 'alpaca.csv'),
    parquet: join(OUT, 'alpaca.parquet'),
    arrow: join(OUT, 'alpaca.arrow'),
  };
  const stamp = join(OUT, 'rows.txt');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === String(ROWS) && Object.values(files).every(existsSync)) return files;
  await writeText(files.jsonl, '', (row) => `${JSON.stringify(row)}\n`, '');
  await writeText(files.json, '[\n', (row, first) => `${first ? '' : ',\n'}${JSON.stringify(row, null, 2).replace(/^/gm, '  ')}`, '\n]\n');
  await writeText(files.csv, 'instruction,input,output\r\n', (row) => `${[row.instruction, row.input, row.output].map((field) => csvField(field, ',')).join(',')}\r\n`, '');
  const all = alpacaRowsInBatches();
  parquetWriteFile({
    filename: files.parquet,
    columnData: (['instruction', 'input', 'output'] as const).map((name) => ({ name, data: all.map((row) => row[name]), type: 'STRING' as const })),
    rowGroupSize: BATCH,
  });
  const tables: Table[] = [];
  for (let start = 0; start < ROWS; start += BATCH) {
    const part = all.slice(start, start + BATCH);
    const column = (name: 'instruction' | 'input' | 'output') => vectorFromArray(part.map((row) => row[name]), new Utf8());
    tables.push(new Table({ instruction: column('instruction'), input: column('input'), output: column('output') }));
  }
  // One record batch per 100,000 rows, in the stream format `datasets` writes.
  writeFileSync(files.arrow, tableToIPC(new Table(tables.flatMap((table) => table.batches)), 'stream'));
  writeFileSync(stamp, String(ROWS));
  return files;
}

function alpacaRowsInBatches(): ReturnType<typeof alpacaRows> {
  const all: ReturnType<typeof alpacaRows> = [];
  for (let start = 0; start < ROWS; start += BATCH) all.push(...alpacaRows(Math.min(BATCH, ROWS - start), start + 1));
  return all;
}

async function measure(path: string): Promise<{ seconds: number; rows: number; bad: number }> {
  const start = performance.now();
  const opened = await openDataset(path);
  if (!opened.ok) throw new Error(`${path}: ${opened.error.message}`);
  let rows = 0;
  let bad = 0;
  for await (const event of opened.value.events()) {
    if (event.kind === 'row') rows++;
    else bad++;
  }
  return { seconds: (performance.now() - start) / 1000, rows, bad };
}

/** The floor for JSONL: split lines with indexOf and JSON.parse each, nothing else, on the file read whole. */
function jsonlFloor(path: string): number {
  const bytes = readFileSync(path);
  const start = performance.now();
  for (let from = 0; ; ) {
    const nl = bytes.indexOf(10, from);
    if (nl < 0) break;
    JSON.parse(bytes.toString('utf8', from, nl));
    from = nl + 1;
  }
  return (performance.now() - start) / 1000;
}

const files = await generate();
console.log(`${ROWS.toLocaleString('en-US')} Alpaca-like rows, node ${process.version}\n`);
console.log('| format | file MB | seconds | MB/s | rows/s | bad | peak RSS so far MB |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const [format, path] of Object.entries(files)) {
  const size = statSync(path).size / 1e6;
  const { seconds, rows, bad } = await measure(path);
  if (rows !== ROWS) throw new Error(`${format}: read ${rows} rows, wrote ${ROWS}`);
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(`| ${format} | ${size.toFixed(0)} | ${seconds.toFixed(2)} | ${(size / seconds).toFixed(0)} | ${Math.round(rows / seconds).toLocaleString('en-US')} | ${bad} | ${rss.toFixed(0)} |`);
}
const floor = jsonlFloor(files.jsonl);
console.log(`\nFloor (JSONL read whole, indexOf + JSON.parse per line only): ${floor.toFixed(2)} s, ${(statSync(files.jsonl).size / 1e6 / floor).toFixed(0)} MB/s. Load average: ${(await import('node:os')).loadavg().map((n) => n.toFixed(1)).join(' ')} on ${(await import('node:os')).availableParallelism()} cores.`);
