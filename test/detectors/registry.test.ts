import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allDetectors, scanDetectors } from '../../src/detectors/registry.js';

const SRC = new URL('../../src/detectors/', import.meta.url);
const TESTS = new URL('./', import.meta.url);

describe('detector registry', () => {
  it('ids are unique', () => {
    const ids = allDetectors.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(allDetectors.map((d) => [d.id, d] as const))('%s: id is its path, docs are complete, it has tests', (id, d) => {
    expect(existsSync(new URL(`${id}.ts`, SRC))).toBe(true);
    expect(existsSync(new URL(`${id}.test.ts`, TESTS))).toBe(true);
    expect(d.title.length).toBeGreaterThan(10);
    expect(d.description.length).toBeGreaterThan(40);
    expect(d.remediation.length).toBeGreaterThan(20);
    expect(d.tags.some((t) => t.startsWith('OWASP-LLM'))).toBe(true);
    expect(d.tags.some((t) => t.startsWith('AML.T'))).toBe(true);
    expect(Object.keys(d.messages).length).toBeGreaterThan(0);
  });

  it('the scan preset never needs the network or runs the artifact', () => {
    for (const d of scanDetectors) expect(d.requires).toEqual({ network: false, unsafe: false });
  });
});
