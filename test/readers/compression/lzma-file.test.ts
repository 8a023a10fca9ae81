import { describe, expect, it } from 'vitest';
import { resolveLimits } from '../../../src/core/index.js';
import { judgeLzmaAloneStart, MAX_LZMA_STREAMS } from '../../../src/readers/compression/index.js';
import {
  buildXzStream,
  LZMA_FIXTURE_TEXT,
  lzmaAloneBytes,
  lzmaAloneEmptyKnownSize,
  lzmaAloneText,
  lzmaAloneZeros,
  xzBytes,
} from '../../builders/compression.js';
import { payloadPickle } from '../../builders/pickle.js';
import { decode, PAYLOAD, realJoblib } from './helpers.js';

/*
 * joblib.load (compress='lzma' or 'xz'), lzma.open and lzma.decompress read FORMAT_AUTO: after a stream
 * ends, Python starts a new decoder on the bytes that follow, xz or LZMA-alone, until the end of the file,
 * and stops quietly at bytes that do not start a stream. Each expectation below was checked against
 * CPython 3.11 / liblzma 5.4 (lzma.LZMAFile read byte by byte, as pickle.load reads).
 */

const ATTACK = payloadPickle('posix', 'system', 'touch /tmp/x');
const EMPTY_ALONE = lzmaAloneBytes(Buffer.alloc(0));
const roomy = resolveLimits({ maxMemberBytes: 16 << 20, maxCompressionRatio: 1e6 });
const cat = (...parts: Array<Buffer | string>): Buffer => Buffer.concat(parts.map((part) => Buffer.from(part)));

