import { errorMessage, fail, ok, type ByteSource, type Limits, type ReadError, type ReadResult } from '../../core/index.js';

/*
 * A minimal HDF5 walker (HDF5 File Format Specification 3.0) that reads the attributes of the root group and
 * nothing else. A legacy Keras `.h5` model keeps its architecture as JSON in the root attribute
 * `model_config` (and the compile settings in `training_config`); that JSON is what Keras deserializes, and
 * where Lambda layers and module references hide. Supported: superblock versions 0-3, object header
 * versions 1 and 2 with continuation blocks, attribute messages 1-3 holding fixed-length or variable-length
 * strings (the latter through global heap collections). Dense attribute storage (fractal heaps), shared
 * messages and other datatypes are reported as problems, not guessed at. Every length comes from the file, so
 * every one is checked against the source size and a named limit before anything is read or allocated.
 */

/** The 8-byte signature; it sits at 0 or at a power of two from 512 on (a user block precedes it). */
export const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Signature positions probed (0, 512, 1024, ... 2^56): the library searches the same doubling offsets. */
export const MAX_SIGNATURE_PROBES = 48;
/** Bytes of one object header chunk read into memory. h5py's compact attributes stop at 64 KiB each. */
export const MAX_HEADER_CHUNK_BYTES = 64 * 1024 * 1024;
/** Continuation blocks followed per object header (a loop of continuations must end). */
export const MAX_CONTINUATIONS = 256;
/** Header messages parsed per object header, across all its chunks. */
export const MAX_HEADER_MESSAGES = 65_536;
/** Attributes kept; Keras writes a handful on the root group. */
export const MAX_ATTRIBUTES = 4_096;
/** Bytes of one attribute value (or one global heap collection) read; Keras configs are a few MiB. */
export const MAX_ATTRIBUTE_BYTES = 256 * 1024 * 1024;
/** String elements decoded per attribute; the rest are counted. Root attributes of Keras files are scalars. */
export const MAX_STRING_ELEMENTS = 10_000;
/** Problems kept; the rest are counted. */
export const MAX_HDF5_PROBLEMS = 100;

/** The limits above, overridable per call (tests, policy). */
export interface Hdf5Limits {
  maxHeaderChunkBytes: number;
  maxContinuations: number;
  maxHeaderMessages: number;
  maxAttributes: number;
  maxAttributeBytes: number;
  maxStringElements: number;
}

/** The named constants as one object. */
export const DEFAULT_HDF5_LIMITS: Readonly<Hdf5Limits> = Object.freeze({
  maxHeaderChunkBytes: MAX_HEADER_CHUNK_BYTES,
  maxContinuations: MAX_CONTINUATIONS,
  maxHeaderMessages: MAX_HEADER_MESSAGES,
  maxAttributes: MAX_ATTRIBUTES,
  maxAttributeBytes: MAX_ATTRIBUTE_BYTES,
  maxStringElements: MAX_STRING_ELEMENTS,
});

/** One attribute of the root group. `strings` is null when the value is not a string type antidote reads. */
export interface Hdf5Attribute {
  name: string;
  /** File offset of the attribute message. */
  offset: number;
  /** `string` (fixed length), `vlen-string`, or the HDF5 class number of another type, e.g. `class-1`. */
  type: string;
  /** Elements in the dataspace (1 for a scalar). */
  elements: number;
  /** Decoded values, at most MAX_STRING_ELEMENTS of them; null for other types or unreadable values. */
  strings: string[] | null;
}

/** Something the walker could not read or did not expect; the file is then not fully read. */
export interface Hdf5Problem {
  kind: 'malformed' | 'truncated' | 'unsupported' | 'limit';
  message: string;
  offset?: number;
  limit?: string;
}

/** The root group's attributes. */
export interface Hdf5RootAttributes {
  signatureOffset: number;
  superblockVersion: number;
  /** Object header version of the root group (1, or 2 for `OHDR`). */
  rootHeaderVersion: number;
  attributes: Hdf5Attribute[];
  problems: Hdf5Problem[];
  problemsOmitted: number;
}

