import { errorMessage, fail, ok, type ByteSource, type ReadError, type ReadResult } from '../../core/index.js';

/*
 * GGUF (ggml-org/ggml docs/gguf.md): magic `GGUF`, u32 version, tensor count, metadata KV count, the KV
 * pairs, the tensor infos, padding to `general.alignment`, then tensor data. Version 1 wrote counts and
 * string/array lengths as u32, versions 2 and 3 as u64. Files are little-endian unless written for a
 * big-endian host, which shows as a byte-swapped version field. Every count and length below comes from
 * the file, so each is checked against a named limit and against the bytes left BEFORE anything is
 * allocated or looped over (the huggingface.js `packages/gguf` rule).
 */

/** Metadata pairs in one file (CWE-770). Real files carry 20-60 keys; llama.cpp sets no limit at all. */
export const MAX_KV_COUNT = 65_536;
/** Tensor infos in one file (CWE-770). The largest public checkpoints have tens of thousands of tensors. */
export const MAX_TENSOR_COUNT = 1 << 20;
/** Longest string value kept (CWE-770). Chat templates are under 64 KiB; longer strings are skipped, not buffered. */
export const MAX_STRING_LENGTH = 1 << 20;
/** Longest metadata key (CWE-770). The GGUF spec caps keys at 2^16 - 1 bytes. */
export const MAX_KEY_LENGTH = 65_535;
/** Elements in one array (CWE-770). Vocabularies reach ~260k tokens and merges ~500k; 16M is far above. */
export const MAX_ARRAY_LENGTH = 1 << 24;
/** Arrays inside arrays (CWE-674). No real file nests arrays (llama.cpp refuses them); recursion stays bounded. */
export const MAX_ARRAY_NESTING = 4;
/** Arrays up to this length keep their values; longer ones (token lists) are skipped over, not kept. */
export const MAX_KEPT_ARRAY_LENGTH = 64;
/** Dimensions of one tensor (ggml's GGML_MAX_DIMS). */
export const MAX_TENSOR_DIMS = 4;
/** Bytes read from the source at a time: large enough that 150k-string vocabularies parse in few reads. */
const WINDOW_BYTES = 1 << 20;
/** Bytes kept of the name of the tensor whose data reaches furthest, for evidence. */
const MAX_EVIDENCE_NAME = 256;

/**
 * ggml tensor types by code: name, elements per block, bytes per block (ggml.h `ggml_type`, gguf-py
 * GGML_QUANT_SIZES). Codes 4, 5, 31-33 and 36-38 were removed from the format; a type not listed has no
 * known size, so its tensor's data extent cannot be checked (counted, never assumed to fit).
 */
export const GGML_TYPE_SIZES: Readonly<Record<number, readonly [name: string, blockElements: number, blockBytes: number]>> = {
  0: ['F32', 1, 4], 1: ['F16', 1, 2], 2: ['Q4_0', 32, 18], 3: ['Q4_1', 32, 20], 6: ['Q5_0', 32, 22], 7: ['Q5_1', 32, 24],
  8: ['Q8_0', 32, 34], 9: ['Q8_1', 32, 40], 10: ['Q2_K', 256, 84], 11: ['Q3_K', 256, 110], 12: ['Q4_K', 256, 144],
  13: ['Q5_K', 256, 176], 14: ['Q6_K', 256, 210], 15: ['Q8_K', 256, 292], 16: ['IQ2_XXS', 256, 66], 17: ['IQ2_XS', 256, 74],
  18: ['IQ3_XXS', 256, 98], 19: ['IQ1_S', 256, 50], 20: ['IQ4_NL', 32, 18], 21: ['IQ3_S', 256, 110], 22: ['IQ2_S', 256, 82],
  23: ['IQ4_XS', 256, 136], 24: ['I8', 1, 1], 25: ['I16', 1, 2], 26: ['I32', 1, 4], 27: ['I64', 1, 8], 28: ['F64', 1, 8],
  29: ['IQ1_M', 256, 56], 30: ['BF16', 1, 2], 34: ['TQ1_0', 256, 54], 35: ['TQ2_0', 256, 66], 39: ['MXFP4', 32, 17],
};

