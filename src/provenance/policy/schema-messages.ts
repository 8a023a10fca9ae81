import type { ErrorObject } from 'ajv';
import { pointerSegments } from './yaml-positions.js';

/*
 * ajv reports what failed in schema terms ("must NOT have additional properties"); a person editing
 * antidote.yaml needs the field, what is allowed and what they wrote. This turns one ajv error (collected
 * with `verbose`, so the failing schema and data are at hand) into that sentence and the place to point at.
 */

/** One schema error in words, with the path of the YAML node to point at. */
export interface SchemaProblem {
  /** Keys and indices of the node to point at. */
  segments: (string | number)[];
  /** Point at the key (unknown keys; a mapping that lacks a key) rather than at the value. */
  atKey: boolean;
  message: string;
}

/** `signatures.keys[0].sha256`, or `the policy` for the root. */
export function fieldName(segments: readonly (string | number)[]): string {
  if (segments.length === 0) return 'the policy';
  return segments.map((s, i) => (/^\d+$/.test(String(s)) ? `[${s}]` : i === 0 ? String(s) : `.${s}`)).join('');
}

/** A written value for a message: quoted, bounded, and never multi-line. */
export function shown(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return value instanceof Uint8Array ? 'binary data' : 'a mapping';
  const text = typeof value === 'string' ? `'${value}'` : String(value);
  const oneLine = text.replace(/[\r\n\t]+/g, ' ');
  return oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine;
}

function kind(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return Number.isFinite(value) ? 'a number' : `${value} (not a finite number)`;
  if (typeof value === 'object') return value instanceof Uint8Array ? 'binary data' : 'a mapping';
  return `a ${typeof value} (${shown(value)})`;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping (key: value lines)',
  array: 'a list (- item lines or [a, b])',
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
};

/** Edit distance, for "did you mean" on unknown keys (policy keys are short, so the quadratic cost is nil). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The closest allowed key within two edits (`fail_on` -> `fail-on`), if any. */
export function closestKey(written: string, allowed: readonly string[]): string | undefined {
  const normalised = written.toLowerCase().replace(/_/g, '-');
  let best: { key: string; d: number } | undefined;
  for (const key of allowed) {
    const d = distance(normalised, key);
    if (d <= 2 && (!best || d < best.d)) best = { key, d };
  }
  return best?.key;
}

function describedBy(error: ErrorObject): string | undefined {
  const parent = error.parentSchema as { description?: unknown } | undefined;
  return typeof parent?.description === 'string' ? parent.description : undefined;
}

/** The words for one ajv error (ajv must run with `verbose: true`). */
export function describeSchemaError(error: ErrorObject): SchemaProblem {
  const segments: (string | number)[] = pointerSegments(error.instancePath);
  const field = fieldName(segments);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const near = closestKey(key, allowed);
      const where = segments.length === 0 ? 'at the top level' : `in ${field}`;
      const hint = near ? `; did you mean '${near}'?` : allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : '';
      return { segments: [...segments, key], atKey: true, message: `unknown key '${key}' ${where}${hint}` };
    }
    case 'required': {
      const missing = String(params.missingProperty);
      return { segments, atKey: true, message: `${field} is missing the required key '${missing}'` };
    }
    case 'type':
      return { segments, atKey: false, message: `${field} must be ${TYPE_WORDS[String(params.type)] ?? String(params.type)}, not ${kind(error.data)}` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => String(v)).join(', ');
      return { segments, atKey: false, message: `${field} must be one of ${allowed} (got ${shown(error.data)})` };
    }
    case 'pattern':
      return { segments, atKey: false, message: `${field} is not ${describedBy(error) ?? `of the form ${String(params.pattern)}`} (got ${shown(error.data)})` };
    case 'minimum':
    case 'maximum':
      return { segments, atKey: false, message: `${field} must be ${String(params.comparison)} ${String(params.limit)} (got ${shown(error.data)})` };
    case 'minLength':
      return { segments, atKey: false, message: `${field} must not be empty` };
    case 'minItems':
      return { segments, atKey: false, message: `${field} needs at least ${String(params.limit)} item(s)` };
    case 'uniqueItems': {
      // Point at the repeat, the later of the two.
      const [first, repeat] = [Number(params.i), Number(params.j)].sort((a, b) => a - b) as [number, number];
      return { segments: [...segments, repeat], atKey: false, message: `${field} lists ${shown((error.data as unknown[])[repeat])} twice (items ${first} and ${repeat})` };
    }
    case 'minProperties':
    case 'maxProperties': {
      const allowed = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return { segments, atKey: false, message: `${field} must have exactly one of ${allowed.join(', ')}` };
    }
    case 'anyOf': {
      // The policy schema uses anyOf only for "at least one of these keys" (each branch is {required: [key]}).
      const branches = (error.schema as { required?: string[] }[]).map((b) => b.required?.[0]).filter((k): k is string => k !== undefined);
      return { segments, atKey: true, message: `${field} needs at least one of ${branches.map((k) => `'${k}'`).join(' or ')}` };
    }
    default:
      return { segments, atKey: false, message: `${field} ${error.message ?? 'is not valid'}` };
  }
}

/**
 * The errors worth showing: an anyOf error already says what is wrong, so the failed branches it explains
 * (reported before it, with schema paths under it) are dropped.
 */
export function relevantErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const explained = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => `${e.schemaPath}/`);
  return errors.filter((e) => !explained.some((prefix) => e.schemaPath.startsWith(prefix)));
}
