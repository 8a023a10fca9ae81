import type { SafetensorsMetadataEntry, SafetensorsProblem } from './header-types.js';

/*
 * A strict JSON reader (RFC 8259, as serde_json reads it) specialised to the safetensors header schema.
 * JSON.parse will not do for a scanner: it silently keeps the last of duplicated keys (where another parser
 * keeps the first, or refuses), rounds integers past 2^53 (so `data_offsets` could look valid when exact
 * arithmetic says otherwise), reads `1.0` as the integer 1 (serde refuses it for a usize), accepts lone
 * surrogate escapes (serde refuses them), and builds the whole tree in memory. This reader walks the bytes
 * once, keeps exact integers as BigInt, records every duplicate, and stores only what the schema needs:
 * values in unexpected places are checked for syntax and skipped without being kept.
 */

/** Largest value of a Rust usize on 64-bit targets: the reference's shape and offset type. */
export const U64_MAX = 2n ** 64n - 1n;
/** Decimal digits of U64_MAX; a longer integer lexeme is out of range without being converted. */
const MAX_U64_DIGITS = 20;

/** Bounds for one parse; see the named constants in read-header.ts for their reasons. */
export interface HeaderJsonLimits {
  maxTensors: number;
  maxShapeRank: number;
  maxMetadataEntries: number;
  maxJsonDepth: number;
  maxExcerptBytes: number;
}

/** A tensor entry with exact integers, before layout validation. */
export interface RawTensor {
  name: string;
  offset: number;
  dtype: string | null;
  shape: bigint[] | null;
  dataOffsets: [bigint, bigint] | null;
}

/** What the JSON walk produced. */
export interface ParsedHeaderJson {
  tensors: RawTensor[];
  metadata: SafetensorsMetadataEntry[] | null;
  /** Whitespace bytes after the object. */
  padding: number;
  /** True when the bytes are not the JSON the reference accepts; the fields hold what was read before. */
  syntaxError: boolean;
}

/** The JSON is not what serde_json accepts; reported as an `invalid-header` problem. */
class HeaderSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'HeaderSyntaxError';
  }
}

/** A named limit was reached while reading; the reader turns it into a `limit` failure. */
export class HeaderLimitError extends Error {
  constructor(
    readonly limit: string,
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'HeaderLimitError';
  }
}

/** Where problems go; the reader caps how many it keeps. */
export interface ProblemSink {
  add(problem: SafetensorsProblem): void;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const METADATA_KEY = '__metadata__';
const TENSOR_FIELDS = ['dtype', 'shape', 'data_offsets'] as const;

function isWhitespace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/** JSON type of the value starting with byte `c`, for messages. */
function kindOf(c: number | undefined): string {
  switch (c) {
    case OPEN_BRACE:
      return 'object';
    case OPEN_BRACKET:
      return 'array';
    case QUOTE:
      return 'string';
    case 0x74:
    case 0x66:
      return 'boolean';
    case 0x6e:
      return 'null';
    default:
      return c === MINUS || isDigit(c) ? 'number' : 'invalid value';
  }
}

/**
 * Walk the header bytes (`bytes` starts at file offset `base`) and return the tensor entries and metadata.
 * Schema problems go to `problems`; a syntax error ends the walk and is reported there too. Throws only
 * HeaderLimitError, when a count passes its limit (before anything more is stored).
 */
export function parseHeaderJson(bytes: Buffer, base: number, limits: HeaderJsonLimits, problems: ProblemSink): ParsedHeaderJson {
  const walker = new HeaderWalker(bytes, base, limits, problems);
  const result: ParsedHeaderJson = { tensors: walker.tensors, metadata: null, padding: 0, syntaxError: false };
  try {
    walker.header();
    result.padding = walker.padding;
  } catch (error) {
    if (!(error instanceof HeaderSyntaxError)) throw error;
    problems.add({ kind: 'invalid-header', message: `header is not the JSON the reference accepts: ${error.message}`, offset: error.offset });
    result.syntaxError = true;
  }
  result.tensors = walker.tensors;
  result.metadata = walker.metadata;
  return result;
}

class HeaderWalker {
  pos = 0;
  padding = 0;
  readonly tensors: RawTensor[] = [];
  metadata: SafetensorsMetadataEntry[] | null = null;
  /** Index into `tensors` of each name's entry; a duplicate replaces the entry (JSON.parse keeps the last). */
  private readonly byName = new Map<string, number>();
  private readonly firstOffset = new Map<string, number>();
  private entries = 0;

  constructor(
    private readonly b: Buffer,
    private readonly base: number,
    private readonly limits: HeaderJsonLimits,
    private readonly problems: ProblemSink,
  ) {}