/** The magic that starts every GGUF file. */
export const GGUF_MAGIC = Buffer.from('GGUF', 'latin1');
/** Versions antidote reads: 1 (u32 counts and lengths), 2 and 3 (u64; 3 added big-endian files). */
export const GGUF_VERSIONS: readonly number[] = [1, 2, 3];

/** GGUF metadata value types, by their numeric code in the file. */
export const GGUF_TYPES = [
  'uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'bool', 'string', 'array', 'uint64', 'int64', 'float64',
] as const;
/** Name of a GGUF metadata value type. */
export type GgufType = (typeof GGUF_TYPES)[number];
/** Bytes per element of the fixed-size types. */
const FIXED_SIZE: Partial<Record<GgufType, number>> = {
  uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, bool: 1, uint64: 8, int64: 8, float64: 8,
};

/** The limits readGguf enforces; every one defaults to the constant of the same name. */
export interface GgufLimits {
  maxKvCount: number;
  maxTensorCount: number;
  maxStringLength: number;
  maxArrayLength: number;
  maxArrayNesting: number;
  maxKeptArrayLength: number;
}

/** Defaults of {@link GgufLimits}. */
export const DEFAULT_GGUF_LIMITS: Readonly<GgufLimits> = Object.freeze({
  maxKvCount: MAX_KV_COUNT,
  maxTensorCount: MAX_TENSOR_COUNT,
  maxStringLength: MAX_STRING_LENGTH,
  maxArrayLength: MAX_ARRAY_LENGTH,
  maxArrayNesting: MAX_ARRAY_NESTING,
  maxKeptArrayLength: MAX_KEPT_ARRAY_LENGTH,
});

/** A value that was stepped over instead of kept: a long array or an over-limit string. */
export interface GgufSkipped {
  skipped: 'array' | 'string';
  /** Element type of a skipped array. */
  elementType?: GgufType;
  /** Elements (arrays) or bytes (strings). */
  length: number;
}

/** One metadata value: integers over 32 bits are bigints, arrays keep their elements when short. */
export type GgufValue = number | bigint | boolean | string | GgufValue[] | GgufSkipped;

/** One metadata pair. */
export interface GgufEntry {
  type: GgufType;
  value: GgufValue;
  /** Byte offset of the pair's key. */
  offset: number;
}

/** One chat template: `tokenizer.chat_template` (name `default`) or `tokenizer.chat_template.<name>`. */
export interface GgufChatTemplate {
  key: string;
  name: string;
  /** The template text, or null when it could not be kept (not a string, over maxStringLength). */
  text: string | null;
  /** Byte offset of the pair's key. */
  offset: number;
  /** Why `text` is null. */
  unreadable?: string;
}

/** The tensor whose data reaches furthest into the file, as its tensor info declares it. */
export interface GgufTensorSpan {
  index: number;
  /** Name, cut to 256 bytes. */
  name: string;
  type: string;
  dims: string;
  /** Offset from the start of the tensor data, as declared. */
  offset: bigint;
  /** Bytes its type and dims take. */
  bytes: bigint;
}

/**
 * Where the tensor data the tensor infos declare ends, against the size of the file: a loader maps
 * `dataOffset + offset` for `bytes` bytes per tensor, so data that ends past the file is a cut download or
 * a file made to make a loader read out of bounds.
 */
export interface GgufTensorExtent {
  /** First byte of tensor data: the end of the tensor infos, padded to the alignment. */
  dataOffset: number;
  /** Byte just past the furthest tensor (exact, from u64 offsets and dims). */
  end: bigint;
  furthest: GgufTensorSpan | null;
  /** Tensors of a ggml type without a known size (see GGML_TYPE_SIZES): their data was not placed. */
  unsized: number;
  /** Codes of those types, up to 8. */
  unsizedTypes: number[];
  fileSize: number;
}

/** A recoverable problem, or the reason reading stopped; `key` names the metadata pair when there is one. */
export interface GgufProblem extends ReadError {
  key?: string;
}

