import { headOf } from './jsonl-reader.js';
import { decodeUtf8, excerptOf, isRowObject, isValidUtf8, nestsDeeperThan, setField, type ReadState, type RowObject } from './read-state.js';
import type { DatasetEvent, DatasetValue } from './types.js';

/*
 * JSON documents holding rows (`.json`): a top-level array of rows (Alpaca, BackdoorLLM), or a top-level object
 * whose array members hold the rows (`{"version": ..., "data": [...]}`, SQuAD) or whose object members are the
 * rows (`{"q1": {...}, "q2": {...}}`, PoisonedRAG). A multi-GB array must stream, so this is a small
 * incremental tokenizer: it tracks strings, escapes and bracket depth byte by byte (jumping through strings
 * with indexOf), cuts out one element at a time with the line it starts on, and only then hands that element
 * to JSON.parse.
 *
 * Limits checked here: maxRowBytes (an element past it is scanned to its end without being kept, then reported),
 * maxNestingDepth (counted while scanning, before parsing) and maxColumns (top-level members kept as metadata).
 *
 * Rules:
 * - in a top-level object, every array member's elements are rows (path `$.data[3]`), every object member is
 *   one row (path `$["q1"]`), and scalar members are metadata; `jsonField` picks one member as the rows and
 *   turns every other member into metadata, as `datasets`' `field=` does;
 * - an element that is not valid JSON but whose brackets balance is a bad row, and reading goes on;
 * - an element whose structure breaks (a closing bracket of the wrong kind, a raw line break inside a string)
 *   is a bad row, and reading resynchronises on the next line that starts, at the same indentation, with the
 *   same character as the elements before it (pretty-printed files, as `json.dump(indent=...)` writes). When
 *   there is no such line (a minified file), the bad row is fatal: nothing after it is read;
 * - a missing or extra comma between elements, and bytes after the end of the document, are issues: loaders
 *   reject such files, so the report must say so, but the elements themselves are still read.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LF = 0x0a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** Bytes of a value kept for the excerpt once it goes past maxRowBytes. */
const EXCERPT_BYTES = 512;

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === LF || b === 0x0d || b === 0x09;
}

/** Where the scanner is in the document. */
const enum At {
  Start,
  ArrayItem,
  ArrayAfter,
  ObjectKey,
  ObjectColon,
  ObjectValue,
  ObjectAfter,
  Value,
  Resync,
  Done,
  Failed,
}

/** What a scanned value becomes. */
type Role = 'element' | 'member' | 'key';

/** The container whose items are being read: the rows array or the top-level object. */
interface Container {
  kind: 'array' | 'object';
  path: string;
  /** Items started so far (array elements, object members). */
  count: number;
  /** Indentation of the last item that started on its own line, and its first byte: the resync target. */
  itemIndent: number;
  itemOpen: number;
  /** A ',' was read and no item followed yet. */
  afterComma: boolean;
}

function memberPath(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `$.${key}` : `$[${JSON.stringify(key)}]`;
}

/** Incremental JSON document reader: feed chunks in order, then finish(). */
export class JsonScanner {
  private at: At = At.Start;
  private position = 0;
  private line = 1;
  private lineStart = 0;
  /** Something other than whitespace was read on the current line, outside values (for indentation). */
  private lineHasContent = false;

  private top: Container | undefined;
  private rows: Container | undefined;
  private key = '';
  private fieldFound = false;
  /** Array and object members of the top-level object, which hold rows. */
  private memberRows = 0;
  private topLine = 1;
  private topOffset = 0;

  // The value being scanned.
  private role: Role = 'element';
  private valueKind: 'container' | 'string' | 'scalar' = 'container';
  private depth = 0;
  private readonly stack: Uint8Array;
  private tooDeep = false;
  private inString = false;
  private escape = false;
  private valueLine = 1;
  private valueOffset = 0;
  private valuePath = '';
  private parts: Buffer[] = [];
  private valueBytes = 0;
  private overLimit = false;
  private overHead: Buffer | undefined;

  // Resynchronisation after a broken element.
  private resyncTarget: Container | undefined;
  private resyncLineStart = true;
  private resyncIndent = 0;
  private resyncFromLine = 0;

