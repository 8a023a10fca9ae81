import { readFile, stat } from 'node:fs/promises';
import { AntidoteError, errorMessage } from '../core/errors.js';
import type { SuppliedProbabilities } from '../detectors/dataset/supplied-data.js';

/*
 * `--probabilities FILE`: class probabilities per dataset row from the user's own model, for
 * dataset/label-issues (used instead of the built-in classifier). Two forms, one row per dataset row in
 * file order (unreadable dataset rows included):
 *
 * - CSV or TSV: one number per class per line; an optional first line names the classes
 *   (`negative,positive`). Without names, columns are the labels in sorted order (numerically when every
 *   label is a number), the order scikit-learn's `predict_proba` and cleanlab use.
 * - JSONL: each line an array of numbers (`[0.1, 0.9]`), or an object from class name to probability
 *   (`{"Negative": 0.1, "Positive": 0.9}`; every line the same names).
 *
 * Everything is checked before it is used: each value a number in [0, 1], each row summing to 1 (within
 * ROW_SUM_TOLERANCE), every row the same width. A problem is an AntidoteError naming file, line and
 * column (exit 2): a label audit on probabilities that do not fit would be worse than none.
 */

/** Largest probabilities file read (the whole file is read at once): 100,000 rows x 100 classes is ~60 MB. */
export const MAX_PROBABILITIES_FILE_BYTES = 512 * 1024 * 1024;
/** Classes per row; past this the file is not per-class probabilities of a classification dataset. */
export const MAX_PROBABILITY_CLASSES = 1000;
/** How far a row's sum may be from 1 (rounded output such as 0.333,0.333,0.333 sums to 0.999). */
const ROW_SUM_TOLERANCE = 0.01;
/** How far a value may stray outside [0, 1] through rounding. */
const VALUE_TOLERANCE = 1e-6;

/** Read and check a probabilities file. */
export async function readClassProbabilities(path: string): Promise<SuppliedProbabilities> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new AntidoteError('INPUT_UNREADABLE', `--probabilities ${path}: not a file`);
    size = info.size;
  } catch (error) {
    if (error instanceof AntidoteError) throw error;
    throw new AntidoteError('INPUT_NOT_FOUND', `--probabilities ${path}: cannot read (${errorMessage(error)})`, { cause: error });
  }
  if (size > MAX_PROBABILITIES_FILE_BYTES) {
    throw new AntidoteError('INPUT_UNREADABLE', `--probabilities ${path}: ${size} bytes, more than the ${MAX_PROBABILITIES_FILE_BYTES} read`);
  }
  const text = (await readFile(path, 'utf8')).replace(/^\uFEFF/, '');
  return parseClassProbabilities(text, path);
}

/** Parse probabilities text; the form is taken from the first non-blank character (`[` or `{`: JSONL). */
export function parseClassProbabilities(text: string, source: string): SuppliedProbabilities {
  const first = text.trimStart()[0];
  return first === '[' || first === '{' ? parseJsonLines(text, source) : parseDelimited(text, source);
}

class ProbabilityRows {
  private values: number[] = [];
  private lines: number[] = [];
  classes = -1;

  constructor(private readonly source: string) {}

  add(line: number, row: number[], columnOf: (k: number) => number): void {
    if (this.classes < 0) {
      if (row.length < 2) this.fail(line, 1, `${row.length} value(s); a row needs a probability for each of at least 2 classes`);
      if (row.length > MAX_PROBABILITY_CLASSES) this.fail(line, 1, `${row.length} values, more than ${MAX_PROBABILITY_CLASSES} classes`);
      this.classes = row.length;
    } else if (row.length !== this.classes) {
      this.fail(line, 1, `${row.length} values, but the rows before have ${this.classes}`);
    }
    let sum = 0;
    row.forEach((value, k) => {
      if (!Number.isFinite(value) || value < -VALUE_TOLERANCE || value > 1 + VALUE_TOLERANCE) {
        this.fail(line, columnOf(k), `${value} is not a probability (a number from 0 to 1)`);
      }
      sum += value;
    });
    if (Math.abs(sum - 1) > ROW_SUM_TOLERANCE) this.fail(line, 1, `the probabilities sum to ${Number(sum.toFixed(6))}, not 1`);
    for (const value of row) this.values.push(Math.min(1, Math.max(0, value)) / sum);
    this.lines.push(line);
  }

