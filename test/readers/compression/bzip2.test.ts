import Bunzip from 'seek-bzip';
import { describe, expect, it } from 'vitest';
import { resolveLimits } from '../../../src/core/index.js';
import { MAX_BZ2_SHORT_BLOCKS } from '../../../src/readers/compression/index.js';
import { BZ2_PLAIN, bz2Bytes, bz2Streams } from '../../builders/compression.js';
import { decode, PAYLOAD, realJoblib, SMALL_LIMITS } from './helpers.js';

describe('bzip2', () => {
  it('control: a real joblib bz2 pickle decodes whole', () => {
    const out = decode(realJoblib('bz2'));
    expect(out).toMatchObject({ kind: 'bz2', error: null, strictOk: true });
    expect(out.data[0]).toBe(0x80);
  });

  it.each(['hello', 'empty', 'one-byte', 'payload'] as const)('control: fixture %s decodes to its plain bytes', (name) => {
    expect(decode(bz2Bytes(name))).toMatchObject({ error: null, data: BZ2_PLAIN[name] });
  });

  it('multi-stream files (pbzip2, cat a.bz2 b.bz2): every stream is decoded, as Python reads them all', () => {
    const out = decode(Buffer.concat([bz2Bytes('hello'), bz2Bytes('payload')]));
    expect(out.error).toBeNull();
    expect(out.data).toEqual(Buffer.concat([BZ2_PLAIN.hello, PAYLOAD]));
  });

  it('decompression bomb: 50 streams of 45 MB of zeros (2.25 GB from 2.5 KB) stop at the cap', () => {
    const start = Date.now();
    const out = decode(bz2Streams('zeros-45mb', 50));
    expect(out.error).toMatchObject({ kind: 'limit' });
    expect(out.data.length).toBeLessThanOrEqual(SMALL_LIMITS.maxMemberBytes);
    expect(Date.now() - start).toBeLessThan(10_000);
  });

  it('decompression bomb: the output sink stops at maxMemberBytes when the ratio allows more', () => {
    const limits = resolveLimits({ maxMemberBytes: 2 << 20, maxCompressionRatio: 1e9 });
    const out = decode(bz2Bytes('zeros-45mb'), { limits });
    expect(out.error).toMatchObject({ kind: 'limit', limit: 'maxMemberBytes' });
    expect(out.data.length).toBe(2 << 20);
    expect(out.charged).toBe(2 << 20);
  });

  it(`CPU bomb: thousands of one-byte streams stop after ${MAX_BZ2_SHORT_BLOCKS} short blocks (each costs a 3.6 MB block buffer)`, () => {
    const start = Date.now();
    const out = decode(bz2Streams('one-byte', 5000));
    expect(out.error).toMatchObject({ kind: 'limit', limit: 'MAX_BZ2_SHORT_BLOCKS' });
    expect(Date.now() - start).toBeLessThan(5000);
  });

  it('truncated stream: truncated, with the streams before it kept', () => {
    const second = bz2Bytes('hello');
    const out = decode(Buffer.concat([bz2Bytes('payload'), second.subarray(0, second.length - 8)]));
    expect(out.error).toMatchObject({ kind: 'truncated' });
    expect(out.data.subarray(0, PAYLOAD.length)).toEqual(PAYLOAD);
  });

  it('truncated right after a block, before the end-of-stream marker: still truncated, never silently complete', () => {
    const stream = bz2Bytes('one-byte');
    for (let cut = 5; cut < stream.length; cut++) {
      const out = decode(stream.subarray(0, cut), { kind: 'bz2' });
      expect(out.error, `cut at ${cut}`).not.toBeNull();
      expect(out.strictOk).toBe(false);
    }
  });

  it('corrupt block: malformed (block CRC or Huffman data), never a throw', () => {
    const stream = Buffer.from(bz2Bytes('hello'));
    stream[30] = stream[30]! ^ 0x10;
    const out = decode(stream, { kind: 'bz2' });
    expect(out.error?.kind).toBe('malformed');
  });

  it('trailing garbage after the last stream: malformed at its offset, data kept', () => {
    const stream = bz2Bytes('payload');
    const out = decode(Buffer.concat([stream, Buffer.from('junk')]));
    expect(out.error).toMatchObject({ kind: 'malformed', offset: stream.length });
    expect(out.data).toEqual(PAYLOAD);
  });

  it('not bzip2 at all: malformed at 0', () => {
    expect(decode(Buffer.from('hello'), { kind: 'bz2' }).error).toMatchObject({ kind: 'malformed', offset: 0 });
  });

  it('contract: seek-bzip 2.0.0 still exposes the internals bzip2.ts drives block by block', () => {
    const proto = Bunzip.prototype as unknown as Record<string, unknown>;
    expect(typeof proto._init_block).toBe('function');
    expect(typeof proto._read_bunzip).toBe('function');
    expect(Bunzip.decode(bz2Bytes('hello'))).toEqual(BZ2_PLAIN.hello);
  });
});