/** Offset of the first HDF5 signature at 0, 512, 1024, 2048 ..., or null. Never throws. */
export function findHdf5Signature(source: ByteSource): number | null {
  try {
    let offset = 0;
    for (let probe = 0; probe < MAX_SIGNATURE_PROBES && offset + HDF5_SIGNATURE.length <= source.size; probe++) {
      if (source.read(offset, HDF5_SIGNATURE.length).equals(HDF5_SIGNATURE)) return offset;
      offset = offset === 0 ? 512 : offset * 2;
    }
  } catch {
    // An unreadable source has no signature we can see; the caller's other sniffers decide.
  }
  return null;
}

/** Reading stops here; turned into a ReadError or a problem at the boundary. */
class Hdf5Stop extends Error {
  constructor(readonly error: ReadError) {
    super(error.message);
    this.name = 'Hdf5Stop';
  }
}

function stop(kind: ReadError['kind'], message: string, offset?: number, limit?: string): never {
  throw new Hdf5Stop({ kind, message, offset, limit });
}

/** The `undefined address` of the format: all bits set. */
const UNDEFINED = -1;

/** Bounds-checked little-endian reads over one buffer that was read from `fileOffset`. */
class Cursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly fileOffset: number,
  ) {}

  need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.buf.length) stop('truncated', `${what} runs past the end of its block`, this.fileOffset + this.pos);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  /** An unsigned integer of `width` bytes (1-8); UNDEFINED when every bit is set; stops past 2^53. */
  uint(width: number, what: string): number {
    this.need(width, what);
    let value = 0n;
    let allOnes = true;
    for (let i = width - 1; i >= 0; i--) {
      const b = this.buf[this.pos + i]!;
      if (b !== 0xff) allOnes = false;
      value = (value << 8n) | BigInt(b);
    }
    this.pos += width;
    if (allOnes) return UNDEFINED;
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) stop('malformed', `${what} (${value}) is beyond any file size`, this.fileOffset + this.pos - width);
    return Number(value);
  }
  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }
  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

/**
 * Read the root group's attributes of the HDF5 file in `source`. Fails (never throws) when there is no
 * signature, the superblock or the root object header cannot be read, or a limit stops it before the first
 * message; everything found after that is kept and later trouble goes to `problems`.
 */
export function readHdf5RootAttributes(source: ByteSource, limits: Limits, overrides: Partial<Hdf5Limits> = {}): ReadResult<Hdf5RootAttributes> {
  const h5: Hdf5Limits = { ...DEFAULT_HDF5_LIMITS, ...overrides };
  h5.maxHeaderChunkBytes = Math.min(h5.maxHeaderChunkBytes, limits.maxMemberBytes);
  h5.maxAttributeBytes = Math.min(h5.maxAttributeBytes, limits.maxMemberBytes);
  try {
    const signatureOffset = findHdf5Signature(source);
    if (signatureOffset === null) return fail({ kind: 'malformed', offset: 0, message: 'no HDF5 signature at 0, 512, 1024, 2048 ...' });
    return ok(new RootReader(source, signatureOffset, h5).read());
  } catch (error) {
    if (error instanceof Hdf5Stop) return fail(error.error);
    const io = typeof (error as { syscall?: unknown }).syscall === 'string';
    return fail({ kind: io ? 'io' : 'malformed', message: `reading the HDF5 root group failed: ${errorMessage(error)}` });
  }
}

/** Header message types used here (spec IV.A.2). */
const MSG_ATTRIBUTE = 0x000c;
const MSG_CONTINUATION = 0x0010;
const MSG_ATTRIBUTE_INFO = 0x0015;
/** Datatype classes (spec IV.A.2.d). */
const CLASS_STRING = 3;
const CLASS_VLEN = 9;

class RootReader {
  private offsetSize = 8;
  private lengthSize = 8;
  /** Absolute file offset that stored addresses are relative to. */
  private base = 0;
  private readonly result: Hdf5RootAttributes;
  private messages = 0;
  private readonly heaps = new Map<number, Map<number, Buffer>>();

  constructor(
    private readonly source: ByteSource,
    signatureOffset: number,
    private readonly limits: Hdf5Limits,
  ) {
    this.result = { signatureOffset, superblockVersion: -1, rootHeaderVersion: -1, attributes: [], problems: [], problemsOmitted: 0 };
  }

  read(): Hdf5RootAttributes {
    const rootAddress = this.superblock();
    this.objectHeader(rootAddress);
    return this.result;
  }