  header(): void {
    this.ws();
    const leading = this.pos;
    if (this.pos >= this.b.length) this.fail('the header is empty or only whitespace');
    if (this.b[this.pos] !== OPEN_BRACE) this.fail(`the header is a JSON ${kindOf(this.b[this.pos])}, not an object`);
    if (leading > 0) {
      this.problems.add({
        kind: 'invalid-header',
        message: `header starts with ${leading} whitespace bytes before '{': the reference reads it, stricter parsers (and the format's own planned check) refuse it`,
        offset: this.base,
      });
    }
    this.members(() => {
      const keyAt = this.pos;
      const name = this.key(true);
      if (name === METADATA_KEY) this.metadataValue(keyAt);
      else this.tensorValue(name, keyAt);
    }, 'a tensor name');
    const end = this.pos;
    this.ws();
    if (this.pos < this.b.length) this.fail(`${this.b.length - this.pos} bytes after the JSON object are not whitespace`);
    this.padding = this.b.length - end;
  }

  // ---- schema ----

  private metadataValue(keyAt: number): void {
    if (this.firstOffset.has(METADATA_KEY)) {
      this.problems.add({
        kind: 'duplicate-name',
        message: `${METADATA_KEY} appears twice (first at byte ${this.firstOffset.get(METADATA_KEY)}): parsers disagree on which one counts`,
        offset: this.base + keyAt,
      });
    } else {
      this.firstOffset.set(METADATA_KEY, this.base + keyAt);
    }
    const c = this.valueStart();
    if (c === 0x6e) {
      this.literal('null');
      this.metadata = null;
      return;
    }
    if (c !== OPEN_BRACE) {
      this.problems.add({
        kind: 'invalid-metadata',
        message: `${METADATA_KEY} is a JSON ${kindOf(c)}, not a map of strings to strings: the reference refuses the file`,
        offset: this.base + this.pos,
      });
      this.skipValue(1);
      this.metadata = null;
      return;
    }
    const entries: SafetensorsMetadataEntry[] = [];
    /** Index into `entries` of each key; a duplicate replaces the value (JSON.parse keeps the last). */
    const seen = new Map<string, number>();
    let members = 0;
    this.members(() => {
      const keyAt = this.base + this.pos;
      if (members >= this.limits.maxMetadataEntries) {
        throw new HeaderLimitError('maxMetadataEntries', `${METADATA_KEY} has more than ${this.limits.maxMetadataEntries} entries`, keyAt);
      }
      members++;
      const key = this.key(true);
      const index = seen.get(key);
      if (index !== undefined) {
        this.problems.add({
          kind: 'duplicate-key',
          message: `${METADATA_KEY} key ${JSON.stringify(clip(key))} appears twice (first at byte ${entries[index]?.offset}): parsers disagree on which value counts`,
          offset: keyAt,
        });
      }
      const c = this.valueStart();
      if (c !== QUOTE) {
        this.problems.add({
          kind: 'invalid-metadata',
          message: `${METADATA_KEY} value of ${JSON.stringify(clip(key))} is a JSON ${kindOf(c)}, not a string: the reference refuses the file`,
          offset: this.base + this.pos,
        });
        this.skipValue(2);
        return;
      }
      const entry = { key, value: this.string(true), offset: keyAt };
      if (index !== undefined) entries[index] = entry;
      else {
        seen.set(key, entries.length);
        entries.push(entry);
      }
    }, 'a metadata key');
    this.metadata = entries;
  }

