import { sniffArrow } from './arrow-reader.js';
import type { DatasetFormat } from './types.js';

/*
 * Format detection by content first, extension as a hint: a file named `.jsonl` that starts with `PAR1` is
 * read as Parquet, because that is what it is. Binary formats have magic bytes (Parquet `PAR1`, Arrow file
 * `ARROW1`, Arrow stream: continuation marker then a schema header). Text formats are told apart by their
 * first line: JSON Lines when it is a complete JSON value and more follows on later lines, a JSON document
 * when it starts with `[` or `{` otherwise, CSV or TSV by the delimiter the first line uses.
 */

/** Extensions of dataset files, mapped to the format they usually hold. */
const EXTENSIONS: ReadonlyMap<string, DatasetFormat> = new Map([
  ['.jsonl', 'jsonl'],
  ['.ndjson', 'jsonl'],
  ['.json', 'json'],
  ['.csv', 'csv'],
  ['.tsv', 'tsv'],
  ['.parquet', 'parquet'],
  ['.arrow', 'arrow'],
  ['.feather', 'arrow'],
  ['.ipc', 'arrow'],
]);

/** The format an extension suggests, if any. */
export function formatFromExtension(path: string): DatasetFormat | undefined {
  const name = path.toLowerCase();
  const dot = name.lastIndexOf('.');
  if (dot < 0 || dot < Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'))) return undefined;
  return EXTENSIONS.get(name.slice(dot));
}

/** Whether a path names a dataset file by its extension (a cheap check for directory walks). */
export function isDatasetPath(path: string): boolean {
  return formatFromExtension(path) !== undefined;
}

function startsWith(head: Uint8Array, text: string): boolean {
  if (head.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (head[i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Whether the head looks like text (no NUL bytes, few control characters). */
function looksLikeText(head: Uint8Array): boolean {
  let control = 0;
  const n = Math.min(head.length, 8192);
  for (let i = 0; i < n; i++) {
    const b = head[i]!;
    if (b === 0) return false;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) control++;
  }
  return control * 100 <= n;
}

/** JSON Lines when the first line is a whole JSON value and another value starts on a later line. */
function classifyJson(text: string, hint: DatasetFormat | undefined): DatasetFormat {
  const firstBreak = text.indexOf('\n');
  if (firstBreak < 0) {
    // One line only (or a first line longer than the head): the extension decides, a document by default.
    return hint === 'jsonl' ? 'jsonl' : 'json';
  }
  const first = text.slice(0, firstBreak).trim();
  let whole = false;
  try {
    JSON.parse(first);
    whole = true;
  } catch {
    whole = false;
  }
  if (!whole) return 'json';
  const rest = text.slice(firstBreak + 1).trimStart();
  if (rest === '') return hint === 'jsonl' ? 'jsonl' : 'json';
  return rest.startsWith('{') || rest.startsWith('[') || rest.startsWith('"') || hint === 'jsonl' ? 'jsonl' : 'json';
}

function countByte(text: string, char: string): number {
  let n = 0;
  for (let i = text.indexOf(char); i >= 0; i = text.indexOf(char, i + 1)) n++;
  return n;
}

/** Detect a dataset format from the first bytes of a file (content first, the path's extension as a hint). */
export function detectDatasetFormat(path: string, head: Uint8Array): DatasetFormat | undefined {
  const hint = formatFromExtension(path);
  if (startsWith(head, 'PAR1')) return 'parquet';
  if (sniffArrow(head)) return 'arrow';
  if (head.length === 0) return hint;
  if (!looksLikeText(head)) return undefined;
  let text = Buffer.from(head.buffer, head.byteOffset, head.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const start = text.trimStart();
  if (start.startsWith('{') || start.startsWith('[')) {
    if (hint === 'csv' || hint === 'tsv') return hint;
    return classifyJson(start, hint);
  }
  if (hint === 'jsonl' || hint === 'json') {
    // A JSON file that starts with something else is still JSON (a bad one, reported as such by the reader).
    return hint;
  }
  const firstLine = text.slice(0, (text.indexOf('\n') + 1 || text.length + 1) - 1);
  const tabs = countByte(firstLine, '\t');
  const commas = countByte(firstLine, ',');
  if (tabs > 0 && commas === 0) return 'tsv';
  if (commas > 0 && tabs === 0) return 'csv';
  if (hint === 'csv' || hint === 'tsv') return hint;
  if (tabs > 0 || commas > 0) return tabs >= commas ? 'tsv' : 'csv';
  return hint;
}
