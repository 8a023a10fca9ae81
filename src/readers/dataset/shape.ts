import { isValidUtf8 } from './read-state.js';
import type { DatasetColumn, DatasetValue } from './types.js';

/*
 * What a dataset's rows mean, so the audit can look at prompts, responses and labels instead of raw JSON.
 * Detection goes by column names (case-insensitive), checked against sample rows where the names alone are
 * ambiguous, in this order (the first match wins):
 *   preference      chosen + rejected (prompt optional: TRL's implicit-prompt format has none)
 *   chat            messages | conversations | conversation | dialog, holding turns with role/content (OpenAI)
 *                   or from/value (ShareGPT)
 *   alpaca          a single-turn pair: instruction | prompt | question | query, plus output | response |
 *                   completion | answer (input | context optional)
 *   classification  text | sentence | content | document | review | passage, plus label | labels | target |
 *                   class | category | sentiment
 *   text            one of those text columns alone, or a single string column
 *   unknown         anything else: its parts are every string in the row, so unknown is still audited
 * Explicit field names override detection, column by column.
 */

/** What a dataset's rows hold. */
export type DatasetShape = 'alpaca' | 'chat' | 'preference' | 'classification' | 'text' | 'unknown';

/** Which column plays which part (actual column names). */
export interface ShapeFields {
  prompt?: string;
  input?: string;
  response?: string;
  text?: string;
  label?: string;
  messages?: string;
  chosen?: string;
  rejected?: string;
}

/** A shape and the columns that play its parts. */
export interface ShapeMapping {
  readonly shape: DatasetShape;
  readonly fields: Readonly<ShapeFields>;
}

/** One row split into what a model is shown and what it is taught to answer. */
export interface RowParts {
  /** What the model is given: instruction and input, user and system turns, the preference prompt, the text to classify. */
  prompt: string;
  /** What the model is taught to produce: output, assistant turns, the chosen answer. Empty for classification and text. */
  response: string;
  /** All of the row's text, for checks that look at everything. */
  text: string;
  /** The class label, when the row has one. */
  label?: string;
  /** The rejected answer of a preference row. */
  rejected?: string;
}

const NAMES = {
  prompt: ['instruction', 'prompt', 'question', 'query'],
  input: ['input', 'context'],
  response: ['output', 'response', 'completion', 'answer'],
  messages: ['messages', 'conversations', 'conversation', 'dialog'],
  text: ['text', 'sentence', 'content', 'document', 'review', 'passage'],
  label: ['label', 'labels', 'target', 'class', 'category', 'sentiment'],
  chosen: ['chosen'],
  rejected: ['rejected'],
} as const;

/** Roles of turns the model is trained to produce (OpenAI, ShareGPT and common variants). */
const ASSISTANT_ROLES = new Set(['assistant', 'gpt', 'bot', 'model', 'chatgpt']);

/** Depth to which values are flattened to text: readers already bound nesting; this guards rows from elsewhere. */
const MAX_TEXT_DEPTH = 64;

type Row = { readonly [key: string]: DatasetValue };

function columnNames(columns: readonly DatasetColumn[], samples: readonly Row[]): string[] {
  const names = new Set(columns.map((column) => column.name));
  for (const row of samples) for (const key of Object.keys(row)) names.add(key);
  return [...names];
}

function pick(names: readonly string[], candidates: readonly string[]): string | undefined {
  for (const candidate of candidates) {
    const hit = names.find((name) => name.toLowerCase() === candidate);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

function isTurn(value: DatasetValue): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array || value instanceof Date) return false;
  const turn = value as Row;
  return ('role' in turn && 'content' in turn) || ('from' in turn && 'value' in turn);
}

/** Whether sampled values of a column look like chat turns (no samples: trust the name). */
function holdsTurns(column: string, samples: readonly Row[]): boolean {
  for (const row of samples) {
    const value = row[column];
    if (value === null || value === undefined) continue;
    if (!Array.isArray(value) || !(value as readonly DatasetValue[]).every(isTurn)) return false;
  }
  return true;
}

/** Resolve a shape and its columns from the schema and a few sample rows; `override` fixes shape or fields. */
export function resolveShape(columns: readonly DatasetColumn[], samples: readonly Row[], override: { shape?: DatasetShape; fields?: ShapeFields } = {}): ShapeMapping {
  const names = columnNames(columns, samples);
  const found: ShapeFields = {};
  for (const part of Object.keys(NAMES) as (keyof typeof NAMES)[]) {
    const hit = pick(names, NAMES[part]);
    if (hit !== undefined) found[part] = hit;
  }
  const fields: ShapeFields = { ...found, ...override.fields };
  const shape = override.shape ?? detectFromFields(fields, columns, samples, names);
  return { shape, fields: pruneFields(shape, fields) };
}

function detectFromFields(fields: ShapeFields, columns: readonly DatasetColumn[], samples: readonly Row[], names: readonly string[]): DatasetShape {
  if (fields.chosen !== undefined && fields.rejected !== undefined) return 'preference';
  if (fields.messages !== undefined && holdsTurns(fields.messages, samples)) return 'chat';
  if (fields.prompt !== undefined && fields.response !== undefined) return 'alpaca';
  if (fields.text !== undefined && fields.label !== undefined) return 'classification';
  if (fields.text !== undefined) return 'text';
  const strings = columns.filter((column) => column.type === 'string');
  if (strings.length === 1 && names.length === 1) {
    fields.text = strings[0]!.name;
    return 'text';
  }
  return 'unknown';
}

