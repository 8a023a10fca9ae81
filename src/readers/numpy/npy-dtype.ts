import type { PyValue } from './python-literal.js';

/**
 * What a .npy `descr` means, following numpy's `descr_to_dtype` (numpy/lib/format.py): a string goes to
 * `numpy.dtype(str)`, a tuple is `(subdtype, shape)`, anything else is iterated as a list of fields
 * `(name, descr)` or `(name, descr, shape)`, each descr again any of these. Object detection is
 * conservative: a string antidote cannot parse counts as an object dtype when it contains `O` or `object`
 * (every spelling of the object type numpy accepts does), so an unusual spelling never hides a pickle.
 */
export interface DtypeInfo {
  /** True when numpy's `dtype.hasobject` would be (or might be) true: np.load then unpickles the data. */
  hasObject: boolean;
  /** Bytes per element, or null when antidote cannot compute it (then the size check is skipped). */
  itemSize: bigint | null;
  /** Descriptor strings antidote could not interpret. */
  unknown: string[];
}

/** Why numpy itself cannot build a dtype from this descr (so np.load fails before reading data). */
export interface DtypeError {
  invalid: string;
}

/** Itemsize per single-character type code without a size (64-bit Linux, where numpy files come from). */
const CHAR_SIZES: Record<string, number> = {
  '?': 1, b: 1, B: 1, h: 2, H: 2, i: 4, I: 4, l: 8, L: 8, q: 8, Q: 8, p: 8, P: 8,
  e: 2, f: 4, d: 8, g: 16, F: 8, D: 16, G: 32, c: 1, S: 0, a: 0, U: 0, V: 0, M: 8, m: 8,
};
/** Allowed sizes for kind letters followed by a size (`<f4`, `|u1`, `<c16`...). */
const SIZED_KINDS: Record<string, readonly number[] | 'any'> = {
  b: [1], i: [1, 2, 4, 8], u: [1, 2, 4, 8], f: [2, 4, 8, 16], c: [8, 16, 32], M: [8], m: [8], S: 'any', a: 'any', U: 'any', V: 'any',
};
/** numpy type names numpy.dtype() accepts, with their itemsize; 'O' marks the object type. */
const NAMED_TYPES: Record<string, number | 'O'> = {
  bool: 1, bool_: 1, bool8: 1, int8: 1, int16: 2, int32: 4, int64: 8, uint8: 1, uint16: 2, uint32: 4, uint64: 8,
  float16: 2, float32: 4, float64: 8, float128: 16, complex64: 8, complex128: 16, complex256: 32,
  int: 8, int_: 8, uint: 8, float: 8, float_: 8, complex: 16, complex_: 16, double: 8, single: 4, half: 2,
  longdouble: 16, longfloat: 16, cdouble: 16, csingle: 8, clongdouble: 32, byte: 1, ubyte: 1, short: 2, ushort: 2,
  intc: 4, uintc: 4, long: 8, ulong: 8, longlong: 8, ulonglong: 8, intp: 8, uintp: 8,
  str: 0, str_: 0, unicode: 0, unicode_: 0, bytes: 0, bytes_: 0, string_: 0, void: 0, datetime64: 8, timedelta64: 8,
  object: 'O', object_: 'O', object0: 'O',
};

/**
 * What antidote knows about one (sub)dtype: whether it holds objects, its itemsize, whether it is an unsized
 * flexible type (`S`, `U`, `V` without a size: `(flexible, n)` then means itemsize n, not a shape), and
 * whether numpy would see it as a plain void (a `V` type or a subarray), which descr_to_dtype drops as
 * padding when its field name is empty.
 */
interface Dtype {
  hasObject: boolean;
  itemSize: bigint | null;
  unsized: 'S' | 'U' | 'V' | null;
  plainVoid: boolean;
}

const UNSIZED_NAMES: Record<string, 'S' | 'U' | 'V'> = { str: 'U', str_: 'U', unicode: 'U', unicode_: 'U', bytes: 'S', bytes_: 'S', string_: 'S', void: 'V' };

