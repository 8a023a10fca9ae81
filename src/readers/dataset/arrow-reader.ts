import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DataType, Message, RecordBatchReader, type Field, type RecordBatch, type Schema } from 'apache-arrow';
import { Footer } from 'apache-arrow/ipc/metadata/file';
import { errorMessage, fail, ok, type ReadResult } from '../../core/index.js';
import { checkArrowFooter, checkArrowMessage } from './arrow-flatbuffers.js';
import { convertCell, type CellProblem } from './cell-values.js';
import { EVENT_BATCH, setField, type ReadState, type RowObject } from './read-state.js';
import type { DatasetColumn, DatasetEvent, DatasetLimits, DatasetValue } from './types.js';

/*
 * Arrow IPC through apache-arrow, one record batch at a time. Two layouts share one message framing
 * (arrow.apache.org/docs/format/Columnar.html#ipc-streaming-format):
 * - the stream format (`datasets` writes its cache and `save_to_disk` shards this way, as
 *   `data-00000-of-00001.arrow`): messages back to back, schema first, until an end-of-stream marker;
 * - the file format (Feather v2, `.arrow` from pyarrow.ipc.new_file): `ARROW1` magic, the same messages, then
 *   a footer listing where each record batch is. Readers such as pyarrow follow the footer, so this one does too.
 *
 * Each message is a 0xFFFFFFFF continuation marker (absent before Arrow 0.15), a 32-bit metadata length, a
 * flatbuffer header and a body whose length the header declares. apache-arrow allocates whatever a header
 * declares, so every header is read here first (headers only, bodies skipped) and checked:
 * - maxFooterBytes: each metadata length and the file footer;
 * - maxBlockBytes: each body (dictionary and record batches);
 * - maxBlockRows: each record batch's row count;
 * - maxColumns and maxNestingDepth: the schema.
 * Stream format: apache-arrow is then given only the bytes before the first message that fails a check, and a
 * fatal bad record says why reading stopped there. File format: a batch that fails is one bad record standing
 * for its rows, and reading goes on with the next batch, since the footer says where each one is.
 */

const CONTINUATION = 0xffffffff;
const ARROW_MAGIC = Buffer.from('ARROW1', 'latin1');
/** Header type codes of the Arrow Message flatbuffer (Schema.fbs MessageHeader). */
const HEADER_SCHEMA = 1;
const HEADER_DICTIONARY_BATCH = 2;
const HEADER_RECORD_BATCH = 3;

/** One IPC message header, checked against the limits. */
interface MessageInfo {
  readonly offset: number;
  /** Offset just past the body. */
  readonly end: number;
  readonly headerType: number;
  readonly bodyLength: number;
  /** Rows, for record batches. */
  readonly rows: number;
  readonly message: Message;
}

type MessageRead = { ok: true; info: MessageInfo } | { ok: false; eos: true } | { ok: false; eos: false; kind: 'malformed' | 'truncated' | 'limit'; limit?: keyof DatasetLimits; message: string };

async function readExactly(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buffer : buffer.subarray(0, done);
}