  private tensorValue(name: string, keyAt: number): void {
    if (this.entries >= this.limits.maxTensors) {
      throw new HeaderLimitError('maxTensors', `header declares more than ${this.limits.maxTensors} tensors`, this.base + keyAt);
    }
    this.entries++;
    const tensor: RawTensor = { name, offset: this.base + keyAt, dtype: null, shape: null, dataOffsets: null };
    const first = this.firstOffset.get(name);
    const existing = this.byName.get(name);
    if (first !== undefined && existing !== undefined) {
      this.problems.add({
        kind: 'duplicate-name',
        tensor: name,
        message: `tensor ${JSON.stringify(clip(name))} is declared twice (first at byte ${first}): JSON.parse and Python keep the last entry, other parsers the first or none, so loaders read different tensors`,
        offset: tensor.offset,
      });
      this.tensors[existing] = tensor;
    } else {
      this.firstOffset.set(name, tensor.offset);
      this.byName.set(name, this.tensors.length);
      this.tensors.push(tensor);
    }

    const c = this.valueStart();
    if (c !== OPEN_BRACE) {
      this.problems.add({ kind: 'invalid-tensor', tensor: name, message: `entry is a JSON ${kindOf(c)}, not {dtype, shape, data_offsets}`, offset: this.base + this.pos });
      this.skipValue(1);
      return;
    }
    const seen = new Set<string>();
    this.members(() => {
      const fieldAt = this.base + this.pos;
      const field = this.key(true);
      if (seen.has(field)) {
        this.problems.add({
          kind: 'duplicate-key',
          tensor: name,
          message: `field ${JSON.stringify(clip(field))} appears twice: serde refuses the entry, JSON.parse keeps the last value`,
          offset: fieldAt,
        });
      }
      seen.add(field);
      const valueAt = this.pos;
      const vc = this.valueStart();
      if (field === 'dtype') {
        if (vc === QUOTE) {
          tensor.dtype = this.string(true);
        } else {
          this.wrongType(name, 'dtype', 'a string', vc, valueAt);
          tensor.dtype = null;
        }
      } else if (field === 'shape') {
        if (vc === OPEN_BRACKET) tensor.shape = this.integers(name, 'shape', this.limits.maxShapeRank);
        else {
          this.wrongType(name, 'shape', 'an array of integers', vc, valueAt);
          tensor.shape = null;
        }
      } else if (field === 'data_offsets') {
        tensor.dataOffsets = null;
        if (vc === OPEN_BRACKET) {
          const values = this.integers(name, 'data_offsets', 2);
          if (values && values.length === 2) tensor.dataOffsets = [values[0]!, values[1]!];
          else if (values) {
            this.problems.add({
              kind: 'invalid-tensor',
              tensor: name,
              message: `data_offsets has ${values.length} entries, not [begin, end]`,
              offset: this.base + valueAt,
            });
          }
        } else {
          this.wrongType(name, 'data_offsets', '[begin, end]', vc, valueAt);
        }
      } else {
        this.skipValue(2);
        const length = Math.min(this.pos - valueAt, this.limits.maxExcerptBytes);
        this.problems.add({
          kind: 'unexpected-key',
          tensor: name,
          message: `entry has a field ${JSON.stringify(clip(field))} that the reference ignores`,
          offset: fieldAt,
          excerpt: this.b.toString('utf8', valueAt, valueAt + length),
        });
      }
    }, 'a field name');
    const missing = TENSOR_FIELDS.filter((f) => !seen.has(f));
    if (missing.length > 0) {
      this.problems.add({ kind: 'invalid-tensor', tensor: name, message: `entry lacks ${missing.join(', ')}`, offset: tensor.offset });
    }
  }

  private wrongType(name: string, field: string, expected: string, c: number | undefined, at: number): void {
    this.problems.add({ kind: 'invalid-tensor', tensor: name, message: `${field} is a JSON ${kindOf(c)}, not ${expected}`, offset: this.base + at });
    this.skipValue(2);
  }

  /**
   * An array of usize values (what serde reads `shape` and `data_offsets` into): integers with no fraction
   * or exponent, 0 <= n <= 2^64 - 1. Returns null (after reporting the first bad element) when one is not.
   * More than `keep` elements: shape is over its rank limit; data_offsets just keeps counting.
   */
  private integers(name: string, field: 'shape' | 'data_offsets', keep: number): bigint[] | null {
    const at = this.pos;
    this.pos++;
    const values: bigint[] = [];
    let count = 0;
    let bad: string | null = null;
    this.ws();
    if (this.b[this.pos] === CLOSE_BRACKET) {
      this.pos++;
      return values;
    }
    for (;;) {
      this.ws();
      count++;
      if (field === 'shape' && count > keep) {
        throw new HeaderLimitError('maxShapeRank', `tensor ${JSON.stringify(clip(name))} has a shape of more than ${keep} dimensions`, this.base + at);
      }
      const c = this.valueStart();
      if (c === MINUS || isDigit(c)) {
        const lexeme = this.number();
        if (!lexeme.integral) bad ??= 'a number with a fraction or exponent';
        else if (bad === null && values.length < keep) {
          const n = this.integerValue(lexeme);
          if (n < 0n) bad = 'a negative number';
          else if (n > U64_MAX) bad = 'a number beyond 2^64 - 1';
          else values.push(n);
        } else if (lexeme.negative && (lexeme.end - lexeme.start !== 2 || this.b[lexeme.start + 1] !== 0x30)) {
          bad ??= 'a negative number';
        }
      } else {
        bad ??= `a JSON ${kindOf(c)}`;
        this.skipValue(3);
      }
      this.ws();
      const next = this.b[this.pos];
      if (next === COMMA) {
        this.pos++;
        continue;
      }
      if (next === CLOSE_BRACKET) {
        this.pos++;
        break;
      }
      this.fail(`expected ',' or ']' in ${field}`);
    }
    if (bad !== null) {
      this.problems.add({ kind: 'invalid-tensor', tensor: name, message: `${field} holds ${bad}, not a non-negative integer`, offset: this.base + at });
      return null;
    }
    if (count > values.length) {
      this.problems.add({ kind: 'invalid-tensor', tensor: name, message: `${field} has ${count} entries, not [begin, end]`, offset: this.base + at });
      return null;
    }
    return values;
  }

