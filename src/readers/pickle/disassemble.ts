import type { ByteSource } from '../../core/byte-source.js';
import type { Limits } from '../../core/limits.js';
import { HIGHEST_PROTOCOL, OPCODES, type OpcodeInfo } from './opcodes.js';
import { decodeRawUnicodeEscape, decodeStringOperand, pickleIntOperand, pythonIntBase10 } from './python-text.js';

/*
 * A streaming pickle disassembler that never executes anything. It walks the opcode stream the way CPython's
 * `_pickle.c` Unpickler does, but instead of objects it keeps a small symbolic model of the stack and memo:
 * enough to resolve STACK_GLOBAL module/name strings (also when they come from the memo), to know which
 * global each REDUCE/NEWOBJ/INST/OBJ/BUILD calls, and to follow `getattr(__import__('os'), 'system')` chains.
 * Large byte and string payloads (tensor data in legacy checkpoints) are skipped by position, never buffered.
 *
 * After a corrupt opcode it keeps what it saw, records the corruption, and resynchronises on the next
 * plausible pickle start: the nullifAI technique (2025) puts a payload at the start of a stream and breaks
 * the stream right after it, so the loader runs the payload and then fails, while scanners that give up on
 * the first error report nothing.
 */

/**
 * Bytes read from the source at a time: the first read is small (most probed archive members are tensor
 * data that fails within a few bytes), later reads double up to a size where positioned reads cost nothing
 * per opcode.
 */
const FIRST_CHUNK = 64 * 1024;
const CHUNK_SIZE = 4 * 1024 * 1024;
/** Items kept per symbolic tuple/list/dict: resolving calls needs only the first few arguments. */
const MAX_CONTAINER_ITEMS = 16;
/** Distinct (global, opcode) records kept per stream; past this, repeats only count (memory bound). */
const MAX_DISTINCT_RECORDS = 100_000;
/** Nested pickles (joblib object arrays inside a joblib stream) followed recursively at most this deep. */
const MAX_NESTED_PICKLES = 8;
/** Longest protocol-0 text line (INT, GET, GLOBAL module names...) before the stream counts as corrupt. */
const MAX_LINE_LENGTH = 64 * 1024;

/** A global reference: what `find_class(module, name)` would import. */
export interface GlobalRef {
  module: string;
  name: string;
  /** True when module or name could not be resolved to constant strings (computed at load time). */
  dynamic?: boolean;
  /** How the reference was formed when not by a GLOBAL/STACK_GLOBAL opcode, e.g. `getattr`. */
  via?: string;
}

/** One import seen in the stream (deduplicated by module, name and opcode; `count` says how often). */
export interface PickleImport extends GlobalRef {
  opcode: string;
  offset: number;
  pickleIndex: number;
  count: number;
  /** Seen after a corruption, in a stretch found by resynchronising. */
  afterCorruption: boolean;
}

/** One call of a global (REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ) or state application (BUILD). */
export interface PickleCall {
  /** The called global; null when the callable is not a resolvable global (e.g. the result of another call). */
  callee: GlobalRef | null;
  opcode: string;
  offset: number;
  pickleIndex: number;
  count: number;
  afterCorruption: boolean;
  /** First string arguments, for evidence (`os.system('curl ...')`). */
  args?: string[];
}

/** A structural problem: the stream would make CPython raise here (or it is cut short). */
export interface PickleIssue {
  kind: 'invalid-opcode' | 'truncated' | 'stack-underflow' | 'memo-missing' | 'bad-operand' | 'bad-protocol' | 'limit';
  message: string;
  offset: number;
  pickleIndex: number;
  opcode?: string;
  /** Name of the limit for kind 'limit'. */
  limit?: string;
}

/** Everything learned from one pickle stream (possibly several pickles back to back). */
export interface PickleAnalysis {
  /** Pickles that reached STOP. */
  completePickles: number;
  /** Pickles started (including ones cut short and ones found by resynchronising). */
  startedPickles: number;
  /** Highest PROTO seen (0 when none). */
  protocol: number;
  opcodes: number;
  imports: PickleImport[];
  calls: PickleCall[];
  issues: PickleIssue[];
  /** BINPERSID/PERSID count: torch uses persistent ids for tensor storages. */
  persistentIds: number;
  /** Byte offset just after the last complete pickle (or where parsing stopped). */
  endOffset: number;
  /** Bytes after the last pickle that are not themselves a pickle (legacy torch storage data, padding). */
  trailingBytes: number;
  /** Stretches skipped because a nested format made the rest unparseable (kept for honesty in reports). */
  unscannedBytes: number;
  /** Protocol-5 out-of-band buffers referenced (the loader needs them supplied; unusual in model files). */
  outOfBandBuffers: number;
}

/** Options for {@link disassemblePickle}. */
export interface DisassembleOptions {
  limits: Limits;
  /** Start offset in the source (npy object arrays start after their header). */
  start?: number;
  /**
   * How many pickles a loader reads back to back: 1 for `pickle.load`, 5 for legacy torch. Pickles after
   * these are still scanned when present, so this only affects what counts as trailing data.
   */
  expectedPickles?: number;
  /**
   * Probe mode: the bytes only might be a pickle (an archive member not named as one, a file whose first
   * byte is merely a valid opcode). A first attempt that fails before importing anything ends the read
   * without resynchronising: such bytes are not a pickle, and nothing in them could run.
   */
  probe?: boolean;
}

// ---- symbolic values -------------------------------------------------------------------------------------

type Value =
  | { t: 'other' }
  | { t: 'str'; v: string }
  | { t: 'longstr' }
  | { t: 'int'; v: number }
  | { t: 'global'; g: GlobalRef }
  | { t: 'call'; callee: Value; args: Value | null; attrs?: Map<string, Value>; buildState?: Value }
  | { t: 'seq'; kind: 'tuple' | 'list' | 'set'; items: Value[]; truncated?: boolean }
  | { t: 'dict'; entries: [Value, Value][]; truncated?: boolean }
  | { t: 'module'; name: string };

const OTHER: Value = { t: 'other' };
const LONGSTR: Value = { t: 'longstr' };
/** Interned ints 0..65535 (every BININT1/BININT2 value), filled on first use: no allocation per opcode. */
const SMALL_INTS: (Value | undefined)[] = new Array(65536);

function intValue(v: number): Value {
  if (v >= 0 && v < 65536) return (SMALL_INTS[v] ??= { t: 'int', v });
  return { t: 'int', v };
}