  private problem(p: Hdf5Problem): void {
    if (this.result.problems.length < MAX_HDF5_PROBLEMS) this.result.problems.push(p);
    else this.result.problemsOmitted++;
  }

  /** Bytes [abs, abs + length) of the file, which must all exist. */
  private readExact(abs: number, length: number, what: string): Buffer {
    if (abs < 0 || length < 0 || abs + length > this.source.size) {
      stop('truncated', `${what} at byte ${abs} (${length} bytes) lies past the end of the ${this.source.size}-byte file`, abs);
    }
    const b = this.source.read(abs, length);
    if (b.length !== length) stop('truncated', `${what} at byte ${abs} could not be read whole`, abs);
    return b;
  }

  /** Absolute offset of a stored address, checked to lie inside the file. */
  private absolute(address: number, what: string, at: number): number {
    if (address === UNDEFINED) stop('malformed', `${what} is the undefined address`, at);
    const abs = this.base + address;
    if (abs >= this.source.size) stop('truncated', `${what} points to byte ${abs}, past the end of the ${this.source.size}-byte file`, at);
    return abs;
  }

  /** Parse the superblock (spec II.A) and return the root group's object header address. */
  private superblock(): number {
    const sig = this.result.signatureOffset;
    const c = new Cursor(this.source.read(sig, 128), 8, sig);
    const version = c.u8('superblock version');
    this.result.superblockVersion = version;
    // The library takes the signature's position as the base address whatever the field says (H5Fsuper.c).
    this.base = sig;
    if (version === 0 || version === 1) {
      c.skip(4, 'superblock version fields');
      this.offsetSize = c.u8('size of offsets');
      this.lengthSize = c.u8('size of lengths');
      this.checkSizes(sig);
      c.skip(1 + 2 + 2 + 4 + (version === 1 ? 4 : 0), 'superblock fields');
      c.skip(this.offsetSize * 4, 'superblock addresses');
      // Root group symbol table entry: link name offset, then the object header address.
      c.skip(this.offsetSize, 'root link name offset');
      return c.uint(this.offsetSize, 'root object header address');
    }
    if (version === 2 || version === 3) {
      this.offsetSize = c.u8('size of offsets');
      this.lengthSize = c.u8('size of lengths');
      this.checkSizes(sig);
      c.skip(1, 'file consistency flags');
      c.skip(this.offsetSize * 3, 'superblock addresses');
      return c.uint(this.offsetSize, 'root object header address');
    }
    return stop('unsupported', `HDF5 superblock version ${version} is not one of 0-3`, sig + 8);
  }

  private checkSizes(at: number): void {
    const valid = (n: number) => n === 2 || n === 4 || n === 8;
    if (!valid(this.offsetSize) || !valid(this.lengthSize)) {
      stop('malformed', `superblock declares ${this.offsetSize}-byte offsets and ${this.lengthSize}-byte lengths (2, 4 or 8 allowed)`, at + 13);
    }
  }

  /** Walk the root object header (spec IV.A) and its continuation blocks, collecting attribute messages. */
  private objectHeader(address: number): void {
    const abs = this.absolute(address, 'root object header address', this.result.signatureOffset);
    const head = this.source.read(abs, 32);
    const blocks: { abs: number; length: number }[] = [];
    let v2 = false;
    let trackOrder = false;
    if (head.subarray(0, 4).toString('latin1') === 'OHDR') {
      v2 = true;
      const c = new Cursor(head, 4, abs);
      const version = c.u8('object header version');
      if (version !== 2) stop('unsupported', `OHDR object header version ${version} is not 2`, abs + 4);
      this.result.rootHeaderVersion = 2;
      const flags = c.u8('object header flags');
      trackOrder = (flags & 0x04) !== 0;
      if (flags & 0x20) c.skip(16, 'object header times');
      if (flags & 0x10) c.skip(4, 'attribute phase change values');
      const size = c.uint(1 << (flags & 0x03), 'size of chunk 0');
      blocks.push({ abs: abs + c.pos, length: size });
    } else {
      const c = new Cursor(head, 0, abs);
      const version = c.u8('object header version');
      if (version !== 1) stop('malformed', `root object header at byte ${abs} has version ${version}, neither 1 nor OHDR`, abs);
      this.result.rootHeaderVersion = 1;
      c.skip(3, 'object header fields');
      c.skip(4, 'object reference count');
      const size = c.u32('object header size');
      // Version 1 messages start after 12 bytes of prefix padded to 16.
      blocks.push({ abs: abs + 16, length: size });
    }

    const seen = new Set<number>();
    for (let i = 0; i < blocks.length; i++) {
      const block = blocks[i]!;
      if (i > this.limits.maxContinuations) {
        this.problem({ kind: 'limit', limit: 'maxContinuations', offset: block.abs, message: `root object header has more than ${this.limits.maxContinuations} continuation blocks` });
        return;
      }
      if (seen.has(block.abs)) {
        this.problem({ kind: 'malformed', offset: block.abs, message: `continuation block at byte ${block.abs} is referenced twice (a loop)` });
        continue;
      }
      seen.add(block.abs);
      try {
        this.block(block.abs, block.length, v2, i > 0, trackOrder, blocks);
      } catch (error) {
        if (!(error instanceof Hdf5Stop)) throw error;
        // The first chunk is the header itself: without it there is nothing; later blocks only lose their part.
        if (i === 0 && this.result.attributes.length === 0) throw error;
        this.problem({ ...error.error, kind: error.error.kind === 'io' ? 'truncated' : error.error.kind });
      }
      if (this.messages > this.limits.maxHeaderMessages) return;
    }
  }