  // ---- JSON grammar ----

  /** `{ member (, member)* }` or `{}`; `member` reads one key and its value. */
  private members(member: () => void, what: string): void {
    this.pos++;
    this.ws();
    if (this.b[this.pos] === CLOSE_BRACE) {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      if (this.b[this.pos] !== QUOTE) this.fail(`expected ${what} (a string)`);
      member();
      this.ws();
      const c = this.b[this.pos];
      if (c === COMMA) {
        this.pos++;
        continue;
      }
      if (c === CLOSE_BRACE) {
        this.pos++;
        return;
      }
      this.fail("expected ',' or '}'");
    }
  }

  /** A key and the ':' after it; leaves the position on the value. */
  private key(keep: boolean): string {
    const key = this.string(keep);
    this.ws();
    if (this.b[this.pos] !== COLON) this.fail("expected ':' after a key");
    this.pos++;
    this.ws();
    return key;
  }

  private skipValue(depth: number): void {
    if (depth > this.limits.maxJsonDepth) this.fail(`values nested deeper than ${this.limits.maxJsonDepth} levels (serde_json's recursion limit)`);
    this.ws();
    const c = this.b[this.pos];
    switch (c) {
      case OPEN_BRACE:
        this.members(() => {
          this.key(false);
          this.skipValue(depth + 1);
        }, 'a key');
        return;
      case OPEN_BRACKET:
        this.pos++;
        this.ws();
        if (this.b[this.pos] === CLOSE_BRACKET) {
          this.pos++;
          return;
        }
        for (;;) {
          this.skipValue(depth + 1);
          this.ws();
          const next = this.b[this.pos];
          if (next === COMMA) {
            this.pos++;
            continue;
          }
          if (next === CLOSE_BRACKET) {
            this.pos++;
            return;
          }
          this.fail("expected ',' or ']'");
        }
      case QUOTE:
        this.string(false);
        return;
      case 0x74:
        this.literal('true');
        return;
      case 0x66:
        this.literal('false');
        return;
      case 0x6e:
        this.literal('null');
        return;
      default:
        if (c === MINUS || isDigit(c)) {
          this.number();
          return;
        }
        this.fail(c === undefined ? 'the header ends inside a value' : `unexpected byte 0x${c.toString(16).padStart(2, '0')}`);
    }
  }

  /** The byte starting the value at the position; a syntax error when no JSON value can start there. */
  private valueStart(): number {
    const c = this.b[this.pos];
    if (c === undefined) this.fail('the header ends where a value should start');
    if (kindOf(c) === 'invalid value') this.fail(`unexpected byte 0x${c.toString(16).padStart(2, '0')} where a value should start`);
    return c;
  }

  private literal(word: string): void {
    for (let i = 0; i < word.length; i++) {
      if (this.b[this.pos + i] !== word.charCodeAt(i)) this.fail(`invalid literal (expected ${word})`);
    }
    this.pos += word.length;
  }

  /**
   * Check a JSON number and return its lexeme's shape; nothing is converted here, so that a megabyte-long
   * array of numbers nobody keeps costs no BigInt per element.
   */
  private number(): NumberLexeme {
    const start = this.pos;
    if (this.b[this.pos] === MINUS) this.pos++;
    if (this.b[this.pos] === 0x30) this.pos++;
    else if (isDigit(this.b[this.pos])) while (isDigit(this.b[this.pos])) this.pos++;
    else this.fail('invalid number');
    let integral = true;
    if (this.b[this.pos] === 0x2e) {
      this.pos++;
      if (!isDigit(this.b[this.pos])) this.fail('invalid number (no digit after the point)');
      while (isDigit(this.b[this.pos])) this.pos++;
      integral = false;
    }
    const e = this.b[this.pos];
    if (e === 0x65 || e === 0x45) {
      this.pos++;
      if (this.b[this.pos] === 0x2b || this.b[this.pos] === MINUS) this.pos++;
      if (!isDigit(this.b[this.pos])) this.fail('invalid number (no digit in the exponent)');
      while (isDigit(this.b[this.pos])) this.pos++;
      integral = false;
    }
    return { start, end: this.pos, integral, negative: this.b[start] === MINUS };
  }

