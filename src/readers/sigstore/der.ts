/*
 * A strict DER reader for the few ASN.1 structures a Sigstore verifier needs (X.509 certificates and their
 * extensions). Certificates in a signature bundle are attacker-supplied bytes, so every length is checked
 * against the bytes that remain before anything is sliced, nesting is bounded, and only definite, minimal
 * lengths are accepted (BER's indefinite form is how parser differentials between verifiers start).
 */

/** Nesting depth of constructed values. X.509 nests about 8 deep; deeper input is hostile (CWE-674). */
export const MAX_DER_DEPTH = 24;

/** Elements inside one constructed value (extensions, SAN entries, EKU OIDs). Far above real certificates (CWE-770). */
export const MAX_DER_CHILDREN = 4096;

/** Arcs in one OBJECT IDENTIFIER; real OIDs have fewer than 20. */
export const MAX_OID_ARCS = 64;

/** ASN.1 universal tag numbers used by the X.509 reader. */
export const DER_TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x10,
  SET: 0x11,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
} as const;

/** One decoded element: the tag split into its parts, the whole encoding and the value bytes. */
export interface DerElement {
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  tagClass: number;
  constructed: boolean;
  tagNumber: number;
  /** Tag, length and value: what a signature over this element covers. */
  raw: Buffer;
  value: Buffer;
  /** Nesting depth of this element (the outermost is 0). */
  depth: number;
}

/** Thrown inside this folder only; the exported readers turn it into a `ReadResult` failure. */
export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

