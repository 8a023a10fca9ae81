import { open, type FileHandle } from 'node:fs/promises';
import { parquetMetadata, parquetRead, parquetSchema, type AsyncBuffer, type Compressors, type FileMetaData, type SchemaElement, type SchemaTree } from 'hyparquet';
import { compressors as baseCompressors, decompressZstd } from 'hyparquet-compressors';
import { errorMessage, fail, ok, type ReadResult } from '../../core/index.js';
import { convertCell, UnreadableCell, type CellProblem } from './cell-values.js';
import { decodeUtf8, EVENT_BATCH, isValidUtf8, setField, type ReadState, type RowObject } from './read-state.js';
import type { DatasetColumn, DatasetEvent, DatasetLimits, DatasetValue } from './types.js';

/*
 * Parquet through hyparquet, one row group at a time: the footer is read and checked first, then each row group
 * is read (hyparquet's parquetRead over that group's row range only), converted to rows and released before the
 * next. Memory is bounded by the largest row group, which maxBlockBytes/maxBlockRows bound.
 *
 * Limits checked here, before hyparquet allocates:
 * - maxFooterBytes: the footer length in the file's last 8 bytes;
 * - maxNestingDepth and maxColumns: the schema, walked iteratively from its flat element list (hyparquet builds
 *   its schema tree recursively);
 * - maxBlockRows and maxBlockBytes: each row group's declared rows and uncompressed size, each byte range read,
 *   and every page as it is decompressed (a page header may claim a size its column chunk did not declare:
 *   the decompressors below charge each page against the row group's budget before allocating its output).
 *
 * A row group that cannot be read (corrupt page, over a limit) is one bad record standing for all its rows
 * (`rows`), and reading goes on with the next group. A cell that is not valid UTF-8 in a string column, or not
 * valid JSON in a JSON column, makes its row a bad row naming the column: hyparquet's own decoders would
 * replace bad bytes silently.
 */

/** Thrown inside hyparquet's read to abort a row group that goes past a limit. */
export class BlockLimitError extends Error {
  constructor(
    readonly limit: keyof DatasetLimits,
    message: string,
  ) {
    super(message);
  }
}

const PAR1 = 0x31524150;

/** A Parquet file opened and its footer checked. */
export interface ParquetFile {
  readonly metadata: FileMetaData;
  readonly columns: DatasetColumn[];
  readonly keyValues: Record<string, DatasetValue>;
  readonly size: number;
}

