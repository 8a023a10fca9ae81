import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { AntidoteError, errorMessage, fail, ok, type ReadResult } from '../../core/index.js';
import { openArrow, readArrowRows, sniffArrow } from './arrow-reader.js';
import { DelimitedScanner } from './csv-reader.js';
import { resolveDatasetLimits } from './dataset-limits.js';
import { detectDatasetFormat } from './detect-format.js';
import { JsonScanner } from './json-reader.js';
import { JsonlScanner } from './jsonl-reader.js';
import { openParquet, readParquetRows } from './parquet-reader.js';
import { ReadState } from './read-state.js';
import type {
  BadRecord,
  DatasetColumn,
  DatasetEvent,
  DatasetFormat,
  DatasetIssue,
  DatasetRecord,
  DatasetValue,
  OpenDatasetOptions,
  OpenedDataset,
} from './types.js';

/*
 * The one entry point to dataset files: detect the format, check what can be checked before any row is read
 * (Parquet footer, Arrow headers), and hand back an OpenedDataset whose events() streams the rows. Nothing
 * here throws for a bad file: openDataset returns a ReadResult, and a file that breaks while rows are being
 * read ends its events with a fatal bad record (and an issue), never with an exception.
 */

/** Bytes read up front to detect the format. */
const HEAD_BYTES = 64 * 1024;
/** Bytes per read while streaming text formats: large enough for throughput, small enough to bound memory. */
const READ_CHUNK_BYTES = 1 << 20;

/** Text formats, which can also be read from any stream of chunks. */
export type TextDatasetFormat = 'jsonl' | 'json' | 'csv' | 'tsv';

interface Scanner {
  startAt(offset: number): void;
  feed(chunk: Buffer): Generator<DatasetEvent>;
  finish(): Generator<DatasetEvent>;
}

function scannerFor(format: TextDatasetFormat, state: ReadState, options: OpenDatasetOptions): Scanner {
  switch (format) {
    case 'jsonl':
      return new JsonlScanner(state);
    case 'json':
      return new JsonScanner(state, options.jsonField);
    case 'csv':
      return new DelimitedScanner(state, 0x2c);
    case 'tsv':
      return new DelimitedScanner(state, 0x09);
  }
}

/**
 * Run a reader to its end, turning any exception (an I/O error mid-file, a library bug) into a fatal bad record.
 * Iteration ends at a fatal bad record, so readers record its issue before they yield it.
 */
async function* guarded(inner: AsyncIterable<DatasetEvent[]>, state: ReadState): AsyncGenerator<DatasetEvent[]> {
  try {
    for await (const events of inner) {
      yield events;
      if (state.stopped) return;
    }
  } catch (error) {
    if (state.stopped) return;
    const message = `reading stopped: ${errorMessage(error)}`;
    state.issue({ kind: 'io', message });
    yield [state.bad(`${message}; nothing after this point was read`, { excerpt: '', fatal: true })];
  }
}

/** Hand out batched events one at a time; stopping early (break) closes the reader and its file. */
function flatten(batches: AsyncGenerator<DatasetEvent[]>): AsyncIterable<DatasetEvent> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<DatasetEvent> {
      let buffer: DatasetEvent[] = [];
      let at = 0;
      return {
        async next(): Promise<IteratorResult<DatasetEvent>> {
          while (at >= buffer.length) {
            const result = await batches.next();
            if (result.done) return { done: true, value: undefined };
            buffer = result.value;
            at = 0;
          }
          return { done: false, value: buffer[at++]! };
        },
        async return(): Promise<IteratorResult<DatasetEvent>> {
          buffer = [];
          await batches.return(undefined);
          return { done: true, value: undefined };
        },
      };
    },
  };
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function collect(events: Generator<DatasetEvent>): DatasetEvent[] {
  return [...events];
}

/** Feed chunks to a scanner, dropping a UTF-8 byte order mark at the start even when it is split across chunks. */
async function* scanChunks(chunks: AsyncIterable<Uint8Array>, scanner: Scanner): AsyncGenerator<DatasetEvent[]> {
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const chunk of chunks) {
    let buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (head !== undefined) {
      buffer = head.length > 0 ? Buffer.concat([head, buffer]) : buffer;
      if (buffer.length < BOM.length && BOM.subarray(0, buffer.length).equals(buffer)) {
        head = buffer;
        continue;
      }
      head = undefined;
      if (buffer.subarray(0, BOM.length).equals(BOM)) {
        scanner.startAt(BOM.length);
        buffer = buffer.subarray(BOM.length);
      }
    }
    const events = collect(scanner.feed(buffer));
    if (events.length > 0) yield events;
  }
  const last = head !== undefined && head.length > 0 ? [...collect(scanner.feed(head)), ...collect(scanner.finish())] : collect(scanner.finish());
  if (last.length > 0) yield last;
}

async function* fileChunks(path: string): AsyncGenerator<Buffer> {
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } finally {
    stream.destroy();
  }
}

class Dataset implements OpenedDataset {
  private used = false;

