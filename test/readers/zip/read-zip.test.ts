import { describe, expect, it } from 'vitest';
import { bufferSource, DEFAULT_LIMITS, readAll, resolveLimits, type Limits } from '../../../src/core/index.js';
import { openEntry, readZip, type ZipAnomalyKind, type ZipArchive } from '../../../src/readers/zip/index.js';
import { buildZip, offsetsOf, torchLikeEntries, type BuildZipOptions } from '../../builders/zip.js';

/** A pickle that calls os.system: the payload every bypass below tries to smuggle past a scanner. */
const EVIL_PICKLE = Buffer.from("cos\nsystem\n(S'id'\ntR.", 'latin1');
const BENIGN_PICKLE = Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]);

function read(zip: Buffer, limits: Limits = DEFAULT_LIMITS): ZipArchive {
  const result = readZip(bufferSource(zip), limits);
  if (!result.ok) throw new Error(`expected a readable archive, got ${result.error.kind}: ${result.error.message}`);
  return result.value;
}

function kinds(archive: ZipArchive): ZipAnomalyKind[] {
  return [...new Set(archive.anomalies.map((anomaly) => anomaly.kind))].sort();
}

function memberBytes(zip: Buffer, archive: ZipArchive, name: string): Buffer {
  const entry = archive.entries.find((candidate) => candidate.name === name);
  if (!entry) throw new Error(`no entry ${name}`);
  const opened = openEntry(bufferSource(zip), archive, entry, DEFAULT_LIMITS);
  if (!opened.ok) throw new Error(opened.error.message);
  return readAll(opened.value);
}

/** Overwrite bytes in a copy: the hostile variants below are a few bytes away from valid archives. */
function patch(zip: Buffer, at: number, write: (view: Buffer) => void): Buffer {
  const copy = Buffer.from(zip);
  write(copy.subarray(at));
  return copy;
}

const valid: BuildZipOptions = {
  entries: [
    { name: 'archive/data.pkl', data: EVIL_PICKLE },
    { name: 'archive/data/0', data: Buffer.alloc(3000, 7), method: 'deflate' },
    { name: 'archive/version', data: '3\n' },
  ],
};

interface Case {
  /** The attack the check stops (or `control:` for a well-formed file). */
  name: string;
  zip: Buffer;
  limits?: Partial<Limits>;
  anomalies: ZipAnomalyKind[];
  /** The member that must still be readable with these exact bytes (the payload is never hidden). */
  payload?: { name: string; bytes: Buffer };
  archiveOffset?: number;
}

