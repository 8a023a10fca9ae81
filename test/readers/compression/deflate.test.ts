import { describe, expect, it } from 'vitest';
import { resolveLimits } from '../../../src/core/index.js';
import { createDecompressionBudget, MAX_GZIP_SEGMENTS, RATIO_GRACE_BYTES } from '../../../src/readers/compression/index.js';
import { gzipBytes, gzipZerosBomb, joblibZfBytes, zlibBytes, zlibZerosBomb } from '../../builders/compression.js';
import { decode, noise, PAYLOAD, realJoblib, SMALL_LIMITS } from './helpers.js';

const TWO_GB = 2 ** 31;

describe('gzip', () => {
  it('control: a real joblib gzip pickle decodes whole', () => {
    const out = decode(realJoblib('gzip'));
    expect(out).toMatchObject({ kind: 'gzip', error: null, strictOk: true });
    expect(out.data[0]).toBe(0x80); // PROTO: the pickle inside
  });

  it('control: every optional header field CPython writes or reads is skipped correctly', () => {
    const out = decode(gzipBytes(PAYLOAD, { name: 'model.pkl', comment: 'made by hand', extra: Buffer.from('xyz'), headerCrc: true }));
    expect(out.error).toBeNull();
    expect(out.data).toEqual(PAYLOAD);
  });

  it('multi-member gzip: every member is decoded, as Python reads them all (a payload in member 2 is not missed)', () => {
    const out = decode(Buffer.concat([gzipBytes('benign '), gzipBytes(PAYLOAD)]));
    expect(out.error).toBeNull();
    expect(out.data.toString('latin1')).toBe(`benign ${PAYLOAD.toString('latin1')}`);
  });

  it('zero padding between and after members is skipped, as CPython skips it', () => {
    const out = decode(Buffer.concat([gzipBytes('a'), Buffer.alloc(7), gzipBytes(PAYLOAD), Buffer.alloc(4)]));
    expect(out.error).toBeNull();
    expect(out.data).toEqual(Buffer.concat([Buffer.from('a'), PAYLOAD]));
  });

  it('reserved header flags: zlib refuses the member, CPython loads it, so antidote decodes it', () => {
    const out = decode(gzipBytes(PAYLOAD, { reservedFlags: true }));
    expect(out.error).toBeNull();
    expect(out.data).toEqual(PAYLOAD);
  });

  it('decompression bomb: 2 GB of zeros declared in ~2 MB stops at maxMemberBytes, keeping the prefix', () => {
    const bomb = gzipZerosBomb(TWO_GB);
    const start = Date.now();
    const out = decode(bomb);
    expect(out.error).toMatchObject({ kind: 'limit', limit: 'maxMemberBytes' });
    expect(out.strictOk).toBe(false);
    expect(out.data.length).toBeLessThanOrEqual(SMALL_LIMITS.maxMemberBytes);
    expect(out.charged).toBe(SMALL_LIMITS.maxMemberBytes);
    expect(Date.now() - start).toBeLessThan(5000);
  });

  it('decompression bomb: past 1 MiB of output, the ratio limit stops a member the size limit would allow', () => {
    const limits = resolveLimits({ maxMemberBytes: 64 << 20, maxCompressionRatio: 10 });
    const out = decode(gzipZerosBomb(8 << 20), { limits });
    expect(out.error).toMatchObject({ kind: 'limit', limit: 'maxCompressionRatio' });
    expect(out.error?.message).toContain('decompression bomb');
  });

  it('control: a 1 MiB page of zeros is under the ratio grace and decodes', () => {
    const out = decode(gzipBytes(Buffer.alloc(RATIO_GRACE_BYTES)), { limits: resolveLimits({ maxCompressionRatio: 2 }) });
    expect(out.error).toBeNull();
    expect(out.data.length).toBe(RATIO_GRACE_BYTES);
  });

  it('payload before gigabytes of padding: the limit error still returns the payload for scanning', () => {
    const padded = Buffer.concat([gzipBytes(PAYLOAD), gzipZerosBomb(64 << 20)]);
    const out = decode(padded);
    expect(out.error?.kind).toBe('limit');
    expect(out.data.subarray(0, PAYLOAD.length)).toEqual(PAYLOAD);
  });

  it('truncated stream: truncated, with the decodable prefix kept (pickle.load would already have run it)', () => {
    const data = Buffer.concat([PAYLOAD, noise(20_000)]);
    const out = decode(gzipBytes(data, { truncate: 5000 }));
    expect(out.error).toMatchObject({ kind: 'truncated' });
    expect(out.strictOk).toBe(false);
    expect(out.data.subarray(0, PAYLOAD.length)).toEqual(PAYLOAD);
  });

  it('trailing garbage after a member: malformed at its offset, with the member kept', () => {
    const member = gzipBytes(PAYLOAD);
    const out = decode(Buffer.concat([member, Buffer.from('garbage!')]));
    expect(out.error).toMatchObject({ kind: 'malformed', offset: member.length });
    expect(out.data).toEqual(PAYLOAD);
  });

  it('CRC-32 mismatch: malformed, but the data Python would hand to pickle.load first is kept', () => {
    const out = decode(gzipBytes(PAYLOAD, { crc: 0xdeadbeef }));
    expect(out.error?.kind).toBe('malformed');
    expect(out.error?.message).toContain('CRC-32');
    expect(out.data).toEqual(PAYLOAD);
  });

  it(`CPU bomb: more than ${MAX_GZIP_SEGMENTS} padded runs of tiny members stop at MAX_GZIP_SEGMENTS`, () => {
    const piece = Buffer.concat([gzipBytes('a'), Buffer.alloc(4)]);
    const out = decode(Buffer.concat(Array<Buffer>(MAX_GZIP_SEGMENTS + 5).fill(piece)));
    expect(out.error).toMatchObject({ kind: 'limit', limit: 'MAX_GZIP_SEGMENTS' });
    expect(out.data.length).toBe(MAX_GZIP_SEGMENTS);
  });

  it('control: thousands of back-to-back members (bgzip style) decode in one pass', () => {
    const out = decode(Buffer.concat(Array<Buffer>(5000).fill(gzipBytes('ab'))));
    expect(out.error).toBeNull();
    expect(out.data.length).toBe(10_000);
  });
});

