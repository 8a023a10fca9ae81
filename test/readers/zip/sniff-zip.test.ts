import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/index.js';
import { sniffZip, sniffZipTail } from '../../../src/readers/zip/index.js';
import { buildZip } from '../../builders/zip.js';

const PICKLE = Buffer.from("cos\nsystem\n(S'id'\ntR.", 'latin1');
const zip = buildZip({ entries: [{ name: 'archive/data.pkl', data: PICKLE }] });

describe('sniffZip', () => {
  it.each([
    ['a local header at offset 0 (what torch checks)', zip, true],
    ['an empty archive (EOCD at offset 0)', buildZip({ entries: [] }), true],
    ['the spanned-archive marker before a local header (zipfile opens it)', Buffer.concat([Buffer.from('PK\x07\x08', 'latin1'), zip]), true],
    ['a pickle', PICKLE, false],
    ['a junk-prefixed zip (found by sniffZipTail instead)', Buffer.concat([PICKLE, zip]), false],
    ['too few bytes', Buffer.from('PK'), false],
    ['nothing', Buffer.alloc(0), false],
  ])('%s -> %s', (_name, head, expected) => {
    expect(sniffZip(head)).toBe(expected);
  });
});

describe('sniffZipTail', () => {
  it.each([
    ['a plain zip', zip, true],
    ['a pickle/zip polyglot (pickle first, zip after)', Buffer.concat([PICKLE, zip]), true],
    ['a zip64 archive behind junk', buildZip({ zip64: true, prefix: Buffer.alloc(500, 1), entries: [{ name: 'a', data: 'b' }] }), true],
    ['a pickle', PICKLE, false],
    ['a stray EOCD signature with no directory behind it', Buffer.concat([Buffer.alloc(100), Buffer.from('PK\x05\x06', 'latin1'), Buffer.alloc(18, 0x33)]), false],
    ['an empty source', Buffer.alloc(0), false],
  ])('%s -> %s', (_name, bytes, expected) => {
    expect(sniffZipTail(bufferSource(bytes))).toBe(expected);
  });

  it('never throws when the source fails', () => {
    expect(sniffZipTail({ size: 100, read: () => { throw new Error('EIO'); } })).toBe(false);
  });
});