  // Bytes after the end of the document.
  private trailingLine = 0;
  private trailingOffset = -1;
  private trailingBytes = 0;
  private trailingHead: Buffer | undefined;

  // Cached positions of the next quote, backslash and line feed in the current chunk (-1: none left, -2: unknown).
  private nextQuote = -2;
  private nextBackslash = -2;
  private nextLineFeed = -2;

  constructor(
    private readonly state: ReadState,
    private readonly jsonField?: string,
  ) {
    this.stack = new Uint8Array(state.limits.maxNestingDepth + 2);
  }

  /** Start counting offsets at `offset` (after a byte order mark the caller skipped). */
  startAt(offset: number): void {
    this.position = offset;
    this.lineStart = offset;
  }

  /** Events for the values completed in this chunk. */
  *feed(chunk: Buffer): Generator<DatasetEvent> {
    let i = 0;
    const base = this.position;
    this.position += chunk.length;
    this.nextQuote = this.nextBackslash = this.nextLineFeed = -2;
    const len = chunk.length;
    while (i < len) {
      switch (this.at) {
        case At.Value: {
          const end = this.scanValue(chunk, i);
          const stop = end < 0 ? len : end;
          this.keep(chunk.subarray(i, stop));
          if (end === -2) {
            yield* this.broken();
            i = this.resumeAt;
            continue;
          }
          if (end < 0) {
            i = len;
            continue;
          }
          i = end;
          const ended = this.endValue();
          if (ended) yield ended;
          continue;
        }
        case At.Resync:
          i = this.resync(chunk, i, base);
          continue;
        case At.Failed:
          return;
        case At.Done:
          i = this.trailing(chunk, i, base);
          continue;
        default:
          break;
      }
      const b = chunk[i]!;
      if (b === LF) {
        this.line++;
        this.lineStart = base + i + 1;
        this.lineHasContent = false;
        i++;
        continue;
      }
      if (isWhitespace(b)) {
        i++;
        continue;
      }
      yield* this.structural(b, chunk, i, base);
      if ((this.at as At) !== At.Value) {
        this.lineHasContent = true;
        i++;
      }
    }
  }

  /** Events and issues for what the end of the file leaves open. */
  *finish(): Generator<DatasetEvent> {
    const { state } = this;
    switch (this.at) {
      case At.Start:
        state.issue({ kind: 'malformed', message: 'the file holds no JSON value (empty or only whitespace)', line: this.line });
        return;
      case At.Value:
        if (this.role === 'key') {
          state.issue({ kind: 'truncated', message: `the file ends inside a member name that starts at line ${this.valueLine}`, line: this.valueLine, offset: this.valueOffset });
          return;
        }
        state.issue({ kind: 'truncated', message: `the file ends inside the value that starts at line ${this.valueLine}`, line: this.valueLine, offset: this.valueOffset });
        yield state.bad(`the file ends inside the value that starts at line ${this.valueLine} (${this.valuePath}): the file is truncated`, {
          line: this.valueLine,
          offset: this.valueOffset,
          excerpt: excerptOf(this.overHead ?? headOf(this.parts, EXCERPT_BYTES)),
          fatal: true,
        });
        return;
      case At.Resync:
        yield state.bad(`no further element start found after the broken element near line ${this.resyncFromLine}: the rest of the file could not be read`, {
          line: this.resyncFromLine,
          fatal: true,
        });
        return;
      case At.Done:
        if (this.trailingOffset >= 0) {
          state.issue({
            kind: 'malformed',
            message: `${this.trailingBytes} bytes after the end of the JSON document, from line ${this.trailingLine}: loaders reject the file (excerpt: ${excerptOf(this.trailingHead ?? Buffer.alloc(0))})`,
            line: this.trailingLine,
            offset: this.trailingOffset,
          });
        }
        if (this.top && this.jsonField === undefined && this.memberRows === 0) {
          // `{"instruction": ..., "output": ...}`: a document that is one record. Its scalars are that row.
          const keys = Object.keys(state.metadata);
          if (keys.length > 0) {
            const row: RowObject = {};
            for (const key of keys) setField(row, key, state.metadata[key]!);
            for (const key of keys) delete state.metadata[key];
            state.columns.observe(row);
            yield state.row(row, { line: this.topLine, offset: this.topOffset, path: '$' });
          }
        }
        if (this.jsonField !== undefined && !this.fieldFound) {
          state.issue({ kind: 'malformed', message: `the top-level object has no member "${this.jsonField}" (jsonField)` });
        }
        return;
      case At.Failed:
        return;
      default:
        state.issue({ kind: 'truncated', message: `the file ends before the JSON document closes (line ${this.line}): it is truncated`, line: this.line, offset: this.position });
    }
  }

