import { AntidoteError } from '../core/errors.js';
import { rowParts, type DatasetShape, type ShapeFields, type ShapeMapping } from '../readers/dataset/shape.js';
import type { DatasetValue } from '../readers/dataset/types.js';

/*
 * Which fields of a row are the prompt, the response and the label: the dataset readers' shape detection
 * (src/readers/dataset/shape.ts) with `--shape` and `--fields` on top. The audit adds one rule: a row that
 * lacks a column its shape needs (an Alpaca row without `output`) is a bad row with the field named, never
 * read as an empty string, because a loader would not read it as empty either.
 */

/** The texts of one row, or why the row cannot give them. */
export type MappedRow =
  | { ok: true; prompt: string; response: string; label?: string }
  | { ok: false; field: string; message: string };

/** Maps one row value to its texts. */
export type RowMapper = (value: { readonly [key: string]: DatasetValue }) => MappedRow;

/** Roles `--fields` accepts: the readers' shape fields. */
const FIELD_ROLES: readonly (keyof ShapeFields)[] = ['prompt', 'input', 'response', 'text', 'label', 'messages', 'chosen', 'rejected'];

/** Columns each shape needs in every row. */
const REQUIRED: Readonly<Record<DatasetShape, readonly (keyof ShapeFields)[]>> = {
  alpaca: ['prompt', 'response'],
  chat: ['messages'],
  preference: ['chosen'],
  classification: ['text', 'label'],
  text: ['text'],
  unknown: [],
};

/** Shapes `--shape` accepts. */
export const SHAPES: readonly DatasetShape[] = ['alpaca', 'chat', 'preference', 'classification', 'text', 'unknown'];

/** Parse `--fields prompt=instruction,response=output` (repeatable, merged; later wins). */
export function parseFieldSpecs(specs: readonly string[]): ShapeFields {
  const fields: ShapeFields = {};
  for (const spec of specs.flatMap((s) => s.split(','))) {
    const match = /^\s*(\w+)\s*=\s*(.+?)\s*$/.exec(spec);
    const role = match?.[1] as keyof ShapeFields | undefined;
    if (!match || !role || !FIELD_ROLES.includes(role)) {
      throw new AntidoteError('USAGE', `--fields expects ROLE=COLUMN with ROLE one of ${FIELD_ROLES.join(', ')} (got '${spec}')`);
    }
    fields[role] = match[2]!;
  }
  return fields;
}

/** Check a `--shape` value. */
export function parseShape(value: string | undefined): DatasetShape | undefined {
  if (value === undefined) return undefined;
  if ((SHAPES as readonly string[]).includes(value)) return value as DatasetShape;
  throw new AntidoteError('USAGE', `--shape must be one of ${SHAPES.join(', ')} (got '${value}')`);
}

/** A row mapper for `mapping`. Text and unknown rows have no prompt/response split: all their text is the prompt. */
export function rowMapper(mapping: ShapeMapping): RowMapper {
  const required = REQUIRED[mapping.shape].map((role) => [role, mapping.fields[role]] as const);
  return (value) => {
    for (const [role, column] of required) {
      if (column === undefined) return { ok: false, field: role, message: `no column for the ${role}: name it with --fields ${role}=COLUMN` };
      const cell = value[column];
      if (cell === undefined) return { ok: false, field: column, message: `missing field "${column}" (the ${role})` };
      if (cell === null && role !== 'label') return { ok: false, field: column, message: `field "${column}" (the ${role}) is null` };
    }
    const parts = rowParts(value, mapping);
    const prompt = parts.prompt !== '' || parts.response !== '' ? parts.prompt : parts.text;
    return parts.label === undefined ? { ok: true, prompt, response: parts.response } : { ok: true, prompt, response: parts.response, label: parts.label };
  };
}
