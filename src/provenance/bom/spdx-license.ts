import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CdxLicenseChoice } from './cyclonedx-types.js';

/*
 * Model cards write licences the Hub's way (`apache-2.0`, `cc-by-4.0`, `llama3`, `other`). CycloneDX wants an
 * SPDX id, spelt exactly as SPDX spells it, in `license.id`, and anything else in `license.name`. The SPDX list
 * is the one bundled with the CycloneDX schema, so the BOM never holds an id its own schema rejects.
 */

/** The SPDX id enumeration bundled with the CycloneDX schemas (schemas/cyclonedx/). */
export const SPDX_SCHEMA_PATH = fileURLToPath(new URL('../../../schemas/cyclonedx/spdx.SNAPSHOT.schema.json', import.meta.url));

let spdxIds: Map<string, string> | undefined;

/** Lower-case id -> SPDX spelling; empty when the bundled list cannot be read (every licence is then a name). */
function spdxIdMap(): Map<string, string> {
  if (spdxIds) return spdxIds;
  spdxIds = new Map();
  try {
    const schema = JSON.parse(readFileSync(SPDX_SCHEMA_PATH, 'utf8')) as { enum?: unknown };
    if (Array.isArray(schema.enum)) for (const id of schema.enum) if (typeof id === 'string') spdxIds.set(id.toLowerCase(), id);
  } catch {
    // A name is always valid CycloneDX; falling back to names loses precision, never correctness.
  }
  return spdxIds;
}

/** The CycloneDX licence for a declared licence string: an SPDX id when it is one (any case), else its name. */
export function licenseChoice(declared: string): CdxLicenseChoice {
  const id = spdxIdMap().get(declared.trim().toLowerCase());
  return id !== undefined ? { license: { id, acknowledgement: 'declared' } } : { license: { name: declared.trim(), acknowledgement: 'declared' } };
}
