import { errorMessage, fail, ok, type ByteSource, type Limits, type ReadResult } from '../../core/index.js';
import { analyzeDescr } from './npy-dtype.js';
import { parsePythonLiteral, toPlain, type PyValue } from './python-literal.js';

/**
 * The header of a .npy file (numpy/lib/format.py): magic `\x93NUMPY`, major and minor version, the header
 * length (u16 LE for 1.0, u32 LE for 2.0 and 3.0), then a Python dict literal (latin-1, or UTF-8 for 3.0)
 * with exactly the keys `descr`, `fortran_order` and `shape`. The array data follows the header. When the
 * dtype holds Python objects, that data is a pickle which `np.load(allow_pickle=True)` unpickles
 * (CVE-2019-6446; allow_pickle defaulted to True before numpy 1.16.3).
 */

/** The magic string that starts every .npy file. */
export const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
/** Format versions numpy reads, with the width of their header length field and the header text encoding. */
export const NPY_VERSIONS: Readonly<Record<string, { lengthBytes: 2 | 4; encoding: 'latin1' | 'utf8' }>> = {
  '1.0': { lengthBytes: 2, encoding: 'latin1' },
  '2.0': { lengthBytes: 4, encoding: 'latin1' },
  '3.0': { lengthBytes: 4, encoding: 'utf8' },
};
/** numpy's EXPECTED_KEYS: the header dict must have exactly these. */
export const NPY_HEADER_KEYS: readonly string[] = ['descr', 'fortran_order', 'shape'];
/** Shape entries must fit numpy's int64 element count (numpy.multiply.reduce(shape, dtype=int64)). */
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The data bytes of a non-object array do not match what its header implies. */
export interface NpySizeMismatch {
  /** Data bytes the header implies: product(shape) * itemsize. */
  expected: number;
  /** Data bytes that follow the header in the file. */
  actual: number;
}

/** What a .npy header declares, and where the data starts. */
export interface NpyHeader {
  version: [number, number];
  /** The `descr` value as JSON: a string, or nested arrays for structured dtypes (tuples become arrays). */
  descr: unknown;
  fortranOrder: boolean;
  /** Dimensions (precise up to 2^53). */
  shape: number[];
  /** Bytes of the header dict literal (the length field's value). */
  headerLength: number;
  /** Where the array data starts; for an object dtype, where the pickle starts. */
  dataOffset: number;
  /** True when numpy would unpickle the data: `O`, `|O`, object fields of structured dtypes, any spelling. */
  hasObjectDtype: boolean;
  /** Bytes per element, or null for object dtypes and descriptors antidote cannot size. */
  itemSize: number | null;
  /** product(shape) * itemsize; null for object dtypes (the data is a pickle of any length) or unknown sizes. */
  dataBytes: number | null;
  /** Set when the file holds more or fewer data bytes than `dataBytes`: a truncated or padded array. */
  sizeMismatch: NpySizeMismatch | null;
  /** Descriptor strings antidote could not interpret (object detection for them is conservative). */
  unknownDescr: string[];
}

/** True when `head` starts with the .npy magic. */
export function sniffNpy(head: Buffer): boolean {
  return head.length >= NPY_MAGIC.length && head.subarray(0, NPY_MAGIC.length).equals(NPY_MAGIC);
}

/**
 * Read and check a .npy header the way np.load does, without evaluating anything: the dict literal is
 * parsed by parsePythonLiteral. The header length is checked against `limits.maxNpyHeader` before it is
 * read. Fails (never throws) when numpy itself would refuse the header; for non-object dtypes the size of
 * the data is checked and a mismatch is reported in `sizeMismatch`, not as a failure.
 */
export function readNpyHeader(source: ByteSource, limits: Limits): ReadResult<NpyHeader> {
  try {
    return readHeader(source, limits);
  } catch (error) {
    const io = typeof (error as { syscall?: unknown }).syscall === 'string';
    return fail({ kind: io ? 'io' : 'malformed', message: `reading the .npy header failed: ${errorMessage(error)}` });
  }
}