/** Read and check the message header at `offset`, without reading its body. */
async function readMessageAt(handle: FileHandle, offset: number, size: number, limits: DatasetLimits): Promise<MessageRead> {
  const prefix = await readExactly(handle, offset, 8);
  if (prefix.length < 4) return { ok: false, eos: false, kind: 'truncated', message: `the stream ends at byte ${offset} without an end-of-stream marker` };
  let length = prefix.readUInt32LE(0);
  let start = offset + 4;
  if (length === CONTINUATION) {
    if (prefix.length < 8) return { ok: false, eos: false, kind: 'truncated', message: `the stream ends inside a message prefix at byte ${offset}` };
    length = prefix.readUInt32LE(4);
    start = offset + 8;
  }
  if (length === 0) return { ok: false, eos: true };
  if (length > limits.maxFooterBytes) {
    return { ok: false, eos: false, kind: 'limit', limit: 'maxFooterBytes', message: `message header at byte ${offset} declares ${length} bytes, over the ${limits.maxFooterBytes}-byte limit (maxFooterBytes)` };
  }
  if (start + length > size) return { ok: false, eos: false, kind: 'truncated', message: `message header at byte ${offset} runs past the end of the file` };
  const bytes = await readExactly(handle, start, length);
  const unsafe = checkArrowMessage(bytes);
  if (unsafe) return { ok: false, eos: false, kind: 'malformed', message: `message header at byte ${offset} is corrupt: ${unsafe}` };
  let message: Message;
  try {
    message = Message.decode(bytes);
  } catch (error) {
    return { ok: false, eos: false, kind: 'malformed', message: `message header at byte ${offset} does not decode: ${errorMessage(error)}` };
  }
  const bodyLength = Number(message.bodyLength);
  const headerType = Number(message.headerType);
  if (!(bodyLength >= 0)) return { ok: false, eos: false, kind: 'malformed', message: `message at byte ${offset} declares a body of ${message.bodyLength} bytes` };
  if (bodyLength > limits.maxBlockBytes) {
    return { ok: false, eos: false, kind: 'limit', limit: 'maxBlockBytes', message: `message at byte ${offset} has a body of ${bodyLength} bytes, over the ${limits.maxBlockBytes}-byte block limit (maxBlockBytes)` };
  }
  const end = start + length + bodyLength;
  if (end > size) return { ok: false, eos: false, kind: 'truncated', message: `the body of the message at byte ${offset} runs past the end of the file` };
  let rows = 0;
  if (headerType === HEADER_RECORD_BATCH || headerType === HEADER_DICTIONARY_BATCH) {
    try {
      const header = message.header() as { length: number | bigint } | null;
      rows = Number(header?.length ?? 0);
    } catch (error) {
      return { ok: false, eos: false, kind: 'malformed', message: `batch header at byte ${offset} does not decode: ${errorMessage(error)}` };
    }
    if (!(rows >= 0) || rows > limits.maxBlockRows) {
      return { ok: false, eos: false, kind: 'limit', limit: 'maxBlockRows', message: `batch at byte ${offset} declares ${rows} rows, over the ${limits.maxBlockRows}-row block limit (maxBlockRows)` };
    }
  } else if (headerType !== HEADER_SCHEMA) {
    return { ok: false, eos: false, kind: 'malformed', message: `message at byte ${offset} has unknown header type ${headerType}` };
  }
  return { ok: true, info: { offset, end, headerType, bodyLength, rows, message } };
}

/** An Arrow IPC file opened and its headers checked. */
export interface ArrowFile {
  readonly layout: 'file' | 'stream';
  readonly schema: Schema;
  readonly columns: DatasetColumn[];
  readonly metadata: Record<string, DatasetValue>;
  /** Stream format: bytes apache-arrow may read, and why reading stops there when it is not the whole stream. */
  readonly safeEnd: number;
  readonly stop?: { kind: 'malformed' | 'truncated' | 'limit'; limit?: keyof DatasetLimits; message: string; offset: number };
  /** File format: the footer's record batch offsets. */
  readonly batchOffsets: readonly number[];
  readonly size: number;
}

/** Whether bytes start like an Arrow IPC file (`ARROW1`) or stream (continuation marker, then a schema header). */
export function sniffArrow(head: Uint8Array): 'file' | 'stream' | undefined {
  const bytes = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (bytes.length >= 6 && bytes.subarray(0, 6).equals(ARROW_MAGIC)) return 'file';
  if (bytes.length < 8 || bytes.readUInt32LE(0) !== CONTINUATION) return undefined;
  const length = bytes.readUInt32LE(4);
  if (length < 8 || length > 16 * 1024 * 1024) return undefined;
  if (bytes.length < 8 + length) return 'stream';
  // A stream whose schema header is corrupt is still an Arrow stream: the reader reports what is wrong with it.
  if (checkArrowMessage(bytes.subarray(8, 8 + length))) return 'stream';
  try {
    return Number(Message.decode(bytes.subarray(8, 8 + length)).headerType) === HEADER_SCHEMA ? 'stream' : undefined;
  } catch {
    return undefined;
  }
}

function checkSchema(schema: Schema, limits: DatasetLimits): ReadResult<true> {
  if (schema.fields.length > limits.maxColumns) {
    return fail({ kind: 'limit', limit: 'maxColumns', message: `schema has ${schema.fields.length} columns, over the ${limits.maxColumns}-column limit (maxColumns)` });
  }
  const stack: [DataType, number][] = schema.fields.map((field) => [field.type, 2]);
  let seen = 0;
  while (stack.length > 0) {
    const [type, depth] = stack.pop()!;
    if (depth > limits.maxNestingDepth) return fail({ kind: 'limit', limit: 'maxNestingDepth', message: `schema nests deeper than ${limits.maxNestingDepth} levels (maxNestingDepth)` });
    if (++seen > limits.maxColumns * 4) return fail({ kind: 'limit', limit: 'maxColumns', message: `schema has more than ${limits.maxColumns * 4} nested fields (maxColumns)` });
    for (const child of (type.children ?? []) as Field[]) stack.push([child.type, depth + 1]);
    if (DataType.isDictionary(type)) stack.push([type.dictionary, depth]);
  }
  return ok(true);
}