/** What the header, metadata and tensor infos of a GGUF file declare. */
export interface GgufFile {
  version: number;
  littleEndian: boolean;
  /** Declared counts (as numbers: exact up to 2^53, which is far past every limit). */
  tensorCount: number;
  kvCount: number;
  /** Metadata read before any stop; a duplicated key keeps its last value (and is a problem). */
  kv: Map<string, GgufEntry>;
  /** Every chat template, in file order, duplicates included. */
  chatTemplates: GgufChatTemplate[];
  /** Tensor infos read and checked (names, dims and types are validated, not kept). */
  tensorsRead: number;
  /** Recoverable issues: skipped over-limit strings, duplicate keys, odd tensor infos. */
  problems: GgufProblem[];
  /**
   * Why reading ended before the end of the tensor infos (truncated, a limit, malformed structure or an
   * unsupported version), or null when everything up to the tensor data was read. Never clean when set.
   */
  stop: GgufProblem | null;
  /** Where the tensor data starts, when the tensor infos were read completely. */
  dataOffset: number | null;
  /** The declared extent of the tensor data, when the tensor infos were read completely. */
  tensorExtent: GgufTensorExtent | null;
}

/** Running state of the extent check while the tensor infos are read. */
interface ExtentState {
  end: bigint;
  furthest: (Omit<GgufTensorSpan, 'name'> & { nameAt: number; nameLength: number }) | null;
  unsized: number;
  unsizedTypes: number[];
}

/** Internal signal that ends the read; caught at the boundary and recorded as `stop`. */
class Stop extends Error {
  constructor(readonly problem: GgufProblem) {
    super(problem.message);
  }
}

/** True when `head` starts with the GGUF magic. */
export function sniffGguf(head: Buffer): boolean {
  return head.length >= 4 && head.subarray(0, 4).equals(GGUF_MAGIC);
}

/** Positioned reads through a window buffer, so that many small values cost few source reads. */
class Cursor {
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;
  position = 0;

  constructor(
    private readonly source: ByteSource,
    readonly littleEndian: boolean,
  ) {}

  get remaining(): number {
    return Math.max(0, this.source.size - this.position);
  }

  /** Make `[position, position + n)` readable; stops as truncated when the file ends first. */
  private need(n: number, what: string): Buffer {
    if (n > this.remaining) {
      throw new Stop({ kind: 'truncated', offset: this.source.size, message: `file ends inside ${what} (needs ${n} bytes at offset ${this.position})` });
    }
    const at = this.position - this.windowStart;
    if (at < 0 || at + n > this.window.length) {
      this.window = this.source.read(this.position, Math.max(n, WINDOW_BYTES));
      this.windowStart = this.position;
      if (this.window.length < n) throw new Stop({ kind: 'io', offset: this.position, message: `short read inside ${what}` });
    }
    return this.window;
  }

  private at(): number {
    return this.position - this.windowStart;
  }

  u8(what: string): number {
    const value = this.need(1, what)[this.at()]!;
    this.position += 1;
    return value;
  }

  u32(what: string): number {
    const w = this.need(4, what);
    const value = this.littleEndian ? w.readUInt32LE(this.at()) : w.readUInt32BE(this.at());
    this.position += 4;
    return value;
  }

  u64(what: string): bigint {
    const w = this.need(8, what);
    const value = this.littleEndian ? w.readBigUInt64LE(this.at()) : w.readBigUInt64BE(this.at());
    this.position += 8;
    return value;
  }