/** One base type string such as `<f4`, `|O`, `U5`, `float32`, `M8[ns]`; null when antidote cannot interpret it. */
function baseType(text: string): Dtype | null {
  const body = /^[<>|=!]?(.*)$/s.exec(text)![1]!;
  const named = /^([a-z_]+[0-9]*)(\[[A-Za-z0-9]+\])?$/.exec(body);
  if (named && Object.prototype.hasOwnProperty.call(NAMED_TYPES, named[1]!)) {
    const size = NAMED_TYPES[named[1]!]!;
    if (named[2] && named[1] !== 'datetime64' && named[1] !== 'timedelta64') return null;
    if (size === 'O') return { hasObject: true, itemSize: 8n, unsized: null, plainVoid: false };
    const unsized = UNSIZED_NAMES[named[1]!] ?? null;
    return { hasObject: false, itemSize: BigInt(size), unsized, plainVoid: unsized === 'V' };
  }
  const coded = /^([?a-zA-Z])([0-9]*)(\[[A-Za-z0-9]+\])?$/.exec(body);
  if (!coded) return null;
  const [, kind, digits, unit] = coded as unknown as [string, string, string, string | undefined];
  if (unit !== undefined && kind !== 'M' && kind !== 'm') return null;
  if (kind === 'O') return digits === '' || digits === '4' || digits === '8' ? { hasObject: true, itemSize: 8n, unsized: null, plainVoid: false } : null;
  const flexible = kind === 'S' || kind === 'a' ? 'S' : kind === 'U' || kind === 'V' ? kind : null;
  if (digits === '') {
    const size = CHAR_SIZES[kind];
    if (size === undefined) return null;
    return { hasObject: false, itemSize: BigInt(size), unsized: flexible, plainVoid: kind === 'V' };
  }
  const allowed = SIZED_KINDS[kind];
  const size = Number(digits);
  if (allowed === undefined || (allowed !== 'any' && !allowed.includes(size))) return null;
  // A zero size ('U0', 'S0', 'V0') is still unsized to numpy.
  return { hasObject: false, itemSize: BigInt(kind === 'U' ? size * 4 : size), unsized: size === 0 ? flexible : null, plainVoid: kind === 'V' };
}