function pruneFields(shape: DatasetShape, fields: ShapeFields): ShapeFields {
  const keep: Record<DatasetShape, (keyof ShapeFields)[]> = {
    preference: ['prompt', 'chosen', 'rejected', 'label'],
    chat: ['messages', 'label'],
    alpaca: ['prompt', 'input', 'response', 'label'],
    classification: ['text', 'label'],
    text: ['text', 'label'],
    unknown: [],
  };
  const out: ShapeFields = {};
  for (const part of keep[shape]) if (fields[part] !== undefined) out[part] = fields[part];
  return out;
}

/** Detect what a dataset's rows hold, from its columns and a few sample rows. */
export function detectShape(columns: readonly DatasetColumn[], samples: readonly Row[]): DatasetShape {
  return resolveShape(columns, samples).shape;
}

/** A value as text: strings as they are, numbers and booleans printed, lists and objects joined line by line. */
export function valueText(value: DatasetValue | undefined, depth = 0): string {
  if (value === null || value === undefined || depth > MAX_TEXT_DEPTH) return '';
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      break;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
  if (value instanceof Uint8Array) {
    // Binary cells can carry text too (an unannotated Parquet string column); only valid UTF-8 is shown.
    return isValidUtf8(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8') : '';
  }
  const parts = Array.isArray(value) ? (value as readonly DatasetValue[]) : Object.values(value as Row);
  return parts
    .map((part) => valueText(part, depth + 1))
    .filter((text) => text !== '')
    .join('\n');
}

function turnContent(turn: Row): string {
  // OpenAI content may be a list of parts ({type: 'text', text}); ShareGPT keeps the text in `value`.
  const content = turn.content ?? turn.value ?? turn.text ?? null;
  if (Array.isArray(content)) {
    return (content as readonly DatasetValue[])
      .map((part) => (part !== null && typeof part === 'object' && !Array.isArray(part) && !(part instanceof Uint8Array) && !(part instanceof Date) ? valueText((part as Row).text ?? null) : valueText(part)))
      .filter((text) => text !== '')
      .join('\n');
  }
  return valueText(content);
}

/** Split chat turns into what the model is given and what it is taught to say. */
export function chatParts(value: DatasetValue | undefined): { prompt: string; response: string; text: string } {
  if (!Array.isArray(value)) {
    const text = valueText(value);
    return { prompt: '', response: text, text };
  }
  const given: string[] = [];
  const said: string[] = [];
  const all: string[] = [];
  for (const item of value as readonly DatasetValue[]) {
    if (!isTurn(item)) {
      const text = valueText(item);
      if (text) {
        given.push(text);
        all.push(text);
      }
      continue;
    }
    const turn = item as Row;
    const role = valueText(turn.role ?? turn.from ?? null).toLowerCase();
    const content = turnContent(turn);
    if (content === '') continue;
    (ASSISTANT_ROLES.has(role) ? said : given).push(content);
    all.push(content);
  }
  return { prompt: given.join('\n\n'), response: said.join('\n\n'), text: all.join('\n\n') };
}

function joinText(...parts: string[]): string {
  return parts.filter((part) => part !== '').join('\n\n');
}

/** Split a row into prompt, response, text and label, as its shape says. */
export function rowParts(row: Row, mapping: ShapeMapping): RowParts {
  const { fields } = mapping;
  const get = (name: string | undefined): DatasetValue | undefined => (name === undefined ? undefined : row[name]);
  const label = fields.label !== undefined && row[fields.label] !== undefined && row[fields.label] !== null ? valueText(row[fields.label]) : undefined;
  const withLabel = (parts: RowParts): RowParts => (label === undefined ? parts : { ...parts, label });
  switch (mapping.shape) {
    case 'alpaca': {
      const prompt = joinText(valueText(get(fields.prompt)), valueText(get(fields.input)));
      const response = valueText(get(fields.response));
      return withLabel({ prompt, response, text: joinText(prompt, response) });
    }
    case 'chat':
      return withLabel(chatParts(get(fields.messages)));
    case 'preference': {
      const promptValue = get(fields.prompt);
      const chosen = chatParts(get(fields.chosen));
      const rejected = chatParts(get(fields.rejected));
      // Conversational preference rows repeat the user turns inside chosen and rejected; use them when there is no prompt.
      const prompt = promptValue !== undefined ? (Array.isArray(promptValue) ? chatParts(promptValue).text : valueText(promptValue)) : chosen.prompt;
      const response = chosen.response || chosen.text;
      const rejectedText = rejected.response || rejected.text;
      return withLabel({ prompt, response, text: joinText(prompt, response, rejectedText), rejected: rejectedText });
    }
    case 'classification': {
      const text = valueText(get(fields.text));
      return withLabel({ prompt: text, response: '', text });
    }
    case 'text':
      return withLabel({ prompt: '', response: '', text: valueText(get(fields.text)) });
    case 'unknown':
      return { prompt: '', response: '', text: valueText(row as DatasetValue) };
  }
}