  /** The exact value of an integer lexeme; past 20 digits it is out of range whatever it is, so not converted. */
  private integerValue(lexeme: NumberLexeme): bigint {
    const digits = lexeme.end - lexeme.start - (lexeme.negative ? 1 : 0);
    if (digits > MAX_U64_DIGITS) return lexeme.negative ? -(U64_MAX + 1n) : U64_MAX + 1n;
    return BigInt(this.b.toString('latin1', lexeme.start, lexeme.end));
  }

  /**
   * A JSON string starting at the opening quote; `keep` false checks it without building it. A first pass
   * checks the grammar and finds the end; only a kept string with escapes gets a second, decoding pass. The
   * header is valid UTF-8 (the reader checks), so raw bytes between escapes decode as they stand.
   */
  private string(keep: boolean): string {
    const open = this.pos;
    this.pos++;
    const start = this.pos;
    const b = this.b;
    let escapes = false;
    for (;;) {
      const c = b[this.pos];
      if (c === undefined) this.fail('the header ends inside a string', open);
      if (c === QUOTE) break;
      if (c < 0x20) this.fail('unescaped control character in a string');
      if (c === BACKSLASH) {
        this.pos++;
        this.escape();
        escapes = true;
      } else {
        this.pos++;
      }
    }
    const end = this.pos;
    this.pos++;
    if (!keep) return '';
    if (!escapes) return b.toString('utf8', start, end);
    // Unescaped text is never longer than its escaped form in UTF-8 (\uXXXX is 6 bytes for at most 3).
    const out = Buffer.allocUnsafe(end - start);
    let length = 0;
    let i = start;
    while (i < end) {
      const c = b[i]!;
      if (c !== BACKSLASH) {
        out[length++] = c;
        i++;
        continue;
      }
      const e = b[i + 1]!;
      if (e !== 0x75) {
        out[length++] = SIMPLE_ESCAPES[e] ?? e;
        i += 2;
        continue;
      }
      let code = hexValue(b, i + 2);
      i += 6;
      if (code >= 0xd800 && code <= 0xdbff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (hexValue(b, i + 2) - 0xdc00);
        i += 6;
      }
      length += out.write(String.fromCodePoint(code), length, 'utf8');
    }
    return out.toString('utf8', 0, length);
  }

  /** Check the escape after a backslash; serde_json refuses unpaired surrogates, so this does too. */
  private escape(): void {
    const c = this.b[this.pos];
    if (c !== undefined && SIMPLE_ESCAPES[c] !== undefined) {
      this.pos++;
      return;
    }
    if (c !== 0x75) this.fail('invalid escape in a string', this.pos - 1);
    this.pos++;
    const unit = this.hex4();
    if (unit >= 0xdc00 && unit <= 0xdfff) this.fail('lone low surrogate escape in a string');
    if (unit < 0xd800 || unit > 0xdbff) return;
    if (this.b[this.pos] !== BACKSLASH || this.b[this.pos + 1] !== 0x75) this.fail('lone high surrogate escape in a string');
    this.pos += 2;
    const low = this.hex4();
    if (low < 0xdc00 || low > 0xdfff) this.fail('high surrogate escape not followed by a low one');
  }

  private hex4(): number {
    const value = hexValue(this.b, this.pos);
    if (value < 0) this.fail('invalid \\u escape in a string');
    this.pos += 4;
    return value;
  }

  private ws(): void {
    while (isWhitespace(this.b[this.pos])) this.pos++;
  }

  private fail(message: string, at = this.pos): never {
    throw new HeaderSyntaxError(`${message} (at byte ${this.base + at})`, this.base + at);
  }
}

/** The shape of one number lexeme in the header. */
interface NumberLexeme {
  start: number;
  end: number;
  /** No fraction and no exponent. */
  integral: boolean;
  negative: boolean;
}

/** Bytes that single-character escapes stand for, by the byte after the backslash. */
const SIMPLE_ESCAPES: Readonly<Record<number, number>> = { 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 };

/** The value of four hex digits at `at`, or -1 when they are not four hex digits. */
function hexValue(b: Buffer, at: number): number {
  let value = 0;
  for (let i = 0; i < 4; i++) {
    const c = b[at + i];
    const digit = c === undefined ? -1 : c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** A name or key shortened for a message. */
function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
