import { AntidoteError, errorMessage } from '../../core/errors.js';
import type { EmbeddingProvider } from './provider.js';

/*
 * An OpenAI-compatible embeddings endpoint (`POST {base}/embeddings` with `{model, input: [...]}`,
 * answered with `{data: [{index, embedding: [...]}, ...]}`): OpenAI itself, and the local servers that
 * speak the same protocol (vLLM, llama.cpp's server, Ollama, text-embeddings-inference). Called only when
 * the user passes its URL. A bearer key, when the endpoint needs one, comes from the environment
 * variable ANTIDOTE_EMBEDDINGS_API_KEY, never from a flag (flags end up in shell history and CI logs).
 *
 * Each request has a timeout; network errors, 429 and 5xx are retried with exponential backoff; any other
 * answer (401, 404, a body that is not the expected shape) fails at once with a message naming the URL
 * and what was wrong. The response body is read up to MAX_RESPONSE_BYTES.
 */

/** Environment variable holding the bearer key. */
export const API_KEY_VARIABLE = 'ANTIDOTE_EMBEDDINGS_API_KEY';
/** Largest response body read: 64 texts x 3,072 floats as JSON is about 4 MB; 64 MB leaves room. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** How to call the endpoint. */
export interface EndpointOptions {
  /** Base URL (`http://127.0.0.1:8080/v1`) or the full `.../embeddings` URL. */
  url: string;
  model: string;
  apiKey?: string;
  /** Per-request timeout, ms. */
  timeoutMs?: number;
  /** Retries after the first attempt. */
  retries?: number;
  /** First backoff, ms; doubled at each retry. */
  backoffMs?: number;
}

/** An OpenAI-compatible embeddings endpoint as a provider. */
export function endpointProvider(options: EndpointOptions): EmbeddingProvider {
  let url: URL;
  try {
    url = new URL(options.url.replace(/\/+$/, '').endsWith('/embeddings') ? options.url : `${options.url.replace(/\/+$/, '')}/embeddings`);
  } catch {
    throw new AntidoteError('USAGE', `--embeddings ${options.url}: not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AntidoteError('USAGE', `--embeddings ${options.url}: only http and https endpoints are supported`);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 500;
  const where = url.toString();

  const embed = async (texts: readonly string[]): Promise<Float32Array[]> => {
    let lastError = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** (attempt - 1)));
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
          body: JSON.stringify({ model: options.model, input: texts }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        lastError = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : errorMessage(error);
        continue;
      }
      if (response.status === 429 || response.status >= 500) {
        lastError = `HTTP ${response.status}`;
        await response.body?.cancel();
        continue;
      }
      const body = await readBounded(response, where);
      if (!response.ok) {
        throw new AntidoteError('INPUT_UNREADABLE', `embeddings endpoint ${where}: HTTP ${response.status}: ${body.slice(0, 200)}`);
      }
      return parseEmbeddings(body, texts.length, where);
    }
    throw new AntidoteError('INPUT_UNREADABLE', `embeddings endpoint ${where}: ${lastError} (after ${retries + 1} attempts)`);
  };

  return {
    name: `endpoint ${where} (model ${options.model})`,
    check: async () => {
      await embed(['antidote embedding check']);
    },
    embed,
  };
}

async function readBounded(response: Response, where: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_RESPONSE_BYTES) throw new AntidoteError('INPUT_UNREADABLE', `embeddings endpoint ${where}: a ${declared}-byte answer, more than ${MAX_RESPONSE_BYTES}`);
  const reader = response.body?.getReader();
  if (!reader) return '';
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      throw new AntidoteError('INPUT_UNREADABLE', `embeddings endpoint ${where}: answer longer than ${MAX_RESPONSE_BYTES} bytes`);
    }
    parts.push(value);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Vectors from an OpenAI-shaped answer, in input order; every deviation is an error naming the field. */
export function parseEmbeddings(body: string, expected: number, where: string): Float32Array[] {
  const fail = (message: string): never => {
    throw new AntidoteError('INPUT_UNREADABLE', `embeddings endpoint ${where}: ${message}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    fail(`the answer is not JSON: ${body.slice(0, 120)}`);
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return fail('the answer has no "data" array');
  if (data.length !== expected) fail(`"data" has ${data.length} entries for ${expected} inputs`);
  const out: (Float32Array | undefined)[] = new Array(expected);
  data.forEach((entry: unknown, position) => {
    const item = entry as { index?: unknown; embedding?: unknown } | null;
    const index = typeof item?.index === 'number' ? item.index : position;
    if (!Number.isInteger(index) || index < 0 || index >= expected || out[index]) fail(`data[${position}].index is ${String(item?.index)}`);
    const embedding = item?.embedding;
    if (!Array.isArray(embedding) || embedding.length === 0) return fail(`data[${position}].embedding is not a list of numbers`);
    const vector = new Float32Array(embedding.length);
    embedding.forEach((v: unknown, k) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`data[${position}].embedding[${k}] is not a finite number`);
      vector[k] = v as number;
    });
    out[index] = vector;
  });
  return out as Float32Array[];
}