describe('zlib (joblib compress=True / compress=N)', () => {
  it('control: a real joblib zlib pickle decodes whole', () => {
    expect(decode(realJoblib('zlib'))).toMatchObject({ kind: 'zlib', error: null, strictOk: true });
  });

  it('decompression bomb: 2 GB of zeros stops at maxMemberBytes', () => {
    const out = decode(zlibZerosBomb(TWO_GB));
    expect(out.error).toMatchObject({ kind: 'limit', limit: 'maxMemberBytes' });
    expect(out.data.length).toBeGreaterThan(0);
  });

  it('truncated stream: truncated at the end of input, prefix kept', () => {
    const full = zlibBytes(Buffer.concat([PAYLOAD, noise(10_000)]));
    const out = decode(full.subarray(0, full.length - 100));
    expect(out.error).toMatchObject({ kind: 'truncated', offset: full.length - 100 });
    expect(out.data.subarray(0, PAYLOAD.length)).toEqual(PAYLOAD);
  });

  it('trailing data after the stream: malformed at the end of the stream', () => {
    const stream = zlibBytes(PAYLOAD);
    const out = decode(Buffer.concat([stream, Buffer.from('junk')]));
    expect(out.error).toMatchObject({ kind: 'malformed', offset: stream.length });
    expect(out.data).toEqual(PAYLOAD);
  });

  it('corrupt deflate data: malformed, never a throw', () => {
    const stream = Buffer.from(zlibBytes(noise(2000)));
    stream.fill(0xff, 2, 40);
    expect(decode(stream, { kind: 'zlib' }).error?.kind).toBe('malformed');
  });
});

describe('joblib < 0.10 Z-file', () => {
  it('control: a Z-file decodes to its declared length', () => {
    expect(decode(joblibZfBytes(PAYLOAD))).toMatchObject({ kind: 'joblib-zf', error: null, data: PAYLOAD });
  });

  it('control: the Python 2 variant with one more space decodes too', () => {
    expect(decode(joblibZfBytes(PAYLOAD, { python2Space: true }))).toMatchObject({ error: null, data: PAYLOAD });
  });

  it('a declared length over the limit is refused before inflating', () => {
    const out = decode(joblibZfBytes('', { declaredLength: 2 ** 40 }));
    expect(out.error).toMatchObject({ kind: 'limit', offset: 2 });
    expect(out.charged).toBe(0);
  });

  it('zlib data longer than declared: malformed (read_zfile asserts), inflating stops at the declared length', () => {
    const out = decode(joblibZfBytes(Buffer.alloc(1 << 20), { declaredLength: 10 }));
    expect(out.error?.kind).toBe('malformed');
    expect(out.data.length).toBeLessThanOrEqual(10);
  });

  it('zlib data shorter than declared: malformed', () => {
    expect(decode(joblibZfBytes(PAYLOAD, { declaredLength: PAYLOAD.length + 1 })).error?.kind).toBe('malformed');
  });
});

describe('run-wide budget', () => {
  it('is shared: members that each fit still stop once the run has decoded maxTotalUncompressed', () => {
    const limits = resolveLimits({ maxMemberBytes: 4 << 20, maxTotalUncompressed: 6 << 20 });
    const budget = createDecompressionBudget(limits);
    const member = gzipBytes(noise(3 << 20));
    expect(decode(member, { limits, budget }).error).toBeNull();
    expect(decode(member, { limits, budget }).error).toBeNull();
    expect(decode(member, { limits, budget }).error).toMatchObject({ kind: 'limit', limit: 'maxTotalUncompressed' });
    expect(budget.remaining).toBe(0);
  });
});
