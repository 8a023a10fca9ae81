import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointProvider, parseEmbeddings } from '../../../src/audit/embeddings/endpoint-provider.js';
import { embeddingProviderFor } from '../../../src/audit/embeddings/embedding-spec.js';
import { hashedEmbedding } from '../../../src/audit/embeddings/hashed-provider.js';
import { auditDataset } from '../../../src/audit/audit.js';
import embeddingOutliers from '../../../src/detectors/dataset/embedding-outliers.js';
import { datasetEvents, seededRandom, syntheticAlpaca } from '../../builders/poison.js';

/*
 * A fake OpenAI-compatible embeddings server on 127.0.0.1 (STYLE.md 10-11): the path picks its behaviour,
 * it answers with the built-in hashed embedding of each input (so results are checkable), and it closes
 * when the tests end. Every request it sees is recorded.
 */
interface Seen {
  path: string;
  authorization?: string;
  model: string;
  inputs: number;
}

let server: Server;
let base = '';
const seen: Seen[] = [];
const failuresLeft = new Map<string, number>();

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  const body = JSON.parse(raw) as { model: string; input: string[] };
  const path = req.url ?? '';
  seen.push({ path, model: body.model, inputs: body.input.length, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
  const data = body.input.map((text, index) => ({ object: 'embedding', index, embedding: Array.from(hashedEmbedding(text, 64)) }));
  if (path.startsWith('/flaky/')) {
    const left = failuresLeft.get(path) ?? 2;
    failuresLeft.set(path, left - 1);
    if (left > 0) return answer(res, 503, { error: 'overloaded' });
  }
  if (path.startsWith('/unauthorized/')) return answer(res, 401, { error: { message: 'invalid api key' } });
  if (path.startsWith('/slow/')) return void setTimeout(() => answer(res, 200, { data }), 2000);
  if (path.startsWith('/garbage/')) return answer(res, 200, 'not json at all');
  if (path.startsWith('/short/')) return answer(res, 200, { data: data.slice(1) });
  if (path.startsWith('/reversed/')) return answer(res, 200, { data: [...data].reverse() });
  return answer(res, 200, { object: 'list', data, model: body.model });
}

beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const fast = { backoffMs: 10, timeoutMs: 500 };

describe('OpenAI-compatible embeddings endpoint', () => {
  it('posts the texts to {base}/embeddings with the model and the bearer key, and returns the vectors in order', async () => {
    const provider = endpointProvider({ url: `${base}/ok/v1`, model: 'mini', apiKey: 'secret', ...fast });
    const vectors = await provider.embed(['first text', 'second text']);
    expect(vectors.map((v) => Array.from(v))).toEqual(['first text', 'second text'].map((t) => Array.from(hashedEmbedding(t, 64))));
    expect(seen.at(-1)).toEqual({ path: '/ok/v1/embeddings', model: 'mini', inputs: 2, authorization: 'Bearer secret' });
  });

  it('puts entries back in input order by their index', async () => {
    const vectors = await endpointProvider({ url: `${base}/reversed/v1/embeddings`, model: 'm', ...fast }).embed(['a b', 'c d', 'e f']);
    expect(Array.from(vectors[0]!)).toEqual(Array.from(hashedEmbedding('a b', 64)));
  });

  it('retries 503 with backoff, then succeeds', async () => {
    const before = seen.length;
    const vectors = await endpointProvider({ url: `${base}/flaky/one`, model: 'm', ...fast }).embed(['x']);
    expect(vectors).toHaveLength(1);
    expect(seen.length - before).toBe(3);
  });

  it('gives up after the retries with the last error', async () => {
    await expect(endpointProvider({ url: `${base}/flaky/two`, model: 'm', retries: 1, ...fast }).embed(['x'])).rejects.toMatchObject({
      code: 'INPUT_UNREADABLE',
      message: expect.stringMatching(/\/flaky\/two\/embeddings: HTTP 503 \(after 2 attempts\)/),
    });
  });

  it('fails at once on 401, quoting the answer', async () => {
    const before = seen.length;
    await expect(endpointProvider({ url: `${base}/unauthorized`, model: 'm', ...fast }).check()).rejects.toThrow(/HTTP 401: .*invalid api key/);
    expect(seen.length - before).toBe(1);
  });

  it('times out a server that does not answer', async () => {
    await expect(endpointProvider({ url: `${base}/slow`, model: 'm', retries: 0, backoffMs: 1, timeoutMs: 200 }).embed(['x'])).rejects.toThrow(/no answer within 200 ms \(after 1 attempts\)/);
  });

  it.each([
    ['/garbage', /the answer is not JSON/],
    ['/short', /"data" has 1 entries for 2 inputs/],
  ])('rejects a malformed answer (%s)', async (path, message) => {
    await expect(endpointProvider({ url: `${base}${path}`, model: 'm', ...fast }).embed(['a', 'b'])).rejects.toThrow(message);
  });

  it('names the field at fault in an answer of the wrong shape', () => {
    expect(() => parseEmbeddings('{"data":[{"index":0,"embedding":[0.1,"x"]}]}', 1, 'u')).toThrow(/data\[0\]\.embedding\[1\] is not a finite number/);
    expect(() => parseEmbeddings('{"data":[{"index":3,"embedding":[0.1]}]}', 1, 'u')).toThrow(/data\[0\]\.index is 3/);
  });

  it('refuses what is not an http(s) URL', () => {
    expect(() => endpointProvider({ url: 'ftp://127.0.0.1/v1', model: 'm' })).toThrow(/only http and https/);
  });

  it('feeds dataset/embedding-outliers during an audit: every row embedded in batches of 64', async () => {
    const rows = syntheticAlpaca(300, 31);
    const random = seededRandom(1);
    rows[77] = { instruction: Array.from({ length: 12 }, () => Math.floor(random() * 1e9).toString(36)).join(' '), input: '', output: 'qwzx vbnm plok ijuh ygtf' };
    const before = seen.length;
    const provider = embeddingProviderFor(`${base}/ok/v1`, { model: 'mini', env: {} })!;
    const audit = await auditDataset({ path: 'd.jsonl', format: 'jsonl', events: datasetEvents(rows) }, { detectors: [embeddingOutliers], embeddings: provider });
    const requests = seen.slice(before);
    expect(requests.map((r) => r.inputs)).toEqual([64, 64, 64, 64, 44]);
    expect(requests.every((r) => r.authorization === undefined)).toBe(true);
    expect(audit.rows.filter((r) => r.flagged).map((r) => r.row)).toEqual([77]);
    expect(audit.findings[0]!.message).toContain(`endpoint ${base}/ok/v1/embeddings (model mini)`);
  });
});

describe('--embeddings SPEC', () => {
  it('maps bow, hashed, URLs and folders to providers, and anything else to a usage error', () => {
    expect(embeddingProviderFor('bow')).toBeUndefined();
    expect(embeddingProviderFor('hashed')!.name).toBe('hashed (512 dimensions)');
    expect(embeddingProviderFor('http://127.0.0.1:1/v1', { env: { ANTIDOTE_EMBEDDINGS_API_KEY: 'k' } })!.name).toMatch(/^endpoint http:\/\/127\.0\.0\.1:1\/v1\/embeddings \(model text-embedding-3-small\)$/);
    expect(embeddingProviderFor(new URL('../../fixtures/embedding-model/', import.meta.url).pathname)!.name).toMatch(/^local model /);
    expect(() => embeddingProviderFor('no-such-provider')).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});