  /** A scalar of a fixed-size type. */
  scalar(type: GgufType, what: string): number | bigint | boolean {
    const size = FIXED_SIZE[type]!;
    const w = this.need(size, what);
    const i = this.at();
    const le = this.littleEndian;
    this.position += size;
    switch (type) {
      case 'uint8': return w.readUInt8(i);
      case 'int8': return w.readInt8(i);
      case 'uint16': return le ? w.readUInt16LE(i) : w.readUInt16BE(i);
      case 'int16': return le ? w.readInt16LE(i) : w.readInt16BE(i);
      case 'uint32': return le ? w.readUInt32LE(i) : w.readUInt32BE(i);
      case 'int32': return le ? w.readInt32LE(i) : w.readInt32BE(i);
      case 'float32': return le ? w.readFloatLE(i) : w.readFloatBE(i);
      case 'bool': return w.readUInt8(i) !== 0;
      case 'uint64': return le ? w.readBigUInt64LE(i) : w.readBigUInt64BE(i);
      case 'int64': return le ? w.readBigInt64LE(i) : w.readBigInt64BE(i);
      default: return le ? w.readDoubleLE(i) : w.readDoubleBE(i);
    }
  }

  text(length: number, what: string): string {
    const w = this.need(length, what);
    const value = w.toString('utf8', this.at(), this.at() + length);
    this.position += length;
    return value;
  }

  /** Step over `length` bytes without reading them; the length was checked against the bytes left. */
  skip(length: number, what: string): void {
    if (length > this.remaining) {
      throw new Stop({ kind: 'truncated', offset: this.source.size, message: `file ends inside ${what} (${length} bytes declared at offset ${this.position})` });
    }
    this.position += length;
  }
}

/** Reads one file's header, metadata and tensor infos. */
class GgufParser {
  readonly problems: GgufProblem[] = [];
  private readonly wide: boolean;

  constructor(
    private readonly cursor: Cursor,
    private readonly version: number,
    private readonly limits: GgufLimits,
  ) {
    this.wide = version >= 2;
  }

  /** A count or length as declared: u32 in version 1, u64 after. */
  rawCount(what: string): bigint {
    return this.wide ? this.cursor.u64(what) : BigInt(this.cursor.u32(what));
  }

  /** A count or length, checked against `max` before it is used. */
  count(what: string, max: number, limit: string): number {
    const at = this.cursor.position;
    const value = this.rawCount(what);
    if (value > BigInt(max)) {
      throw new Stop({ kind: 'limit', limit, offset: at, message: `${what} declares ${value}, over ${limit} (${max})` });
    }
    return Number(value);
  }

  /** A string length, checked against the bytes left (a cut file) before any allocation. */
  private stringLength(what: string): number {
    const at = this.cursor.position;
    const value = this.wide ? this.cursor.u64(what) : BigInt(this.cursor.u32(what));
    if (value > BigInt(this.cursor.remaining)) {
      throw new Stop({ kind: 'truncated', offset: at, message: `${what} declares ${value} bytes but only ${this.cursor.remaining} remain` });
    }
    return Number(value);
  }

  key(): string {
    const length = this.stringLength('a metadata key');
    if (length > MAX_KEY_LENGTH) {
      throw new Stop({ kind: 'limit', limit: 'maxKeyLength', offset: this.cursor.position, message: `metadata key of ${length} bytes, over ${MAX_KEY_LENGTH}` });
    }
    return this.cursor.text(length, 'a metadata key');
  }

  /** A string value, or a skip note when it is longer than maxStringLength (or when `keep` is false). */
  string(key: string, keep: boolean): string | GgufSkipped {
    const length = this.stringLength(`the string value of ${key}`);
    if (!keep) {
      this.cursor.skip(length, `the string value of ${key}`);
      return { skipped: 'string', length };
    }
    if (length > this.limits.maxStringLength) {
      this.problems.push({
        kind: 'limit',
        limit: 'maxStringLength',
        key,
        offset: this.cursor.position,
        message: `string value of ${key} is ${length} bytes, over maxStringLength (${this.limits.maxStringLength}); skipped unread`,
      });
      this.cursor.skip(length, `the string value of ${key}`);
      return { skipped: 'string', length };
    }
    return this.cursor.text(length, `the string value of ${key}`);
  }

  valueType(key: string): GgufType {
    const at = this.cursor.position;
    const code = this.cursor.u32(`the value type of ${key}`);
    const type = GGUF_TYPES[code];
    if (type === undefined) throw new Stop({ kind: 'malformed', key, offset: at, message: `metadata ${key} has unknown value type ${code}` });
    return type;
  }

