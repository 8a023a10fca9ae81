import { AntidoteError } from '../core/errors.js';
import type { CorpusShape } from '../detectors/dataset/corpus.js';
import type { DatasetValue } from '../readers/dataset/types.js';

/*
 * Which fields of a row are the prompt, the response and the label. The audit needs only these three
 * texts; everything else in a row is ignored. A shape names the usual columns (Alpaca's instruction,
 * input and output; chat messages; preference prompt and chosen); `--fields` overrides them for data
 * that names its columns differently. A row that lacks a mapped field, or has a non-text value there,
 * is a bad row with the field named, never silently read as empty.
 */

/** Where each text comes from: one or more column names, joined with a blank line when several. */
export interface FieldMapping {
  prompt: string[];
  response: string[];
  label?: string[];
}

/** The three texts of one row, or why the row cannot give them. */
export type MappedRow =
  | { ok: true; prompt: string; response: string; label?: string }
  | { ok: false; field: string; message: string };

/** Maps one row value to its texts. */
export type RowMapper = (value: { readonly [key: string]: DatasetValue }) => MappedRow;

/** Fields by shape, for rows whose column names follow the common conventions. */
export const SHAPE_FIELDS: Readonly<Record<Exclude<CorpusShape, 'unknown'>, FieldMapping>> = {
  alpaca: { prompt: ['instruction', 'input'], response: ['output'] },
  chat: { prompt: ['messages'], response: ['messages'] },
  preference: { prompt: ['prompt'], response: ['chosen'] },
  classification: { prompt: ['text'], response: [], label: ['label'] },
  text: { prompt: ['text'], response: [] },
};

/** Column names tried, in order, for the text and label of classification rows. */
const TEXT_COLUMNS = ['text', 'sentence', 'content', 'document', 'review', 'question'];
const LABEL_COLUMNS = ['label', 'labels', 'class', 'target', 'category'];

/** Characters kept per mapped field; the corpus keeps fewer tokens than this anyway. */
const MAX_FIELD_CHARS = 1 << 20;

/** Parse `--fields prompt=instruction+input,response=output,label=label` (repeatable, merged). */
export function parseFieldSpecs(specs: readonly string[]): Partial<FieldMapping> {
  const mapping: Partial<FieldMapping> = {};
  for (const spec of specs.flatMap((s) => s.split(','))) {
    const match = /^(prompt|response|label)=([^=]+)$/.exec(spec.trim());
    if (!match) {
      throw new AntidoteError('USAGE', `--fields expects ROLE=COLUMN[+COLUMN] with ROLE prompt, response or label (got '${spec}')`);
    }
    const role = match[1] as keyof FieldMapping;
    mapping[role] = match[2]!.split('+').map((c) => c.trim()).filter((c) => c !== '');
  }
  return mapping;
}

/**
 * Guess the shape from the column names of the first rows. A stop-gap beside the dataset readers' own
 * shape detection: it looks at names only and never at values.
 */
export function guessShape(columns: readonly string[]): CorpusShape {
  const has = (name: string): boolean => columns.includes(name);
  if (has('messages') || has('conversations')) return 'chat';
  if (has('chosen') && has('prompt')) return 'preference';
  if (has('instruction') && has('output')) return 'alpaca';
  if (has('prompt') && (has('response') || has('completion'))) return 'alpaca';
  const text = TEXT_COLUMNS.some(has);
  if (text && LABEL_COLUMNS.some(has)) return 'classification';
  if (text) return 'text';
  return 'unknown';
}

/** The mapping for `shape` over these columns, with `overrides` from `--fields` on top. */
export function fieldMapping(shape: CorpusShape, columns: readonly string[], overrides: Partial<FieldMapping> = {}): FieldMapping {
  let base: FieldMapping;
  if (shape === 'alpaca' && !columns.includes('instruction')) {
    base = { prompt: ['prompt'], response: [columns.includes('completion') ? 'completion' : 'response'] };
  } else if (shape === 'classification' || shape === 'text') {
    const text = TEXT_COLUMNS.find((c) => columns.includes(c)) ?? 'text';
    const label = LABEL_COLUMNS.find((c) => columns.includes(c));
    base = { prompt: [text], response: [], ...(shape === 'classification' && label ? { label: [label] } : {}) };
  } else if (shape === 'chat' && columns.includes('conversations')) {
    base = { prompt: ['conversations'], response: ['conversations'] };
  } else if (shape === 'unknown') {
    base = { prompt: [], response: [] };
  } else {
    base = SHAPE_FIELDS[shape];
  }
  return { ...base, ...overrides };
}

