import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ErrorObject, ValidateFunction } from 'ajv';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module object.
const addFormats = addFormatsModule.default;

function loadJson(relativeToRepo: string): object {
  return JSON.parse(readFileSync(new URL(`../../${relativeToRepo}`, import.meta.url), 'utf8')) as object;
}

/** Validates against the official SARIF 2.1.0 schema (draft-07) in test/fixtures/sarif. */
export const validateSarif: ValidateFunction = (() => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(loadJson('test/fixtures/sarif/sarif-schema-2.1.0.json'));
})();

/** Validates against antidote's own result contract, docs/result.schema.json (draft 2020-12). */
export const validateResultSchema: ValidateFunction = (() => {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  return ajv.compile(loadJson('docs/result.schema.json'));
})();

/** ajv errors in one line each, for a failing expectation to show. */
export function describeErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
