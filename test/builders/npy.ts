/**
 * Byte builder for .npy files (numpy/lib/format.py). With defaults the output is what `np.save` writes:
 * magic, version, header length, the header dict padded with spaces and a newline so that the data starts
 * on a 64-byte boundary, then the data. Hostile variants replace one part (the raw header text, the length
 * field, the version).
 */

/** A descr as numpy writes it: a type string, or a list of fields (name, descr[, shape]). */
export type NpyDescr = string | NpyField[];
/** One field of a structured dtype; the name may be (title, name). */
export type NpyField = [string | [string, string], NpyDescr] | [string | [string, string], NpyDescr, number[]];

/** What to build. */
export interface BuildNpyOptions {
  descr: NpyDescr;
  shape: number[];
  fortranOrder?: boolean;
  /** The array data (for an object dtype: a pickle). Defaults to zeros of the size the header implies, when simple. */
  data?: Buffer;
  /** Format version: 1 (u16 length, latin-1), 2 (u32, latin-1) or 3 (u32, UTF-8). */
  version?: 1 | 2 | 3;
  /** Header text written instead of the dict numpy would write (not padded). */
  rawHeader?: string;
  /** Header length field written instead of the real length. */
  headerLength?: number;
  /** Version bytes written instead of `[version, 0]`. */
  versionBytes?: [number, number];
}

/** Python repr of a str, as numpy writes it (single quotes). */
export function pyStr(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Python repr of a tuple of ints: `()`, `(3,)`, `(2, 3)`. */
export function pyTuple(items: number[]): string {
  if (items.length === 1) return `(${items[0]},)`;
  return `(${items.join(', ')})`;
}

/** Python literal of a descr, as `dtype.descr` reprs it. */
export function pyDescr(descr: NpyDescr): string {
  if (typeof descr === 'string') return pyStr(descr);
  const fields = descr.map((field) => {
    const [name, inner, shape] = field;
    const nameText = typeof name === 'string' ? pyStr(name) : `(${pyStr(name[0])}, ${pyStr(name[1])})`;
    return shape ? `(${nameText}, ${pyDescr(inner)}, ${pyTuple(shape)})` : `(${nameText}, ${pyDescr(inner)})`;
  });
  return `[${fields.join(', ')}]`;
}

/** The header dict np.save writes (before padding). */
export function npyHeaderText(descr: NpyDescr, shape: number[], fortranOrder = false): string {
  return `{'descr': ${pyDescr(descr)}, 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': ${pyTuple(shape)}, }`;
}

function defaultData(descr: NpyDescr, shape: number[]): Buffer {
  if (typeof descr !== 'string') return Buffer.alloc(0);
  const match = /^[<>|=]?([a-zA-Z])(\d+)(\[\w+\])?$/.exec(descr);
  if (!match) return Buffer.alloc(0);
  const itemSize = Number(match[2]) * (match[1] === 'U' ? 4 : 1);
  return Buffer.alloc(shape.reduce((product, dim) => product * dim, 1) * itemSize);
}

/** Build a .npy file. */
export function buildNpy(options: BuildNpyOptions): Buffer {
  const version = options.version ?? 1;
  const lengthBytes = version === 1 ? 2 : 4;
  const encoding = version === 3 ? 'utf8' : 'latin1';
  let header: Buffer;
  if (options.rawHeader !== undefined) {
    header = Buffer.from(options.rawHeader, encoding);
  } else {
    const text = npyHeaderText(options.descr, options.shape, options.fortranOrder);
    const prefix = 6 + 2 + lengthBytes;
    const unpadded = Buffer.byteLength(text, encoding) + 1;
    const padding = (64 - ((prefix + unpadded) % 64)) % 64;
    header = Buffer.from(`${text}${' '.repeat(padding)}\n`, encoding);
  }
  const lengthField = Buffer.alloc(lengthBytes);
  const declared = options.headerLength ?? header.length;
  if (lengthBytes === 2) lengthField.writeUInt16LE(declared);
  else lengthField.writeUInt32LE(declared);
  const [major, minor] = options.versionBytes ?? [version, 0];
  return Buffer.concat([
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, minor]),
    lengthField,
    header,
    options.data ?? defaultData(options.descr, options.shape),
  ]);
}
