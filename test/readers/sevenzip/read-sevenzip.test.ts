import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, resolveLimits, type Limits } from '../../../src/core/limits.js';
import { initSevenZip, readSevenZip, sevenZipReader, sniffSevenZip, type SevenZipArchive, type SevenZipReader } from '../../../src/readers/sevenzip/index.js';
import { scanBytes } from '../../../src/scan/scan.js';

/** Fixtures made with Debian's 7zz; see test/fixtures/sevenzip/README.md for how and why. */
const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/sevenzip/${name}`, import.meta.url));

let reader: SevenZipReader;
beforeAll(async () => {
  reader = await initSevenZip();
});

const archive = (bytes: Buffer, limits: Limits = DEFAULT_LIMITS): SevenZipArchive => {
  const r = reader.read(bytes, limits);
  if (!r.ok) throw new Error(`${r.error.kind}: ${r.error.message}`);
  return r.value;
};
const kinds = (a: SevenZipArchive): string[] => a.anomalies.map((x) => x.kind);

describe('7z reader', () => {
  it('lists and extracts a plain model archive (control)', () => {
    const bytes = fixture('benign.7z');
    expect(sniffSevenZip(bytes)).toBe(true);
    const a = archive(bytes);
    expect(a.entries.map((e) => [e.name, e.type, e.size])).toEqual([['model', 'directory', 0], ['model/config.json', 'file', 46], ['model/weights.bin', 'file', 256]]);
    expect(a.members.map((m) => m.name)).toEqual(['model/config.json', 'model/weights.bin']);
    expect(a.members[0]!.data.toString()).toContain('TinyNet');
    expect(a.anomalies).toEqual([]);
    expect(a.incomplete).toBeUndefined();
  });

  it('init is shared: the same reader, available synchronously once initialised', async () => {
    expect(await initSevenZip()).toBe(reader);
    expect(sevenZipReader()).toBe(reader);
    const viaAsync = await readSevenZip(fixture('benign.7z'), DEFAULT_LIMITS);
    expect(viaAsync.ok).toBe(true);
  });

  it('a pickle payload wrapped in 7z comes out byte for byte and is caught by content', async () => {
    const a = archive(fixture('malicious-pickle.7z'));
    const member = a.members.find((m) => m.name === 'archive/data.pkl');
    expect(member?.data.subarray(0, 16).toString('latin1')).toContain('cos\nsystem');
    const result = await scanBytes(member!.data, 'malicious-pickle.7z!archive/data.pkl');
    expect(result.findings.some((f) => f.severity === 'critical')).toBe(true);
  });

  it('path traversal: a finding, and extraction stays inside the in-memory file system', () => {
    const a = archive(fixture('path-traversal.7z'));
    expect(kinds(a)).toEqual(['path-traversal']);
    expect(a.anomalies[0]!.entry).toBe('../../etc/cron.d/evil');
    // 7-Zip strips the `..` segments; the bytes are still scanned.
    expect(a.members.map((m) => m.name)).toEqual(['etc/cron.d/evil']);
    expect(existsSync('etc/cron.d/evil')).toBe(false);
  });

  it('symlink member: a finding that shows its target, never followed or read as a file', () => {
    const a = archive(fixture('symlink.7z'));
    expect(kinds(a)).toEqual(['symlink']);
    expect(a.entries.find((e) => e.name === 'model.bin')).toMatchObject({ type: 'symlink', linkTarget: '/etc/passwd' });
    expect(a.anomalies[0]).toMatchObject({ target: '/etc/passwd' });
    expect(a.anomalies[0]!.message).toContain('points to "/etc/passwd"');
    expect(a.members.map((m) => m.name)).toEqual(['real.txt']);
  });

  it('symlink targets are read per link, by exact name: a link named `*` or `-rf.bin` names only itself', () => {
    const a = archive(fixture('symlink-tricky.7z'));
    expect(a.entries.map((e) => [e.name, e.type, e.linkTarget])).toEqual([
      ['*', 'symlink', '../../../root/.ssh/authorized_keys'],
      ['-rf.bin', 'symlink', '/etc/shadow'],
      ['real.txt', 'file', undefined],
    ]);
    expect(a.members.map((m) => [m.name, m.data.toString()])).toEqual([['real.txt', 'x\n']]);
  });

  it('a symlink in an archive over a limit is still a finding, its target not read', () => {
    const a = archive(fixture('symlink.7z'), resolveLimits({ maxMemberBytes: 1 }));
    expect(kinds(a)).toEqual(['symlink', 'over-limit']);
    expect(a.entries.find((e) => e.name === 'model.bin')?.linkTarget).toBeUndefined();
  });

  it('encrypted members: a finding and incomplete, never clean', () => {
    const a = archive(fixture('encrypted.7z'));
    expect(kinds(a)).toEqual(['encrypted']);
    expect(a.members).toEqual([]);
    expect(a.incomplete).toBeDefined();
  });

  it('encrypted headers (-mhe=on): a finding even though no name can be listed', () => {
    const a = archive(fixture('encrypted-headers.7z'));
    expect(kinds(a)).toEqual(['encrypted']);
    expect(a.incomplete).toBeDefined();
  });

  it('mixed archive: the plain member is scanned, the encrypted one is a finding and not decoded', () => {
    const a = archive(fixture('mixed-encrypted.7z'));
    expect(kinds(a)).toEqual(['encrypted']);
    expect(a.anomalies[0]!.entry).toBe('data.pkl');
    expect(a.members.map((m) => m.name)).toEqual(['readme.txt']);
    expect(a.incomplete).toBeDefined();
  });

  it('reading never changes process.exitCode (the WASM glue sets it on every 7-Zip exit)', () => {
    const before = process.exitCode;
    reader.read(fixture('encrypted.7z'), DEFAULT_LIMITS);
    reader.read(Buffer.concat([fixture('benign.7z').subarray(0, 40)]), DEFAULT_LIMITS);
    expect(process.exitCode).toBe(before);
  });

  it('thousands of reads do not exhaust the WASM stack (callMain never pops argv by itself)', () => {
    const bytes = fixture('benign.7z').subarray(0, 100);
    for (let i = 0; i < 3000; i++) reader.read(bytes, DEFAULT_LIMITS);
    expect(archive(fixture('benign.7z')).members).toHaveLength(2);
  });

  it('bomb: 64 MiB of zeros in 10 KB stops on the declared sizes, before extracting', () => {
    const budget = { remaining: DEFAULT_LIMITS.maxTotalUncompressed };
    const r = reader.read(fixture('bomb.7z'), DEFAULT_LIMITS, budget);
    expect(r.ok).toBe(true);
    const a = r.ok ? r.value : undefined;
    expect(a?.entries[0]?.size).toBe(64 * 1024 * 1024);
    expect(a?.anomalies.map((x) => [x.kind, x.limit])).toEqual([['over-limit', 'maxCompressionRatio']]);
    expect(a?.members).toEqual([]);
    expect(a?.incomplete?.limit).toBe('maxCompressionRatio');
    expect(budget.remaining).toBe(DEFAULT_LIMITS.maxTotalUncompressed);
  });

  it.each([
    ['maxMemberBytes', { maxMemberBytes: 100 }],
    ['maxTotalUncompressed', { maxTotalUncompressed: 100 }],
  ] as const)('%s is checked on declared sizes before extracting', (limit, overrides) => {
    const a = archive(fixture('benign.7z'), resolveLimits(overrides));
    expect(a.anomalies.map((x) => x.limit)).toEqual([limit]);
    expect(a.members).toEqual([]);
  });

  it('the run-wide budget is charged, and an exhausted budget stops the next archive', () => {
    const budget = { remaining: 400 };
    expect(reader.read(fixture('benign.7z'), DEFAULT_LIMITS, budget).ok).toBe(true);
    expect(budget.remaining).toBe(400 - 302);
    const second = reader.read(fixture('benign.7z'), DEFAULT_LIMITS, budget);
    expect(second.ok && second.value.incomplete?.limit).toBe('maxTotalUncompressed');
  });

  it('more entries than maxZipEntries is a limit, never a silent pass', () => {
    const r = reader.read(fixture('benign.7z'), resolveLimits({ maxZipEntries: 2 }));
    expect(!r.ok && r.error.limit).toBe('maxZipEntries');
  });

  it('truncated archive: an error result, never a throw', () => {
    const bytes = fixture('benign.7z');
    const r = reader.read(bytes.subarray(0, bytes.length - 20), DEFAULT_LIMITS);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.kind).toBe('truncated');
    expect(reader.read(bytes.subarray(0, 6), DEFAULT_LIMITS).ok).toBe(false);
    expect(reader.read(Buffer.from('not a 7z'), DEFAULT_LIMITS).ok).toBe(false);
  });

  it('damaged packed data: a corrupt anomaly and incomplete', () => {
    const bytes = Buffer.from(fixture('malicious-pickle.7z'));
    for (let i = 34; i < 44; i++) bytes[i] = bytes[i]! ^ 0xff; // inside the packed stream, after the 32-byte signature header
    const a = archive(bytes);
    expect(kinds(a)).toContain('corrupt');
    expect(a.incomplete).toBeDefined();
  });

  it('data after the archive is noted', () => {
    const a = archive(Buffer.concat([fixture('benign.7z'), Buffer.from('hidden payload')]));
    expect(kinds(a)).toContain('trailing-data');
  });

  it('fuzz: truncated, mutated and random inputs never throw, and the engine survives', () => {
    const valid = fixture('malicious-pickle.7z');
    fc.assert(
      fc.property(fc.nat({ max: valid.length }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), (cut, edits) => {
        const bytes = Buffer.from(valid.subarray(0, cut));
        for (const [at, v] of edits) if (bytes.length > 6) bytes[6 + (at % (bytes.length - 6))] = v;
        const r = reader.read(bytes, DEFAULT_LIMITS);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (tail) => void reader.read(Buffer.concat([valid.subarray(0, 6), tail]), DEFAULT_LIMITS)), { numRuns: 200 });
    expect(archive(fixture('benign.7z')).members).toHaveLength(2);
  });
});
