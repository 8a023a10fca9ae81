import { parseReferenceFrequencies, type ReferenceFrequencies } from '../detectors/dataset/reference-frequencies.js';
import { REFERENCE_TOKENS } from './data/reference-tokens.js';

let cached: ReferenceFrequencies | undefined;

/** The shipped reference frequencies (src/audit/data), parsed once per process. */
export function defaultReference(): ReferenceFrequencies {
  cached ??= parseReferenceFrequencies(REFERENCE_TOKENS, 'antidote reference tokens (src/audit/data)');
  return cached;
}
