import { OP } from '../../src/readers/pickle/opcodes.js';

/**
 * A tiny pickle assembler for hostile fixtures: each method appends one opcode with its operand encoded
 * exactly as CPython writes it, so a test can build any stream, including ones CPython itself never emits.
 */
export class PickleBuilder {
  private readonly parts: Buffer[] = [];

  /** Raw bytes, for deliberately broken streams. */
  raw(bytes: Buffer | number[] | string): this {
    this.parts.push(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes));
    return this;
  }

  op(name: string, operand?: Buffer): this {
    const code = OP[name];
    if (code === undefined) throw new TypeError(`unknown opcode ${name}`);
    this.parts.push(Buffer.from([code]));
    if (operand) this.parts.push(operand);
    return this;
  }

  proto(version: number): this {
    return this.op('PROTO', Buffer.from([version]));
  }

  frame(length: number): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(length));
    return this.op('FRAME', b);
  }

  /** Protocol 0/1 GLOBAL with `module\nname\n`. */
  global(module: string, name: string): this {
    return this.op('GLOBAL', Buffer.from(`${module}\n${name}\n`, 'utf8'));
  }

  /** Protocol 0 INST: `module\nname\n`, arguments taken from the stack above the last MARK. */
  inst(module: string, name: string): this {
    return this.op('INST', Buffer.from(`${module}\n${name}\n`, 'utf8'));
  }

  /** Push a str the way protocol 4 does (SHORT_BINUNICODE / BINUNICODE). */
  unicode(text: string): this {
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length < 256) return this.op('SHORT_BINUNICODE', Buffer.concat([Buffer.from([bytes.length]), bytes]));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(bytes.length);
    return this.op('BINUNICODE', Buffer.concat([len, bytes]));
  }

  /** BINUNICODE (protocol 1-3 style) even for short strings. */
  binunicode(text: string): this {
    const bytes = Buffer.from(text, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(bytes.length);
    return this.op('BINUNICODE', Buffer.concat([len, bytes]));
  }

  /** SHORT_BINSTRING: Python 3 decodes it to str, so it can feed STACK_GLOBAL too. */
  shortBinstring(text: string): this {
    const bytes = Buffer.from(text, 'latin1');
    return this.op('SHORT_BINSTRING', Buffer.concat([Buffer.from([bytes.length]), bytes]));
  }

  /** Protocol 0 STRING with a quoted repr. */
  string(text: string): this {
    return this.op('STRING', Buffer.from(`'${text}'\n`, 'latin1'));
  }

  /** BINBYTES with `length` bytes of payload (default zeros). */
  binbytes(payload: Buffer | number): this {
    const data = typeof payload === 'number' ? Buffer.alloc(payload) : payload;
    const len = Buffer.alloc(4);
    len.writeUInt32LE(data.length);
    return this.op('BINBYTES', Buffer.concat([len, data]));
  }

  int(value: number): this {
    if (value >= 0 && value < 256) return this.op('BININT1', Buffer.from([value]));
    if (value >= 0 && value < 65536) {
      const b = Buffer.alloc(2);
      b.writeUInt16LE(value);
      return this.op('BININT2', b);
    }
    const b = Buffer.alloc(4);
    b.writeInt32LE(value);
    return this.op('BININT', b);
  }

  none(): this {
    return this.op('NONE');
  }
  mark(): this {
    return this.op('MARK');
  }
  tuple(): this {
    return this.op('TUPLE');
  }
  tuple1(): this {
    return this.op('TUPLE1');
  }
  tuple2(): this {
    return this.op('TUPLE2');
  }
  tuple3(): this {
    return this.op('TUPLE3');
  }
  emptyTuple(): this {
    return this.op('EMPTY_TUPLE');
  }
  emptyDict(): this {
    return this.op('EMPTY_DICT');
  }
  emptyList(): this {
    return this.op('EMPTY_LIST');
  }
  setitem(): this {
    return this.op('SETITEM');
  }
  setitems(): this {
    return this.op('SETITEMS');
  }
  appends(): this {
    return this.op('APPENDS');
  }
  reduce(): this {
    return this.op('REDUCE');
  }
  build(): this {
    return this.op('BUILD');
  }
  newobj(): this {
    return this.op('NEWOBJ');
  }
  newobjEx(): this {
    return this.op('NEWOBJ_EX');
  }
  obj(): this {
    return this.op('OBJ');
  }
  stackGlobal(): this {
    return this.op('STACK_GLOBAL');
  }
  memoize(): this {
    return this.op('MEMOIZE');
  }
  binput(index: number): this {
    return this.op('BINPUT', Buffer.from([index]));
  }
  binget(index: number): this {
    return this.op('BINGET', Buffer.from([index]));
  }
  put(index: number): this {
    return this.op('PUT', Buffer.from(`${index}\n`));
  }
  get(index: number): this {
    return this.op('GET', Buffer.from(`${index}\n`));
  }
  pop(): this {
    return this.op('POP');
  }
  binpersid(): this {
    return this.op('BINPERSID');
  }
  ext1(code: number): this {
    return this.op('EXT1', Buffer.from([code]));
  }
  ext2(code: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(code);
    return this.op('EXT2', b);
  }
  ext4(code: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(code);
    return this.op('EXT4', b);
  }
  stop(): this {
    return this.op('STOP');
  }

  /** `callable(*args)` with str arguments via GLOBAL + REDUCE (the classic `__reduce__` payload). */
  callGlobal(module: string, name: string, ...args: string[]): this {
    this.global(module, name).mark();
    for (const a of args) this.binunicode(a);
    return this.tuple().reduce();
  }

  /** `callable(*args)` via protocol-4 STACK_GLOBAL + MEMOIZE + REDUCE, as CPython 3.8+ writes it. */
  callStackGlobal(module: string, name: string, ...args: string[]): this {
    this.unicode(module).memoize().unicode(name).memoize().stackGlobal().memoize();
    this.mark();
    for (const a of args) this.unicode(a).memoize();
    return this.tuple().memoize().reduce().memoize();
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Start a new pickle builder. */
export function buildPickle(): PickleBuilder {
  return new PickleBuilder();
}

/** The smallest well-formed payload pickle: `module.name(*args)` at protocol 2, ready to load. */
export function payloadPickle(module: string, name: string, ...args: string[]): Buffer {
  return buildPickle().proto(2).callGlobal(module, name, ...args).stop().bytes();
}

/** A benign pickle of an empty dict (protocol 2). */
export function benignPickle(): Buffer {
  return buildPickle().proto(2).emptyDict().stop().bytes();
}