  /** One value of `type`; `keep` is false inside arrays that are being skipped. */
  value(type: GgufType, key: string, depth: number, keep: boolean): GgufValue {
    if (type === 'string') return this.string(key, keep);
    if (type !== 'array') return this.cursor.scalar(type, `the ${type} value of ${key}`);
    if (depth >= this.limits.maxArrayNesting) {
      throw new Stop({ kind: 'limit', limit: 'maxArrayNesting', key, offset: this.cursor.position, message: `arrays in ${key} nest deeper than maxArrayNesting (${this.limits.maxArrayNesting})` });
    }
    const elementType = this.valueType(key);
    const lengthAt = this.cursor.position;
    const length = this.count(`the array ${key}`, this.limits.maxArrayLength, 'maxArrayLength');
    // Every element takes at least one byte (fixed types their size, strings and arrays their length
    // field): a length the rest of the file cannot hold is a cut or lying file, found before any loop.
    const minimum = FIXED_SIZE[elementType] ?? (elementType === 'array' ? 4 : 0) + (this.wide ? 8 : 4);
    if (length * minimum > this.cursor.remaining) {
      throw new Stop({ kind: 'truncated', key, offset: lengthAt, message: `array ${key} declares ${length} ${elementType} elements, more than the ${this.cursor.remaining} bytes left can hold` });
    }
    const kept = keep && length <= this.limits.maxKeptArrayLength;
    const fixed = FIXED_SIZE[elementType];
    if (!kept && fixed !== undefined) {
      this.cursor.skip(length * fixed, `the array ${key}`);
      return { skipped: 'array', elementType, length };
    }
    const items: GgufValue[] = [];
    for (let i = 0; i < length; i++) {
      const item = this.value(elementType, key, depth + 1, kept);
      if (kept) items.push(item);
    }
    return kept ? items : { skipped: 'array', elementType, length };
  }

  /**
   * One tensor info: name, n_dims (at most 4), dims, ggml type, data offset; checked, not kept. Its data
   * span (offset + size from type and dims) feeds `extent`, which keeps the furthest one.
   */
  tensorInfo(index: number, alignment: number, extent: ExtentState): void {
    const what = `tensor info ${index}`;
    const nameAt = this.cursor.position;
    const name = this.string(`${what} name`, false);
    const nameLength = typeof name === 'string' ? Buffer.byteLength(name) : name.length;
    const dimsAt = this.cursor.position;
    const dims = this.cursor.u32(`${what} n_dims`);
    if (dims > MAX_TENSOR_DIMS) {
      throw new Stop({ kind: 'malformed', offset: dimsAt, message: `${what} has ${dims} dimensions; ggml allows at most ${MAX_TENSOR_DIMS}` });
    }
    const shape: bigint[] = [];
    for (let d = 0; d < dims; d++) shape.push(this.wide ? this.cursor.u64(`${what} dims`) : BigInt(this.cursor.u32(`${what} dims`)));
    const typeAt = this.cursor.position;
    const type = this.cursor.u32(`${what} type`);
    // ggml has under 64 tensor types; a type beyond that is garbage that loaders reject.
    if (type >= 64) this.problems.push({ kind: 'malformed', offset: typeAt, message: `${what} has unknown ggml type ${type}` });
    const offsetAt = this.cursor.position;
    const offset = this.cursor.u64(`${what} offset`);
    if (offset % BigInt(alignment) !== 0n) {
      this.problems.push({ kind: 'malformed', offset: offsetAt, message: `${what} data offset ${offset} is not a multiple of the alignment ${alignment}` });
    }
    const size = GGML_TYPE_SIZES[type];
    if (size === undefined) {
      extent.unsized++;
      if (extent.unsizedTypes.length < 8 && !extent.unsizedTypes.includes(type)) extent.unsizedTypes.push(type);
      return;
    }
    const [typeName, blockElements, blockBytes] = size;
    // Exact in bigint: four u64 dims multiply past 2^64, which is itself a lie the extent check exposes.
    const elements = shape.reduce((product, d) => product * d, 1n);
    if (elements % BigInt(blockElements) !== 0n) {
      this.problems.push({ kind: 'malformed', offset: dimsAt, message: `${what} has ${elements} elements, not a multiple of the ${typeName} block of ${blockElements}: loaders reject it` });
    }
    const bytes = ((elements + BigInt(blockElements) - 1n) / BigInt(blockElements)) * BigInt(blockBytes);
    const end = offset + bytes;
    if (extent.furthest === null || end > extent.end) {
      extent.end = end;
      extent.furthest = { index, nameAt: nameAt + (this.wide ? 8 : 4), nameLength, type: typeName, dims: `[${shape.join(', ')}]`, offset, bytes };
    }
  }
}