/** Read and check the footer of a Parquet file. */
export async function openParquet(path: string, limits: DatasetLimits): Promise<ReadResult<ParquetFile>> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const size = (await handle.stat()).size;
    if (size < 12) return fail({ kind: 'truncated', message: `a Parquet file needs at least 12 bytes; this one has ${size}` });
    const tail = Buffer.alloc(8);
    await handle.read(tail, 0, 8, size - 8);
    const head = Buffer.alloc(4);
    await handle.read(head, 0, 4, 0);
    if (head.readUInt32LE(0) !== PAR1) return fail({ kind: 'malformed', message: 'no PAR1 magic at the start: not a Parquet file', offset: 0 });
    if (tail.readUInt32LE(4) !== PAR1) return fail({ kind: 'truncated', message: 'no PAR1 magic at the end: the file is truncated or its footer is corrupt', offset: size - 4 });
    const footerLength = tail.readUInt32LE(0);
    if (footerLength > limits.maxFooterBytes) {
      return fail({ kind: 'limit', limit: 'maxFooterBytes', message: `footer of ${footerLength} bytes is over the ${limits.maxFooterBytes}-byte limit (maxFooterBytes)`, offset: size - 8 });
    }
    if (footerLength > size - 12) return fail({ kind: 'malformed', message: `footer length ${footerLength} is more than the file holds`, offset: size - 8 });
    const footer = new Uint8Array(footerLength + 8);
    await handle.read(footer, 0, footerLength + 8, size - 8 - footerLength);
    let metadata: FileMetaData;
    try {
      metadata = parquetMetadata(footer, { geoparquet: false });
    } catch (error) {
      return fail({ kind: 'malformed', message: `footer does not parse: ${errorMessage(error)}`, offset: size - 8 - footerLength });
    }
    const checked = checkSchema(metadata.schema, limits);
    if (!checked.ok) return checked;
    let tree: SchemaTree;
    try {
      tree = parquetSchema(metadata);
    } catch (error) {
      return fail({ kind: 'malformed', message: `schema does not parse: ${errorMessage(error)}` });
    }
    const keyValues: Record<string, DatasetValue> = {};
    for (const { key, value } of metadata.key_value_metadata ?? []) setField(keyValues, key, value ?? null);
    return ok({ metadata, columns: tree.children.map((child) => ({ name: child.element.name, type: parquetTypeName(child) })), keyValues, size });
  } catch (error) {
    return fail({ kind: 'io', message: errorMessage(error) });
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Check the flat schema list (depth, leaf count, child counts) without recursion. */
function checkSchema(schema: readonly SchemaElement[], limits: DatasetLimits): ReadResult<true> {
  if (schema.length === 0) return fail({ kind: 'malformed', message: 'the schema is empty' });
  // Remaining children of each open group, root first.
  const open: number[] = [];
  let leaves = 0;
  for (let i = 0; i < schema.length; i++) {
    const element = schema[i]!;
    if (i > 0) {
      if (open.length === 0) return fail({ kind: 'malformed', message: `schema element ${i} (${element.name}) belongs to no group` });
      open[open.length - 1]!--;
    }
    const children = element.num_children ?? 0;
    if (children > 0) {
      open.push(children);
      if (open.length > limits.maxNestingDepth + 1) {
        return fail({ kind: 'limit', limit: 'maxNestingDepth', message: `schema nests deeper than ${limits.maxNestingDepth} levels (maxNestingDepth)` });
      }
    } else if (i > 0) {
      leaves++;
      if (leaves > limits.maxColumns) return fail({ kind: 'limit', limit: 'maxColumns', message: `schema has more than ${limits.maxColumns} leaf columns (maxColumns)` });
    }
    while (open.length > 0 && open[open.length - 1] === 0) open.pop();
  }
  if (open.length > 0) return fail({ kind: 'malformed', message: 'schema declares more children than it lists' });
  return ok(true);
}

/** A readable type for a schema node: string, int64, timestamp, list<string>, struct<a: string>... */
export function parquetTypeName(node: SchemaTree): string {
  const { element } = node;
  const logical = element.logical_type?.type;
  const converted = element.converted_type;
  let name: string;
  if (node.children.length > 0) {
    if (logical === 'LIST' || converted === 'LIST') {
      const repeated = node.children[0];
      const item = repeated && repeated.children.length === 1 && repeated.element.name !== 'array' ? repeated.children[0]! : repeated;
      name = `list<${item ? parquetTypeName(item) : 'null'}>`;
    } else if (logical === 'MAP' || converted === 'MAP' || converted === 'MAP_KEY_VALUE') {
      const entry = node.children[0];
      name = `map<${entry?.children[0] ? parquetTypeName(entry.children[0]) : 'null'}, ${entry?.children[1] ? parquetTypeName(entry.children[1]) : 'null'}>`;
    } else {
      name = `struct<${node.children.map((child) => `${child.element.name}: ${parquetTypeName(child)}`).join(', ')}>`;
    }
  } else {
    name = leafTypeName(element);
  }
  return element.repetition_type === 'REPEATED' && !(logical === 'LIST' || converted === 'LIST') && node.path.length > 0 ? `list<${name}>` : name;
}

function leafTypeName(element: SchemaElement): string {
  const logical = element.logical_type;
  const converted = element.converted_type;
  if (logical?.type === 'STRING' || converted === 'UTF8' || logical?.type === 'ENUM' || converted === 'ENUM') return 'string';
  if (logical?.type === 'JSON' || converted === 'JSON') return 'json';
  if (logical?.type === 'UUID') return 'uuid';
  if (logical?.type === 'DECIMAL' || converted === 'DECIMAL') return `decimal(${element.precision ?? '?'}, ${element.scale ?? 0})`;
  if (logical?.type === 'DATE' || converted === 'DATE') return 'date';
  if (logical?.type === 'TIMESTAMP' || converted === 'TIMESTAMP_MILLIS' || converted === 'TIMESTAMP_MICROS' || element.type === 'INT96') return 'timestamp';
  if (logical?.type === 'TIME' || converted === 'TIME_MILLIS' || converted === 'TIME_MICROS') return 'time';
  if (logical?.type === 'FLOAT16') return 'float16';
  if (logical?.type === 'INTEGER') return `${logical.isSigned ? 'int' : 'uint'}${logical.bitWidth}`;
  switch (element.type) {
    case 'BOOLEAN':
      return 'bool';
    case 'INT32':
      return 'int32';
    case 'INT64':
      return 'int64';
    case 'FLOAT':
      return 'float32';
    case 'DOUBLE':
      return 'float64';
    default:
      return 'binary';
  }
}

/** Decompressors for hyparquet that charge each page against `budget` before allocating (exported for tests). */
export function boundedCompressors(budget: { left: number; limit: number }): Compressors {
  const charge = (outputLength: number): void => {
    if (!(outputLength >= 0) || outputLength > budget.left) {
      throw new BlockLimitError('maxBlockBytes', `pages decompress to more than the ${budget.limit}-byte block limit (maxBlockBytes)`);
    }
    budget.left -= outputLength;
  };
  const wrapped: Compressors = {};
  for (const [codec, decompress] of Object.entries(baseCompressors) as [keyof Compressors, NonNullable<Compressors[keyof Compressors]>][]) {
    wrapped[codec] = (input, outputLength) => {
      charge(outputLength);
      return decompress(input, outputLength);
    };
  }
  // fzstd sizes its output from the frame header unless given a buffer: give it exactly what the page declares.
  wrapped.ZSTD = (input, outputLength) => {
    charge(outputLength);
    return decompressZstd(input, new Uint8Array(outputLength));
  };
  return wrapped;
}

/** Parsers that flag bad bytes instead of replacing them (hyparquet's defaults decode UTF-8 leniently). */
const STRICT_PARSERS = {
  stringFromBytes(bytes: Uint8Array | undefined): unknown {
    if (!bytes) return bytes;
    return isValidUtf8(bytes) ? decodeUtf8(bytes) : new UnreadableCell('is not valid UTF-8', bytes);
  },
  jsonFromBytes(bytes: Uint8Array | undefined): unknown {
    if (!bytes) return bytes;
    if (!isValidUtf8(bytes)) return new UnreadableCell('is not valid UTF-8', bytes);
    try {
      return JSON.parse(decodeUtf8(bytes));
    } catch (error) {
      return new UnreadableCell(`is not valid JSON: ${errorMessage(error)}`, bytes);
    }
  },
};

/** An AsyncBuffer over an open file that refuses reads past the block limit or the end of the file. */
function fileBuffer(handle: FileHandle, size: number, limit: number): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = end === undefined ? size : end;
      if (!(start >= 0) || !(stop >= start) || stop > size) {
        throw new BlockLimitError('maxBlockBytes', `a column chunk claims bytes ${start}..${stop}, outside the ${size}-byte file`);
      }
      if (stop - start > limit) throw new BlockLimitError('maxBlockBytes', `a column chunk of ${stop - start} bytes is over the ${limit}-byte block limit (maxBlockBytes)`);
      const bytes = new Uint8Array(stop - start);
      let done = 0;
      while (done < bytes.length) {
        const { bytesRead } = await handle.read(bytes, done, bytes.length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return bytes.buffer;
    },
  };
}

