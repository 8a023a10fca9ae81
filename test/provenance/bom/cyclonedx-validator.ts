import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module object.
const addFormats = addFormatsModule.default;

function schema(name: string): object {
  return JSON.parse(readFileSync(new URL(`../../../schemas/cyclonedx/${name}`, import.meta.url), 'utf8')) as object;
}

/**
 * Validates against the bundled CycloneDX 1.6 schema (draft-07) with ajv and ajv-formats. ajv-formats has
 * no `iri-reference` or `idn-email`: they are added here with the grammar's outer bounds (no spaces or
 * control characters; one `@` between non-empty parts), which is what the schema needs them to reject.
 */
export const validateCycloneDx: ValidateFunction = (() => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addFormat('iri-reference', /^[^\s\u0000-\u001f\u007f]*$/u);
  ajv.addFormat('idn-email', /^[^\s@]+@[^\s@]+$/u);
  // The BOM schema refers to its neighbours by these file names, resolved against its $id.
  ajv.addSchema(schema('spdx.SNAPSHOT.schema.json'), 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json');
  ajv.addSchema(schema('jsf-0.82.SNAPSHOT.schema.json'), 'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json');
  return ajv.compile(schema('bom-1.6.SNAPSHOT.schema.json'));
})();

/** ajv errors in one line each, for a failing expectation to show. */
export function describeErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}