/** The extent as a result: absolute end, and the furthest tensor's name read back (bounded) for evidence. */
function placeExtent(source: ByteSource, dataOffset: number, state: ExtentState): GgufTensorExtent {
  let furthest: GgufTensorSpan | null = null;
  if (state.furthest) {
    const { nameAt, nameLength, ...span } = state.furthest;
    const name = source.read(nameAt, Math.min(nameLength, MAX_EVIDENCE_NAME)).toString('utf8');
    furthest = { ...span, name: nameLength > MAX_EVIDENCE_NAME ? `${name}...` : name };
  }
  const end = state.furthest ? BigInt(dataOffset) + state.end : BigInt(dataOffset);
  return { dataOffset, end, furthest, unsized: state.unsized, unsizedTypes: state.unsizedTypes, fileSize: source.size };
}

/** Chat template keys llama.cpp and llama-cpp-python read: `tokenizer.chat_template` and `tokenizer.chat_template.<name>`. */
function chatTemplateName(key: string): string | null {
  if (key === 'tokenizer.chat_template') return 'default';
  if (key.startsWith('tokenizer.chat_template.')) return key.slice('tokenizer.chat_template.'.length);
  return null;
}

/**
 * Read the header, metadata and tensor infos of a GGUF file; tensor data is never read. Fails only when the
 * bytes are not GGUF at all; a cut file, a limit or broken structure after the magic is recorded in `stop`
 * with everything read before it, so that detectors still run and the file is never reported as clean.
 */