function readElementAt(buffer: Buffer, offset: number, depth: number): { element: DerElement; next: number } {
  if (depth > MAX_DER_DEPTH) throw new DerError(`nesting deeper than ${MAX_DER_DEPTH}`);
  if (offset >= buffer.length) throw new DerError(`element expected at byte ${offset}, found the end`);
  const first = buffer[offset] ?? 0;
  const tagNumber = first & 0x1f;
  // High tag numbers (31+) never occur in the structures read here; refusing them keeps the reader small.
  if (tagNumber === 0x1f) throw new DerError(`high tag number form at byte ${offset} is not supported`);
  let position = offset + 1;
  if (position >= buffer.length) throw new DerError(`length missing at byte ${position}`);
  const lengthByte = buffer[position] ?? 0;
  position += 1;
  let length: number;
  if (lengthByte < 0x80) {
    length = lengthByte;
  } else {
    const count = lengthByte & 0x7f;
    if (count === 0) throw new DerError(`indefinite length at byte ${offset} (not DER)`);
    if (count > 4) throw new DerError(`length of ${count} bytes at byte ${offset} is beyond any certificate`);
    if (position + count > buffer.length) throw new DerError(`length bytes cut off at byte ${position}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buffer[position + i] ?? 0);
    if ((buffer[position] ?? 0) === 0 || length < 0x80) throw new DerError(`non-minimal length at byte ${offset} (not DER)`);
    position += count;
  }
  if (length > buffer.length - position) {
    throw new DerError(`element at byte ${offset} declares ${length} bytes but ${buffer.length - position} remain`);
  }
  const end = position + length;
  return {
    element: {
      tagClass: first >> 6,
      constructed: (first & 0x20) !== 0,
      tagNumber,
      raw: buffer.subarray(offset, end),
      value: buffer.subarray(position, end),
      depth,
    },
    next: end,
  };
}

/** Decode exactly one element that fills `buffer`; trailing bytes are an error. */
export function decodeDer(buffer: Buffer, depth = 0): DerElement {
  const { element, next } = readElementAt(buffer, 0, depth);
  if (next !== buffer.length) throw new DerError(`${buffer.length - next} trailing bytes after the element`);
  return element;
}

/** The elements inside a constructed element. */
export function derChildren(element: DerElement): DerElement[] {
  if (!element.constructed) throw new DerError('expected a constructed element');
  const children: DerElement[] = [];
  let offset = 0;
  while (offset < element.value.length) {
    if (children.length >= MAX_DER_CHILDREN) throw new DerError(`more than ${MAX_DER_CHILDREN} elements in one value`);
    const { element: child, next } = readElementAt(element.value, offset, element.depth + 1);
    children.push(child);
    offset = next;
  }
  return children;
}

/** True for a universal-class element with this tag number. */
export function isUniversal(element: DerElement | undefined, tagNumber: number): element is DerElement {
  return element !== undefined && element.tagClass === 0 && element.tagNumber === tagNumber;
}

/** True for a context-specific `[n]` element. */
export function isContext(element: DerElement | undefined, tagNumber: number): element is DerElement {
  return element !== undefined && element.tagClass === 2 && element.tagNumber === tagNumber;
}

/** Require a universal element with `tagNumber`; `what` names it in the error. */
export function expectUniversal(element: DerElement | undefined, tagNumber: number, what: string): DerElement {
  if (!isUniversal(element, tagNumber)) throw new DerError(`${what}: expected universal tag ${tagNumber}`);
  return element;
}

/** Dotted form of an OBJECT IDENTIFIER. */
export function decodeOid(element: DerElement): string {
  if (!isUniversal(element, DER_TAG.OID) || element.constructed) throw new DerError('expected an OBJECT IDENTIFIER');
  const bytes = element.value;
  if (bytes.length === 0) throw new DerError('empty OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let value = 0;
  let started = false;
  for (const byte of bytes) {
    if (!started && byte === 0x80) throw new DerError('non-minimal OBJECT IDENTIFIER arc');
    started = true;
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError('OBJECT IDENTIFIER arc too large');
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      if (arcs.length > MAX_OID_ARCS) throw new DerError(`more than ${MAX_OID_ARCS} OBJECT IDENTIFIER arcs`);
      value = 0;
      started = false;
    }
  }
  if (started) throw new DerError('OBJECT IDENTIFIER ends inside an arc');
  const head = arcs[0] ?? 0;
  const top = head < 40 ? 0 : head < 80 ? 1 : 2;
  return [top, head - top * 40, ...arcs.slice(1)].join('.');
}

/** A DER BOOLEAN (0x00 or 0xff only). */
export function decodeBoolean(element: DerElement): boolean {
  if (!isUniversal(element, DER_TAG.BOOLEAN) || element.value.length !== 1) throw new DerError('expected a BOOLEAN');
  const byte = element.value[0];
  if (byte === 0xff) return true;
  if (byte === 0x00) return false;
  throw new DerError('BOOLEAN that is neither 0x00 nor 0xff (not DER)');
}

/** A small non-negative INTEGER (path lengths, versions). */
export function decodeSmallInteger(element: DerElement): number {
  if (!isUniversal(element, DER_TAG.INTEGER) || element.value.length === 0) throw new DerError('expected an INTEGER');
  if (element.value.length > 6) throw new DerError('INTEGER too large for this field');
  if ((element.value[0] ?? 0) & 0x80) throw new DerError('negative INTEGER where a count was expected');
  return element.value.reduce((acc, byte) => acc * 256 + byte, 0);
}

/** The bits of a BIT STRING, most significant bit of the first byte first. */
export function decodeBitString(element: DerElement): { unusedBits: number; bytes: Buffer } {
  if (!isUniversal(element, DER_TAG.BIT_STRING) || element.value.length === 0) throw new DerError('expected a BIT STRING');
  const unusedBits = element.value[0] ?? 0;
  if (unusedBits > 7 || (element.value.length === 1 && unusedBits !== 0)) throw new DerError('BIT STRING with a bad unused-bits count');
  return { unusedBits, bytes: element.value.subarray(1) };
}

/** UTCTime or GeneralizedTime in the `Z` forms RFC 5280 allows. */
export function decodeTime(element: DerElement): Date {
  const text = element.value.toString('latin1');
  let match: RegExpExecArray | null;
  let year: number;
  if (isUniversal(element, DER_TAG.UTC_TIME)) {
    match = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (!match) throw new DerError(`UTCTime '${text}' is not YYMMDDHHMMSSZ`);
    const yy = Number(match[1]);
    // RFC 5280 4.1.2.5.1: two-digit years 50-99 are 19xx, 00-49 are 20xx.
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (isUniversal(element, DER_TAG.GENERALIZED_TIME)) {
    match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (!match) throw new DerError(`GeneralizedTime '${text}' is not YYYYMMDDHHMMSSZ`);
    year = Number(match[1]);
  } else {
    throw new DerError('expected a UTCTime or GeneralizedTime');
  }
  const [month, day, hour, minute, second] = match.slice(2).map(Number) as [number, number, number, number, number];
  const time = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(time);
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new DerError(`time '${text}' is not a calendar date`);
  }
  return check;
}

/** Text of a string type used in certificates (UTF8String, IA5String, PrintableString). */
export function decodeString(element: DerElement): string {
  if (element.constructed) throw new DerError('constructed string (not DER)');
  if (element.tagClass !== 0) throw new DerError('expected a string type');
  if (element.tagNumber === DER_TAG.UTF8_STRING) return decodeUtf8Strict(element.value);
  if (element.tagNumber === DER_TAG.IA5_STRING || element.tagNumber === DER_TAG.PRINTABLE_STRING) {
    if (element.value.some((b) => b > 0x7f)) throw new DerError('non-ASCII byte in an ASCII string type');
    return element.value.toString('latin1');
  }
  throw new DerError('expected a string type');
}

/** UTF-8 that rejects invalid sequences instead of replacing them (an identity must compare byte for byte). */
export function decodeUtf8Strict(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DerError('invalid UTF-8');
  }
}