/** A readable type name: string, int64, timestamp, list<string>, struct<a: int32>... */
export function arrowTypeName(type: DataType): string {
  if (DataType.isDictionary(type)) return arrowTypeName(type.dictionary);
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type) || DataType.isUtf8View(type)) return 'string';
  if (DataType.isBinary(type) || DataType.isLargeBinary(type) || DataType.isFixedSizeBinary(type) || DataType.isBinaryView(type)) return 'binary';
  if (DataType.isBool(type)) return 'bool';
  if (DataType.isInt(type)) return `${type.isSigned ? 'int' : 'uint'}${type.bitWidth}`;
  if (DataType.isFloat(type)) return ['float16', 'float32', 'float64'][type.precision] ?? 'float';
  if (DataType.isTimestamp(type)) return 'timestamp';
  if (DataType.isDate(type)) return 'date';
  if (DataType.isList(type) || DataType.isFixedSizeList(type) || DataType.isLargeList(type)) return `list<${type.children[0] ? arrowTypeName(type.children[0].type) : 'null'}>`;
  if (DataType.isStruct(type)) return `struct<${type.children.map((child) => `${child.name}: ${arrowTypeName(child.type)}`).join(', ')}>`;
  if (DataType.isMap(type)) {
    const entry = type.children[0]?.type as DataType | undefined;
    const [key, value] = (entry?.children ?? []) as Field[];
    return `map<${key ? arrowTypeName(key.type) : 'null'}, ${value ? arrowTypeName(value.type) : 'null'}>`;
  }
  if (DataType.isNull(type)) return 'null';
  return String(type).toLowerCase();
}

function schemaMetadata(schema: Schema): Record<string, DatasetValue> {
  const out: RowObject = {};
  for (const [key, value] of schema.metadata) setField(out, key, value);
  return out;
}