/** A row mapper for `mapping`; `chat` columns are split into user turns (prompt) and the last assistant turn. */
export function rowMapper(mapping: FieldMapping): RowMapper {
  if (mapping.prompt.length === 0 && mapping.response.length === 0) {
    return () => ({ ok: false, field: '(none)', message: 'no prompt or response column: name them with --fields prompt=COLUMN,response=COLUMN' });
  }
  return (value) => {
    const prompt = joinFields(value, mapping.prompt, 'prompt');
    if (!prompt.ok) return prompt;
    const response = joinFields(value, mapping.response, 'response');
    if (!response.ok) return response;
    if (!mapping.label || mapping.label.length === 0) return { ok: true, prompt: prompt.text, response: response.text };
    const label = joinFields(value, mapping.label, 'label');
    if (!label.ok) return label;
    return { ok: true, prompt: prompt.text, response: response.text, label: label.text };
  };
}

function joinFields(
  value: { readonly [key: string]: DatasetValue },
  columns: readonly string[],
  role: 'prompt' | 'response' | 'label',
): { ok: true; text: string } | { ok: false; field: string; message: string } {
  const parts: string[] = [];
  for (const column of columns) {
    if (!Object.prototype.hasOwnProperty.call(value, column)) {
      // Alpaca's `input` is optional in practice; every other mapped column must be there.
      if (column === 'input') continue;
      return { ok: false, field: column, message: `missing field "${column}" (the ${role})` };
    }
    const cell = value[column];
    const text = cellText(cell, role);
    if (text === undefined) return { ok: false, field: column, message: `field "${column}" (the ${role}) is ${describe(cell)}, not text` };
    if (text !== '') parts.push(text.length > MAX_FIELD_CHARS ? text.slice(0, MAX_FIELD_CHARS) : text);
  }
  return { ok: true, text: parts.join('\n\n') };
}

/** Text of one cell: strings as they are, numbers and booleans as written (labels), chat turns by role. */
function cellText(cell: DatasetValue | undefined, role: 'prompt' | 'response' | 'label'): string | undefined {
  if (typeof cell === 'string') return cell;
  if (cell === null || cell === undefined) return role === 'label' ? undefined : '';
  if (typeof cell === 'number' || typeof cell === 'boolean' || typeof cell === 'bigint') return String(cell);
  if (Array.isArray(cell)) return chatText(cell as readonly DatasetValue[], role);
  return undefined;
}

/** User turns (prompt) or the last assistant turn (response) of a chat; undefined when it is not one. */
function chatText(turns: readonly DatasetValue[], role: 'prompt' | 'response' | 'label'): string | undefined {
  const user: string[] = [];
  let assistant = '';
  for (const turn of turns) {
    if (turn === null || typeof turn !== 'object' || Array.isArray(turn) || turn instanceof Uint8Array || turn instanceof Date) return undefined;
    const record = turn as { readonly [key: string]: DatasetValue };
    const speaker = record.role ?? record.from;
    const content = record.content ?? record.value;
    if (typeof speaker !== 'string' || typeof content !== 'string') return undefined;
    if (speaker === 'assistant' || speaker === 'gpt' || speaker === 'model') assistant = content;
    else if (speaker === 'user' || speaker === 'human' || speaker === 'system') user.push(content);
  }
  if (role === 'label') return undefined;
  return role === 'prompt' ? user.join('\n\n') : assistant;
}

function describe(cell: DatasetValue | undefined): string {
  if (cell === null || cell === undefined) return 'empty';
  if (Array.isArray(cell)) return 'a list';
  if (cell instanceof Uint8Array) return 'binary';
  if (cell instanceof Date) return 'a date';
  return `a ${typeof cell}`;
}
