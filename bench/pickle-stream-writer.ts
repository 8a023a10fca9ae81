import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { OP } from '../src/readers/pickle/opcodes.js';

/**
 * Writes a protocol-4 pickle straight to a file the way CPython's `_Pickler` frames it: opcodes are gathered
 * into frames of about 64 KiB behind a FRAME opcode, and large bytes payloads are written outside any frame
 * (`_Framer.write_large_bytes`). Built for gigabyte streams: it holds one frame and one output buffer, never
 * the stream. test/builders/pickle.ts is the fluent builder for small hostile fixtures; this one is for volume.
 */

/** CPython's `_FRAME_SIZE_TARGET`: a frame is committed once it reaches this size. */
const FRAME_SIZE_TARGET = 64 * 1024;
/** Output bytes gathered before one write(2). */
const OUTPUT_BUFFER = 8 * 1024 * 1024;

function code(name: string): number {
  const value = OP[name];
  if (value === undefined) throw new TypeError(`unknown opcode ${name}`);
  return value;
}

const PROTO = code('PROTO');
const FRAME = code('FRAME');
const STOP = code('STOP');
const MARK = code('MARK');
const EMPTY_LIST = code('EMPTY_LIST');
const EMPTY_DICT = code('EMPTY_DICT');
const APPENDS = code('APPENDS');
const SETITEMS = code('SETITEMS');
const TUPLE2 = code('TUPLE2');
const MEMOIZE = code('MEMOIZE');
const BINGET = code('BINGET');
const LONG_BINGET = code('LONG_BINGET');
const BINFLOAT = code('BINFLOAT');
const BININT = code('BININT');
const BININT1 = code('BININT1');
const BININT2 = code('BININT2');
const SHORT_BINUNICODE = code('SHORT_BINUNICODE');
const BINBYTES = code('BINBYTES');

/** A streaming protocol-4 pickle writer. Call {@link close} to finish the file. */
export class PickleStreamWriter {
  private readonly fd: number;
  private readonly output = Buffer.allocUnsafe(OUTPUT_BUFFER);
  private outputLength = 0;
  /** Current frame; generous slack so an opcode never has to be split across frames. */
  private readonly frame = Buffer.allocUnsafe(FRAME_SIZE_TARGET + 4096);
  private frameLength = 0;
  private written = 0;
  private memoCount = 0;

  constructor(private readonly path: string) {
    this.fd = openSync(`${path}.partial`, 'w');
    // PROTO is written before the first frame, as CPython does.
    this.output[0] = PROTO;
    this.output[1] = 4;
    this.outputLength = 2;
  }

  /** Bytes of the stream so far (including what is still buffered). */
  get size(): number {
    return this.written + this.outputLength + (this.frameLength > 0 ? 9 + this.frameLength : 0);
  }

  /** Memo entries assigned so far (MEMOIZE numbers them 0, 1, 2...). */
  get memoSize(): number {
    return this.memoCount;
  }

  private room(bytes: number): void {
    if (this.frameLength >= FRAME_SIZE_TARGET) this.commitFrame();
    if (this.frameLength + bytes > this.frame.length) throw new RangeError('opcode larger than a frame');
  }

  private commitFrame(): void {
    if (this.frameLength === 0) return;
    this.ensureOutput(9 + this.frameLength);
    this.output[this.outputLength] = FRAME;
    this.output.writeBigUInt64LE(BigInt(this.frameLength), this.outputLength + 1);
    this.frame.copy(this.output, this.outputLength + 9, 0, this.frameLength);
    this.outputLength += 9 + this.frameLength;
    this.frameLength = 0;
  }

  private ensureOutput(bytes: number): void {
    if (this.outputLength + bytes > this.output.length) this.flush();
  }

  private flush(): void {
    let done = 0;
    while (done < this.outputLength) done += writeSync(this.fd, this.output, done, this.outputLength - done, this.written + done);
    this.written += this.outputLength;
    this.outputLength = 0;
  }