  /** Handle one non-whitespace byte outside values. Sets `at`; when it becomes Value, the byte starts the value. */
  private *structural(b: number, chunk: Buffer, i: number, base: number): Generator<DatasetEvent> {
    const { state } = this;
    switch (this.at) {
      case At.Start:
        if (b === OPEN_BRACKET) {
          this.rows = { kind: 'array', path: '$', count: 0, itemIndent: -1, itemOpen: 0, afterComma: false };
          this.at = At.ArrayItem;
        } else if (b === OPEN_BRACE) {
          this.top = { kind: 'object', path: '$', count: 0, itemIndent: -1, itemOpen: 0, afterComma: false };
          this.topLine = this.line;
          this.topOffset = base + i;
          this.at = At.ObjectKey;
        } else {
          yield state.bad(`the document starts with ${JSON.stringify(String.fromCharCode(b))}, not an array or object of rows`, {
            line: this.line,
            offset: base + i,
            excerpt: excerptOf(chunk.subarray(i, i + EXCERPT_BYTES)),
            fatal: true,
          });
          this.at = At.Failed;
        }
        return;
      case At.ArrayItem: {
        const rows = this.rows!;
        if (b === CLOSE_BRACKET) {
          if (rows.afterComma) state.issue({ kind: 'malformed', message: `trailing comma before "]" at line ${this.line}: loaders reject the file`, line: this.line, offset: base + i });
          this.closeRows();
          return;
        }
        if (b === COMMA) {
          state.issue({ kind: 'malformed', message: `empty element (",,") at line ${this.line}: loaders reject the file`, line: this.line, offset: base + i });
          return;
        }
        if (b === CLOSE_BRACE || b === COLON) {
          // Not the start of any value; a zero-length value here would never advance.
          yield* this.brokenStructure(`unexpected ${JSON.stringify(String.fromCharCode(b))} where an element should start at line ${this.line}`, base + i, chunk.subarray(i, i + EXCERPT_BYTES));
          return;
        }
        this.startValue('element', `${rows.path}[${rows.count}]`, rows, b, base + i);
        rows.count++;
        return;
      }
      case At.ArrayAfter: {
        const rows = this.rows!;
        if (b === COMMA) {
          rows.afterComma = true;
          this.at = At.ArrayItem;
          return;
        }
        if (b === CLOSE_BRACKET) {
          this.closeRows();
          return;
        }
        state.issue({ kind: 'malformed', message: `missing "," between elements at line ${this.line}: loaders reject the file`, line: this.line, offset: base + i });
        this.at = At.ArrayItem;
        yield* this.structural(b, chunk, i, base);
        return;
      }
      case At.ObjectKey: {
        const top = this.top!;
        if (b === CLOSE_BRACE) {
          if (top.afterComma) state.issue({ kind: 'malformed', message: `trailing comma before "}" at line ${this.line}: loaders reject the file`, line: this.line, offset: base + i });
          this.at = At.Done;
          return;
        }
        if (b === QUOTE) {
          this.startValue('key', top.path, top, b, base + i);
          top.count++;
          return;
        }
        yield* this.brokenStructure(`expected a member name at line ${this.line}, found ${JSON.stringify(String.fromCharCode(b))}`, base + i, chunk.subarray(i, i + EXCERPT_BYTES));
        return;
      }
      case At.ObjectColon:
        if (b === COLON) {
          this.at = At.ObjectValue;
          return;
        }
        yield* this.brokenStructure(`expected ":" after member "${this.key}" at line ${this.line}`, base + i, chunk.subarray(i, i + EXCERPT_BYTES));
        return;
      case At.ObjectValue: {
        const path = memberPath(this.key);
        const isField = this.jsonField === undefined || this.key === this.jsonField;
        if (isField && this.key === this.jsonField) this.fieldFound = true;
        if ((b === OPEN_BRACKET || b === OPEN_BRACE) && isField) this.memberRows++;
        if (b === OPEN_BRACKET && isField) {
          this.rows = { kind: 'array', path, count: 0, itemIndent: -1, itemOpen: 0, afterComma: false };
          this.at = At.ArrayItem;
          return;
        }
        this.startValue('member', path, undefined, b, base + i);
        return;
      }
      case At.ObjectAfter: {
        const top = this.top!;
        if (b === COMMA) {
          top.afterComma = true;
          this.at = At.ObjectKey;
          return;
        }
        if (b === CLOSE_BRACE) {
          this.at = At.Done;
          return;
        }
        state.issue({ kind: 'malformed', message: `missing "," between members at line ${this.line}: loaders reject the file`, line: this.line, offset: base + i });
        this.at = At.ObjectKey;
        yield* this.structural(b, chunk, i, base);
        return;
      }
      default:
        return;
    }
  }