  fail(line: number, column: number, message: string): never {
    throw new AntidoteError('INPUT_UNREADABLE', `${this.source}:${line}:${column}: ${message}`);
  }

  build(classNames: readonly string[] | undefined): SuppliedProbabilities {
    if (this.lines.length === 0) throw new AntidoteError('INPUT_UNREADABLE', `${this.source}: no rows of probabilities`);
    return {
      source: this.source,
      rows: this.lines.length,
      classes: this.classes,
      ...(classNames ? { classNames } : {}),
      values: Float32Array.from(this.values),
      lines: Uint32Array.from(this.lines),
    };
  }
}

/** Lines of `text` with their 1-based numbers; blank lines are allowed only at the end. */
function numberedLines(text: string, source: string): { line: number; text: string }[] {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines.map((t, i) => {
    if (t.trim() === '') throw new AntidoteError('INPUT_UNREADABLE', `${source}:${i + 1}:1: blank line (every dataset row needs a row of probabilities)`);
    return { line: i + 1, text: t };
  });
}

function parseDelimited(text: string, source: string): SuppliedProbabilities {
  const lines = numberedLines(text, source);
  const delimiter = (lines[0]?.text ?? '').includes('\t') ? '\t' : ',';
  const out = new ProbabilityRows(source);
  let classNames: string[] | undefined;
  lines.forEach(({ line, text: lineText }, index) => {
    const cells = lineText.split(delimiter).map((c) => c.trim());
    // Column (1-based character position) where each cell starts, for messages.
    const starts: number[] = [];
    let at = 1;
    for (const raw of lineText.split(delimiter)) {
      starts.push(at);
      at += raw.length + 1;
    }
    if (index === 0 && cells.some((c) => c === '' || !Number.isFinite(Number(c)))) {
      classNames = cells.map((c) => c.replace(/^"(.*)"$/, '$1'));
      if (new Set(classNames).size !== classNames.length) out.fail(line, 1, 'the header names a class twice');
      if (classNames.length > MAX_PROBABILITY_CLASSES) out.fail(line, 1, `${classNames.length} columns, more than ${MAX_PROBABILITY_CLASSES} classes`);
      out.classes = classNames.length;
      return;
    }
    const values = cells.map((c, k) => {
      if (c === '') out.fail(line, starts[k]!, 'empty value');
      const value = Number(c);
      if (!Number.isFinite(value)) out.fail(line, starts[k]!, `"${c.slice(0, 40)}" is not a number`);
      return value;
    });
    out.add(line, values, (k) => starts[k]!);
  });
  return out.build(classNames);
}

function parseJsonLines(text: string, source: string): SuppliedProbabilities {
  const out = new ProbabilityRows(source);
  let classNames: string[] | undefined;
  for (const { line, text: lineText } of numberedLines(text, source)) {
    let value: unknown;
    try {
      value = JSON.parse(lineText);
    } catch (error) {
      out.fail(line, 1, `not JSON (${errorMessage(error)})`);
    }
    if (Array.isArray(value)) {
      if (classNames) out.fail(line, 1, 'an array, but the first row is an object of class names');
      out.add(line, value.map((v) => (typeof v === 'number' ? v : Number.NaN)), () => 1);
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value as Record<string, unknown>);
      if (out.classes < 0 && !classNames) classNames = entries.map(([k]) => k);
      else if (!classNames) out.fail(line, 1, 'an object, but the first row is an array');
      const names = classNames!;
      if (entries.length !== names.length || entries.some(([k]) => !names.includes(k))) {
        out.fail(line, 1, `classes ${entries.map(([k]) => `"${k}"`).join(', ')} differ from the first row's`);
      }
      const record = value as Record<string, unknown>;
      out.add(line, names.map((n) => (typeof record[n] === 'number' ? (record[n] as number) : Number.NaN)), () => 1);
    } else {
      out.fail(line, 1, 'expected an array of probabilities or an object from class name to probability');
    }
  }
  return out.build(classNames);
}