  /** Parse the messages of one header chunk; continuation messages append to `blocks`. */
  private block(abs: number, length: number, v2: boolean, continuation: boolean, trackOrder: boolean, blocks: { abs: number; length: number }[]): void {
    if (length > this.limits.maxHeaderChunkBytes) {
      stop('limit', `object header chunk of ${length} bytes is over the ${this.limits.maxHeaderChunkBytes}-byte limit`, abs, 'maxHeaderChunkBytes');
    }
    const buf = this.readExact(abs, length, 'object header chunk');
    let start = 0;
    let end = buf.length;
    if (v2) {
      if (continuation) {
        if (buf.subarray(0, 4).toString('latin1') !== 'OCHK') stop('malformed', `continuation block at byte ${abs} lacks its OCHK signature`, abs);
        start = 4;
        end = buf.length - 4; // checksum
      }
      // Chunk 0's declared size excludes the checksum that follows it; a continuation's length includes it.
    }
    const c = new Cursor(buf.subarray(0, Math.max(start, end)), start, abs);
    const headerSize = v2 ? 4 + (trackOrder ? 2 : 0) : 8;
    while (c.pos + headerSize <= c.buf.length) {
      if (++this.messages > this.limits.maxHeaderMessages) {
        this.problem({ kind: 'limit', limit: 'maxHeaderMessages', offset: abs + c.pos, message: `root object header has more than ${this.limits.maxHeaderMessages} messages` });
        return;
      }
      const at = abs + c.pos;
      let type: number;
      let size: number;
      let flags: number;
      if (v2) {
        type = c.u8('message type');
        size = c.u16('message size');
        flags = c.u8('message flags');
        if (trackOrder) c.skip(2, 'message creation order');
      } else {
        type = c.u16('message type');
        size = c.u16('message size');
        flags = c.u8('message flags');
        c.skip(3, 'message reserved bytes');
      }
      const data = new Cursor(c.bytes(size, `message of type ${type}`), 0, abs + c.pos - size);
      if (type === MSG_CONTINUATION) {
        const address = data.uint(this.offsetSize, 'continuation address');
        const blockLength = data.uint(this.lengthSize, 'continuation length');
        blocks.push({ abs: this.absolute(address, 'continuation address', at), length: blockLength === UNDEFINED ? 0 : blockLength });
      } else if (type === MSG_ATTRIBUTE) {
        if (flags & 0x02) {
          this.problem({ kind: 'unsupported', offset: at, message: 'an attribute is a shared message (stored in the shared message heap) and was not read' });
        } else if (this.result.attributes.length >= this.limits.maxAttributes) {
          this.problem({ kind: 'limit', limit: 'maxAttributes', offset: at, message: `root group has more than ${this.limits.maxAttributes} attributes` });
        } else {
          this.attribute(data, at);
        }
      } else if (type === MSG_ATTRIBUTE_INFO) {
        this.attributeInfo(data, at);
      }
    }
  }