  private closeRows(): void {
    this.rows = undefined;
    this.at = this.top ? At.ObjectAfter : At.Done;
  }

  private startValue(role: Role, path: string, container: Container | undefined, b: number, offset: number): void {
    if (container) {
      container.afterComma = false;
      if (!this.lineHasContent) {
        container.itemIndent = offset - this.lineStart;
        container.itemOpen = b;
      }
    }
    this.role = role;
    this.valuePath = path;
    this.valueLine = this.line;
    this.valueOffset = offset;
    this.valueKind = b === OPEN_BRACE || b === OPEN_BRACKET ? 'container' : b === QUOTE ? 'string' : 'scalar';
    this.depth = 0;
    this.tooDeep = false;
    this.inString = false;
    this.escape = false;
    this.parts = [];
    this.valueBytes = 0;
    this.overLimit = false;
    this.overHead = undefined;
    this.at = At.Value;
  }

  private keep(piece: Buffer): void {
    if (piece.length === 0) return;
    if (!this.overLimit && this.valueBytes + piece.length > this.state.limits.maxRowBytes) {
      this.overLimit = true;
      this.overHead = headOf([...this.parts, piece], EXCERPT_BYTES);
      this.parts = [];
    }
    if (!this.overLimit) this.parts.push(piece);
    this.valueBytes += piece.length;
  }

  /** Why the current value broke, and where to go on; set by scanValue before it returns -2. */
  private brokenReason = '';
  private resumeAt = 0;

  private find(chunk: Buffer, byte: number, cached: number, from: number): number {
    if (cached === -1 || cached >= from) return cached;
    return chunk.indexOf(byte, from);
  }

