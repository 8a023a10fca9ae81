/*
 * Strings inside a Python `marshal` dump, found without unmarshalling. Keras stores a Lambda layer's function
 * as base64 of `marshal.dumps(func.__code__)` (func_dump in keras utils); loading it rebuilds and runs the
 * code object. The names it uses (co_names: `os`, `system`, `__import__`) and its string constants are stored
 * as marshal string objects: a type byte (optionally OR'd with FLAG_REF 0x80) and a length, then the bytes.
 * A linear scan for those records recovers them for evidence; bytecode (`s` records) is skipped whole.
 * The layout differs between Python versions but these record types have been stable since 3.4.
 */

/** marshal TYPE_CODE ('c'); a dump of a code object starts with it (with FLAG_REF: 0xe3). */
const TYPE_CODE = 0x63;
const FLAG_REF = 0x80;
/** Short ASCII strings (1-byte length): TYPE_SHORT_ASCII 'z', TYPE_SHORT_ASCII_INTERNED 'Z'. */
const SHORT_STRINGS = new Set([0x7a, 0x5a]);
/** Strings with a 4-byte length: ASCII 'a', ASCII interned 'A', unicode 'u', interned 't'. */
const LONG_STRINGS = new Set([0x61, 0x41, 0x75, 0x74]);
/** Bytes ('s'): co_code and co_lnotab; skipped so bytecode is not read as strings. */
const TYPE_BYTES = 0x73;
/** Control characters other than tab and newlines: not a string a person wrote. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
/** Longest string kept; longer constants are clipped (they are evidence, not data). */
const MAX_KEPT_STRING = 200;

/** True when `bytes` is a marshalled code object. */
export function isMarshalCode(bytes: Buffer): boolean {
  return bytes.length > 16 && (bytes[0]! & ~FLAG_REF) === TYPE_CODE;
}

/** Printable strings found in marshal records, in order, without duplicates; at most `max`. */
export function marshalStrings(bytes: Buffer, max: number): string[] {
  const found = new Set<string>();
  let i = 0;
  while (i < bytes.length && found.size < max) {
    const type = bytes[i]! & ~FLAG_REF;
    if (SHORT_STRINGS.has(type) && i + 2 <= bytes.length) {
      const length = bytes[i + 1]!;
      if (length > 0 && i + 2 + length <= bytes.length && printable(bytes, i + 2, length)) {
        found.add(bytes.toString('latin1', i + 2, i + 2 + Math.min(length, MAX_KEPT_STRING)));
        i += 2 + length;
        continue;
      }
    } else if ((LONG_STRINGS.has(type) || type === TYPE_BYTES) && i + 5 <= bytes.length) {
      const length = bytes.readUInt32LE(i + 1);
      if (length > 0 && i + 5 + length <= bytes.length) {
        if (type === TYPE_BYTES) {
          i += 5 + length;
          continue;
        }
        const text = bytes.toString('utf8', i + 5, i + 5 + length);
        if (!text.includes('\ufffd') && !CONTROL.test(text)) {
          found.add(text.slice(0, MAX_KEPT_STRING));
          i += 5 + length;
          continue;
        }
      }
    }
    i++;
  }
  return [...found];
}

/** Bytes [start, start + length) are printable ASCII or tab/newline. */
function printable(bytes: Buffer, start: number, length: number): boolean {
  for (let j = start; j < start + length; j++) {
    const b = bytes[j]!;
    if ((b < 0x20 || b > 0x7e) && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  }
  return true;
}
