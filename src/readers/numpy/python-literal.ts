import { fail, ok, type ReadResult } from '../../core/index.js';

/**
 * A parser for the Python literals `ast.literal_eval` accepts, as far as a .npy header can use them: str
 * and bytes (every quote style, prefix and escape, adjacent literals concatenated), int (any base,
 * underscores, one sign), float, complex (recognised, never used), True/False/None, tuple, list, set and
 * dict. Never evaluates anything. Where Python and a naive parser differ an attacker can hide an object
 * dtype, so this follows Python: the last of duplicate dict keys wins, `'|' 'O'` is `'|O'`, and `'\x4f'`
 * and `'\N{LATIN CAPITAL LETTER O}'` are `'O'`.
 */

/** A parsed literal. Tuples and lists stay apart because numpy gives them different meanings in `descr`. */
export type PyValue =
  | { kind: 'str'; value: string }
  | { kind: 'bytes'; value: Buffer }
  | { kind: 'int'; value: bigint }
  | { kind: 'float'; value: number }
  | { kind: 'complex' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' }
  | { kind: 'ellipsis' }
  | { kind: 'tuple'; items: PyValue[] }
  | { kind: 'list'; items: PyValue[] }
  | { kind: 'set'; items: PyValue[] }
  | { kind: 'dict'; entries: Array<[PyValue, PyValue]> };

/** Options for parsePythonLiteral. */
export interface PythonLiteralOptions {
  /**
   * Drop a Python 2 `L` after a number, as numpy's `_filter_header` does for format versions 1.0 and 2.0
   * (headers written by Python 2 numpy say `(3L, 4L)`).
   */
  longSuffix?: boolean;
}

/**
 * Brackets nested at most this deep. CPython's tokenizer stops at 200 levels ("too many nested
 * parentheses"), so nothing deeper can load; it also bounds the recursion here (CWE-674).
 */
export const MAX_LITERAL_DEPTH = 200;
/**
 * Digits in a decimal int. CPython 3.11+ refuses longer decimal literals (sys.int_info.default_max_str_digits)
 * and BigInt parsing of longer ones is quadratic.
 */
export const MAX_DECIMAL_DIGITS = 4300;

/** Where parsing stopped and why; `index` is a UTF-16 index into the text. */
class LiteralError {
  constructor(
    readonly index: number,
    readonly message: string,
  ) {}
}

/** Parse the whole of `text` as one Python literal. Errors carry `offset` as an index into `text`. */
export function parsePythonLiteral(text: string, options: PythonLiteralOptions = {}): ReadResult<PyValue> {
  try {
    const parser = new LiteralParser(text, options.longSuffix ?? false);
    const value = parser.parseTop();
    return ok(value);
  } catch (error) {
    if (error instanceof LiteralError) return fail({ kind: 'malformed', offset: error.index, message: error.message });
    throw error;
  }
}

/** A JSON-safe copy: tuples, lists and sets become arrays, ints numbers (decimal strings past 2^53), bytes latin1 strings. */
export function toPlain(value: PyValue): unknown {
  switch (value.kind) {
    case 'str':
    case 'float':
    case 'bool':
      return value.value;
    case 'bytes':
      return value.value.toString('latin1');
    case 'int':
      return value.value >= BigInt(Number.MIN_SAFE_INTEGER) && value.value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(value.value)
        : value.value.toString();
    case 'complex':
      return 'complex';
    case 'ellipsis':
      return '...';
    case 'none':
      return null;
    case 'tuple':
    case 'list':
    case 'set':
      return value.items.map(toPlain);
    case 'dict':
      return value.entries.map(([key, item]) => [toPlain(key), toPlain(item)]);
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

const PUNCTUATION_NAMES: Record<string, string> = {
  SPACE: ' ',
  'EXCLAMATION MARK': '!',
  'QUOTATION MARK': '"',
  'NUMBER SIGN': '#',
  'DOLLAR SIGN': '$',
  'PERCENT SIGN': '%',
  AMPERSAND: '&',
  APOSTROPHE: "'",
  'LEFT PARENTHESIS': '(',
  'RIGHT PARENTHESIS': ')',
  ASTERISK: '*',
  'PLUS SIGN': '+',
  COMMA: ',',
  'HYPHEN-MINUS': '-',
  'FULL STOP': '.',
  SOLIDUS: '/',
  COLON: ':',
  SEMICOLON: ';',
  'LESS-THAN SIGN': '<',
  'EQUALS SIGN': '=',
  'GREATER-THAN SIGN': '>',
  'QUESTION MARK': '?',
  'COMMERCIAL AT': '@',
  'LEFT SQUARE BRACKET': '[',
  'REVERSE SOLIDUS': '\\',
  'RIGHT SQUARE BRACKET': ']',
  'CIRCUMFLEX ACCENT': '^',
  'LOW LINE': '_',
  'GRAVE ACCENT': '`',
  'LEFT CURLY BRACKET': '{',
  'VERTICAL LINE': '|',
  'RIGHT CURLY BRACKET': '}',
  TILDE: '~',
};
const DIGIT_NAMES = ['ZERO', 'ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX', 'SEVEN', 'EIGHT', 'NINE'];

/**
 * The character a `\N{name}` escape stands for. Only printable ASCII is resolved (every character a dtype
 * string can use); other names become U+FFFD, which no dtype string accepts, so nothing is hidden by it.
 */
function characterNamed(name: string): string {
  const upper = name.toUpperCase().replace(/\s+/g, ' ').trim();
  const letter = /^LATIN (CAPITAL|SMALL) LETTER ([A-Z])$/.exec(upper);
  if (letter) return letter[1] === 'CAPITAL' ? letter[2]! : letter[2]!.toLowerCase();
  const digit = /^DIGIT ([A-Z]+)$/.exec(upper);
  if (digit && DIGIT_NAMES.includes(digit[1]!)) return String(DIGIT_NAMES.indexOf(digit[1]!));
  return PUNCTUATION_NAMES[upper] ?? '\ufffd';
}

/** Python refuses lists, dicts and sets (and tuples holding them) as dict keys and set items. */
function hashable(value: PyValue): boolean {
  if (value.kind === 'list' || value.kind === 'dict' || value.kind === 'set') return false;
  return value.kind !== 'tuple' || value.items.every(hashable);
}

const IDENTIFIER_START = /[A-Za-z_\u0080-\uffff]/;
const IDENTIFIER_PART = /[A-Za-z0-9_\u0080-\uffff]/;

class LiteralParser {
  private index = 0;
  /** Open brackets: inside them newlines are plain whitespace, as in Python. */
  private depth = 0;
  /** From here on only whitespace and comments follow (set by onlySpaceRemains). */
  private quietFrom = Number.POSITIVE_INFINITY;

  constructor(
    private readonly text: string,
    private readonly longSuffix: boolean,
  ) {}

  parseTop(): PyValue {
    // Python ignores blank and comment-only lines before the expression.
    this.depth++;
    this.skipSpace();
    this.depth--;
    const first = this.parseExpression();
    this.skipSpace();
    if (this.peek() === ',') {
      // A bare `a, b` at the top level is a tuple in Python's eval mode.
      const items = [first];
      while (this.peek() === ',') {
        this.index++;
        this.skipSpace();
        if (this.atEnd()) break;
        items.push(this.parseExpression());
        this.skipSpace();
      }
      this.expectEnd();
      return { kind: 'tuple', items };
    }
    this.expectEnd();
    return first;
  }

  private expectEnd(): void {
    this.skipSpace(true);
    if (!this.atEnd()) throw new LiteralError(this.index, `unexpected ${this.describe()} after the literal`);
  }

  private atEnd(): boolean {
    return this.index >= this.text.length;
  }

  private peek(offset = 0): string {
    return this.text[this.index + offset] ?? '';
  }

  private describe(): string {
    return this.atEnd() ? 'end of header' : JSON.stringify(this.peek());
  }

  /** Skip spaces, tabs, form feeds, comments and line continuations; newlines only inside brackets or at the end. */
  private skipSpace(trailing = false): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\f') {
        this.index++;
      } else if (c === '\n' || c === '\r') {
        if (this.depth === 0 && !trailing && !this.onlySpaceRemains()) {
          throw new LiteralError(this.index, 'line break outside brackets');
        }
        this.index++;
      } else if (c === '#') {
        while (!this.atEnd() && this.peek() !== '\n' && this.peek() !== '\r') this.index++;
      } else if (c === '\\' && (this.peek(1) === '\n' || this.peek(1) === '\r')) {
        this.index += this.peek(1) === '\r' && this.peek(2) === '\n' ? 3 : 2;
      } else if (c === '\0') {
        throw new LiteralError(this.index, 'NUL byte in the header (Python refuses source with null bytes)');
      } else {
        return;
      }
    }
  }

  /**
   * True when only whitespace and comments follow (a trailing newline is fine outside brackets). Linear: the
   * first `true` is remembered, so a header padded with a million newlines is scanned once, not a million times.
   */
  private onlySpaceRemains(): boolean {
    if (this.index >= this.quietFrom) return true;
    for (let i = this.index; i < this.text.length; i++) {
      const c = this.text[i];
      if (c === '#') {
        while (i < this.text.length && this.text[i] !== '\n' && this.text[i] !== '\r') i++;
      } else if (c !== ' ' && c !== '\t' && c !== '\f' && c !== '\n' && c !== '\r') {
        return false;
      }
    }
    this.quietFrom = this.index;
    return true;
  }

  private enter(): void {
    if (++this.depth > MAX_LITERAL_DEPTH) {
      throw new LiteralError(this.index, `brackets nested deeper than ${MAX_LITERAL_DEPTH} (CPython refuses them)`);
    }
  }

  private parseExpression(): PyValue {
    this.skipSpace();
    const c = this.peek();
    if (c === '-' || c === '+') {
      const start = this.index;
      this.index++;
      this.skipSpace();
      const next = this.peek();
      if (!/[0-9.]/.test(next)) throw new LiteralError(start, 'a sign applies only to a number literal');
      return this.complexTail(this.applySign(this.parseNumber(), c === '-', start));
    }
    if (c === '.' && this.text.startsWith('...', this.index)) {
      this.index += 3;
      return { kind: 'ellipsis' };
    }
    if (c === '(') return this.parseParenthesized();
    if (c === '[') return { kind: 'list', items: this.parseSequence('[', ']') };
    if (c === '{') return this.parseBraces();
    if (/[0-9.]/.test(c)) {
      if (c === '.' && !/[0-9]/.test(this.peek(1))) throw new LiteralError(this.index, 'unexpected "."');
      return this.complexTail(this.parseNumber());
    }
    if (c === "'" || c === '"') return this.parseStrings();
    if (IDENTIFIER_START.test(c)) {
      const start = this.index;
      let end = this.index;
      while (end < this.text.length && IDENTIFIER_PART.test(this.text[end]!)) end++;
      const word = this.text.slice(start, end);
      const quote = this.text[end];
      if ((quote === "'" || quote === '"') && /^(r|u|b|br|rb|f|fr|rf)$/i.test(word)) return this.parseStrings();
      this.index = end;
      if (word === 'True') return { kind: 'bool', value: true };
      if (word === 'False') return { kind: 'bool', value: false };
      if (word === 'None') return { kind: 'none' };
      throw new LiteralError(start, `name ${JSON.stringify(word)} is not a literal (ast.literal_eval refuses names)`);
    }
    throw new LiteralError(this.index, `unexpected ${this.describe()}`);
  }

  /** `1+2j` and `-1-2j`: literal_eval's one binary operation, a real number plus or minus an imaginary one. */
  private complexTail(left: PyValue): PyValue {
    if (left.kind !== 'int' && left.kind !== 'float') return left;
    const save = this.index;
    this.skipSpace();
    const op = this.peek();
    if (op === '+' || op === '-') {
      this.index++;
      this.skipSpace();
      if (/[0-9.]/.test(this.peek())) {
        const right = this.parseNumber();
        if (right.kind === 'complex') return right;
        throw new LiteralError(save, 'only an imaginary number may be added to a number literal');
      }
    }
    this.index = save;
    return left;
  }

  private applySign(value: PyValue, negative: boolean, start: number): PyValue {
    if (!negative) return value;
    if (value.kind === 'int') return { kind: 'int', value: -value.value };
    if (value.kind === 'float') return { kind: 'float', value: -value.value };
    if (value.kind === 'complex') return value;
    throw new LiteralError(start, 'a sign applies only to a number literal');
  }

  private parseNumber(): PyValue {
    const start = this.index;
    const rest = this.text.slice(start);
    const prefixed = /^0([xXoObB])(_?[0-9a-fA-F])+/.exec(rest);
    let value: PyValue;
    if (prefixed) {
      const base = prefixed[1]!.toLowerCase();
      const digits = prefixed[0].slice(2).replace(/_/g, '');
      const valid = base === 'x' ? /^[0-9a-fA-F]+$/ : base === 'o' ? /^[0-7]+$/ : /^[01]+$/;
      if (!valid.test(digits)) throw new LiteralError(start, `invalid digit in the int literal ${prefixed[0]}`);
      value = { kind: 'int', value: BigInt(`0${base}${digits}`) };
      this.index += prefixed[0].length;
    } else {
      const decimal = /^(?:(?:[0-9](?:_?[0-9])*)?\.(?:[0-9](?:_?[0-9])*)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?|[0-9](?:_?[0-9])*(?:[eE][+-]?[0-9](?:_?[0-9])*)?)/.exec(rest);
      if (!decimal || decimal[0] === '.') throw new LiteralError(start, 'invalid number literal');
      const token = decimal[0];
      this.index += token.length;
      if (this.peek() === 'j' || this.peek() === 'J') {
        this.index++;
        value = { kind: 'complex' };
      } else if (/[.eE]/.test(token)) {
        value = { kind: 'float', value: Number(token.replace(/_/g, '')) };
      } else {
        const digits = token.replace(/_/g, '');
        if (/^0+[1-9]/.test(digits)) throw new LiteralError(start, 'leading zeros in a decimal int literal (Python 3 refuses them)');
        if (digits.length > MAX_DECIMAL_DIGITS) {
          throw new LiteralError(start, `int literal of ${digits.length} digits (CPython refuses more than ${MAX_DECIMAL_DIGITS})`);
        }
        value = { kind: 'int', value: BigInt(digits) };
      }
    }
    if (this.longSuffix) {
      // numpy's _filter_header drops a NAME token `L` that follows a NUMBER token.
      let probe = this.index;
      while (this.text[probe] === ' ' || this.text[probe] === '\t') probe++;
      if (this.text[probe] === 'L' && !IDENTIFIER_PART.test(this.text[probe + 1] ?? '')) this.index = probe + 1;
    }
    if (IDENTIFIER_PART.test(this.peek())) throw new LiteralError(this.index, 'invalid number literal (letters after the digits)');
    return value;
  }

  private parseParenthesized(): PyValue {
    const start = this.index;
    this.index++;
    this.enter();
    this.skipSpace();
    if (this.peek() === ')') {
      this.index++;
      this.depth--;
      return { kind: 'tuple', items: [] };
    }
    const first = this.parseExpression();
    this.skipSpace();
    if (this.peek() === ')') {
      this.index++;
      this.depth--;
      return first;
    }
    if (this.peek() !== ',') throw new LiteralError(this.index, `expected "," or ")" in the tuple at ${start}, found ${this.describe()}`);
    const items = [first];
    while (this.peek() === ',') {
      this.index++;
      this.skipSpace();
      if (this.peek() === ')') break;
      items.push(this.parseExpression());
      this.skipSpace();
    }
    if (this.peek() !== ')') throw new LiteralError(this.index, `expected ")" to close the tuple at ${start}, found ${this.describe()}`);
    this.index++;
    this.depth--;
    return { kind: 'tuple', items };
  }

  private parseSequence(open: string, close: string): PyValue[] {
    const start = this.index;
    this.index++;
    this.enter();
    const items: PyValue[] = [];
    this.skipSpace();
    while (this.peek() !== close) {
      items.push(this.parseExpression());
      this.skipSpace();
      if (this.peek() === ',') {
        this.index++;
        this.skipSpace();
      } else if (this.peek() !== close) {
        throw new LiteralError(this.index, `expected "," or "${close}" in the ${open}${close} at ${start}, found ${this.describe()}`);
      }
    }
    this.index++;
    this.depth--;
    return items;
  }

  private parseBraces(): PyValue {
    const start = this.index;
    this.index++;
    this.enter();
    this.skipSpace();
    const entries: Array<[PyValue, PyValue]> = [];
    const items: PyValue[] = [];
    let isSet: boolean | null = null;
    while (this.peek() !== '}') {
      const keyAt = this.index;
      const key = this.parseExpression();
      if (!hashable(key)) throw new LiteralError(keyAt, `unhashable ${key.kind} as a dict key or set item (Python raises TypeError)`);
      this.skipSpace();
      if (isSet === null) isSet = this.peek() !== ':';
      if (isSet) {
        items.push(key);
      } else {
        if (this.peek() !== ':') throw new LiteralError(this.index, `expected ":" in the dict at ${start}, found ${this.describe()}`);
        this.index++;
        entries.push([key, this.parseExpression()]);
        this.skipSpace();
      }
      if (this.peek() === ',') {
        this.index++;
        this.skipSpace();
      } else if (this.peek() !== '}') {
        throw new LiteralError(this.index, `expected "," or "}" in the literal at ${start}, found ${this.describe()}`);
      }
    }
    this.index++;
    this.depth--;
    return isSet ? { kind: 'set', items } : { kind: 'dict', entries };
  }

  /** One or more adjacent string literals, concatenated; str and bytes cannot be mixed. */
  private parseStrings(): PyValue {
    const start = this.index;
    let text: string | null = null;
    let bytes: number[] | null = null;
    for (;;) {
      const piece = this.parseOneString();
      if (piece.bytes) {
        if (text !== null) throw new LiteralError(start, 'cannot mix bytes and str literals');
        bytes ??= [];
        for (const byte of piece.bytes) bytes.push(byte);
      } else {
        if (bytes !== null) throw new LiteralError(start, 'cannot mix bytes and str literals');
        text = (text ?? '') + piece.text;
      }
      const save = this.index;
      this.skipSpace();
      const c = this.peek();
      const prefixed = /^(r|u|b|br|rb|f|fr|rf)['"]/i.test(this.text.slice(this.index, this.index + 3));
      if (c !== "'" && c !== '"' && !prefixed) {
        this.index = save;
        break;
      }
    }
    return bytes !== null ? { kind: 'bytes', value: Buffer.from(bytes) } : { kind: 'str', value: text ?? '' };
  }

  private parseOneString(): { text: string; bytes: number[] | null } {
    const start = this.index;
    let prefix = '';
    while (/[a-zA-Z]/.test(this.peek())) prefix += this.text[this.index++]!;
    const lower = prefix.toLowerCase();
    if (lower.includes('f')) throw new LiteralError(start, 'f-strings are not literals (ast.literal_eval refuses them)');
    const raw = lower.includes('r');
    const isBytes = lower.includes('b');
    const quote = this.peek();
    const triple = this.text.startsWith(quote.repeat(3), this.index);
    const delimiter = triple ? quote.repeat(3) : quote;
    this.index += delimiter.length;
    let out = '';
    for (;;) {
      if (this.atEnd()) throw new LiteralError(start, 'unterminated string literal');
      if (this.text.startsWith(delimiter, this.index)) {
        this.index += delimiter.length;
        break;
      }
      const c = this.text[this.index]!;
      if (c === '\0') throw new LiteralError(this.index, 'NUL byte in the header (Python refuses source with null bytes)');
      if ((c === '\n' || c === '\r') && !triple) throw new LiteralError(this.index, 'line break inside a single-quoted string');
      if (c === '\\') {
        out += raw ? this.rawEscape() : this.escape(isBytes);
        continue;
      }
      if (isBytes && c.charCodeAt(0) > 0x7f) throw new LiteralError(this.index, 'bytes literals may hold only ASCII characters');
      out += c;
      this.index++;
    }
    if (!isBytes) return { text: out, bytes: null };
    const bytes: number[] = [];
    for (let i = 0; i < out.length; i++) bytes.push(out.charCodeAt(i) & 0xff);
    return { text: '', bytes };
  }

  /** In a raw string a backslash stays, and shields the next character (even a quote) from ending the string. */
  private rawEscape(): string {
    const next = this.text[this.index + 1];
    if (next === undefined) throw new LiteralError(this.index, 'unterminated string literal');
    this.index += 2;
    return `\\${next}`;
  }

  private escape(isBytes: boolean): string {
    const at = this.index;
    const next = this.text[at + 1];
    if (next === undefined) throw new LiteralError(at, 'unterminated string literal');
    if (next === '\n') {
      this.index += 2;
      return '';
    }
    if (next === '\r') {
      this.index += this.text[at + 2] === '\n' ? 3 : 2;
      return '';
    }
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      this.index += 2;
      return simple;
    }
    if (/[0-7]/.test(next)) {
      const digits = /^[0-7]{1,3}/.exec(this.text.slice(at + 1, at + 4))![0];
      this.index += 1 + digits.length;
      const code = parseInt(digits, 8);
      if (isBytes && code > 0xff) throw new LiteralError(at, 'octal escape above \\377 in bytes');
      return String.fromCodePoint(code);
    }
    const hex = (length: number): string => {
      const digits = this.text.slice(at + 2, at + 2 + length);
      if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(digits)) throw new LiteralError(at, `truncated \\${next} escape`);
      const code = parseInt(digits, 16);
      if (code > 0x10ffff) throw new LiteralError(at, `\\${next} escape out of range`);
      this.index = at + 2 + length;
      return String.fromCodePoint(code);
    };
    if (next === 'x') return hex(2);
    if (!isBytes && next === 'u') return hex(4);
    if (!isBytes && next === 'U') return hex(8);
    if (!isBytes && next === 'N') {
      const close = this.text.indexOf('}', at);
      if (this.text[at + 2] !== '{' || close < 0) throw new LiteralError(at, 'malformed \\N{...} escape');
      this.index = close + 1;
      return characterNamed(this.text.slice(at + 3, close));
    }
    // Unknown escapes keep their backslash (Python warns but accepts them).
    this.index += 1;
    return '\\';
  }
}