const cases: Case[] = [
  {
    name: 'control: a well-formed archive lists every entry with no anomaly',
    zip: buildZip(valid),
    anomalies: [],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'control: a torch.save-shaped checkpoint (zip64, 64-byte aligned data) only reports zip64',
    zip: buildZip({ zip64: true, alignData: 64, entries: torchLikeEntries(BENIGN_PICKLE) }),
    anomalies: ['zip64'],
    payload: { name: 'archive/data.pkl', bytes: BENIGN_PICKLE },
  },
  {
    name: 'control: data descriptors (flag bit 3) as streaming writers emit them are not anomalies',
    zip: buildZip({ entries: valid.entries.map((entry) => ({ ...entry, dataDescriptor: true })) }),
    anomalies: [],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'control: zip64 data descriptors (8-byte sizes) are not anomalies',
    zip: buildZip({ zip64: true, entries: valid.entries.map((entry) => ({ ...entry, dataDescriptor: true })) }),
    anomalies: ['zip64'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'junk prefix (cat junk a.zip): offsets shifted, archive still read, prefix reported',
    zip: buildZip({ ...valid, prefix: Buffer.from('#!/bin/sh\necho pwned\n') }),
    anomalies: ['junk-prefix'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
    archiveOffset: 21,
  },
  {
    name: 'junk prefix with absolute offsets (zip -A): no shift, prefix reported',
    zip: buildZip({ ...valid, prefix: Buffer.from('#!/bin/sh\necho pwned\n'), absoluteOffsets: true }),
    anomalies: ['junk-prefix'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
    archiveOffset: 0,
  },
  {
    name: 'pickle/zip polyglot: a legacy pickle before a clean zip is reported as the prefix torch would unpickle',
    zip: buildZip({ prefix: EVIL_PICKLE, entries: [{ name: 'archive/data.pkl', data: BENIGN_PICKLE }] }),
    anomalies: ['junk-prefix'],
    archiveOffset: EVIL_PICKLE.length,
  },
  {
    name: 'junk prefix before a zip64 archive: the shift is found through the zip64 records',
    zip: buildZip({ ...valid, zip64: true, prefix: Buffer.alloc(1000, 0x41) }),
    anomalies: ['junk-prefix', 'zip64'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
    archiveOffset: 1000,
  },
  {
    name: 'CVE-2025-1944: local header name differs from the central name',
    zip: buildZip({ entries: [{ name: 'archive/data.pkl', localName: 'archive/data.txt', data: EVIL_PICKLE }] }),
    anomalies: ['name-mismatch'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'CVE-2025-1945: reserved flag bits flipped in both headers',
    zip: buildZip({ entries: [{ name: 'archive/data.pkl', data: EVIL_PICKLE, flags: (1 << 4) | (1 << 9) }] }),
    anomalies: ['flag-bits'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'CVE-2025-1945: local flags differ from central flags (UTF-8 bit only in the local header)',
    zip: buildZip({ entries: [{ name: 'archive/data.pkl', data: EVIL_PICKLE, localFlags: 1 << 11 }] }),
    anomalies: ['flag-bits'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'CVE-2025-1945: compressed-patch bit 5 that makes zipfile raise NotImplementedError',
    zip: buildZip({ entries: [{ name: 'archive/data.pkl', data: EVIL_PICKLE, flags: 1 << 5 }] }),
    anomalies: ['flag-bits'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'encryption bit set on a plain member: reported, and the member is read as plain data',
    zip: buildZip({ entries: [{ name: 'archive/data.pkl', data: EVIL_PICKLE, flags: 1 }] }),
    anomalies: ['encrypted-flag'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'encryption bit only in the local header (miniz ignores local flags)',
    zip: buildZip({ entries: [{ name: 'archive/data.pkl', data: EVIL_PICKLE, localFlags: 1 }] }),
    anomalies: ['encrypted-flag', 'flag-bits'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'strong-encryption bit 6 on a deflated member',
    zip: buildZip({ entries: [{ name: 'archive/data.pkl', data: EVIL_PICKLE, method: 'deflate', flags: 1 << 6 }] }),
    anomalies: ['encrypted-flag'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'CVE-2025-10156: a wrong CRC is not a structural anomaly (torch ignores CRCs); the member stays readable',
    zip: buildZip({ entries: [{ name: 'archive/data.pkl', data: EVIL_PICKLE, crc: 0xdeadbeef }] }),
    anomalies: [],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'local header CRC disagrees with the central CRC',
    zip: patch(buildZip({ entries: [{ name: 'archive/data.pkl', data: EVIL_PICKLE }] }), 14, (view) => view.writeUInt32LE(0x12345678)),
    anomalies: ['crc-mismatch'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'duplicate names: torch loads one copy, a scanner may read the other',
    zip: buildZip({
      entries: [
        { name: 'archive/data.pkl', data: BENIGN_PICKLE },
        { name: 'archive/data.pkl', data: EVIL_PICKLE },
      ],
    }),
    anomalies: ['duplicate-name'],
  },
  {
    name: 'duplicate names differing only in case (miniz looks names up case-insensitively)',
    zip: buildZip({
      entries: [
        { name: 'archive/data.pkl', data: BENIGN_PICKLE },
        { name: 'ARCHIVE/Data.PKL', data: EVIL_PICKLE },
      ],
    }),
    anomalies: ['duplicate-name'],
    payload: { name: 'ARCHIVE/Data.PKL', bytes: EVIL_PICKLE },
  },
  {
    name: 'local method differs from central method',
    zip: buildZip({ entries: [{ name: 'archive/data.pkl', data: EVIL_PICKLE, localMethod: 8 }] }),
    anomalies: ['method-mismatch'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'local sizes differ from central sizes (miniz trusts the central directory)',
    zip: buildZip({ entries: [{ name: 'archive/data.pkl', data: EVIL_PICKLE, localSizes: [3, 3] }] }),
    anomalies: ['size-mismatch'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'stored member whose declared uncompressed size differs from its compressed size',
    zip: buildZip({ entries: [{ name: 'archive/data.pkl', data: EVIL_PICKLE, declaredSize: 4 }] }),
    anomalies: ['size-mismatch'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'data descriptor that disagrees with the central sizes',
    zip: (() => {
      const zip = buildZip({ entries: [{ name: 'archive/data.pkl', data: EVIL_PICKLE, dataDescriptor: true }] });
      const descriptor = zip.indexOf(Buffer.from([0x50, 0x4b, 0x07, 0x08]));
      return patch(zip, descriptor + 12, (view) => view.writeUInt32LE(999));
    })(),
    anomalies: ['size-mismatch'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'bzip2 member that zipfile reads but antidote and torch cannot',
    zip: buildZip({ entries: [{ name: 'archive/data.pkl', data: EVIL_PICKLE, methodCode: 12 }] }),
    anomalies: ['unsupported-method'],
  },
  {
    name: 'zip64: informational only, sizes and offsets come from the zip64 fields',
    zip: buildZip({ ...valid, zip64: true }),
    anomalies: ['zip64'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'missing central directory: entries come from a local-header walk',
    zip: buildZip({ ...valid, omitCentralDirectory: true }),
    anomalies: ['central-directory-missing'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'missing central directory with data descriptors: member ends found by descriptor size',
    zip: buildZip({
      omitCentralDirectory: true,
      entries: [
        // The payload itself contains a descriptor signature that must not end the member early.
        { name: 'a.bin', data: Buffer.concat([Buffer.from('PK\x07\x08junkjunkjunk'), EVIL_PICKLE]), dataDescriptor: true },
        { name: 'archive/data.pkl', data: EVIL_PICKLE, method: 'deflate', dataDescriptor: true },
      ],
    }),
    anomalies: ['central-directory-missing'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'corrupt central directory signature: falls back to the local-header walk',
    zip: (() => {
      const zip = buildZip(valid);
      return patch(zip, offsetsOf(zip, 'central')[0] ?? 0, (view) => view.writeUInt32LE(0));
    })(),
    anomalies: ['central-directory-missing', 'unlisted-data'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'hidden entry: a local header the central directory does not list',
    zip: buildZip({
      entries: [
        { name: 'archive/data.pkl', data: BENIGN_PICKLE },
        { name: 'archive/hidden.pkl', data: EVIL_PICKLE, inCentralDirectory: false },
        { name: 'archive/version', data: '3\n' },
      ],
    }),
    anomalies: ['unlisted-data'],
    payload: { name: 'archive/hidden.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'hidden entry before the first listed one, in a file that starts like a zip',
    zip: buildZip({
      entries: [
        { name: 'archive/hidden.pkl', data: EVIL_PICKLE, inCentralDirectory: false, dataDescriptor: true },
        { name: 'archive/data.pkl', data: BENIGN_PICKLE },
      ],
    }),
    anomalies: ['unlisted-data'],
    payload: { name: 'archive/hidden.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'two archives concatenated (cat a.zip b.zip): the first one\'s members are listed too',
    zip: Buffer.concat([
      buildZip({ entries: [{ name: 'archive/data.pkl', data: EVIL_PICKLE }] }),
      buildZip({ entries: [{ name: 'archive/version', data: '3\n' }] }),
    ]),
    anomalies: ['unlisted-data'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'EOCD declares fewer entries than the directory holds (miniz lists fewer than zipfile)',
    zip: buildZip({ ...valid, declaredEntryCount: 2 }),
    anomalies: ['count-mismatch'],
    payload: { name: 'archive/version', bytes: Buffer.from('3\n') },
  },
  {
    name: 'trailing data after the EOCD',
    zip: buildZip({ ...valid, trailing: Buffer.from('appended payload') }),
    anomalies: ['trailing-data'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'archive and entry comments',
    zip: buildZip({ ...valid, comment: 'hello', entries: [{ name: 'a', data: 'x', comment: 'note' }] }),
    anomalies: ['comment'],
  },
  {
    name: 'decoy EOCD signature inside the comment: the real EOCD is still found',
    zip: buildZip({ ...valid, comment: Buffer.concat([Buffer.from('PK\x05\x06', 'latin1'), Buffer.alloc(30, 0xff)]) }),
    anomalies: ['comment', 'malformed'],
    payload: { name: 'archive/data.pkl', bytes: EVIL_PICKLE },
  },
  {
    name: 'symlink entry (unix mode 0120777)',
    zip: buildZip({ entries: [{ name: 'archive/link', data: '/etc/passwd', externalAttrs: (0o120777 << 16) >>> 0 }] }),
    anomalies: ['symlink'],
  },
  {
    name: 'control: the same external attributes from a non-unix host are not a symlink',
    zip: buildZip({ entries: [{ name: 'archive/link', data: '/etc/passwd', externalAttrs: (0o120777 << 16) >>> 0, versionMadeBy: 20 }] }),
    anomalies: [],
  },
  {
    name: 'NUL byte in a name',
    zip: buildZip({ entries: [{ name: 'archive/data.pkl\u0000.txt', data: EVIL_PICKLE }] }),
    anomalies: ['suspicious-name'],
  },
  {
    name: 'directory entry that carries data',
    zip: buildZip({ entries: [{ name: 'archive/data.pkl/', data: EVIL_PICKLE }] }),
    anomalies: ['malformed'],
  },
  {
    name: 'entry data runs past the end of the file (truncated archive with intact directory)',
    zip: (() => {
      const zip = buildZip({ entries: [{ name: 'archive/data.pkl', data: EVIL_PICKLE }] });
      const central = offsetsOf(zip, 'central')[0] ?? 0;
      return patch(zip, central + 20, (view) => {
        view.writeUInt32LE(1_000_000, 0);
        view.writeUInt32LE(1_000_000, 4);
      });
    })(),
    anomalies: ['malformed', 'overlapping-entries', 'size-mismatch'],
  },
];

const traversalNames = ['../../etc/cron.d/x', '/etc/passwd', 'C:\\Windows\\x.dll', 'archive\\..\\..\\x', 'a/../../b'];
for (const name of traversalNames) {
  cases.push({ name: `path traversal: ${JSON.stringify(name)}`, zip: buildZip({ entries: [{ name, data: 'x' }] }), anomalies: ['path-traversal'] });
}
cases.push({
  name: 'control: dots inside names are not traversal',
  zip: buildZip({ entries: [{ name: 'a/..b/c..', data: 'x' }, { name: 'a/.../x', data: 'y' }] }),
  anomalies: [],
});
cases.push({
  name: 'path traversal hidden in the local name only (streaming extractors use it)',
  zip: buildZip({ entries: [{ name: 'archive/data.pkl', localName: '../../../.bashrc', data: 'x' }] }),
  anomalies: ['name-mismatch', 'path-traversal'],
});

describe('readZip', () => {
  it.each(cases)('$name', ({ zip, limits, anomalies, payload, archiveOffset }) => {
    const archive = read(zip, resolveLimits(limits));
    expect(kinds(archive)).toEqual([...anomalies].sort());
    for (const anomaly of archive.anomalies) expect(anomaly.message.length).toBeGreaterThan(20);
    if (payload) expect(memberBytes(zip, archive, payload.name)).toEqual(payload.bytes);
    if (archiveOffset !== undefined) expect(archive.archiveOffset).toBe(archiveOffset);
  });

  it('lists central names, local names, sizes and data offsets', () => {
    const zip = buildZip({
      entries: [
        { name: 'archive/data.pkl', localName: 'other.pkl', data: EVIL_PICKLE },
        { name: 'archive/data/0', data: Buffer.alloc(3000, 7), method: 'deflate' },
      ],
    });
    const archive = read(zip);
    const [pickle, storage] = archive.entries;
    expect(pickle).toMatchObject({
      index: 0,
      name: 'archive/data.pkl',
      localName: 'other.pkl',
      method: 0,
      compressedSize: EVIL_PICKLE.length,
      uncompressedSize: EVIL_PICKLE.length,
      localHeaderOffset: 0,
      dataOffset: 30 + 'other.pkl'.length,
      isDirectory: false,
      isSymlink: false,
      encrypted: false,
      listedIn: 'central-directory',
    });
    expect(storage).toMatchObject({ method: 8, uncompressedSize: 3000 });
    expect(zip.subarray(pickle?.dataOffset, (pickle?.dataOffset ?? 0) + EVIL_PICKLE.length)).toEqual(EVIL_PICKLE);
    const mismatch = archive.anomalies.find((anomaly) => anomaly.kind === 'name-mismatch');
    expect(mismatch).toMatchObject({ entry: 'archive/data.pkl', offset: 0 });
    expect(mismatch?.message).toContain('"other.pkl"');
    expect(mismatch?.message).toContain('CVE-2025-1944');
  });

  it('reports the junk prefix with its offset and length so a caller can scan it as a pickle', () => {
    const archive = read(buildZip({ prefix: EVIL_PICKLE, entries: [{ name: 'a', data: 'x' }] }));
    expect(archive.anomalies).toContainEqual(expect.objectContaining({ kind: 'junk-prefix', offset: 0, length: EVIL_PICKLE.length }));
  });

  it('lists hidden local entries after the central ones, marked as such', () => {
    const archive = read(
      buildZip({
        entries: [
          { name: 'a', data: 'x' },
          { name: 'hidden-1', data: EVIL_PICKLE, inCentralDirectory: false },
          { name: 'hidden-2', data: EVIL_PICKLE, inCentralDirectory: false, method: 'deflate' },
          { name: 'b', data: 'y' },
        ],
      }),
    );
    expect(archive.entries.map((entry) => [entry.index, entry.name, entry.listedIn])).toEqual([
      [0, 'a', 'central-directory'],
      [1, 'b', 'central-directory'],
      [2, 'hidden-1', 'local-header'],
      [3, 'hidden-2', 'local-header'],
    ]);
    expect(archive.anomalies.filter((anomaly) => anomaly.kind === 'unlisted-data')).toHaveLength(1);
  });

  it('a hidden local entry that shadows a listed name is a duplicate too', () => {
    const archive = read(
      buildZip({ entries: [{ name: 'archive/data.pkl', data: BENIGN_PICKLE }, { name: 'archive/data.pkl', data: EVIL_PICKLE, inCentralDirectory: false }] }),
    );
    expect(kinds(archive)).toEqual(['duplicate-name', 'unlisted-data']);
  });

  it('reads both copies of a duplicated name so each can be scanned', () => {
    const zip = buildZip({ entries: [{ name: 'd.pkl', data: BENIGN_PICKLE }, { name: 'd.pkl', data: EVIL_PICKLE }] });
    const archive = read(zip);
    const contents = archive.entries.map((entry) => {
      const opened = openEntry(bufferSource(zip), archive, entry, DEFAULT_LIMITS);
      return opened.ok ? readAll(opened.value) : null;
    });
    expect(contents).toEqual([BENIGN_PICKLE, EVIL_PICKLE]);
  });

  it('reports two central records that point at the same local header as overlapping', () => {
    const zip = buildZip({ entries: [{ name: 'a.pkl', data: EVIL_PICKLE }, { name: 'b.pkl', data: BENIGN_PICKLE }] });
    const second = offsetsOf(zip, 'central')[1] ?? 0;
    const hostile = patch(zip, second, (view) => {
      view.writeUInt32LE(EVIL_PICKLE.length, 20);
      view.writeUInt32LE(EVIL_PICKLE.length, 24);
      view.writeUInt32LE(0, 42);
    });
    const archive = read(hostile);
    expect(kinds(archive)).toEqual(expect.arrayContaining(['overlapping-entries', 'name-mismatch']));
    expect(memberBytes(hostile, archive, 'b.pkl')).toEqual(EVIL_PICKLE);
  });

  it('two central directories (absolute vs shifted reading): reported, and both archives\' members listed', () => {
    // Same layout sizes, so the decoy's directory sits where the real archive's unshifted offset points.
    const decoyPickle = Buffer.concat([BENIGN_PICKLE, Buffer.alloc(EVIL_PICKLE.length - BENIGN_PICKLE.length, 0x20)]);
    const decoy = buildZip({ entries: [{ name: 'archive/data.pkl', data: decoyPickle }] });
    const real = buildZip({ entries: [{ name: 'archive/data.pkl', data: EVIL_PICKLE }] });
    const zip = Buffer.concat([decoy, real]);
    const archive = read(zip);
    expect(archive.anomalies).toContainEqual(expect.objectContaining({ kind: 'malformed', message: expect.stringContaining('two central directories') }));
    const contents = archive.entries.map((entry) => {
      const opened = openEntry(bufferSource(zip), archive, entry, DEFAULT_LIMITS);
      return opened.ok ? readAll(opened.value) : null;
    });
    expect(contents).toEqual([decoyPickle, EVIL_PICKLE]);
    expect(kinds(archive)).toEqual(['duplicate-name', 'malformed', 'unlisted-data']);
  });

  it('marks zip64 entries and the archive', () => {
    const archive = read(buildZip({ ...valid, zip64: true }));
    expect(archive.zip64).toBe(true);
    expect(archive.entries.every((entry) => entry.zip64)).toBe(true);
  });

  it('reads an empty archive as zero entries', () => {
    const archive = read(buildZip({ entries: [] }));
    expect(archive.entries).toEqual([]);
    expect(archive.anomalies).toEqual([]);
  });

  it('fails on bytes that hold no zip structure at all', () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from('PK'), EVIL_PICKLE, Buffer.alloc(5000, 0x50)]) {
      const result = readZip(bufferSource(bytes), DEFAULT_LIMITS);
      expect(result.ok).toBe(false);
    }
  });

  describe('maxZipEntries', () => {
    const three = { entries: [1, 2, 3].map((i) => ({ name: `f${i}`, data: `${i}` })) };
    const limits = resolveLimits({ maxZipEntries: 2 });

    it('control: an archive at the limit is read', () => {
      expect(read(buildZip({ entries: three.entries.slice(0, 2) }), limits).entries).toHaveLength(2);
    });

    it('fails with a limit error when the EOCD declares too many entries (before allocating)', () => {
      const result = readZip(bufferSource(buildZip(three)), limits);
      expect(result).toMatchObject({ ok: false, error: { kind: 'limit', limit: 'maxZipEntries' } });
    });

    it('fails with a limit error when the EOCD understates the count but the directory holds more', () => {
      const result = readZip(bufferSource(buildZip({ ...three, declaredEntryCount: 1 })), limits);
      expect(result).toMatchObject({ ok: false, error: { kind: 'limit', limit: 'maxZipEntries' } });
    });

    it('fails with a limit error when a local-header walk finds too many entries', () => {
      const result = readZip(bufferSource(buildZip({ ...three, omitCentralDirectory: true })), limits);
      expect(result).toMatchObject({ ok: false, error: { kind: 'limit', limit: 'maxZipEntries' } });
    });

    it('fails with a limit error on a zip64 count far beyond the limit', () => {
      const zip = buildZip({ ...three, zip64: true });
      const record = zip.indexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06]));
      const hostile = patch(zip, record, (view) => {
        view.writeBigUInt64LE(2n ** 40n, 24);
        view.writeBigUInt64LE(2n ** 40n, 32);
      });
      expect(readZip(bufferSource(hostile), DEFAULT_LIMITS)).toMatchObject({ ok: false, error: { kind: 'limit' } });
    });
  });

  it('caps anomalies per kind and says how many were dropped', () => {
    const entries = Array.from({ length: 1100 }, (_, i) => ({ name: `../x${i}`, data: 'x' }));
    const archive = read(buildZip({ entries }));
    expect(archive.anomalies.filter((anomaly) => anomaly.kind === 'path-traversal')).toHaveLength(1000);
    expect(archive.anomalies).toContainEqual(expect.objectContaining({ kind: 'anomalies-truncated' }));
  });

  it('never throws when the source itself fails', () => {
    const source = { size: 1000, read: () => { throw new Error('EIO: disk gone'); } };
    expect(readZip(source, DEFAULT_LIMITS)).toMatchObject({ ok: false, error: { kind: 'io' } });
  });
});