  constructor(
    readonly path: string,
    readonly format: DatasetFormat,
    private readonly state: ReadState,
    private readonly source: () => AsyncIterable<DatasetEvent[]>,
    private readonly declared?: readonly DatasetColumn[],
    private readonly declaredMetadata?: Readonly<Record<string, DatasetValue>>,
  ) {}

  events(): AsyncIterable<DatasetEvent> {
    if (this.used) throw new AntidoteError('INTERNAL', `events() of ${this.path} was already iterated: open the dataset again to re-read it`);
    this.used = true;
    return flatten(guarded(this.source(), this.state));
  }

  columns(): readonly DatasetColumn[] {
    return this.declared ?? this.state.columns.columns();
  }

  issues(): readonly DatasetIssue[] {
    return this.state.issues;
  }

  metadata(): Readonly<Record<string, DatasetValue>> {
    return this.declaredMetadata ?? this.state.metadata;
  }
}

/** Read a text-format dataset from any stream of chunks (an archive member, a download): nothing is buffered whole. */
export function openDatasetStream(chunks: AsyncIterable<Uint8Array>, format: TextDatasetFormat, options: Omit<OpenDatasetOptions, 'format'> = {}): OpenedDataset {
  const state = new ReadState(resolveDatasetLimits(options.limits));
  return new Dataset('<stream>', format, state, () => scanChunks(chunks, scannerFor(format, state, options)));
}

/** Open a dataset file: detect its format (or use `options.format`), check its header or footer, and stream its rows. */
export async function openDataset(path: string, options: OpenDatasetOptions = {}): Promise<ReadResult<OpenedDataset>> {
  const limits = resolveDatasetLimits(options.limits);
  let head: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      const info = await handle.stat();
      if (!info.isFile()) return fail({ kind: 'io', message: `${path} is not a regular file` });
      head = Buffer.alloc(Math.min(HEAD_BYTES, info.size));
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (error) {
    return fail({ kind: 'io', message: errorMessage(error) });
  }
  const format = options.format ?? detectDatasetFormat(path, head);
  if (format === undefined) {
    return fail({ kind: 'unsupported', message: 'not a dataset format antidote reads (JSONL, JSON, CSV, TSV, Parquet, Arrow IPC)' });
  }
  const state = new ReadState(limits);
  switch (format) {
    case 'parquet': {
      const opened = await openParquet(path, limits);
      if (!opened.ok) return opened;
      const file = opened.value;
      return ok(new Dataset(path, format, state, () => readParquetRows(path, file, state), file.columns, file.keyValues));
    }
    case 'arrow': {
      const layout = sniffArrow(head);
      if (!layout) return fail({ kind: 'malformed', message: 'neither an Arrow IPC file (ARROW1 magic) nor an Arrow IPC stream (schema message first)', offset: 0 });
      const opened = await openArrow(path, layout, limits);
      if (!opened.ok) return opened;
      const file = opened.value;
      return ok(new Dataset(path, format, state, () => readArrowRows(path, file, state), file.columns, file.metadata));
    }
    default:
      return ok(new Dataset(path, format, state, () => scanChunks(fileChunks(path), scannerFor(format, state, options))));
  }
}

/** Everything a read gave, collected (for tests and small files). */
export interface DatasetRows {
  readonly format: DatasetFormat;
  readonly rows: DatasetRecord[];
  readonly bad: BadRecord[];
  readonly columns: readonly DatasetColumn[];
  readonly issues: readonly DatasetIssue[];
  readonly metadata: Readonly<Record<string, DatasetValue>>;
}

/** Rows kept by readDatasetRows unless told otherwise: it holds them all in memory, so it is for small files. */
export const MAX_COLLECTED_EVENTS = 1_000_000;

/** Read a whole (small) dataset file into arrays; fails past `maxEvents` rather than growing without bound. */
export async function readDatasetRows(
  path: string,
  options: OpenDatasetOptions & { maxEvents?: number } = {},
): Promise<ReadResult<DatasetRows>> {
  const opened = await openDataset(path, options);
  if (!opened.ok) return opened;
  return collectDataset(opened.value, options.maxEvents);
}

/** Collect an opened dataset's events into arrays, bounded by `maxEvents`. */
export async function collectDataset(dataset: OpenedDataset, maxEvents = MAX_COLLECTED_EVENTS): Promise<ReadResult<DatasetRows>> {
  const rows: DatasetRecord[] = [];
  const bad: BadRecord[] = [];
  for await (const event of dataset.events()) {
    if (rows.length + bad.length >= maxEvents) {
      return fail({ kind: 'limit', limit: 'maxEvents', message: `more than ${maxEvents} rows: stream the dataset with openDataset instead` });
    }
    if (event.kind === 'row') rows.push(event.row);
    else bad.push(event.bad);
  }
  return ok({
    format: dataset.format,
    rows,
    bad,
    columns: dataset.columns(),
    issues: dataset.issues?.() ?? [],
    metadata: dataset.metadata?.() ?? {},
  });
}