/** Open an Arrow IPC file or stream and check every header the reader will meet. */
export async function openArrow(path: string, layout: 'file' | 'stream', limits: DatasetLimits): Promise<ReadResult<ArrowFile>> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const size = (await handle.stat()).size;
    return layout === 'file' ? await openFileLayout(handle, size, limits) : await openStreamLayout(handle, size, limits);
  } catch (error) {
    return fail({ kind: 'io', message: errorMessage(error) });
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

async function openStreamLayout(handle: FileHandle, size: number, limits: DatasetLimits): Promise<ReadResult<ArrowFile>> {
  const first = await readMessageAt(handle, 0, size, limits);
  if (!first.ok) {
    return fail(first.eos ? { kind: 'malformed', message: 'the stream ends before its schema' } : { kind: first.kind, ...(first.limit ? { limit: first.limit } : {}), message: first.message, offset: 0 });
  }
  if (first.info.headerType !== HEADER_SCHEMA) return fail({ kind: 'malformed', message: 'the stream does not start with a schema message', offset: 0 });
  let schema: Schema;
  try {
    schema = first.info.message.header() as Schema;
  } catch (error) {
    return fail({ kind: 'malformed', message: `the schema does not decode: ${errorMessage(error)}`, offset: 0 });
  }
  const checked = checkSchema(schema, limits);
  if (!checked.ok) return checked;
  let offset = first.info.end;
  let stop: ArrowFile['stop'];
  for (;;) {
    const next = await readMessageAt(handle, offset, size, limits);
    if (next.ok) {
      offset = next.info.end;
      continue;
    }
    if (next.eos) {
      offset = Math.min(size, offset + 8);
      break;
    }
    stop = { kind: next.kind, ...(next.limit ? { limit: next.limit } : {}), message: next.message, offset };
    break;
  }
  return ok({ layout: 'stream', schema, columns: columnsOf(schema), metadata: schemaMetadata(schema), safeEnd: offset, ...(stop ? { stop } : {}), batchOffsets: [], size });
}

async function openFileLayout(handle: FileHandle, size: number, limits: DatasetLimits): Promise<ReadResult<ArrowFile>> {
  if (size < 6 + 2 + 4 + 6) return fail({ kind: 'truncated', message: `an Arrow file needs at least 18 bytes; this one has ${size}` });
  const trailer = await readExactly(handle, size - 10, 10);
  if (!trailer.subarray(4).equals(ARROW_MAGIC)) return fail({ kind: 'truncated', message: 'no ARROW1 magic at the end: the file is truncated or not an Arrow file', offset: size - 6 });
  const footerLength = trailer.readInt32LE(0);
  if (footerLength > limits.maxFooterBytes) {
    return fail({ kind: 'limit', limit: 'maxFooterBytes', message: `footer of ${footerLength} bytes is over the ${limits.maxFooterBytes}-byte limit (maxFooterBytes)` });
  }
  if (footerLength <= 0 || footerLength > size - 18) return fail({ kind: 'malformed', message: `footer length ${footerLength} does not fit the file`, offset: size - 10 });
  const footerBytes = await readExactly(handle, size - 10 - footerLength, footerLength);
  const unsafe = checkArrowFooter(footerBytes);
  if (unsafe) return fail({ kind: 'malformed', message: `footer is corrupt: ${unsafe}`, offset: size - 10 - footerLength });
  let footer: Footer;
  try {
    footer = Footer.decode(footerBytes);
  } catch (error) {
    return fail({ kind: 'malformed', message: `footer does not decode: ${errorMessage(error)}`, offset: size - 10 - footerLength });
  }
  const checked = checkSchema(footer.schema, limits);
  if (!checked.ok) return checked;
  // Dictionaries are all read when apache-arrow opens the file, so each one must pass before anything is read.
  for (let d = 0; d < footer.numDictionaries; d++) {
    const block = footer.getDictionaryBatch(d);
    if (!block) continue;
    const read = await readMessageAt(handle, Number(block.offset), size, limits);
    if (!read.ok) return fail(read.eos ? { kind: 'malformed', message: `dictionary batch ${d} is missing` } : { kind: read.kind, ...(read.limit ? { limit: read.limit } : {}), message: `dictionary batch ${d}: ${read.message}` });
  }
  const batchOffsets: number[] = [];
  for (let b = 0; b < footer.numRecordBatches; b++) batchOffsets.push(Number(footer.getRecordBatch(b)?.offset ?? -1));
  return ok({ layout: 'file', schema: footer.schema, columns: columnsOf(footer.schema), metadata: schemaMetadata(footer.schema), safeEnd: size, batchOffsets, size });
}

function columnsOf(schema: Schema): DatasetColumn[] {
  return schema.fields.map((field) => ({ name: field.name, type: arrowTypeName(field.type) }));
}

/** Convert an Arrow cell by its declared type: timestamps and dates come back from apache-arrow as epoch milliseconds. */
function arrowCell(value: unknown, type: DataType, maxDepth: number, problem: CellProblem, field: string, depth: number): DatasetValue {
  if (value === null || value === undefined) return null;
  if (DataType.isDictionary(type)) return arrowCell(value, type.dictionary, maxDepth, problem, field, depth);
  if ((DataType.isTimestamp(type) || DataType.isDate(type)) && (typeof value === 'number' || typeof value === 'bigint')) return new Date(Number(value));
  if (depth > maxDepth) {
    problem.message ??= `nests deeper than ${maxDepth} levels (maxNestingDepth)`;
    problem.field ??= field;
    return null;
  }
  if (DataType.isList(type) || DataType.isFixedSizeList(type) || DataType.isLargeList(type)) {
    const itemType = type.children[0]?.type as DataType | undefined;
    const items = Array.from(value as Iterable<unknown>);
    return items.map((item) => (itemType ? arrowCell(item, itemType, maxDepth, problem, field, depth + 1) : convertCell(item, maxDepth, problem, field, depth + 1)));
  }
  if (DataType.isStruct(type)) {
    const out: RowObject = {};
    const source = value as Record<string, unknown>;
    for (const child of type.children as Field[]) setField(out, child.name, arrowCell(source[child.name], child.type, maxDepth, problem, field, depth + 1));
    return out;
  }
  if (DataType.isMap(type)) {
    const entry = type.children[0]?.type as DataType | undefined;
    const valueType = (entry?.children?.[1] as Field | undefined)?.type;
    const out: RowObject = {};
    for (const [key, entryValue] of value as Iterable<[unknown, unknown]>) {
      setField(out, String(key), valueType ? arrowCell(entryValue, valueType, maxDepth, problem, field, depth + 1) : convertCell(entryValue, maxDepth, problem, field, depth + 1));
    }
    return out;
  }
  return convertCell(value, maxDepth, problem, field, depth);
}

function* batchRows(batch: RecordBatch, schema: Schema, state: ReadState): Generator<DatasetEvent[]> {
  const fields = schema.fields;
  const vectors = fields.map((_, j) => batch.getChildAt(j));
  const max = state.limits.maxNestingDepth;
  let events: DatasetEvent[] = [];
  for (let r = 0; r < batch.numRows; r++) {
    const row: RowObject = {};
    const problem: CellProblem = {};
    for (let j = 0; j < fields.length; j++) {
      const field = fields[j]!;
      setField(row, field.name, arrowCell(vectors[j]?.get(r), field.type, max, problem, field.name, 2));
    }
    if (problem.message) events.push(state.bad(`row ${state.index} column "${problem.field}" ${problem.message}`, { field: problem.field, excerpt: problem.excerpt ?? '' }));
    else events.push(state.row(row));
    if (events.length >= EVENT_BATCH) {
      yield events;
      events = [];
    }
  }
  if (events.length > 0) yield events;
}

/** Rows of an Arrow IPC file or stream, one record batch at a time. */
export async function* readArrowRows(path: string, file: ArrowFile, state: ReadState): AsyncGenerator<DatasetEvent[]> {
  if (file.layout === 'stream') {
    yield* readStreamRows(path, file, state);
    return;
  }
  const handle = await open(path, 'r');
  try {
    const reader = await RecordBatchReader.from(handle);
    await reader.open({ autoDestroy: false });
    for (let b = 0; b < file.batchOffsets.length; b++) {
      const offset = file.batchOffsets[b]!;
      const header = offset >= 0 ? await readMessageAt(handle, offset, file.size, state.limits) : undefined;
      if (!header?.ok || header.info.headerType !== HEADER_RECORD_BATCH) {
        const why = !header ? 'the footer gives no offset' : header.ok ? 'the footer points at a message that is not a record batch' : header.eos ? 'the footer points at an end-of-stream marker' : header.message;
        const limit = header && !header.ok && !header.eos ? header.limit : undefined;
        // Rows of a batch whose header cannot be trusted are unknown: count it as one bad record.
        yield [state.bad(`record batch ${b} is not read: ${why}`, { excerpt: '' })];
        state.issue({ kind: limit ? 'limit' : 'malformed', ...(limit ? { limit } : {}), message: `record batch ${b}: ${why}`, offset });
        continue;
      }
      let batch: RecordBatch | null;
      try {
        batch = await reader.readRecordBatch(b);
      } catch (error) {
        yield [state.bad(`record batch ${b} could not be read: ${errorMessage(error)}`, { rows: header.info.rows, excerpt: '' })];
        state.issue({ kind: 'malformed', message: `record batch ${b} could not be read: ${errorMessage(error)}`, offset });
        continue;
      }
      if (!batch) {
        yield [state.bad(`record batch ${b} could not be read`, { rows: header.info.rows, excerpt: '' })];
        continue;
      }
      yield* batchRows(batch, file.schema, state);
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function* readStreamRows(path: string, file: ArrowFile, state: ReadState): AsyncGenerator<DatasetEvent[]> {
  // apache-arrow only ever sees the bytes whose headers passed the checks.
  const stream = createReadStream(path, { start: 0, end: Math.max(0, file.safeEnd - 1), highWaterMark: 1 << 20 });
  try {
    const reader = await RecordBatchReader.from(stream);
    for await (const batch of reader) yield* batchRows(batch, reader.schema ?? file.schema, state);
  } catch (error) {
    state.issue({ kind: 'malformed', message: `reading stopped: ${errorMessage(error)}` });
    yield [state.bad(`reading stopped: ${errorMessage(error)}`, { excerpt: '', fatal: true })];
    return;
  } finally {
    stream.destroy();
  }
  if (file.stop) {
    state.issue({ kind: file.stop.kind, ...(file.stop.limit ? { limit: file.stop.limit } : {}), message: file.stop.message, offset: file.stop.offset });
    yield [state.bad(`reading stopped at byte ${file.stop.offset}: ${file.stop.message}; nothing after it was read`, { offset: file.stop.offset, excerpt: '', fatal: true })];
  }
}