/**
 * The little-endian int32 at `at` (the caller has checked that 4 bytes are there). Buffer#readInt32LE does
 * the same, but V8 does not inline it into the hot loop, and it re-checks bounds the caller already checked.
 */
function int32At(buf: Buffer, at: number): number {
  return buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24);
}

/** Thrown inside the disassembler only; caught at its boundary and turned into a PickleIssue. */
class StreamError {
  constructor(
    readonly kind: PickleIssue['kind'],
    readonly message: string,
    readonly offset: number,
    readonly limit?: string,
  ) {}
}

// ---- buffered positioned reader --------------------------------------------------------------------------

class Reader {
  /**
   * The buffered bytes and the source offset of their first byte. Read (never written) by the fast paths of
   * `Disassembler.parseOne`, which take small operands straight from here when they are wholly buffered.
   */
  buf: Buffer = Buffer.alloc(0);
  bufStart = 0;
  private chunk = FIRST_CHUNK;
  pos: number;
  /** End of the current FRAME (protocol 4+), or -1: joblib reads array bytes from the file past it. */
  frameEnd = -1;

  constructor(
    private readonly source: ByteSource,
    start: number,
  ) {
    this.pos = start;
  }

  get size(): number {
    return this.source.size;
  }

  /** Make `n` bytes at `pos` available in `buf`; returns the index of `pos` in `buf`. */
  private ensure(n: number): number {
    const rel = this.pos - this.bufStart;
    if (rel >= 0 && rel + n <= this.buf.length) return rel;
    if (this.pos + n > this.source.size) {
      throw new StreamError('truncated', `stream ends inside an operand (needs ${n} bytes)`, this.pos);
    }
    this.buf = this.source.read(this.pos, Math.max(n, this.chunk));
    this.bufStart = this.pos;
    this.chunk = Math.min(CHUNK_SIZE, this.chunk * 2);
    return 0;
  }

  atEnd(): boolean {
    return this.pos >= this.source.size;
  }

  /** The next byte, or -1 at the end of the source: the opcode fetch of the hot loop. */
  nextByte(): number {
    const rel = this.pos - this.bufStart;
    if (rel >= 0 && rel < this.buf.length) {
      this.pos += 1;
      return this.buf[rel]!;
    }
    return this.pos >= this.source.size ? -1 : this.u8();
  }

  u8(): number {
    const i = this.ensure(1);
    this.pos += 1;
    return this.buf[i]!;
  }

  peek(): number | undefined {
    if (this.pos >= this.source.size) return undefined;
    const i = this.ensure(1);
    return this.buf[i];
  }

  u16(): number {
    const i = this.ensure(2);
    this.pos += 2;
    return this.buf.readUInt16LE(i);
  }

  i32(): number {
    const i = this.ensure(4);
    this.pos += 4;
    return this.buf.readInt32LE(i);
  }

  u32(): number {
    const i = this.ensure(4);
    this.pos += 4;
    return this.buf.readUInt32LE(i);
  }

  u64(): number {
    const i = this.ensure(8);
    this.pos += 8;
    const v = this.buf.readBigUInt64LE(i);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }

  bytes(n: number): Buffer {
    const i = this.ensure(n);
    this.pos += n;
    return this.buf.subarray(i, i + n);
  }

  /** Skip `n` bytes without reading them (payloads we do not need). */
  skip(n: number): void {
    if (this.pos + n > this.source.size) {
      throw new StreamError('truncated', `stream ends inside a ${n}-byte payload`, this.pos);
    }
    this.pos += n;
  }

  /** A protocol-0 text line without its newline (CPython requires the newline), as raw bytes. */
  line(): Buffer {
    const start = this.pos;
    const want = Math.min(MAX_LINE_LENGTH + 1, this.source.size - start);
    if (want <= 0) throw new StreamError('truncated', 'stream ends inside a text line', start);
    const rel = this.ensure(want);
    const nl = this.buf.indexOf(0x0a, rel);
    if (nl < 0 || nl >= rel + want) {
      if (want <= MAX_LINE_LENGTH) throw new StreamError('truncated', 'stream ends inside a text line', start);
      throw new StreamError('bad-operand', `text operand longer than ${MAX_LINE_LENGTH} bytes`, start);
    }
    this.pos = start + (nl - rel) + 1;
    return this.buf.subarray(rel, nl);
  }

  /** Index of the next occurrence of any candidate restart byte pattern at or after `from`, or -1. */
  findRestart(from: number, maxScan: number): number {
    const end = Math.min(this.source.size, from + maxScan);
    let at = from;
    while (at < end) {
      const window = this.source.read(at, Math.min(CHUNK_SIZE, end - at) + 1);
      if (window.length < 2) return -1;
      for (let i = 0; i < window.length - 1; i++) {
        const b = window[i]!;
        const next = window[i + 1]!;
        // PROTO 2..5 starts every binary pickle; `c` + identifier byte starts a protocol 0/1 GLOBAL.
        if (b === 0x80 && next >= 2 && next <= HIGHEST_PROTOCOL) return at + i;
        if (b === 0x63 /* c */ && isIdentStart(next) && looksLikeGlobalLine(window, i + 1)) return at + i;
      }
      at += window.length - 1;
    }
    return -1;
  }
}

