/**
 * The pickle opcode table for protocols 0-5, as in CPython's Lib/pickle.py and Modules/_pickle.c.
 * `arg` says how the operand is encoded; the disassembler uses it to skip or decode without executing.
 */
export type OperandKind =
  | 'none'
  | 'u8'
  | 'u16'
  | 'i32'
  | 'u32'
  | 'f64'
  | 'u64'
  | 'line'
  | 'line2'
  | 'len1'
  | 'len4'
  | 'len4s'
  | 'len8';

/** One opcode's static description. */
export interface OpcodeInfo {
  name: string;
  arg: OperandKind;
  /** Protocol that introduced the opcode. */
  proto: number;
}

/** Opcode byte -> description; undefined entries are invalid opcodes (CPython raises on them). */
export const OPCODES: ReadonlyArray<OpcodeInfo | undefined> = (() => {
  const table: (OpcodeInfo | undefined)[] = new Array(256).fill(undefined);
  const def = (ch: string | number, name: string, arg: OperandKind, proto: number): void => {
    const code = typeof ch === 'number' ? ch : ch.charCodeAt(0);
    table[code] = { name, arg, proto };
  };
  def('(', 'MARK', 'none', 0);
  def('.', 'STOP', 'none', 0);
  def('0', 'POP', 'none', 0);
  def('1', 'POP_MARK', 'none', 1);
  def('2', 'DUP', 'none', 0);
  def('F', 'FLOAT', 'line', 0);
  def('I', 'INT', 'line', 0);
  def('J', 'BININT', 'i32', 1);
  def('K', 'BININT1', 'u8', 1);
  def('L', 'LONG', 'line', 0);
  def('M', 'BININT2', 'u16', 1);
  def('N', 'NONE', 'none', 0);
  def('P', 'PERSID', 'line', 0);
  def('Q', 'BINPERSID', 'none', 1);
  def('R', 'REDUCE', 'none', 0);
  def('S', 'STRING', 'line', 0);
  def('T', 'BINSTRING', 'len4s', 1);
  def('U', 'SHORT_BINSTRING', 'len1', 1);
  def('V', 'UNICODE', 'line', 0);
  def('X', 'BINUNICODE', 'len4', 1);
  def('a', 'APPEND', 'none', 0);
  def('b', 'BUILD', 'none', 0);
  def('c', 'GLOBAL', 'line2', 0);
  def('d', 'DICT', 'none', 0);
  def('}', 'EMPTY_DICT', 'none', 1);
  def('e', 'APPENDS', 'none', 1);
  def('g', 'GET', 'line', 0);
  def('h', 'BINGET', 'u8', 1);
  def('i', 'INST', 'line2', 0);
  def('j', 'LONG_BINGET', 'u32', 1);
  def('l', 'LIST', 'none', 0);
  def(']', 'EMPTY_LIST', 'none', 1);
  def('o', 'OBJ', 'none', 1);
  def('p', 'PUT', 'line', 0);
  def('q', 'BINPUT', 'u8', 1);
  def('r', 'LONG_BINPUT', 'u32', 1);
  def('s', 'SETITEM', 'none', 0);
  def('t', 'TUPLE', 'none', 0);
  def(')', 'EMPTY_TUPLE', 'none', 1);
  def('u', 'SETITEMS', 'none', 1);
  def('G', 'BINFLOAT', 'f64', 1);
  def(0x80, 'PROTO', 'u8', 2);
  def(0x81, 'NEWOBJ', 'none', 2);
  def(0x82, 'EXT1', 'u8', 2);
  def(0x83, 'EXT2', 'u16', 2);
  def(0x84, 'EXT4', 'i32', 2);
  def(0x85, 'TUPLE1', 'none', 2);
  def(0x86, 'TUPLE2', 'none', 2);
  def(0x87, 'TUPLE3', 'none', 2);
  def(0x88, 'NEWTRUE', 'none', 2);
  def(0x89, 'NEWFALSE', 'none', 2);
  def(0x8a, 'LONG1', 'len1', 2);
  def(0x8b, 'LONG4', 'len4s', 2);
  def('B', 'BINBYTES', 'len4', 3);
  def('C', 'SHORT_BINBYTES', 'len1', 3);
  def(0x8c, 'SHORT_BINUNICODE', 'len1', 4);
  def(0x8d, 'BINUNICODE8', 'len8', 4);
  def(0x8e, 'BINBYTES8', 'len8', 4);
  def(0x8f, 'EMPTY_SET', 'none', 4);
  def(0x90, 'ADDITEMS', 'none', 4);
  def(0x91, 'FROZENSET', 'none', 4);
  def(0x92, 'NEWOBJ_EX', 'none', 4);
  def(0x93, 'STACK_GLOBAL', 'none', 4);
  def(0x94, 'MEMOIZE', 'none', 4);
  def(0x95, 'FRAME', 'u64', 4);
  def(0x96, 'BYTEARRAY8', 'len8', 5);
  def(0x97, 'NEXT_BUFFER', 'none', 5);
  def(0x98, 'READONLY_BUFFER', 'none', 5);
  return table;
})();

/** Highest protocol CPython reads; PROTO above it makes `pickle.load` raise. */
export const HIGHEST_PROTOCOL = 5;

/** Opcode bytes by name, for builders and tests. */
export const OP: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(
    OPCODES.flatMap((info, code) => (info ? [[info.name, code] as const] : [])),
  ),
);
