import { describe, expect, it } from 'vitest';
import { readModelCard } from '../../../src/readers/model-card/index.js';

describe('model card front matter', () => {
  it.each([
    ['lists', '---\nlicense: apache-2.0\nbase_model:\n- meta-llama/Llama-3.1-8B\ndatasets:\n  - tatsu-lab/alpaca\n  - "openai/gsm8k"\n---\n# Card', { baseModel: ['meta-llama/Llama-3.1-8B'], datasets: ['tatsu-lab/alpaca', 'openai/gsm8k'], license: 'apache-2.0' }],
    ['inline values', "---\nbase_model: Qwen/Qwen2.5-7B\ndatasets: [a/b, 'c/d']\n---\n", { baseModel: ['Qwen/Qwen2.5-7B'], datasets: ['a/b', 'c/d'], license: null }],
    ['no provenance keys', '---\nlicense: mit\ntags:\n- text-generation\n---\n', { baseModel: [], datasets: [], license: 'mit' }],
  ])('%s', (_name, text, expected) => {
    expect(readModelCard(text)).toEqual({ hasFrontMatter: true, ...expected });
  });

  it('a card without front matter declares nothing', () => {
    expect(readModelCard('# My model\nbase_model: not in front matter\n')).toEqual({ hasFrontMatter: false, baseModel: [], datasets: [], license: null });
  });
});
