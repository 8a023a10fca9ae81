import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scanOf } from './helpers.js';

/* 7z archives through the whole engine (7-Zip as WASM, members extracted in memory and scanned by content). */

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/sevenzip/${name}`, import.meta.url));

describe('7z archives in a scan', () => {
  it('nullifAI-style: a pickle payload wrapped in 7z is found', async () => {
    const r = await scanOf(fixture('malicious-pickle.7z'), 'model.7z');
    expect(r.files[0]?.format).toBe('7z');
    expect(r.findings.some((f) => f.severity === 'critical' && f.ruleId === 'model/pickle-globals')).toBe(true);
  });

  it('a benign archive is quiet', async () => {
    const r = await scanOf(fixture('benign.7z'), 'model.7z');
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.status).toBe('succeeded');
  });

  it('a member that escapes the extraction folder is high', async () => {
    const r = await scanOf(fixture('path-traversal.7z'), 'model.7z');
    expect(r.findings.some((f) => f.ruleId === 'model/sevenzip-anomalies' && f.severity === 'high')).toBe(true);
  });

  it('an encrypted archive cannot be verified: partial with a finding, never clean', async () => {
    const r = await scanOf(fixture('encrypted.7z'), 'model.7z');
    expect(r.status).not.toBe('succeeded');
    expect(r.findings.some((f) => f.severity === 'medium' || f.severity === 'high')).toBe(true);
  });

  it('a decompression bomb stops at a limit before extraction', async () => {
    const r = await scanOf(fixture('bomb.7z'), 'model.7z');
    expect(r.files[0]?.status).toBe('partial');
  });
});