function readHeader(source: ByteSource, limits: Limits): ReadResult<NpyHeader> {
  const head = source.read(0, NPY_MAGIC.length + 2 + 4);
  if (head.length < NPY_MAGIC.length + 2) {
    if (NPY_MAGIC.subarray(0, head.length).equals(head)) return fail({ kind: 'truncated', offset: head.length, message: '.npy file ends inside its magic and version' });
    return fail({ kind: 'malformed', offset: 0, message: 'not a .npy file (no \\x93NUMPY magic)' });
  }
  if (!sniffNpy(head)) return fail({ kind: 'malformed', offset: 0, message: 'not a .npy file (no \\x93NUMPY magic)' });
  const version: [number, number] = [head[6]!, head[7]!];
  const format = NPY_VERSIONS[`${version[0]}.${version[1]}`];
  if (!format) {
    return fail({ kind: 'unsupported', offset: 6, message: `.npy format version ${version[0]}.${version[1]}: numpy reads only 1.0, 2.0 and 3.0` });
  }
  const lengthAt = NPY_MAGIC.length + 2;
  if (head.length < lengthAt + format.lengthBytes) return fail({ kind: 'truncated', offset: head.length, message: '.npy file ends inside its header length' });
  const headerLength = format.lengthBytes === 2 ? head.readUInt16LE(lengthAt) : head.readUInt32LE(lengthAt);
  const headerStart = lengthAt + format.lengthBytes;
  if (headerLength > limits.maxNpyHeader) {
    return fail({
      kind: 'limit',
      limit: 'maxNpyHeader',
      offset: lengthAt,
      message: `.npy header declares ${headerLength} bytes, over maxNpyHeader (${limits.maxNpyHeader}); numpy only reads headers over 10,000 bytes with allow_pickle=True`,
    });
  }
  const dataOffset = headerStart + headerLength;
  if (source.size < dataOffset) {
    return fail({ kind: 'truncated', offset: source.size, message: `.npy file ends inside its ${headerLength}-byte header` });
  }
  const raw = source.read(headerStart, headerLength);
  let text: string;
  if (format.encoding === 'utf8') {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      return fail({ kind: 'malformed', offset: headerStart, message: '.npy 3.0 header is not valid UTF-8' });
    }
  } else {
    text = raw.toString('latin1');
  }
  const byteOffset = (index: number): number => headerStart + (format.encoding === 'utf8' ? Buffer.byteLength(text.slice(0, index)) : index);

  const parsed = parsePythonLiteral(text, { longSuffix: version[0] <= 2 });
  if (!parsed.ok) {
    return fail({ ...parsed.error, offset: byteOffset(parsed.error.offset ?? 0), message: `.npy header is not a Python literal: ${parsed.error.message}` });
  }
  const fields = headerFields(parsed.value);
  if ('error' in fields) return fail({ kind: 'malformed', offset: headerStart, message: `.npy header ${fields.error}` });

  const dtype = analyzeDescr(fields.descr);
  if ('invalid' in dtype) return fail({ kind: 'malformed', offset: headerStart, message: `.npy descr is not a dtype numpy can build: ${dtype.invalid}` });

  let count = 1n;
  for (const dim of fields.shape) count *= dim;
  const itemSize = dtype.hasObject || dtype.itemSize === null ? null : dtype.itemSize;
  const dataBytes = itemSize === null ? null : count * itemSize;
  const actual = source.size - dataOffset;
  const sizeMismatch = dataBytes !== null && dataBytes !== BigInt(actual) ? { expected: Number(dataBytes), actual } : null;
  return ok({
    version,
    descr: toPlain(fields.descr),
    fortranOrder: fields.fortranOrder,
    shape: fields.shape.map(Number),
    headerLength,
    dataOffset,
    hasObjectDtype: dtype.hasObject,
    itemSize: itemSize === null ? null : Number(itemSize),
    dataBytes: dataBytes === null ? null : Number(dataBytes),
    sizeMismatch,
    unknownDescr: dtype.unknown,
  });
}

/** Check the dict the way numpy's _read_array_header does and pull out its three values. */
function headerFields(value: PyValue): { descr: PyValue; fortranOrder: boolean; shape: bigint[] } | { error: string } {
  if (value.kind !== 'dict') return { error: `is a ${value.kind}, not a dict` };
  // Python keeps the last value of a duplicated key: {'descr': '<f4', 'descr': '|O'} has descr '|O'.
  const byKey = new Map<string, PyValue>();
  for (const [key, item] of value.entries) {
    if (key.kind !== 'str') return { error: `has a ${key.kind} key; numpy expects exactly ${NPY_HEADER_KEYS.join(', ')}` };
    byKey.set(key.value, item);
  }
  const keys = [...byKey.keys()].sort();
  if (keys.length !== NPY_HEADER_KEYS.length || keys.some((key, i) => key !== NPY_HEADER_KEYS[i])) {
    return { error: `has keys [${keys.join(', ')}]; numpy expects exactly ${NPY_HEADER_KEYS.join(', ')}` };
  }
  const shape = byKey.get('shape')!;
  const fortranOrder = byKey.get('fortran_order')!;
  if (shape.kind !== 'tuple') return { error: `shape is a ${shape.kind}, not a tuple` };
  const dims: bigint[] = [];
  for (const dim of shape.items) {
    // isinstance(True, int) holds in Python, so numpy accepts booleans as dimensions.
    if (dim.kind === 'bool') dims.push(dim.value ? 1n : 0n);
    else if (dim.kind === 'int' && dim.value >= INT64_MIN && dim.value <= INT64_MAX) dims.push(dim.value);
    else return { error: `shape holds ${dim.kind === 'int' ? 'a dimension outside int64' : `a ${dim.kind}`}` };
  }
  if (fortranOrder.kind !== 'bool') return { error: `fortran_order is a ${fortranOrder.kind}, not a bool` };
  return { descr: byKey.get('descr')!, fortranOrder: fortranOrder.value, shape: dims };
}