  private op(opcode: number): this {
    this.room(1);
    this.frame[this.frameLength++] = opcode;
    return this;
  }

  mark(): this {
    return this.op(MARK);
  }
  emptyList(): this {
    return this.op(EMPTY_LIST);
  }
  emptyDict(): this {
    return this.op(EMPTY_DICT);
  }
  appends(): this {
    return this.op(APPENDS);
  }
  setitems(): this {
    return this.op(SETITEMS);
  }
  tuple2(): this {
    return this.op(TUPLE2);
  }

  /** MEMOIZE; returns the memo index the object got. */
  memoize(): number {
    this.op(MEMOIZE);
    return this.memoCount++;
  }

  /** BINGET or LONG_BINGET of a memo index, as CPython chooses. */
  get(index: number): this {
    if (index < 256) {
      this.room(2);
      this.frame[this.frameLength] = BINGET;
      this.frame[this.frameLength + 1] = index;
      this.frameLength += 2;
    } else {
      this.room(5);
      this.frame[this.frameLength] = LONG_BINGET;
      this.frame.writeUInt32LE(index, this.frameLength + 1);
      this.frameLength += 5;
    }
    return this;
  }

  /** A Python float: BINFLOAT, big-endian double. */
  float(value: number): this {
    this.room(9);
    this.frame[this.frameLength] = BINFLOAT;
    this.frame.writeDoubleBE(value, this.frameLength + 1);
    this.frameLength += 9;
    return this;
  }

  /** A Python int in the smallest of BININT1 / BININT2 / BININT, as CPython picks. */
  int(value: number): this {
    this.room(5);
    const at = this.frameLength;
    if (value >= 0 && value < 256) {
      this.frame[at] = BININT1;
      this.frame[at + 1] = value;
      this.frameLength += 2;
    } else if (value >= 0 && value < 65536) {
      this.frame[at] = BININT2;
      this.frame.writeUInt16LE(value, at + 1);
      this.frameLength += 3;
    } else {
      this.frame[at] = BININT;
      this.frame.writeInt32LE(value, at + 1);
      this.frameLength += 5;
    }
    return this;
  }

  /** A short str (under 256 UTF-8 bytes) followed by MEMOIZE; returns its memo index. */
  str(text: string): number {
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length > 255) throw new RangeError('str() writes SHORT_BINUNICODE only');
    this.room(2 + bytes.length);
    this.frame[this.frameLength] = SHORT_BINUNICODE;
    this.frame[this.frameLength + 1] = bytes.length;
    bytes.copy(this.frame, this.frameLength + 2);
    this.frameLength += 2 + bytes.length;
    return this.memoize();
  }

  /**
   * A large bytes object (BINBYTES) written outside any frame; `produce` must hand over exactly `size` bytes.
   * CPython memoizes it, so MEMOIZE follows (in the next frame).
   */
  largeBytes(size: number, produce: (write: (chunk: Buffer) => void) => void): number {
    this.commitFrame();
    this.ensureOutput(5);
    this.output[this.outputLength] = BINBYTES;
    this.output.writeUInt32LE(size, this.outputLength + 1);
    this.outputLength += 5;
    this.flush();
    let produced = 0;
    produce((chunk) => {
      let done = 0;
      while (done < chunk.length) done += writeSync(this.fd, chunk, done, chunk.length - done, this.written + done);
      this.written += chunk.length;
      produced += chunk.length;
    });
    if (produced !== size) throw new RangeError(`largeBytes: produced ${produced} bytes, declared ${size}`);
    return this.memoize();
  }

  /** STOP, flush, and move the finished file into place; returns its size. */
  close(): number {
    this.op(STOP);
    this.commitFrame();
    this.flush();
    closeSync(this.fd);
    renameSync(`${this.path}.partial`, this.path);
    return this.written;
  }
}