/** A dotted Python identifier (Unicode letters allowed, as in Python 3). */
const MODULE_NAME = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*(?:\.[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*)*$/u;

/**
 * `find_class` imports the module first: a name that is not a dotted identifier cannot be imported, so
 * CPython raises there and nothing after it runs. Treating it as corruption keeps text that merely starts
 * with an opcode byte (`class Net(Module):` begins with GLOBAL) from reading as an import.
 */
function checkModuleName(module: string, offset: number): void {
  if (!MODULE_NAME.test(module)) {
    throw new StreamError('bad-operand', `global names a module that cannot be imported: ${JSON.stringify(module.slice(0, 60))}`, offset);
  }
}

function isIdentStart(b: number): boolean {
  return (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || b === 0x5f;
}

function isIdentByte(b: number): boolean {
  return isIdentStart(b) || (b >= 0x30 && b <= 0x39) || b === 0x2e;
}

/** `module\nname\n` with identifier characters only: the shape of a GLOBAL operand. */
function looksLikeGlobalLine(window: Buffer, from: number): boolean {
  let i = from;
  let newlines = 0;
  for (; i < window.length && i - from < 256; i++) {
    const b = window[i]!;
    if (b === 0x0a) {
      newlines += 1;
      if (newlines === 2) return true;
      continue;
    }
    if (!isIdentByte(b)) return false;
  }
  return false;
}

// ---- the disassembler -----------------------------------------------------------------------------------

/** Strings decode as CPython does for the opcode; only short ones are kept (module and attribute names). */
function strFromBytes(bytes: Buffer, utf8: boolean): Value {
  return { t: 'str', v: utf8 ? bytes.toString('utf8') : bytes.toString('latin1') };
}

/** Resolve a value to a dotted module path when it denotes a module or class (for getattr chains). */
function dottedPath(v: Value): string | null {
  if (v.t === 'module') return v.name;
  if (v.t === 'global' && !v.g.dynamic) return `${v.g.module}.${v.g.name}`;
  return null;
}

const IMPORTERS = new Set(['builtins.__import__', '__builtin__.__import__', 'importlib.import_module']);
const GETATTRS = new Set(['builtins.getattr', '__builtin__.getattr']);

interface PickleState {
  /**
   * The symbolic stack is `stack[0 .. depth)`. Slots past `depth` are stale and never read: the array is
   * never shortened, because V8 trims an array's storage when its length drops a lot and then grows it
   * again, which for APPENDS batches of 1000 items meant reallocating and copying it for every batch.
   */
  stack: Value[];
  depth: number;
  marks: number[];
  /** Dense memo (CPython numbers entries 0, 1, 2... with MEMOIZE and BINPUT); `memoFar` holds far keys. */
  memo: Value[];
  memoFar: Map<number, Value>;
  memoSize: number;
  index: number;
}

/** Memo keys below this live in the dense array; a hostile LONG_BINPUT 4e9 goes to the map instead. */
const DENSE_MEMO_KEYS = 1 << 22;

/** Disassemble every pickle in `source` from `options.start`; never throws for any input. */
export function disassemblePickle(source: ByteSource, options: DisassembleOptions): PickleAnalysis {
  const d = new Disassembler(source, options);
  d.run();
  return d.result;
}

class Disassembler {
  readonly result: PickleAnalysis;
  private readonly reader: Reader;
  private readonly limits: Limits;
  private readonly expected: number;
  private readonly importIndex = new Map<string, PickleImport>();
  private readonly callIndex = new Map<string, PickleCall>();
  private afterCorruption = false;
  private nesting = 0;
  /** A joblib array wrapper class was imported: BUILDs on objects of unknown class can no longer be sized. */
  private wrapperImported = false;
  private readonly probe: boolean;
  private opcodeBudget: number;

  constructor(source: ByteSource, options: DisassembleOptions) {
    this.reader = new Reader(source, options.start ?? 0);
    this.limits = options.limits;
    this.expected = options.expectedPickles ?? 1;
    this.probe = options.probe ?? false;
    this.opcodeBudget = options.limits.maxOpcodes;
    this.result = {
      completePickles: 0,
      startedPickles: 0,
      protocol: 0,
      opcodes: 0,
      imports: [],
      calls: [],
      issues: [],
      persistentIds: 0,
      endOffset: this.reader.pos,
      trailingBytes: 0,
      unscannedBytes: 0,
      outOfBandBuffers: 0,
    };
  }

  run(): void {
    this.parseAll();
    // A loader that reads several pickles back to back (legacy torch: 5) fails on a stream that ends
    // early; it is cut short even when every pickle it holds is whole.
    const { completePickles, issues } = this.result;
    if (completePickles > 0 && completePickles < this.expected && issues.length === 0) {
      this.issue('truncated', `stream ends after ${completePickles} of the ${this.expected} pickles its loader reads`, this.reader.size);
    }
  }

  private parseAll(): void {
    const r = this.reader;
    const size = r.size;
    while (!r.atEnd()) {
      if (this.result.startedPickles >= this.limits.maxPicklesPerStream) {
        this.issue('limit', `more than ${this.limits.maxPicklesPerStream} pickles in one stream`, r.pos, undefined, 'maxPicklesPerStream');
        this.result.unscannedBytes += size - r.pos;
        return;
      }
      const start = r.pos;
      const importsBefore = this.result.imports.length;
      const outcome = this.parseOne();
      if (outcome === 'stop') {
        this.result.endOffset = r.pos;
        continue;
      }
      if (outcome === 'limit') {
        this.result.unscannedBytes += size - r.pos;
        return;
      }
      const failure = this.lastFailure;
      const sawImports = this.result.imports.length > importsBefore;
      // In probe mode only a resolvable import shows these bytes are a pickle: random tensor data often
      // starts with EXT1/EXT2 (0x82, 0x83), whose "imports" no loader could resolve anyway.
      const sawResolved = this.result.imports.slice(importsBefore).some((i) => !i.dynamic);
      if (this.probe && !sawResolved && this.result.startedPickles === 1) return;
      let from: number;
      if (!sawImports && (this.afterCorruption || this.result.completePickles >= this.expected)) {
        // Bytes that do not parse and import nothing are not a pickle: after the pickles a loader reads
        // they are trailing data (legacy torch storages, padding); after a corruption they are a false
        // restart. Neither is a finding of its own, so the attempt is forgotten.
        this.forgetAttempt(failure);
        if (!this.afterCorruption) {
          this.result.trailingBytes = size - start;
          return;
        }
        from = start + 1;
      } else {
        this.afterCorruption = true;
        from = Math.max(start, failure?.offset ?? start) + 1;
      }
      const restart = r.findRestart(from, this.limits.maxResyncScan);
      if (restart < 0) {
        const scanned = Math.min(size, from + this.limits.maxResyncScan);
        if (scanned < size) {
          this.issue('limit', `no pickle restart found within ${this.limits.maxResyncScan} bytes after a corruption`, from, undefined, 'maxResyncScan');
          this.result.unscannedBytes += size - scanned;
        }
        return;
      }
      r.pos = restart;
    }
  }

  /** Undo the bookkeeping of a parse attempt that turned out not to be a pickle. */
  private forgetAttempt(failure: PickleIssue | undefined): void {
    if (failure && this.result.issues[this.result.issues.length - 1] === failure) this.result.issues.pop();
    this.result.startedPickles -= 1;
  }

  private lastFailure: PickleIssue | undefined;

  private issue(kind: PickleIssue['kind'], message: string, offset: number, opcode?: string, limit?: string): void {
    const issue: PickleIssue = { kind, message, offset, pickleIndex: Math.max(0, this.result.startedPickles - 1) };
    if (opcode) issue.opcode = opcode;
    if (limit) issue.limit = limit;
    this.result.issues.push(issue);
    this.lastFailure = issue;
  }

  /** Parse one pickle from the current position to its STOP. */
  private parseOne(): 'stop' | 'error' | 'limit' {
    const index = this.result.startedPickles++;
    const state: PickleState = { stack: [], depth: 0, marks: [], memo: [], memoFar: new Map(), memoSize: 0, index };
    this.lastFailure = undefined;
    const reader = this.reader;
    // Held in locals for the fast paths below (the arrays are never replaced, only mutated).
    const stack = state.stack;
    const memo = state.memo;
    const maxStackDepth = this.limits.maxStackDepth;
    const maxStringLength = this.limits.maxStringLength;
    let opOffset = reader.pos;
    let info: OpcodeInfo | undefined;
    // Counted in locals and written back once: this loop runs once per opcode (100M+ in a large stream).
    let budget = this.opcodeBudget;
    const budgetAtStart = budget;
    try {
      for (;;) {
        opOffset = reader.pos;
        const code = reader.nextByte();
        if (code < 0) throw new StreamError('truncated', 'stream ends before STOP', opOffset);
        info = OPCODES[code];
        if (info === undefined) {
          throw new StreamError('invalid-opcode', `invalid opcode 0x${code.toString(16).padStart(2, '0')}`, opOffset);
        }
        if (--budget < 0) {
          throw new StreamError('limit', `more than ${this.limits.maxOpcodes} opcodes`, opOffset, 'maxOpcodes');
        }
        // Fast paths for the value opcodes that make up nearly all of a large stream (numbers, memo fetches,
        // short strings). Each does exactly what its case in step() does, but only in the plain case: the
        // operand is wholly in the reader's buffer and nothing can fail. Anything else (operand across a
        // buffer boundary or past the end, full stack, missing memo key) breaks out to step(), which stays
        // the one reference implementation and raises the same errors. Nothing is consumed before breaking.
        // `at` is the operand's index in `buf`: nextByte() just read the opcode from that buffer (it refills
        // it first when needed), so `at >= 1`.
        const buf = reader.buf;
        const at = reader.pos - reader.bufStart;
        const buffered = buf.length - at;
        if (state.depth < maxStackDepth) {
          switch (code) {
            case 0x47: // BINFLOAT
              if (buffered >= 8) {
                reader.pos += 8;
                stack[state.depth++] = OTHER;
                continue;
              }
              break;
            case 0x4b: // BININT1
              if (buffered >= 1) {
                reader.pos += 1;
                stack[state.depth++] = intValue(buf[at]!);
                continue;
              }
              break;
            case 0x4d: // BININT2
              if (buffered >= 2) {
                reader.pos += 2;
                stack[state.depth++] = intValue(buf[at]! | (buf[at + 1]! << 8));
                continue;
              }
              break;
            case 0x4a: // BININT
              if (buffered >= 4) {
                reader.pos += 4;
                stack[state.depth++] = intValue(int32At(buf, at));
                continue;
              }
              break;
            case 0x68: // BINGET
            case 0x6a: { // LONG_BINGET
              const width = code === 0x68 ? 1 : 4;
              if (buffered < width) break;
              const key = width === 1 ? buf[at]! : int32At(buf, at) >>> 0;
              const value = key < DENSE_MEMO_KEYS ? memo[key] : state.memoFar.get(key);
              if (value === undefined) break;
              reader.pos += width;
              stack[state.depth++] = value;
              continue;
            }
            case 0x8c: { // SHORT_BINUNICODE
              if (buffered < 1) break;
              const length = buf[at]!;
              if (buffered < 1 + length) break;
              reader.pos += 1 + length;
              stack[state.depth++] = length > maxStringLength ? LONGSTR : { t: 'str', v: buf.toString('utf8', at + 1, at + 1 + length) };
              continue;
            }
          }
        }
        if (this.step(code, info, state, opOffset)) {
          this.result.completePickles += 1;
          return 'stop';
        }
      }
    } catch (error) {
      if (error instanceof StreamError) {
        this.issue(error.kind, error.message, error.offset, info?.name, error.limit);
        return error.kind === 'limit' ? 'limit' : 'error';
      }
      // Anything else is a bug in the disassembler; still never escape the boundary.
      this.issue('bad-operand', `internal error while reading: ${String(error)}`, opOffset, info?.name);
      return 'error';
    } finally {
      // Nested parses (joblib object arrays) spend from the same budget: account for what this level used.
      const used = budgetAtStart - Math.max(budget, 0);
      this.result.opcodes += used;
      this.opcodeBudget -= used;
    }
  }

  private push(state: PickleState, value: Value, offset: number): void {
    if (state.depth >= this.limits.maxStackDepth) {
      throw new StreamError('limit', `stack deeper than ${this.limits.maxStackDepth}`, offset, 'maxStackDepth');
    }
    state.stack[state.depth++] = value;
  }

  private pop(state: PickleState, offset: number, op: string): Value {
    const fence = state.marks.length > 0 ? state.marks[state.marks.length - 1]! : 0;
    if (state.depth <= fence) throw new StreamError('stack-underflow', `${op} on an empty stack`, offset);
    return state.stack[--state.depth]!;
  }

  private top(state: PickleState, offset: number, op: string): Value {
    const fence = state.marks.length > 0 ? state.marks[state.marks.length - 1]! : 0;
    if (state.depth <= fence) throw new StreamError('stack-underflow', `${op} on an empty stack`, offset);
    return state.stack[state.depth - 1]!;
  }

  private popMark(state: PickleState, offset: number, op: string): Value[] {
    const mark = state.marks.pop();
    if (mark === undefined) throw new StreamError('stack-underflow', `${op} without a MARK`, offset);
    // A mark never lies above the stack top (nothing pops below the last mark), so `mark <= depth`.
    const items = state.stack.slice(mark, state.depth);
    state.depth = Math.min(state.depth, mark);
    return items;
  }

  /**
   * Pop to the last MARK keeping only the first MAX_CONTAINER_ITEMS items (plus whether more were there):
   * APPENDS batches of 1000 items would otherwise copy every item once more for nothing.
   */
  private popMarkHead(state: PickleState, offset: number, op: string): { items: Value[]; more: boolean } {
    const mark = state.marks.pop();
    if (mark === undefined) throw new StreamError('stack-underflow', `${op} without a MARK`, offset);
    const end = Math.min(state.depth, mark + MAX_CONTAINER_ITEMS);
    const items = state.stack.slice(mark, end);
    const more = state.depth > end;
    state.depth = Math.min(state.depth, mark);
    return { items, more };
  }

  /** The length prefix of a sized operand (1, 4 signed or unsigned, or 8 bytes, by opcode). */
  private readLength(info: OpcodeInfo): number {
    const r = this.reader;
    if (info.arg === 'len1') return r.u8();
    if (info.arg === 'len4') return r.u32();
    if (info.arg === 'len8') return r.u64();
    const length = r.i32();
    if (length < 0) throw new StreamError('bad-operand', `${info.name} with negative length`, r.pos - 4);
    return length;
  }

  private readString(info: OpcodeInfo, utf8: boolean): Value {
    const length = this.readLength(info);
    if (length > this.limits.maxStringLength) {
      this.reader.skip(length);
      return LONGSTR;
    }
    return strFromBytes(this.reader.bytes(length), utf8);
  }

  private skipSized(info: OpcodeInfo): void {
    this.reader.skip(this.readLength(info));
  }

  private memoPut(state: PickleState, key: number, value: Value, offset: number): void {
    const dense = key < DENSE_MEMO_KEYS;
    const isNew = dense ? state.memo[key] === undefined : !state.memoFar.has(key);
    if (isNew) {
      if (state.memoSize >= this.limits.maxMemo) {
        throw new StreamError('limit', `memo larger than ${this.limits.maxMemo} entries`, offset, 'maxMemo');
      }
      state.memoSize += 1;
    }
    if (dense) state.memo[key] = value;
    else state.memoFar.set(key, value);
  }

  private memoGet(state: PickleState, key: number, offset: number): Value {
    const value = key < DENSE_MEMO_KEYS ? state.memo[key] : state.memoFar.get(key);
    if (value === undefined) throw new StreamError('memo-missing', `memo key ${key} not found`, offset);
    return value;
  }

  private recordImport(g: GlobalRef, opcode: string, offset: number, pickleIndex: number): void {
    if (isArrayWrapper(g)) this.wrapperImported = true;
    const key = `${g.module}\u0000${g.name}\u0000${opcode}\u0000${g.via ?? ''}`;
    const existing = this.importIndex.get(key);
    if (existing) {
      existing.count += 1;
      return;
    }
    if (this.importIndex.size >= MAX_DISTINCT_RECORDS) return;
    const record: PickleImport = { ...g, opcode, offset, pickleIndex, count: 1, afterCorruption: this.afterCorruption };
    this.importIndex.set(key, record);
    this.result.imports.push(record);
  }

  private recordCall(callee: Value, args: Value | null, opcode: string, offset: number, pickleIndex: number): void {
    const g = callee.t === 'global' ? callee.g : null;
    const key = g ? `${g.module}\u0000${g.name}\u0000${opcode}` : `?\u0000${opcode}`;
    const existing = this.callIndex.get(key);
    if (existing) {
      existing.count += 1;
      return;
    }
    if (this.callIndex.size >= MAX_DISTINCT_RECORDS) return;
    const record: PickleCall = { callee: g, opcode, offset, pickleIndex, count: 1, afterCorruption: this.afterCorruption };
    const strings = stringArgs(args);
    if (strings.length > 0) record.args = strings;
    this.callIndex.set(key, record);
    this.result.calls.push(record);
  }

  /** The value a call produces; `getattr`/`__import__` on known values resolve to new references. */
  private callResult(callee: Value, args: Value | null, offset: number, pickleIndex: number): Value {
    const g = callee.t === 'global' ? callee.g : null;
    if (g && args && args.t === 'seq') {
      const qualified = `${g.module}.${g.name}`;
      const first = args.items[0];
      if (IMPORTERS.has(qualified) && first?.t === 'str') return { t: 'module', name: first.v };
      if (GETATTRS.has(qualified) && first && args.items[1]?.t === 'str') {
        const base = dottedPath(first);
        const attr = (args.items[1] as { v: string }).v;
        if (base) {
          const ref: GlobalRef = { module: base, name: attr, via: 'getattr' };
          this.recordImport(ref, 'REDUCE', offset, pickleIndex);
          return { t: 'global', g: ref };
        }
      }
    }
    return { t: 'call', callee, args };
  }

  /** Execute one opcode symbolically; returns true on STOP. */
  private step(code: number, info: OpcodeInfo, state: PickleState, offset: number): boolean {
    const r = this.reader;
    const op = info.name;
    // Numeric cases: V8 compiles a dense integer switch to a jump table; string cases compare one by one.
    switch (code) {
      case 0x28: // MARK
        if (state.marks.length >= this.limits.maxStackDepth) {
          throw new StreamError('limit', `more than ${this.limits.maxStackDepth} nested MARKs`, offset, 'maxStackDepth');
        }
        state.marks.push(state.depth);
        return false;
      case 0x2e: // STOP
        this.pop(state, offset, op);
        return true;
      case 0x30: { // POP
        const mark = state.marks[state.marks.length - 1];
        if (mark !== undefined && mark === state.depth) state.marks.pop();
        else this.pop(state, offset, op);
        return false;
      }
      case 0x31: // POP_MARK
        this.popMarkHead(state, offset, op);
        return false;
      case 0x32: // DUP
        this.push(state, this.top(state, offset, op), offset);
        return false;
      case 0x46: // FLOAT
      case 0x4c: // LONG
        r.line();
        this.push(state, OTHER, offset);
        return false;
      case 0x49: { // INT
        const text = r.line().toString('latin1');
        const n = pickleIntOperand(text);
        if (n === null) {
          // Out of safe-integer range is still a valid Python int; anything else makes CPython raise.
          if (!/^\s*[+-]?\d[\d_]*\s*$/.test(text)) throw new StreamError('bad-operand', `INT operand ${JSON.stringify(text.slice(0, 40))} is not an integer both unpicklers read alike`, offset);
          this.push(state, OTHER, offset);
        } else this.push(state, intValue(n), offset);
        return false;
      }
      case 0x4a: // BININT
        this.push(state, intValue(r.i32()), offset);
        return false;
      case 0x4b: // BININT1
        this.push(state, intValue(r.u8()), offset);
        return false;
      case 0x4d: // BININT2
        this.push(state, intValue(r.u16()), offset);
        return false;
      case 0x8a: { // LONG1
        // Small two's-complement little-endian ints: joblib array shapes past 2**31 elements arrive this way.
        const length = r.u8();
        const bytes = r.bytes(length);
        this.push(state, length > 0 && length <= 6 ? intValue(bytes.readIntLE(0, length)) : length === 0 ? intValue(0) : OTHER, offset);
        return false;
      }
      case 0x8b: // LONG4
        this.skipSized(info);
        this.push(state, OTHER, offset);
        return false;
      case 0x47: // BINFLOAT
        r.skip(8);
        this.push(state, OTHER, offset);
        return false;
      case 0x4e: // NONE
      case 0x88: // NEWTRUE
      case 0x89: // NEWFALSE
        this.push(state, OTHER, offset);
        return false;
      case 0x50: // PERSID
        r.line();
        this.result.persistentIds += 1;
        this.push(state, OTHER, offset);
        return false;
      case 0x51: // BINPERSID
        this.pop(state, offset, op);
        this.result.persistentIds += 1;
        this.push(state, OTHER, offset);
        return false;
      case 0x53: { // STRING
        const text = decodeStringOperand(r.line().toString('latin1'));
        if (text === null) throw new StreamError('bad-operand', 'STRING operand is not a quoted, well-escaped string', offset);
        this.push(state, { t: 'str', v: text }, offset);
        return false;
      }
      case 0x56: { // UNICODE
        const text = decodeRawUnicodeEscape(r.line());
        if (text === null) throw new StreamError('bad-operand', 'UNICODE operand has a malformed \\u escape', offset);
        this.push(state, { t: 'str', v: text }, offset);
        return false;
      }
      case 0x54: // BINSTRING
      case 0x55: // SHORT_BINSTRING
        // Python 3 decodes these as str (encoding='ASCII' by default), so they can feed STACK_GLOBAL.
        this.push(state, this.readString(info, false), offset);
        return false;
      case 0x58: // BINUNICODE
      case 0x8c: // SHORT_BINUNICODE
      case 0x8d: // BINUNICODE8
        this.push(state, this.readString(info, true), offset);
        return false;
      case 0x42: // BINBYTES
      case 0x43: // SHORT_BINBYTES
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        this.skipSized(info);
        this.push(state, OTHER, offset);
        return false;
      case 0x61: { // APPEND
        const value = this.pop(state, offset, op);
        const list = this.top(state, offset, op);
        if (list.t === 'seq') appendItems(list, [value]);
        return false;
      }
      case 0x65: // APPENDS
      case 0x90: { // ADDITEMS
        const { items, more } = this.popMarkHead(state, offset, op);
        const target = this.top(state, offset, op);
        if (target.t === 'seq') {
          appendItems(target, items);
          if (more) target.truncated = true;
        }
        return false;
      }
      case 0x62: { // BUILD
        const stateValue = this.pop(state, offset, op);
        const target = this.top(state, offset, op);
        // BUILD runs the object's __setstate__ (or updates its __dict__): a call on the object's class.
        const owner = target.t === 'call' ? target.callee : target;
        if (owner.t === 'global') this.recordCall(owner, null, op, offset, state.index);
        if (target.t === 'call') {
          target.buildState = stateValue;
          if (this.afterBuild(target, stateValue, offset)) state.stack[state.depth - 1] = OTHER;
        } else if (this.wrapperImported && target.t !== 'dict' && target.t !== 'seq' && target.t !== 'global') {
          throw new StreamError('bad-operand', 'BUILD on an object whose class cannot be resolved in a stream that imports a joblib array wrapper; where its array bytes end cannot be known', offset);
        }
        return false;
      }
      case 0x63: { // GLOBAL
        // CPython decodes GLOBAL and INST operands as UTF-8.
        const module = r.line().toString('utf8');
        const name = r.line().toString('utf8');
        const g: GlobalRef = { module, name };
        checkModuleName(module, offset);
        this.recordImport(g, op, offset, state.index);
        this.push(state, { t: 'global', g }, offset);
        return false;
      }
      case 0x93: { // STACK_GLOBAL
        const nameV = this.pop(state, offset, op);
        const moduleV = this.pop(state, offset, op);
        const resolved = nameV.t === 'str' && moduleV.t === 'str';
        if (moduleV.t === 'str') checkModuleName(moduleV.v, offset);
        const g: GlobalRef = resolved
          ? { module: (moduleV as { v: string }).v, name: (nameV as { v: string }).v }
          : { module: describe(moduleV), name: describe(nameV), dynamic: true };
        this.recordImport(g, op, offset, state.index);
        this.push(state, { t: 'global', g }, offset);
        return false;
      }
      case 0x69: { // INST
        // CPython decodes GLOBAL and INST operands as UTF-8.
        const module = r.line().toString('utf8');
        const name = r.line().toString('utf8');
        checkModuleName(module, offset);
        const args = this.popMark(state, offset, op);
        const g: GlobalRef = { module, name };
        this.recordImport(g, op, offset, state.index);
        const callee: Value = { t: 'global', g };
        const argv: Value = { t: 'seq', kind: 'tuple', items: args.slice(0, MAX_CONTAINER_ITEMS) };
        this.recordCall(callee, argv, op, offset, state.index);
        this.push(state, this.callResult(callee, argv, offset, state.index), offset);
        return false;
      }
      case 0x6f: { // OBJ
        const items = this.popMark(state, offset, op);
        const cls = items[0];
        if (cls === undefined) throw new StreamError('stack-underflow', 'OBJ with an empty MARK', offset);
        const argv: Value = { t: 'seq', kind: 'tuple', items: items.slice(1, 1 + MAX_CONTAINER_ITEMS) };
        this.recordCall(cls, argv, op, offset, state.index);
        this.push(state, this.callResult(cls, argv, offset, state.index), offset);
        return false;
      }
      case 0x52: { // REDUCE
        const args = this.pop(state, offset, op);
        const callee = this.pop(state, offset, op);
        this.recordCall(callee, args, op, offset, state.index);
        this.push(state, this.callResult(callee, args, offset, state.index), offset);
        return false;
      }
      case 0x81: { // NEWOBJ
        const args = this.pop(state, offset, op);
        const cls = this.pop(state, offset, op);
        this.recordCall(cls, args, op, offset, state.index);
        this.push(state, { t: 'call', callee: cls, args }, offset);
        return false;
      }
      case 0x92: { // NEWOBJ_EX
        this.pop(state, offset, op);
        const args = this.pop(state, offset, op);
        const cls = this.pop(state, offset, op);
        this.recordCall(cls, args, op, offset, state.index);
        this.push(state, { t: 'call', callee: cls, args }, offset);
        return false;
      }
      case 0x64: { // DICT
        const items = this.popMark(state, offset, op);
        const dict: Value = { t: 'dict', entries: [] };
        setItems(dict, items);
        this.push(state, dict, offset);
        return false;
      }
      case 0x7d: // EMPTY_DICT
        this.push(state, { t: 'dict', entries: [] }, offset);
        return false;
      case 0x73: { // SETITEM
        const value = this.pop(state, offset, op);
        const key = this.pop(state, offset, op);
        const dict = this.top(state, offset, op);
        if (dict.t === 'dict') setItems(dict, [key, value]);
        return false;
      }
      case 0x75: { // SETITEMS
        const items = this.popMark(state, offset, op);
        const dict = this.top(state, offset, op);
        if (dict.t === 'dict') setItems(dict, items);
        return false;
      }
      case 0x6c: // LIST
      case 0x74: // TUPLE
      case 0x91: { // FROZENSET
        const { items, more } = this.popMarkHead(state, offset, op);
        const kind = op === 'LIST' ? 'list' : op === 'TUPLE' ? 'tuple' : 'set';
        const seq: Extract<Value, { t: 'seq' }> = { t: 'seq', kind, items };
        if (more) seq.truncated = true;
        this.push(state, seq, offset);
        return false;
      }
      case 0x5d: // EMPTY_LIST
        this.push(state, { t: 'seq', kind: 'list', items: [] }, offset);
        return false;
      case 0x29: // EMPTY_TUPLE
        this.push(state, { t: 'seq', kind: 'tuple', items: [] }, offset);
        return false;
      case 0x8f: // EMPTY_SET
        this.push(state, { t: 'seq', kind: 'set', items: [] }, offset);
        return false;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: { // TUPLE3
        const n = code - 0x84;
        const items: Value[] = [];
        for (let i = 0; i < n; i++) items.unshift(this.pop(state, offset, op));
        this.push(state, { t: 'seq', kind: 'tuple', items }, offset);
        return false;
      }
      case 0x67: { // GET
        const key = pythonIntBase10(r.line().toString('latin1'));
        if (key === null) throw new StreamError('bad-operand', 'GET with a key that is not a base-10 integer', offset);
        this.push(state, this.memoGet(state, key, offset), offset);
        return false;
      }
      case 0x68: // BINGET
        this.push(state, this.memoGet(state, r.u8(), offset), offset);
        return false;
      case 0x6a: // LONG_BINGET
        this.push(state, this.memoGet(state, r.u32(), offset), offset);
        return false;
      case 0x70: { // PUT
        const key = pythonIntBase10(r.line().toString('latin1'));
        if (key === null) throw new StreamError('bad-operand', 'PUT with a key that is not a base-10 integer', offset);
        this.memoPut(state, key, this.top(state, offset, op), offset);
        return false;
      }
      case 0x71: // BINPUT
        this.memoPut(state, r.u8(), this.top(state, offset, op), offset);
        return false;
      case 0x72: // LONG_BINPUT
        this.memoPut(state, r.u32(), this.top(state, offset, op), offset);
        return false;
      case 0x94: // MEMOIZE
        this.memoPut(state, state.memoSize, this.top(state, offset, op), offset);
        return false;
      case 0x82: // EXT1
      case 0x83: // EXT2
      case 0x84: { // EXT4
        const ext = code === 0x82 ? r.u8() : code === 0x83 ? r.u16() : r.i32();
        // The copyreg extension registry maps codes to (module, name) at load time; a scanner cannot know
        // the loader's registry, so the import is unresolvable by construction.
        const g: GlobalRef = { module: 'copyreg._extension_registry', name: `code ${ext}`, dynamic: true, via: op };
        this.recordImport(g, op, offset, state.index);
        this.push(state, { t: 'global', g }, offset);
        return false;
      }
      case 0x80: { // PROTO
        const proto = r.u8();
        if (proto > HIGHEST_PROTOCOL) throw new StreamError('bad-protocol', `unsupported pickle protocol ${proto}`, offset);
        this.result.protocol = Math.max(this.result.protocol, proto);
        return false;
      }
      case 0x95: { // FRAME
        // Frames only group opcodes for buffered reads; their contents are ordinary opcodes. Where a frame
        // ends matters to joblib, which reads array bytes from the file, i.e. after the current frame.
        const length = r.u64();
        r.frameEnd = r.pos + length;
        return false;
      }
      case 0x97: // NEXT_BUFFER
        this.result.outOfBandBuffers += 1;
        this.push(state, OTHER, offset);
        return false;
      case 0x98: // READONLY_BUFFER
        this.top(state, offset, op);
        return false;
      default:
        throw new StreamError('invalid-opcode', `unhandled opcode ${op}`, offset);
    }
  }

  /**
   * joblib writes numpy array bytes straight into the pickle stream after the BUILD of a NumpyArrayWrapper
   * (joblib/numpy_pickle.py `read_array`): raw data for plain dtypes, a whole nested pickle for object
   * dtypes, read from the file position, i.e. after the current FRAME. Skip the raw bytes exactly, scan the
   * nested pickle, or stop honestly when the layout cannot be known. Returns true when `target` was a wrapper
   * (joblib then replaces it on the stack with the array it read).
   */
  private afterBuild(target: Extract<Value, { t: 'call' }>, stateValue: Value, offset: number): boolean {
    const cls = instanceClass(target);
    if (cls === undefined) {
      if (this.wrapperImported) {
        throw new StreamError('bad-operand', 'BUILD on an object of unresolvable class in a stream that imports a joblib array wrapper; where its array bytes end cannot be known', offset);
      }
      return false;
    }
    if (!isArrayWrapper(cls)) return false;
    // Pure-Python load_build: a (state, slotstate) pair or a dict; later keys win, as in a Python dict.
    const attrs = (target.attrs ??= new Map());
    const parts = stateValue.t === 'seq' && stateValue.kind === 'tuple' && stateValue.items.length === 2 ? stateValue.items : [stateValue];
    for (const part of parts) {
      if (part.t === 'other') continue; // None (or a falsy value) adds nothing
      if (part.t !== 'dict' || part.truncated) throw new StreamError('bad-operand', 'joblib array wrapper state antidote cannot read exactly; the bytes after it were not scanned', offset);
      for (const [key, value] of part.entries) if (key.t === 'str') attrs.set(key.v, value);
    }
    const r = this.reader;
    if (r.frameEnd > r.pos) {
      throw new StreamError('bad-operand', 'joblib array wrapper completed inside a pickle frame: joblib reads its bytes from after the frame, antidote does not follow that order', offset);
    }
    const layout = dtypeLayout(attrs.get('dtype'));
    if (layout === 'object') {
      if (this.nesting >= MAX_NESTED_PICKLES) {
        throw new StreamError('limit', `more than ${MAX_NESTED_PICKLES} nested pickles`, r.pos, 'maxNestedPickles');
      }
      this.nesting += 1;
      try {
        const outcome = this.parseOne();
        if (outcome !== 'stop') throw new StreamError('bad-operand', 'nested joblib object-array pickle is corrupt', r.pos);
      } finally {
        this.nesting -= 1;
      }
      return true;
    }
    const count = shapeCount(attrs.get('shape'));
    if (layout === null || count === null) {
      throw new StreamError('bad-operand', 'joblib array with a layout antidote cannot size; the bytes after it were not scanned', r.pos);
    }
    if (attrs.has('numpy_array_alignment_bytes')) {
      const padding = r.u8();
      r.skip(padding);
    }
    r.skip(count * layout);
    return true;
  }
}

/** joblib's array wrapper classes (NDArrayWrapper keeps arrays in side files, so it reads nothing inline). */
function isArrayWrapper(g: GlobalRef): boolean {
  return g.name === 'NumpyArrayWrapper' && g.module.endsWith('numpy_pickle');
}

const RECONSTRUCTORS = new Set(['copyreg._reconstructor', 'copy_reg._reconstructor', 'copyreg.__newobj__', 'copyreg.__newobj_ex__', 'copy_reg.__newobj__']);

/**
 * The class an object was made from: the called global, or the class argument of copyreg's reconstructors
 * (what `isinstance` sees). Undefined when the class cannot be resolved.
 */
function instanceClass(value: Extract<Value, { t: 'call' }>): GlobalRef | undefined {
  if (value.callee.t !== 'global') return undefined;
  const g = value.callee.g;
  if (g.dynamic) return undefined;
  if (RECONSTRUCTORS.has(`${g.module}.${g.name}`)) {
    const first = value.args?.t === 'seq' ? value.args.items[0] : undefined;
    return first?.t === 'global' && !first.g.dynamic ? first.g : undefined;
  }
  return g;
}

function appendItems(seq: Extract<Value, { t: 'seq' }>, items: Value[]): void {
  for (const item of items) {
    if (seq.items.length >= MAX_CONTAINER_ITEMS) {
      seq.truncated = true;
      return;
    }
    seq.items.push(item);
  }
}

/** SETITEM(S) into a symbolic dict; a later equal key replaces the earlier one, as in Python. */
function setItems(dict: Extract<Value, { t: 'dict' }>, items: Value[]): void {
  for (let i = 0; i + 1 < items.length; i += 2) {
    const key = items[i]!;
    const value = items[i + 1]!;
    const existing = key.t === 'str' ? dict.entries.findIndex(([k]) => k.t === 'str' && k.v === key.v) : -1;
    if (existing >= 0) {
      dict.entries[existing] = [key, value];
      continue;
    }
    if (dict.entries.length >= MAX_CONTAINER_ITEMS) {
      dict.truncated = true;
      continue;
    }
    dict.entries.push([key, value]);
  }
}

/**
 * Item size of a symbolic `numpy.dtype(typestr, align, copy)` value with its BUILD state (version,
 * byteorder, subarray, names, fields, elsize, alignment, flags), 'object' for object dtype, or null when the
 * size cannot be known exactly (structured or subarray dtypes, unknown kinds).
 */
function dtypeLayout(dtype: Value | undefined): number | 'object' | null {
  if (!dtype || dtype.t !== 'call' || dtype.callee.t !== 'global') return null;
  const g = dtype.callee.g;
  if (g.name !== 'dtype' || !g.module.startsWith('numpy')) return null;
  const first = dtype.args && dtype.args.t === 'seq' ? dtype.args.items[0] : undefined;
  if (!first || first.t !== 'str') return null;
  const m = /^[<>|=]?([a-zA-Z?])(\d*)$/.exec(first.v);
  if (!m) return null;
  const kind = m[1]!;
  const digits = m[2] ? Number(m[2]) : NaN;
  if (kind === 'O') return 'object';
  const st = dtype.buildState;
  let elsize = -1;
  if (st !== undefined) {
    if (st.t !== 'seq' || st.truncated) return null;
    const [, , subarray, names, fields, size] = st.items;
    const isNone = (v: Value | undefined): boolean => v === undefined || v.t === 'other';
    // Structured and subarray dtypes may hold objects (then joblib unpickles instead of reading bytes).
    if (!isNone(subarray) || !isNone(names) || !isNone(fields)) return null;
    if (size !== undefined && size.t === 'int') elsize = size.v;
  }
  if (kind === 'S' || kind === 'V') return elsize >= 0 ? elsize : Number.isFinite(digits) ? digits : null;
  if (kind === 'U') return elsize >= 0 ? elsize : Number.isFinite(digits) ? digits * 4 : null;
  if (kind === 'b' || kind === '?') return 1;
  if ('iufcMm'.includes(kind)) return Number.isFinite(digits) ? digits : null;
  return null;
}

/** Element count of a symbolic shape tuple, or null when not all dimensions are known integers. */
function shapeCount(shape: Value | undefined): number | null {
  if (!shape || shape.t !== 'seq') return null;
  let count = 1;
  for (const dim of shape.items) {
    if (dim.t !== 'int') return null;
    count *= dim.v;
  }
  return Number.isSafeInteger(count) ? count : null;
}

function describe(v: Value): string {
  switch (v.t) {
    case 'str':
      return v.v;
    case 'global':
      return `${v.g.module}.${v.g.name}`;
    case 'call':
      return `<result of ${describe(v.callee)}>`;
    case 'module':
      return v.name;
    case 'longstr':
      return '<oversized string>';
    default:
      return `<${v.t}>`;
  }
}

function stringArgs(args: Value | null): string[] {
  if (!args || args.t !== 'seq') return [];
  const out: string[] = [];
  for (const item of args.items) {
    if (item.t === 'str') out.push(item.v.length > 200 ? `${item.v.slice(0, 200)}...` : item.v);
    if (out.length >= 4) break;
  }
  return out;
}