  /** Attribute info (spec IV.A.2.v): a defined fractal heap address means attributes in dense storage. */
  private attributeInfo(c: Cursor, at: number): void {
    c.u8('attribute info version');
    const flags = c.u8('attribute info flags');
    if (flags & 0x01) c.skip(2, 'maximum creation index');
    const heap = c.uint(this.offsetSize, 'fractal heap address');
    if (heap !== UNDEFINED) {
      this.problem({ kind: 'unsupported', offset: at, message: 'root group keeps attributes in dense storage (a fractal heap), which antidote does not read: model_config may be there' });
    }
  }

  /** One attribute message (spec IV.A.2.m), versions 1-3. A bad message is a problem, not the end of the walk. */
  private attribute(c: Cursor, at: number): void {
    try {
      const version = c.u8('attribute version');
      if (version < 1 || version > 3) stop('unsupported', `attribute message version ${version}`, at);
      const flags = c.u8('attribute flags');
      const nameSize = c.u16('attribute name size');
      const typeSize = c.u16('attribute datatype size');
      const spaceSize = c.u16('attribute dataspace size');
      if (version === 3) c.u8('attribute name encoding');
      const pad = (n: number) => (version === 1 ? Math.ceil(n / 8) * 8 : n);
      const rawName = c.bytes(nameSize, 'attribute name');
      c.skip(pad(nameSize) - nameSize, 'attribute name padding');
      const nul = rawName.indexOf(0);
      const name = rawName.toString('utf8', 0, nul < 0 ? rawName.length : nul);
      const typeBytes = c.bytes(typeSize, 'attribute datatype');
      c.skip(pad(typeSize) - typeSize, 'attribute datatype padding');
      const spaceBytes = c.bytes(spaceSize, 'attribute dataspace');
      c.skip(pad(spaceSize) - spaceSize, 'attribute dataspace padding');
      const attribute: Hdf5Attribute = { name, offset: at, type: 'unknown', elements: 0, strings: null };
      this.result.attributes.push(attribute);
      if (flags & 0x03) {
        attribute.type = 'shared';
        this.problem({ kind: 'unsupported', offset: at, message: `attribute ${JSON.stringify(name)} uses a shared datatype or dataspace and was not decoded` });
        return;
      }
      attribute.elements = this.dataspaceElements(new Cursor(spaceBytes, 0, at));
      const type = new Cursor(typeBytes, 0, at);
      const classAndVersion = type.u8('datatype class');
      const bits = type.u8('datatype bits') | (type.u8('datatype bits') << 8) | (type.u8('datatype bits') << 16);
      const elementSize = type.u32('datatype size');
      const typeClass = classAndVersion & 0x0f;
      const data = new Cursor(c.buf.subarray(c.pos), 0, c.fileOffset + c.pos);
      const count = Math.min(attribute.elements, this.limits.maxStringElements);
      if (typeClass === CLASS_STRING) {
        attribute.type = 'string';
        attribute.strings = this.fixedStrings(data, count, elementSize, bits & 0x0f, name);
      } else if (typeClass === CLASS_VLEN && (bits & 0x0f) === 1) {
        attribute.type = 'vlen-string';
        attribute.strings = this.vlenStrings(data, count, name);
      } else {
        attribute.type = `class-${typeClass}`;
      }
      if (attribute.strings && attribute.elements > count) {
        this.problem({ kind: 'limit', limit: 'maxStringElements', offset: at, message: `attribute ${JSON.stringify(name)} has ${attribute.elements} strings; the first ${count} were read` });
      }
    } catch (error) {
      if (!(error instanceof Hdf5Stop)) throw error;
      this.problem({ ...error.error, kind: error.error.kind === 'io' ? 'truncated' : error.error.kind, message: `attribute message: ${error.error.message}` });
    }
  }

  /** Element count of a dataspace message (spec IV.A.2.b): 1 for a scalar, 0 for null. */
  private dataspaceElements(c: Cursor): number {
    const version = c.u8('dataspace version');
    const rank = c.u8('dataspace rank');
    c.u8('dataspace flags');
    if (version === 1) c.skip(5, 'dataspace reserved bytes');
    else if (version === 2) {
      if (c.u8('dataspace type') === 2) return 0;
    } else stop('unsupported', `dataspace version ${version}`, c.fileOffset);
    if (rank > 32) stop('malformed', `dataspace rank ${rank} is over the format's 32`, c.fileOffset);
    let elements = 1;
    for (let i = 0; i < rank; i++) {
      const dim = c.uint(this.lengthSize, 'dataspace dimension');
      elements = dim === UNDEFINED ? Number.MAX_SAFE_INTEGER : Math.min(Number.MAX_SAFE_INTEGER, elements * dim);
    }
    return elements;
  }

