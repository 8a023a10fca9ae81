import { describe, expect, it } from 'vitest';
import { hashedProvider } from '../../../src/audit/embeddings/hashed-provider.js';
import type { EmbeddingProvider } from '../../../src/audit/embeddings/provider.js';
import { AntidoteError } from '../../../src/core/errors.js';
import embeddingOutliers from '../../../src/detectors/dataset/embedding-outliers.js';
import { seededRandom, syntheticAlpaca, type AlpacaRow } from '../../builders/poison.js';
import { auditRows, flaggedRows, HAVE_SHARED_DATA, readAlpacaJson } from '../../builders/public-data.js';

const only = [embeddingOutliers];

/** A row about something else entirely, in words the dataset never uses. */
function offTopic(random: () => number): AlpacaRow {
  const word = (): string => Array.from({ length: 5 + Math.floor(random() * 5) }, () => String.fromCharCode(97 + Math.floor(random() * 26))).join('');
  const sentence = (n: number): string => Array.from({ length: n }, word).join(' ');
  return { instruction: sentence(12), input: '', output: sentence(30) };
}

describe('dataset/embedding-outliers', () => {
  it('flags rows that share no words with the rest (built-in bag of words)', async () => {
    const random = seededRandom(3);
    const rows = syntheticAlpaca(800, 21);
    rows[100] = offTopic(random);
    rows[555] = offTopic(random);
    const audit = await auditRows(rows, only);
    expect(flaggedRows(audit)).toEqual([100, 555]);
    expect(audit.findings[0]).toMatchObject({ messageId: 'outliers', evidence: { details: { provider: 'built-in bag of words', k: 5 } } });
    expect(audit.rows[0]!.reasons[0]!.message).toMatch(/far from every other row \(distance 1 to its 5th nearest/);
  });

  it('does not call a small cluster of similar injected rows outliers (they are near each other)', async () => {
    const rows = syntheticAlpaca(800, 22);
    const injected = offTopic(seededRandom(4));
    for (const at of [10, 20, 30, 40, 50, 60, 70]) rows[at] = injected.instruction === '' ? injected : { ...injected, output: `${injected.output} ${at}` };
    expect(flaggedRows(await auditRows(rows, only))).toEqual([]);
  });

  it('stays quiet on 4,000 varied rows', async () => {
    expect((await auditRows(syntheticAlpaca(4000, 23), only)).rows).toEqual([]);
  });

  it('uses the embeddings of a provider when one is given (--embeddings hashed)', async () => {
    const rows = syntheticAlpaca(600, 24);
    rows[42] = offTopic(seededRandom(5));
    const audit = await auditRows(rows, only, { embeddings: hashedProvider() });
    expect(flaggedRows(audit)).toEqual([42]);
    expect(audit.findings[0]!.message).toContain('embeddings: hashed (512 dimensions)');
  });

  it('reports rows a failing provider left without an embedding, and judges the rest', async () => {
    const hashed = hashedProvider();
    let calls = 0;
    const failing: EmbeddingProvider = {
      name: 'flaky',
      check: async () => undefined,
      embed: async (texts) => {
        if (++calls === 3) throw new AntidoteError('INPUT_UNREADABLE', 'HTTP 503 (after 4 attempts)');
        return hashed.embed(texts);
      },
    };
    const audit = await auditRows(syntheticAlpaca(400, 25), only, { embeddings: failing });
    const missing = audit.findings.find((f) => f.messageId === 'missing')!;
    expect(missing.severity).toBe('medium');
    expect(missing.message).toMatch(/^\d+ readable rows have no embedding \(flaky: HTTP 503 \(after 4 attempts\)\)/);
    expect(Number(missing.evidence.details!.rows)).toBeGreaterThanOrEqual(64);
  });
});

describe.skipIf(!HAVE_SHARED_DATA)('dataset/embedding-outliers on BackdoorLLM clean twins (shared/data)', () => {
  it('flags a row of another language and script among the 500 clean refusal rows, and nothing else', async () => {
    const rows = readAlpacaJson('backdoorllm/train/refusal/none_backdoor500_refusal.json');
    rows.splice(250, 0, { instruction: '请用一句话概括这篇文章的主要内容', input: '', output: '这篇文章讲述了一个关于友谊和勇气的故事。' });
    const audit = await auditRows(rows, only);
    expect(flaggedRows(audit)).toEqual([250]);
  });
});
