/*
 * Hugging Face Hub repository ids as model cards write them (`meta-llama/Llama-3.1-8B`, `gpt2`,
 * `allenai/c4`), turned into the identifiers CycloneDX consumers match on: a package URL of type
 * `huggingface` (purl-spec) for models, and the repository URL for datasets.
 */

/** `org/name` or a bare canonical `name`; anything with other characters (a local path, a URL) is not one. */
const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,95})?$/;

/** True for a string shaped like a Hub repository id. */
export function isHubId(value: string): boolean {
  return HUB_ID.test(value) && !value.includes('..');
}

/** `pkg:huggingface/org/name` (purl-spec type huggingface; no version: the card names no revision). */
export function hubPurl(id: string): string {
  return `pkg:huggingface/${id.split('/').map(encodeURIComponent).join('/')}`;
}

/** The repository page of a Hub id: `https://huggingface.co/datasets/allenai/c4` for a dataset. */
export function hubUrl(id: string, kind: 'model' | 'dataset'): string {
  return `https://huggingface.co/${kind === 'dataset' ? 'datasets/' : ''}${id}`;
}
