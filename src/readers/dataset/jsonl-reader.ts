import { decodeUtf8, excerptOf, isRowObject, isValidUtf8, nestsDeeperThan, type ReadState } from './read-state.js';
import type { DatasetEvent } from './types.js';

/*
 * JSON Lines (jsonlines.org; `.jsonl`, `.ndjson`): one JSON value per line, read from a stream of chunks, one
 * line at a time: the file is never read whole.
 *
 * Limits checked here: maxRowBytes (a line past it is skipped to its end without being buffered, then reported
 * as a bad row) and maxNestingDepth (checked on the parsed value, before anyone walks it recursively).
 *
 * Rules, matching what Hugging Face `datasets` (pyarrow's JSON reader) and `json.loads` per line accept:
 * - a UTF-8 byte order mark at the start of the file is skipped (by the caller, see open-dataset.ts);
 * - a line ends at LF; a CR just before it is dropped (CRLF files);
 * - blank lines (only spaces, tabs, CR) are not rows: they get no index, but line numbers still count them;
 * - a line that is not valid UTF-8 or not valid JSON is a bad row (with its line and an excerpt), and reading
 *   goes on at the next line: one broken line never hides the rest of the file;
 * - a line holding a value that is not an object (`[1,2]`, `"text"`, `3`) is a row `{value: ...}`.
 */

const LF = 0x0a;
const CR = 0x0d;

/** Bytes of an over-limit line kept for its excerpt. */
const EXCERPT_BYTES = 512;

/** The first `n` bytes of some parts, copying only those. */
export function headOf(parts: readonly Buffer[], n: number): Buffer {
  const kept: Buffer[] = [];
  let total = 0;
  for (const part of parts) {
    if (total >= n) break;
    const take = part.subarray(0, n - total);
    kept.push(take);
    total += take.length;
  }
  return Buffer.concat(kept, total);
}

/** Whether a line holds only JSON whitespace (a blank line, not a row). */
function isBlank(line: Uint8Array): boolean {
  for (let i = 0; i < line.length; i++) {
    const b = line[i];
    if (b !== 0x20 && b !== 0x09 && b !== CR) return false;
  }
  return true;
}

/** Incremental JSONL reader: feed chunks in order, then finish(). */
export class JsonlScanner {
  private parts: Buffer[] = [];
  private partBytes = 0;
  /** The current line went past maxRowBytes: its bytes are no longer kept, only its start for the excerpt. */
  private overLimit = false;
  private overLimitHead: Buffer | undefined;
  private line = 1;
  private lineOffset = 0;
  private position = 0;

  constructor(private readonly state: ReadState) {}

  /** Start counting offsets at `offset` (after a byte order mark the caller skipped). */
  startAt(offset: number): void {
    this.position = offset;
    this.lineOffset = offset;
  }

  /** Events for the complete lines in this chunk. */
  *feed(chunk: Buffer): Generator<DatasetEvent> {
    let start = 0;
    const base = this.position;
    this.position += chunk.length;
    const max = this.state.limits.maxRowBytes;
    while (start <= chunk.length) {
      const nl = chunk.indexOf(LF, start);
      const end = nl < 0 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (!this.overLimit && this.partBytes + piece.length > max) {
        this.overLimit = true;
        this.overLimitHead = headOf([...this.parts, piece], EXCERPT_BYTES);
        this.parts = [];
      }
      if (!this.overLimit && piece.length > 0) this.parts.push(piece);
      this.partBytes += piece.length;
      if (nl < 0) break;
      const event = this.endLine();
      if (event) yield event;
      this.line++;
      this.lineOffset = base + nl + 1;
      start = nl + 1;
    }
  }

  /** Events for a last line without a final newline. */
  *finish(): Generator<DatasetEvent> {
    if (this.partBytes > 0 || this.overLimit) {
      const event = this.endLine();
      if (event) yield event;
    }
  }

  /** The event for the line just ended; undefined for a blank line. */
  private endLine(): DatasetEvent | undefined {
    const { state, line, lineOffset: offset } = this;
    const bytes = this.partBytes;
    const overLimit = this.overLimit;
    const raw = overLimit ? undefined : this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, bytes);
    const head = this.overLimitHead;
    this.parts = [];
    this.partBytes = 0;
    this.overLimit = false;
    this.overLimitHead = undefined;
    if (overLimit || raw === undefined) {
      return state.bad(`line ${line} is ${bytes} bytes, over the ${state.limits.maxRowBytes}-byte row limit (maxRowBytes); it was skipped unread`, {
        line,
        offset,
        excerpt: head ? excerptOf(head) : '',
      });
    }
    const content = raw.length > 0 && raw[raw.length - 1] === CR ? raw.subarray(0, raw.length - 1) : raw;
    if (isBlank(content)) return undefined;
    if (!isValidUtf8(content)) {
      return state.bad(`line ${line} is not valid UTF-8`, { line, offset, excerpt: excerptOf(content) });
    }
    const text = decodeUtf8(content);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return state.bad(`line ${line} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { line, offset, excerpt: excerptOf(text) });
    }
    const row = isRowObject(value) ? value : { value: value as never };
    if (nestsDeeperThan(row, state.limits.maxNestingDepth)) {
      return state.bad(`line ${line} nests deeper than ${state.limits.maxNestingDepth} levels (maxNestingDepth)`, { line, offset, excerpt: excerptOf(text) });
    }
    state.columns.observe(row);
    return state.row(row, { line, offset, raw: content });
  }
}
