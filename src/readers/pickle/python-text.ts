/*
 * Python's own readings of the text operands of protocol-0 opcodes. A scanner that reads `1_0` as 1 where
 * CPython reads 10, or keeps `po\x73ix` literally where CPython decodes `posix`, judges a different program
 * from the one that runs (found by red-teaming antidote itself). Anything CPython's C and pure-Python
 * unpicklers would read differently is refused rather than guessed.
 */

/** `int(text, 10)` as Python parses it (PyLong_FromString): whitespace, sign, digits with single `_` between. */
export function pythonIntBase10(text: string): number | null {
  const m = /^[\t\n\v\f\r ]*([+-]?)(\d(?:_?\d)*)[\t\n\v\f\r ]*$/.exec(text);
  if (!m) return null;
  const value = Number((m[1] === '-' ? '-' : '') + m[2]!.replace(/_/g, ''));
  return Number.isSafeInteger(value) ? value : null;
}

/**
 * The INT opcode operand. CPython's C unpickler uses `strtol(s, 0)` and falls back to `int(s, 0)`; the pure
 * Python unpickler (which joblib subclasses) uses `int(s, 0)`. They agree except for leading-zero decimals
 * (`010`: 8 in C, an error in Python), which are refused. Returns null when not a readable integer.
 */
export function pickleIntOperand(text: string): number | null {
  const m = /^[\t\n\v\f\r ]*([+-]?)(0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|0(?:_?0)*|[1-9](?:_?\d)*)[\t\n\v\f\r ]*$/.exec(text);
  if (!m) return null;
  const body = m[2]!.replace(/_/g, '');
  const value = Number(body.length > 1 && body[0] === '0' && /[xXoObB]/.test(body[1]!) ? body : Number.parseInt(body, 10));
  const signed = m[1] === '-' ? -value : value;
  return Number.isSafeInteger(signed) ? signed : null;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};

/**
 * The STRING opcode operand: a quoted Python bytes repr, unescaped as `codecs.escape_decode` does (`\xhh`,
 * octal `\ooo`, the simple escapes, backslash-newline; unknown escapes stay as written), read as latin1.
 * Returns null when the operand is not quoted (CPython raises).
 */
export function decodeStringOperand(raw: string): string | null {
  let text = raw;
  while (text.length > 0 && text.charCodeAt(text.length - 1) <= 0x20) text = text.slice(0, -1);
  if (text.length < 2 || text[0] !== text[text.length - 1] || (text[0] !== "'" && text[0] !== '"')) return null;
  const body = text.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\' || i + 1 >= body.length) {
      out += ch;
      continue;
    }
    const next = body[i + 1]!;
    if (next === '\n') {
      i += 1;
      continue;
    }
    if (SIMPLE_ESCAPES[next] !== undefined) {
      out += SIMPLE_ESCAPES[next];
      i += 1;
      continue;
    }
    if (next === 'x') {
      const hex = body.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return null; // escape_decode raises on a short \x escape
      out += String.fromCharCode(Number.parseInt(hex, 16));
      i += 3;
      continue;
    }
    const octal = /^[0-7]{1,3}/.exec(body.slice(i + 1))?.[0];
    if (octal) {
      out += String.fromCharCode(Number.parseInt(octal, 8) & 0xff);
      i += octal.length;
      continue;
    }
    out += ch;
  }
  return out;
}

/**
 * The UNICODE opcode operand, decoded as `raw_unicode_escape`: bytes are latin1 code points except `\uXXXX`
 * and `\UXXXXXXXX` after an odd number of backslashes. Returns null on a malformed escape (CPython raises).
 */
export function decodeRawUnicodeEscape(bytes: Buffer): string | null {
  const text = bytes.toString('latin1');
  let out = '';
  let backslashes = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\') {
      backslashes += 1;
      out += ch;
      continue;
    }
    if ((ch === 'u' || ch === 'U') && backslashes % 2 === 1) {
      const width = ch === 'u' ? 4 : 8;
      const hex = text.slice(i + 1, i + 1 + width);
      if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) return null;
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) return null;
      out = out.slice(0, -1) + String.fromCodePoint(code);
      i += width;
      backslashes = 0;
      continue;
    }
    backslashes = 0;
    out += ch;
  }
  return out;
}