  private fixedStrings(c: Cursor, count: number, size: number, padding: number, name: string): string[] {
    if (size * count > this.limits.maxAttributeBytes) {
      stop('limit', `attribute ${JSON.stringify(name)} holds ${size * count} bytes of strings, over the ${this.limits.maxAttributeBytes}-byte limit`, c.fileOffset, 'maxAttributeBytes');
    }
    const strings: string[] = [];
    for (let i = 0; i < count; i++) strings.push(decodeFixed(c.bytes(size, `value of attribute ${JSON.stringify(name)}`), padding));
    return strings;
  }

  private vlenStrings(c: Cursor, count: number, name: string): string[] {
    const strings: string[] = [];
    let total = 0;
    for (let i = 0; i < count; i++) {
      const length = c.u32('variable-length string length');
      const collection = c.uint(this.offsetSize, 'global heap collection address');
      const index = c.u32('global heap object index');
      if (length === 0 || collection === UNDEFINED || collection === 0) {
        strings.push('');
        continue;
      }
      const object = this.heapObject(collection, index, c.fileOffset);
      total += object.length;
      if (total > this.limits.maxAttributeBytes) stop('limit', `attribute ${JSON.stringify(name)} holds more than ${this.limits.maxAttributeBytes} bytes of strings`, c.fileOffset, 'maxAttributeBytes');
      // The heap object holds the string; the element's own length field counts the characters written.
      strings.push(decodeFixed(object.subarray(0, Math.min(object.length, length)), 0));
    }
    return strings;
  }

  /** One object of a global heap collection (spec III.E), collections read once and cached. */
  private heapObject(address: number, index: number, at: number): Buffer {
    let objects = this.heaps.get(address);
    if (!objects) {
      const abs = this.absolute(address, 'global heap collection address', at);
      const head = new Cursor(this.readExact(abs, 8 + this.lengthSize, 'global heap collection header'), 0, abs);
      if (head.bytes(4, 'GCOL').toString('latin1') !== 'GCOL') stop('malformed', `no global heap collection (GCOL) at byte ${abs}`, abs);
      head.skip(4, 'global heap version');
      const size = head.uint(this.lengthSize, 'global heap collection size');
      if (size === UNDEFINED || size > this.limits.maxAttributeBytes) {
        stop('limit', `global heap collection at byte ${abs} declares ${size} bytes, over the ${this.limits.maxAttributeBytes}-byte limit`, abs, 'maxAttributeBytes');
      }
      const c = new Cursor(this.readExact(abs, Math.max(size, 8 + this.lengthSize), 'global heap collection'), 8 + this.lengthSize, abs);
      objects = new Map();
      while (c.pos + 8 + this.lengthSize <= c.buf.length) {
        const id = c.u16('heap object index');
        c.skip(6, 'heap object reference count');
        const objectSize = c.uint(this.lengthSize, 'heap object size');
        if (id === 0) break; // free space: the rest of the collection
        if (objectSize === UNDEFINED || objectSize > c.buf.length - c.pos) stop('truncated', `global heap object ${id} runs past its collection`, abs + c.pos);
        objects.set(id, c.bytes(objectSize, 'heap object'));
        c.skip(Math.min(c.buf.length - c.pos, (8 - (objectSize % 8)) % 8), 'heap object padding');
      }
      this.heaps.set(address, objects);
    }
    const object = objects.get(index);
    if (!object) stop('malformed', `global heap object ${index} does not exist in the collection at address ${address}`, at);
    return object;
  }
}

/** A fixed-length string: NUL-terminated or NUL-padded (padding 0, 1) or space-padded (2), read as UTF-8. */
function decodeFixed(bytes: Buffer, padding: number): string {
  let end = bytes.length;
  if (padding === 2) {
    while (end > 0 && bytes[end - 1] === 0x20) end--;
  } else {
    const nul = bytes.indexOf(0);
    if (nul >= 0) end = nul;
  }
  return bytes.toString('utf8', 0, end);
}
