import { statSync } from 'node:fs';
import { AntidoteError } from '../../core/errors.js';
import { API_KEY_VARIABLE, endpointProvider } from './endpoint-provider.js';
import { hashedProvider } from './hashed-provider.js';
import { localModelProvider } from './local-model-provider.js';
import type { EmbeddingProvider } from './provider.js';

/** Model name sent to an endpoint when `--embeddings-model` is not given. */
export const DEFAULT_ENDPOINT_MODEL = 'text-embedding-3-small';

/**
 * The provider `--embeddings SPEC` names: `bow` (the default: dataset/embedding-outliers' own bag of
 * words, returned as undefined), `hashed`, an `http(s)://` URL of an OpenAI-compatible endpoint, or the
 * path of a local model folder. Throws a usage error for anything else.
 */
export function embeddingProviderFor(spec: string, options: { model?: string; env?: NodeJS.ProcessEnv } = {}): EmbeddingProvider | undefined {
  if (spec === 'bow') return undefined;
  if (spec === 'hashed') return hashedProvider();
  if (/^https?:\/\//i.test(spec)) {
    const apiKey = (options.env ?? process.env)[API_KEY_VARIABLE];
    return endpointProvider({ url: spec, model: options.model ?? DEFAULT_ENDPOINT_MODEL, ...(apiKey ? { apiKey } : {}) });
  }
  let isFolder = false;
  try {
    isFolder = statSync(spec).isDirectory();
  } catch {
    // Not a path that exists: fall through to the usage error.
  }
  if (!isFolder) {
    throw new AntidoteError('USAGE', `--embeddings ${spec}: expected bow, hashed, an http(s):// endpoint URL, or a local model folder`);
  }
  return localModelProvider(spec);
}