/** Rows of a Parquet file, one row group at a time. */
export async function* readParquetRows(path: string, file: ParquetFile, state: ReadState): AsyncGenerator<DatasetEvent[]> {
  const { metadata, size } = file;
  const { limits } = state;
  const handle = await open(path, 'r');
  try {
    const buffer = fileBuffer(handle, size, limits.maxBlockBytes);
    const budget = { left: limits.maxBlockBytes, limit: limits.maxBlockBytes };
    const compressors = boundedCompressors(budget);
    let declared = 0;
    let rowStart = 0;
    for (let g = 0; g < metadata.row_groups.length; g++) {
      const group = metadata.row_groups[g]!;
      const rows = Number(group.num_rows);
      declared += rows;
      const where = `row group ${g} (rows ${rowStart}..${rowStart + rows - 1})`;
      const overLimit = groupOverLimit(group, limits);
      if (overLimit) {
        yield [state.bad(`${where} is not read: ${overLimit.message}`, { rows, excerpt: '' })];
        state.issue({ kind: 'limit', limit: overLimit.limit, message: `${where}: ${overLimit.message}` });
        rowStart += rows;
        continue;
      }
      budget.left = limits.maxBlockBytes;
      let values: Record<string, unknown>[];
      try {
        values = await new Promise<Record<string, unknown>[]>((resolve, reject) => {
          parquetRead({
            file: buffer,
            metadata,
            rowStart,
            rowEnd: rowStart + rows,
            rowFormat: 'object',
            utf8: false,
            compressors,
            parsers: STRICT_PARSERS,
            onComplete: resolve,
          }).catch(reject);
        });
      } catch (error) {
        const limit = error instanceof BlockLimitError ? error.limit : undefined;
        yield [state.bad(`${where} could not be read: ${errorMessage(error)}`, { rows, excerpt: '' })];
        state.issue({ kind: limit ? 'limit' : 'malformed', ...(limit ? { limit } : {}), message: `${where} could not be read: ${errorMessage(error)}` });
        rowStart += rows;
        continue;
      }
      const got = Math.min(values.length, rows);
      let batch: DatasetEvent[] = [];
      for (let r = 0; r < got; r++) {
        const problem: CellProblem = {};
        const row: RowObject = {};
        const source = values[r]!;
        for (const key of Object.keys(source)) {
          setField(row, key, convertCell(source[key], limits.maxNestingDepth, problem, key));
          if (problem.message) break;
        }
        if (problem.message) {
          batch.push(state.bad(`row ${rowStart + r} column "${problem.field}" ${problem.message}`, { field: problem.field, excerpt: problem.excerpt ?? '' }));
        } else {
          batch.push(state.row(row));
        }
        if (batch.length >= EVENT_BATCH) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
      values = [];
      if (got < rows) {
        yield [state.bad(`${where} declares ${rows} rows but its columns hold ${got}`, { rows: rows - got, excerpt: '' })];
      }
      rowStart += rows;
    }
    if (BigInt(declared) !== metadata.num_rows) {
      state.issue({ kind: 'malformed', message: `the footer declares ${metadata.num_rows} rows but its row groups hold ${declared}` });
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function groupOverLimit(group: FileMetaData['row_groups'][number], limits: DatasetLimits): { limit: keyof DatasetLimits; message: string } | undefined {
  const rows = Number(group.num_rows);
  if (!(rows >= 0)) return { limit: 'maxBlockRows', message: `it declares ${group.num_rows} rows` };
  if (rows > limits.maxBlockRows) return { limit: 'maxBlockRows', message: `${rows} rows is over the ${limits.maxBlockRows}-row block limit (maxBlockRows)` };
  // The row group's own total and the sum of its column chunks: a hostile footer may understate either one.
  const bytes = Number(group.total_byte_size);
  const chunks = group.columns.reduce((sum, column) => sum + Number(column.meta_data?.total_uncompressed_size ?? 0n), 0);
  const declared = Math.max(bytes, chunks);
  if (declared > limits.maxBlockBytes) {
    return { limit: 'maxBlockBytes', message: `${declared} uncompressed bytes is over the ${limits.maxBlockBytes}-byte block limit (maxBlockBytes)` };
  }
  return undefined;
}