export function readGguf(source: ByteSource, limits: Partial<GgufLimits> = {}): ReadResult<GgufFile> {
  const resolved: GgufLimits = { ...DEFAULT_GGUF_LIMITS };
  for (const name of Object.keys(DEFAULT_GGUF_LIMITS) as (keyof GgufLimits)[]) {
    const value = limits[name];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) resolved[name] = value;
  }
  let head: Buffer;
  try {
    head = source.read(0, 8);
  } catch (error) {
    return fail({ kind: 'io', offset: 0, message: `reading the GGUF header failed: ${errorMessage(error)}` });
  }
  if (!sniffGguf(head)) {
    if (head.length < 4 && GGUF_MAGIC.subarray(0, head.length).equals(head)) return fail({ kind: 'truncated', offset: head.length, message: 'GGUF file ends inside its magic' });
    return fail({ kind: 'malformed', offset: 0, message: 'not a GGUF file (no GGUF magic)' });
  }
  const file: GgufFile = {
    version: 0,
    littleEndian: true,
    tensorCount: 0,
    kvCount: 0,
    kv: new Map(),
    chatTemplates: [],
    tensorsRead: 0,
    problems: [],
    stop: null,
    dataOffset: null,
    tensorExtent: null,
  };
  let parser: GgufParser | undefined;
  try {
    if (head.length < 8) throw new Stop({ kind: 'truncated', offset: head.length, message: 'file ends inside the GGUF version' });
    const le = head.readUInt32LE(4);
    const be = head.readUInt32BE(4);
    // A big-endian file (written for s390x) shows a byte-swapped version: 0x03000000 read little-endian.
    const littleEndian = !(le > 0xffff && GGUF_VERSIONS.includes(be));
    file.littleEndian = littleEndian;
    file.version = littleEndian ? le : be;
    if (!GGUF_VERSIONS.includes(file.version)) {
      throw new Stop({ kind: 'unsupported', offset: 4, message: `GGUF version ${file.version}: antidote reads versions 1 to 3` });
    }
    const cursor = new Cursor(source, littleEndian);
    cursor.position = 8;
    parser = new GgufParser(cursor, file.version, resolved);
    const tensorCount = parser.rawCount('the tensor count');
    const kvCount = parser.rawCount('the metadata count');
    file.tensorCount = Number(tensorCount);
    file.kvCount = Number(kvCount);
    if (kvCount > BigInt(resolved.maxKvCount)) {
      throw new Stop({ kind: 'limit', limit: 'maxKvCount', offset: 8 + (file.version >= 2 ? 8 : 4), message: `header declares ${file.kvCount} metadata pairs, over maxKvCount (${resolved.maxKvCount})` });
    }
    if (tensorCount > BigInt(resolved.maxTensorCount)) {
      throw new Stop({ kind: 'limit', limit: 'maxTensorCount', offset: 8, message: `header declares ${file.tensorCount} tensors, over maxTensorCount (${resolved.maxTensorCount})` });
    }
    // A pair takes at least a key length, a type and one value byte: a count the file cannot hold is a lie.
    const minimumPair = (file.version >= 2 ? 8 : 4) + 4 + 1;
    if (file.kvCount * minimumPair > cursor.remaining) {
      throw new Stop({ kind: 'truncated', offset: cursor.position, message: `header declares ${file.kvCount} metadata pairs, more than the ${cursor.remaining} bytes left can hold` });
    }
    for (let i = 0; i < file.kvCount; i++) {
      const offset = cursor.position;
      const key = parser.key();
      const type = parser.valueType(key);
      const value = parser.value(type, key, 0, true);
      if (file.kv.has(key)) {
        parser.problems.push({ kind: 'malformed', key, offset, message: `metadata key ${key} appears more than once (loaders disagree on which value wins)` });
      }
      file.kv.set(key, { type, value, offset });
      const name = chatTemplateName(key);
      if (name !== null) {
        const template: GgufChatTemplate = { key, name, text: typeof value === 'string' ? value : null, offset };
        if (typeof value !== 'string') template.unreadable = type === 'string' ? 'longer than maxStringLength' : `value is a ${type}, not a string`;
        file.chatTemplates.push(template);
      }
    }
    const alignmentEntry = file.kv.get('general.alignment');
    let alignment = 32;
    if (alignmentEntry !== undefined) {
      const value = alignmentEntry.value;
      if (typeof value === 'number' && Number.isInteger(value) && value > 0 && (value & (value - 1)) === 0) alignment = value;
      else parser.problems.push({ kind: 'malformed', key: 'general.alignment', offset: alignmentEntry.offset, message: `general.alignment ${String(value)} is not a power of two` });
    }
    // Tensor infos take at least 8+4+4+8 bytes each (v2+): check the declared count fits before the loop.
    if (file.tensorCount * ((file.version >= 2 ? 8 : 4) + 4 + 4 + 8) > cursor.remaining) {
      throw new Stop({ kind: 'truncated', offset: cursor.position, message: `header declares ${file.tensorCount} tensors, more tensor infos than the ${cursor.remaining} bytes left can hold` });
    }
    const extent: ExtentState = { end: 0n, furthest: null, unsized: 0, unsizedTypes: [] };
    for (let i = 0; i < file.tensorCount; i++) {
      parser.tensorInfo(i, alignment, extent);
      file.tensorsRead++;
    }
    file.dataOffset = Math.ceil(cursor.position / alignment) * alignment;
    file.tensorExtent = placeExtent(source, file.dataOffset, extent);
  } catch (error) {
    file.stop = error instanceof Stop ? error.problem : { kind: 'malformed', message: `reading the GGUF metadata failed: ${errorMessage(error)}` };
  }
  if (parser) file.problems.push(...parser.problems);
  return ok(file);
}
