import type { ByteSource } from '../../core/byte-source.js';
import type { ReadError } from '../../core/read-result.js';
import { ByteWindow, fieldBudget, FieldWalker, MAX_MESSAGE_DEPTH, readString, WIRE_TYPE_NAMES, type FieldBudget, type WireField, type WireType } from './wire.js';

/** Something odd in a protobuf model that did not stop the read. */
export interface ProtoProblem {
  kind: 'wire-type' | 'limit' | 'malformed';
  message: string;
  offset: number;
}

/** Problems kept per file; the rest are counted. */
export const MAX_PROBLEMS = 1_000;

/**
 * State shared by the schema readers (ONNX, TensorFlow): the byte window, the field budget, the first error
 * that stopped the read, and problems. Schema readers walk messages with `fields()` and stop at `stopped`.
 */
export class MessageContext {
  readonly window: ByteWindow;
  readonly budget: FieldBudget;
  stop: ReadError | null = null;
  /**
   * The first place where the file ended inside a message. Unlike `stop` it does not end the read: every
   * walk after it stays inside bytes that exist, so the reader keeps what sits before the cut everywhere.
   */
  truncation: ReadError | null = null;
  readonly problems: ProtoProblem[] = [];
  problemsOmitted = 0;

  constructor(source: ByteSource, maxFields?: number) {
    this.window = new ByteWindow(source);
    this.budget = fieldBudget(maxFields);
  }

  get stopped(): boolean {
    return this.stop !== null;
  }

  /** Record the first error that ends the read. */
  halt(error: ReadError): void {
    this.stop ??= error;
  }

  /** Why the read is incomplete: the error that stopped it, else where the file was cut, else null. */
  get incomplete(): ReadError | null {
    return this.stop ?? this.truncation;
  }

  /** End a walk on `walker`'s error: a cut at the end of the file is a truncation, anything else halts the read. */
  private settle(walker: FieldWalker, end: number): void {
    const error = walker.error ?? walker.truncation;
    if (!error) return;
    if (error.kind === 'truncated' && end === this.window.size) this.truncation ??= error;
    else this.halt(error);
  }

  /** Record a problem, keeping at most MAX_PROBLEMS. */
  problem(problem: ProtoProblem): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(problem);
    else this.problemsOmitted++;
  }

  /**
   * Visit every field of the message `[start, end)` at nesting `depth`. Stops (and halts the read) on a wire
   * error or past MAX_MESSAGE_DEPTH; `visit` returning false stops early without an error.
   */
  fields(start: number, end: number, depth: number, visit: (field: WireField) => boolean | void): void {
    if (this.stopped) return;
    if (depth > MAX_MESSAGE_DEPTH) {
      this.halt({ kind: 'limit', message: `messages nested deeper than ${MAX_MESSAGE_DEPTH}`, offset: start, limit: 'maxMessageDepth' });
      return;
    }
    const walker = new FieldWalker(this.window, start, end, this.budget, true);
    for (let field = walker.next(); field; field = walker.next()) {
      if (visit(field) === false || this.stopped) return;
    }
    this.settle(walker, end);
  }

  /**
   * Like `fields`, but an error only ends this walk: for a first pass that looks up a name, so that the main
   * pass still keeps every item before the error (and reports it).
   */
  peek(start: number, end: number, visit: (field: WireField) => boolean | void): void {
    if (this.stopped) return;
    const walker = new FieldWalker(this.window, start, end, this.budget, true);
    for (let field = walker.next(); field; field = walker.next()) {
      if (visit(field) === false) return;
    }
  }

  /**
   * True when `field` has the wire type its schema declares. Otherwise the reference parser keeps it as an
   * unknown field (a parser differential worth reporting), so this records a problem and the caller skips it.
   */
  expect(field: WireField, wireType: WireType, what: string): boolean {
    if (field.wireType === wireType) return true;
    this.problem({
      kind: 'wire-type',
      message: `${what} (field ${field.number}) is ${WIRE_TYPE_NAMES[field.wireType]}, not ${WIRE_TYPE_NAMES[wireType]}: the reference parser keeps it as an unknown field`,
      offset: field.offset,
    });
    return false;
  }

  /** A length-delimited string field, cut to `maxBytes`; '' (after a problem) when the wire type is wrong. */
  string(field: WireField, what: string, maxBytes: number): string {
    if (!this.expect(field, 2, what)) return '';
    const text = readString(this.window, field, maxBytes);
    return text.truncated ? `${text.text}...` : text.text;
  }

  /** Stop the read when a count passes its limit (before storing more). */
  overLimit(count: number, limit: number, name: string, what: string, offset: number): boolean {
    if (count < limit) return false;
    this.halt({ kind: 'limit', message: `more than ${limit} ${what}`, offset, limit: name });
    return true;
  }
}