  /**
   * Scan the current value from `i`. Returns the position just past its end, -1 when the chunk ends first,
   * or -2 when its structure breaks (brokenReason and resumeAt set).
   */
  private scanValue(chunk: Buffer, i: number): number {
    const len = chunk.length;
    const max = this.state.limits.maxNestingDepth;
    const cap = this.stack.length;
    if (this.valueKind === 'scalar') {
      for (; i < len; i++) {
        const b = chunk[i]!;
        if (isWhitespace(b) || b === COMMA || b === CLOSE_BRACKET || b === CLOSE_BRACE) return i;
      }
      return -1;
    }
    if (this.valueKind === 'string' && !this.inString && this.depth === 0 && this.valueBytes === 0) {
      // The opening quote of a string value or member name.
      this.inString = true;
      i++;
    }
    for (;;) {
      if (this.inString) {
        if (this.escape) {
          if (i >= len) return -1;
          this.escape = false;
          if (chunk[i] === LF) return this.breakAt(i, `raw line break inside a string at line ${this.line}`);
          i++;
        }
        for (;;) {
          const q = (this.nextQuote = this.find(chunk, QUOTE, this.nextQuote, i));
          const bs = (this.nextBackslash = this.find(chunk, BACKSLASH, this.nextBackslash, i));
          const lf = (this.nextLineFeed = this.find(chunk, LF, this.nextLineFeed, i));
          const stop = q < 0 ? len : q;
          if (bs >= 0 && bs < stop) {
            if (lf >= 0 && lf < bs) return this.breakAt(lf, `raw line break inside a string at line ${this.line}`);
            if (bs + 1 >= len) {
              this.escape = true;
              return -1;
            }
            if (chunk[bs + 1] === LF) return this.breakAt(bs + 1, `raw line break inside a string at line ${this.line}`);
            i = bs + 2;
            continue;
          }
          if (lf >= 0 && lf < stop) return this.breakAt(lf, `raw line break inside a string at line ${this.line}`);
          if (q < 0) return -1;
          i = q + 1;
          this.inString = false;
          break;
        }
        if (this.valueKind === 'string') return i;
      }
      for (; i < len; i++) {
        const b = chunk[i]!;
        if (b === QUOTE) {
          this.inString = true;
          i++;
          break;
        }
        if (b === OPEN_BRACE || b === OPEN_BRACKET) {
          if (this.depth < cap) this.stack[this.depth] = b;
          this.depth++;
          if (this.depth > max) this.tooDeep = true;
        } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
          if (this.depth === 0) return this.breakAt(i, `unexpected ${JSON.stringify(String.fromCharCode(b))} at line ${this.line}`);
          this.depth--;
          if (this.depth < cap) {
            const open = this.stack[this.depth];
            if ((open === OPEN_BRACE) !== (b === CLOSE_BRACE)) {
              return this.breakAt(i, `${JSON.stringify(String.fromCharCode(b))} at line ${this.line} closes a ${open === OPEN_BRACE ? 'object' : 'array'}`);
            }
          }
          if (this.depth === 0) return i + 1;
        } else if (b === LF) {
          this.line++;
        }
      }
      if (i >= len) return -1;
    }
  }

  private breakAt(i: number, reason: string): number {
    this.brokenReason = reason;
    this.resumeAt = i;
    return -2;
  }

  /** Report the broken value and resynchronise, or stop when there is no way to. */
  private *broken(): Generator<DatasetEvent> {
    const excerpt = this.overHead ?? headOf(this.parts, EXCERPT_BYTES);
    const where = this.role === 'key' ? `member name at line ${this.valueLine}` : `value at line ${this.valueLine} (${this.valuePath})`;
    yield* this.brokenStructure(`${where} is malformed: ${this.brokenReason}`, this.valueOffset, excerpt, this.valueLine);
  }

  private *brokenStructure(message: string, offset: number, excerpt: Uint8Array, line = this.line): Generator<DatasetEvent> {
    const target = this.rows ?? this.top;
    if (target && target.itemIndent >= 0) {
      yield this.state.bad(`${message}; skipped to the next ${target.kind === 'array' ? 'element' : 'member'}`, { line, offset, excerpt: excerptOf(excerpt) });
      this.resyncTarget = target;
      this.resyncLineStart = false;
      this.resyncIndent = 0;
      this.resyncFromLine = this.line;
      this.at = At.Resync;
      return;
    }
    yield this.state.bad(`${message}; the structure cannot be recovered (no pretty-printed element layout to resynchronise on), so nothing after it was read`, {
      line,
      offset,
      excerpt: excerptOf(excerpt),
      fatal: true,
    });
    this.at = At.Failed;
  }

  /** Skip to the next line that starts like the items before the break. Returns where scanning goes on. */
  private resync(chunk: Buffer, i: number, base: number): number {
    const target = this.resyncTarget!;
    const len = chunk.length;
    for (; i < len; i++) {
      const b = chunk[i]!;
      if (b === LF) {
        this.line++;
        this.lineStart = base + i + 1;
        this.resyncLineStart = true;
        this.resyncIndent = 0;
        continue;
      }
      if (!this.resyncLineStart) continue;
      if (b === 0x20 || b === 0x09) {
        this.resyncIndent++;
        continue;
      }
      this.resyncLineStart = false;
      const closer = target.kind === 'array' ? CLOSE_BRACKET : CLOSE_BRACE;
      if ((this.resyncIndent === target.itemIndent && b === target.itemOpen) || (this.resyncIndent < target.itemIndent && b === closer)) {
        this.lineHasContent = false;
        if (target.kind === 'array') {
          this.rows = target;
          this.at = At.ArrayItem;
        } else {
          this.rows = undefined;
          this.at = At.ObjectKey;
        }
        return i;
      }
    }
    return len;
  }

  /** Count bytes after the end of the document (reported once, at finish). */
  private trailing(chunk: Buffer, i: number, base: number): number {
    const len = chunk.length;
    for (; i < len; i++) {
      const b = chunk[i]!;
      if (this.trailingOffset < 0) {
        if (b === LF) {
          this.line++;
          continue;
        }
        if (isWhitespace(b)) continue;
        this.trailingOffset = base + i;
        this.trailingLine = this.line;
        this.trailingHead = Buffer.alloc(0);
      }
      const head = this.trailingHead!;
      if (head.length < EXCERPT_BYTES) this.trailingHead = Buffer.concat([head, chunk.subarray(i, i + EXCERPT_BYTES - head.length)]);
      this.trailingBytes += len - i;
      return len;
    }
    return len;
  }

  /** A value ended: turn it into a row or a bad row (returned), or metadata or a member name (kept). */
  private endValue(): DatasetEvent | undefined {
    const { state } = this;
    const role = this.role;
    const where = { line: this.valueLine, offset: this.valueOffset, path: this.valuePath };
    this.lineHasContent = true;
    if (role === 'key') this.at = At.ObjectColon;
    else if (role === 'element') this.at = At.ArrayAfter;
    else this.at = At.ObjectAfter;
    const what = role === 'element' ? 'element' : role === 'key' ? 'member name' : 'member';
    if (this.overLimit) {
      const message = `${what} at line ${where.line} (${where.path}) is ${this.valueBytes} bytes, over the ${state.limits.maxRowBytes}-byte row limit (maxRowBytes); it was skipped unread`;
      if (role === 'element' || (role === 'member' && this.valueKind === 'container')) {
        return state.bad(message, { line: where.line, offset: where.offset, excerpt: excerptOf(this.overHead!) });
      }
      state.issue({ kind: 'limit', limit: 'maxRowBytes', message, line: where.line, offset: where.offset });
      if (role === 'key') this.key = '';
      return undefined;
    }
    const raw = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.valueBytes);
    this.parts = [];
    const rowLike = role === 'element' || (role === 'member' && this.jsonField === undefined && this.valueKind === 'container');
    if (this.tooDeep) {
      return this.problem(rowLike, raw, `${what} at line ${where.line} (${where.path}) nests deeper than ${state.limits.maxNestingDepth} levels (maxNestingDepth)`, 'maxNestingDepth');
    }
    if (!isValidUtf8(raw)) {
      return this.problem(rowLike, raw, `${what} at line ${where.line} (${where.path}) is not valid UTF-8`);
    }
    const text = decodeUtf8(raw);
    let value: DatasetValue;
    try {
      value = JSON.parse(text) as DatasetValue;
    } catch (error) {
      return this.problem(rowLike, raw, `${what} at line ${where.line} (${where.path}) is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (role === 'key') {
      this.key = typeof value === 'string' ? value : text;
      return undefined;
    }
    if (role === 'element' || (rowLike && isRowObject(value))) {
      const row: RowObject = isRowObject(value) ? value : { value };
      if (nestsDeeperThan(row, state.limits.maxNestingDepth)) {
        return state.bad(`${what} at line ${where.line} (${where.path}) nests deeper than ${state.limits.maxNestingDepth} levels (maxNestingDepth)`, {
          line: where.line,
          offset: where.offset,
          excerpt: excerptOf(text),
        });
      }
      state.columns.observe(row);
      return state.row(row, { line: where.line, offset: where.offset, path: where.path, raw });
    }
    this.addMetadata(this.key, value, where.line);
    return undefined;
  }

  /** A value that cannot be read: a bad row when it would have been a row, else an issue. */
  private problem(rowLike: boolean, raw: Buffer, message: string, limit?: string): DatasetEvent | undefined {
    const line = this.valueLine;
    const offset = this.valueOffset;
    if (rowLike) return this.state.bad(message, { line, offset, excerpt: excerptOf(raw) });
    this.state.issue({ kind: limit ? 'limit' : 'malformed', ...(limit ? { limit } : {}), message, line, offset });
    return undefined;
  }

  private addMetadata(key: string, value: DatasetValue, line: number): void {
    const { state } = this;
    if (Object.keys(state.metadata).length >= state.limits.maxColumns) {
      state.issue({ kind: 'limit', limit: 'maxColumns', message: `top-level member "${key}" at line ${line} not kept as metadata: over ${state.limits.maxColumns} members`, line });
      return;
    }
    setField(state.metadata, key, value);
  }
}