/** Split a comma-form dtype string (`'i4, (2,3)f8, O'`) at its top-level commas. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** A numpy dtype string, including the comma form (`'i4, (2,3)f8, O'`, `'2O'`); null when not understood. */
function typeString(text: string): Dtype | null {
  if (!text.includes(',') && !/^[(0-9]/.test(text)) return baseType(text);
  const parts = splitTopLevel(text).map((part) => part.trim());
  // numpy accepts one trailing comma ('int8,' is int8).
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  const fields: Dtype[] = [];
  for (const part of parts) {
    const shaped = /^(?:\(\s*([0-9]+(?:\s*,\s*[0-9]+)*)?\s*,?\s*\)|([0-9]+))?\s*(.+)$/s.exec(part);
    if (!shaped) return null;
    const base = baseType(shaped[3]!);
    if (base === null) return null;
    const dims = shaped[1] ?? shaped[2];
    if (dims === undefined) {
      fields.push(base);
      continue;
    }
    const count = dims.split(',').reduce((product, dim) => product * BigInt(dim.trim() || '1'), 1n);
    fields.push({ hasObject: base.hasObject, itemSize: base.itemSize === null ? null : base.itemSize * count, unsized: null, plainVoid: true });
  }
  if (fields.length === 1) return fields[0]!;
  // Several parts make a structured dtype with names f0, f1...: never padding.
  return {
    hasObject: fields.some((field) => field.hasObject),
    itemSize: fields.reduce<bigint | null>((sum, field) => (sum === null || field.itemSize === null ? null : sum + field.itemSize), 0n),
    unsized: null,
    plainVoid: false,
  };
}

/** Elements in a subarray shape (an int or a sequence of ints), or null when it is not one. */
function shapeCount(shape: PyValue): bigint | null {
  if (shape.kind === 'int') return shape.value;
  if (shape.kind === 'bool') return shape.value ? 1n : 0n;
  if (shape.kind !== 'tuple' && shape.kind !== 'list') return null;
  let count = 1n;
  for (const dim of shape.items) {
    if (dim.kind !== 'int' && dim.kind !== 'bool') return null;
    count *= dim.kind === 'int' ? dim.value : dim.value ? 1n : 0n;
  }
  return count;
}

/** numpy.dtype((sub, shape)): a size for unsized flexible types, the type itself for () or 1, else a subarray. */
function withShape(sub: Dtype, shape: PyValue): Dtype {
  if (shape.kind === 'int' && sub.unsized !== null) {
    const itemSize = shape.value * (sub.unsized === 'U' ? 4n : 1n);
    return { hasObject: sub.hasObject, itemSize, unsized: itemSize === 0n ? sub.unsized : null, plainVoid: sub.unsized === 'V' };
  }
  if ((shape.kind === 'tuple' && shape.items.length === 0) || (shape.kind === 'int' && shape.value === 1n)) return sub;
  const count = shapeCount(shape);
  const itemSize = sub.itemSize === null || count === null ? null : sub.itemSize * count;
  // A zero-byte subarray behaves as an unsized void when shaped again: ((t, 0), 1) is V1.
  return { hasObject: sub.hasObject, itemSize, unsized: itemSize === 0n && !sub.hasObject ? 'V' : null, plainVoid: true };
}

/** The items numpy's `for field in descr` would see, or null when iterating fails. */
function iterate(value: PyValue): PyValue[] | null {
  switch (value.kind) {
    case 'list':
    case 'tuple':
    case 'set':
      return value.items;
    case 'dict':
      return value.entries.map(([key]) => key);
    case 'str': {
      // A field given as a string unpacks into its characters; only 2 or 3 of them can make a field, so a
      // long string is cut short here instead of being split into a million pieces.
      const chars = Array.from(value.value.slice(0, 8)).slice(0, 4);
      return chars.map((char) => ({ kind: 'str', value: char }) as const);
    }
    default:
      return null;
  }
}

/**
 * Interpret a parsed `descr`. Returns `{invalid}` when numpy's descr_to_dtype would raise on its structure
 * (np.load then fails before touching the data); strings it does not know are recorded in `unknown`.
 */
export function analyzeDescr(descr: PyValue): DtypeInfo | DtypeError {
  const unknown: string[] = [];
  const visit = (value: PyValue): Dtype | DtypeError => {
    if (value.kind === 'str') {
      const parsed = typeString(value.value);
      if (parsed) return parsed;
      unknown.push(value.value);
      return { hasObject: /O|object/.test(value.value), itemSize: null, unsized: null, plainVoid: false };
    }
    if (value.kind === 'tuple') {
      const [sub, shape] = value.items;
      if (sub === undefined || shape === undefined) return { invalid: 'a (subdtype, shape) tuple needs two items' };
      const inner = visit(sub);
      return 'invalid' in inner ? inner : withShape(inner, shape);
    }
    const fields = iterate(value);
    if (fields === null) return { invalid: `a ${value.kind} is not a dtype descriptor` };
    let hasObject = false;
    let itemSize: bigint | null = 0n;
    for (const field of fields) {
      const parts = iterate(field);
      if (parts === null || (parts.length !== 2 && parts.length !== 3)) {
        return { invalid: 'a structured dtype field must be (name, descr) or (name, descr, shape)' };
      }
      const inner = visit(parts[1]!);
      if ('invalid' in inner) return inner;
      const dtype = parts.length === 3 ? withShape(inner, parts[2]!) : inner;
      // descr_to_dtype drops padding fields (empty name, plain void type) but keeps their bytes.
      const name = parts[0]!;
      const padding = name.kind === 'str' && name.value === '' && dtype.plainVoid;
      if (!padding) hasObject ||= dtype.hasObject;
      itemSize = itemSize === null || dtype.itemSize === null ? null : itemSize + dtype.itemSize;
    }
    // numpy sizes a structured dtype without fields inconsistently once shapes are applied to it
    // (([], 2) has itemsize 0, (([], 0), 1) has 1): leave its size unknown rather than guess.
    return { hasObject, itemSize: fields.length === 0 ? null : itemSize, unsized: null, plainVoid: false };
  };
  const result = visit(descr);
  if ('invalid' in result) return result;
  return { hasObject: result.hasObject, itemSize: result.itemSize, unknown };
}