describe('several streams in one .lzma/.xz file, read as Python reads them', () => {
  describe('attacks: a payload in one stream, more streams after it', () => {
    it('red team: LZMA-alone payload, then an empty LZMA-alone stream: the payload is decoded (it used to decode to nothing)', () => {
      expect(decode(cat(lzmaAloneBytes(ATTACK), EMPTY_ALONE))).toMatchObject({ kind: 'lzma', error: null, data: ATTACK, strictOk: true });
    });

    it('LZMA-alone payload, then an empty xz stream', () => {
      expect(decode(cat(lzmaAloneBytes(ATTACK), xzBytes('')))).toMatchObject({ error: null, data: ATTACK, strictOk: true });
    });

    it('LZMA-alone payload, then the smallest LZMA-alone stream (known size 0, 18 zero bytes)', () => {
      expect(decode(cat(lzmaAloneBytes(ATTACK), lzmaAloneEmptyKnownSize()))).toMatchObject({ error: null, data: ATTACK });
    });

    it('a pickle split across two streams: both are decoded, in order, as pickle.load reads them', () => {
      const out = decode(cat(lzmaAloneBytes(ATTACK.subarray(0, 10)), lzmaAloneBytes(ATTACK.subarray(10))));
      expect(out).toMatchObject({ error: null, data: ATTACK });
    });

    it('xz payload, then an LZMA-alone stream: both decoded', () => {
      expect(decode(cat(xzBytes(ATTACK), lzmaAloneBytes('tail')))).toMatchObject({ kind: 'xz', error: null, data: cat(ATTACK, 'tail') });
    });

    it('LZMA-alone, xz, LZMA-alone (liblzma-made, unusual lc/lp/pb): all three decoded', () => {
      const out = decode(cat(lzmaAloneText('lc0-lp2-pb0'), xzBytes(ATTACK), lzmaAloneText('lc4-lp0-pb4')));
      expect(out).toMatchObject({ error: null, data: cat(LZMA_FIXTURE_TEXT, ATTACK, LZMA_FIXTURE_TEXT) });
    });

    it('a known-size stream (its end marker after the size), then another: both decoded', () => {
      expect(decode(cat(lzmaAloneBytes('abcdef', { declaredSize: 6 }), lzmaAloneBytes(ATTACK)))).toMatchObject({ error: null, data: cat('abcdef', ATTACK) });
    });

    it('a 4 MiB stream, then a payload stream: the end of the big one is found, the payload decoded', () => {
      const out = decode(cat(lzmaAloneZeros(), lzmaAloneBytes(ATTACK)), { limits: roomy });
      expect(out.error).toBeNull();
      expect(out.data.length).toBe((4 << 20) + ATTACK.length);
      expect(out.data.subarray(4 << 20)).toEqual(ATTACK);
    });

    it('a payload after a next stream cut short: truncated (EOFError), the cut stream\'s good prefix kept', () => {
      const second = lzmaAloneBytes(cat(ATTACK, 'x'.repeat(600)));
      const out = decode(cat(lzmaAloneBytes('first'), second.subarray(0, second.length - 5)));
      expect(out.error).toMatchObject({ kind: 'truncated' });
      expect(out.data.subarray(0, 5 + ATTACK.length)).toEqual(cat('first', ATTACK));
    });
  });

  describe('controls: what Python ignores or rejects', () => {
    it('control: a real joblib lzma file (one stream) still decodes whole', () => {
      const out = decode(realJoblib('lzma'));
      expect(out).toMatchObject({ kind: 'lzma', error: null, strictOk: true });
      expect(out.data[0]).toBe(0x80);
    });

    it('control: bytes that do not start a stream end the file quietly (Python ignores them)', () => {
      expect(decode(cat(lzmaAloneBytes(ATTACK), 'junk'))).toMatchObject({ error: null, data: ATTACK });
    });

    it('a next LZMA-alone header with a dictionary size liblzma\'s auto decoder refuses (not 2^n or 2^n + 2^(n-1)): ignored', () => {
      expect(decode(cat(lzmaAloneBytes(ATTACK), lzmaAloneBytes('second', { dictionarySize: 12345 })))).toMatchObject({ error: null, data: ATTACK });
      expect(decode(cat(lzmaAloneBytes(ATTACK), lzmaAloneBytes('second', { dictionarySize: 5 << 18 })))).toMatchObject({ error: null, data: ATTACK });
    });

    it('control: the dictionary sizes it accepts (3 * 2^19, 2^20, 0) start streams that are decoded', () => {
      const out = decode(
        cat(
          lzmaAloneBytes(ATTACK),
          lzmaAloneBytes('x', { dictionarySize: 3 << 19 }),
          lzmaAloneBytes('y', { dictionarySize: 1 << 20 }),
          lzmaAloneBytes('z', { dictionarySize: 0 }),
        ),
      );
      expect(out).toMatchObject({ error: null, data: cat(ATTACK, 'xyz') });
    });

    it('a next LZMA-alone header whose range decoder does not start with 0: ignored', () => {
      const next = Buffer.from(lzmaAloneBytes('second'));
      next[13] = 1;
      expect(decode(cat(lzmaAloneBytes(ATTACK), next))).toMatchObject({ error: null, data: ATTACK });
    });

    it('a next xz header failing its CRC-32: ignored', () => {
      const next = Buffer.from(xzBytes('second'));
      next[8] = next[8]! ^ 0xff;
      expect(decode(cat(xzBytes(ATTACK), next))).toMatchObject({ kind: 'xz', error: null, data: ATTACK });
    });

    it('a next LZMA-alone header cut short: truncated (EOFError), data kept', () => {
      const out = decode(cat(lzmaAloneBytes(ATTACK), Buffer.from(']\0\0', 'latin1')));
      expect(out).toMatchObject({ error: { kind: 'truncated' }, data: ATTACK });
    });

    it('xz-style padding after an LZMA-alone stream: a header cut short, truncated (EOFError), data kept', () => {
      expect(decode(cat(lzmaAloneBytes(ATTACK), Buffer.alloc(4)))).toMatchObject({ error: { kind: 'truncated' }, data: ATTACK });
    });

    it('a next stream corrupt from its first symbol: malformed, the first stream\'s data kept', () => {
      const out = decode(cat(lzmaAloneBytes(ATTACK), lzmaAloneBytes('second').subarray(0, 14), Buffer.alloc(40, 0xff)));
      expect(out).toMatchObject({ error: { kind: 'malformed' }, data: ATTACK });
    });

    it('a first stream that declares less than it holds (liblzma: "Corrupt input data"): malformed, nothing after it read', () => {
      const out = decode(cat(lzmaAloneBytes('abcdef', { declaredSize: 3 }), lzmaAloneBytes(ATTACK)));
      expect(out).toMatchObject({ error: { kind: 'malformed' }, data: Buffer.from('abc') });
    });

    it('an xz stream after plain xz streams with a SHA-256 check: all decoded', () => {
      const sha = buildXzStream({ blocks: [{ chunks: [{ data: PAYLOAD }] }], check: 'sha256' });
      expect(decode(cat(xzBytes('one '), sha, lzmaAloneBytes(' end')))).toMatchObject({ error: null, data: cat('one ', PAYLOAD, ' end') });
    });
  });

  describe('limits', () => {
    it('the cap covers all streams together: over it, limit with the file\'s limit named and the prefix kept', () => {
      const limits = resolveLimits({ maxMemberBytes: 6 << 20, maxCompressionRatio: 1e6 });
      const out = decode(cat(lzmaAloneZeros(), lzmaAloneZeros()), { limits });
      expect(out.error).toMatchObject({ kind: 'limit', limit: 'maxMemberBytes' });
      expect(out.error?.message).toContain(`${6 << 20}`);
      expect(out.data.length).toBe(6 << 20);
    });

    it(`CPU bomb: more than ${MAX_LZMA_STREAMS} streams stop with a limit, the data so far kept`, () => {
      const bomb = Buffer.concat([lzmaAloneBytes(ATTACK), ...Array.from({ length: MAX_LZMA_STREAMS + 10 }, () => EMPTY_ALONE)]);
      const start = Date.now();
      const out = decode(bomb);
      expect(out.error).toMatchObject({ kind: 'limit', limit: 'MAX_LZMA_STREAMS' });
      expect(out.data).toEqual(ATTACK);
      expect(Date.now() - start).toBeLessThan(5000);
    });

    it('the budget is charged once for every byte handed over', () => {
      const out = decode(cat(lzmaAloneBytes(ATTACK), lzmaAloneBytes('tail'), xzBytes('!')));
      expect(out.charged).toBe(out.data.length);
      expect(out.data).toEqual(cat(ATTACK, 'tail!'));
    });
  });

  describe('judgeLzmaAloneStart: liblzma\'s auto decoder on the bytes after a stream', () => {
    const head = (hex: string): Buffer => Buffer.from(hex.replace(/ /g, ''), 'hex');
    it.each([
      ['Python\'s own header (8 MiB dictionary, unknown size)', '5d 00008000 ffffffffffffffff 00', 'stream'],
      ['dictionary 3 * 2^19', '5d 00001800 ffffffffffffffff 00', 'stream'],
      ['dictionary 0, known size 0', '00 00000000 0000000000000000 00', 'stream'],
      ['properties byte over 224', 'e1', 'not-a-stream'],
      ['lc + lp above 4 (lc 4, lp 1)', '67 00008000 ffffffffffffffff 00', 'not-a-stream'],
      ['dictionary 12345', '5d 39300000 ffffffffffffffff 00', 'not-a-stream'],
      ['known size 2^38', '5d 00008000 0000000040000000 00', 'not-a-stream'],
      ['range decoder not starting with 0', '5d 00008000 ffffffffffffffff 01', 'not-a-stream'],
      ['three bytes of a good header', '5d 0000', 'cut-short'],
      ['four zero bytes (xz stream padding)', '00000000', 'cut-short'],
      ['a whole header, no range decoder byte', '5d 00008000 ffffffffffffffff', 'cut-short'],
    ])('%s', (_, hex, verdict) => {
      expect(judgeLzmaAloneStart(head(hex))).toBe(verdict);
    });
  });
});
