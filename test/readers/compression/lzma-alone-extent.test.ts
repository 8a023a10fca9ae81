import { decompressSync as decompressAlone } from '@napi-rs/lzma/lzma';
import { describe, expect, it } from 'vitest';
import { measureLzmaAlone } from '../../../src/readers/compression/index.js';
import {
  LZMA_FIXTURE_TEXT,
  lzmaAloneBytes,
  lzmaAloneEmptyKnownSize,
  lzmaAloneText,
  lzmaAloneZeros,
} from '../../builders/compression.js';
import { decode, noise, PAYLOAD, realJoblib } from './helpers.js';

/* measureLzmaAlone walks an LZMA-alone stream as liblzma does, to find where it ends: lzma-rs cannot say. */

const streams: Array<[string, Buffer]> = [
  ['a real joblib lzma pickle', realJoblib('lzma')],
  ['4 MiB of zeros (long matches)', lzmaAloneZeros()],
  ['liblzma text, lc0 lp2 pb0', lzmaAloneText('lc0-lp2-pb0')],
  ['liblzma text, lc4 lp0 pb4', lzmaAloneText('lc4-lp0-pb4')],
  ['lzma-rs literals', lzmaAloneBytes(Buffer.concat([PAYLOAD, noise(5000)]))],
  ['an empty stream', lzmaAloneBytes(Buffer.alloc(0))],
];

describe('measureLzmaAlone', () => {
  it.each(streams)('control: %s ends at its last byte, after as many bytes as lzma-rs decodes', (_, stream) => {
    expect(measureLzmaAlone(stream, Number.MAX_SAFE_INTEGER)).toEqual({ kind: 'end', end: stream.length, size: decompressAlone(stream).length });
  });

  it.each(streams)('%s followed by other bytes: the end is still its last byte', (_, stream) => {
    const followed = Buffer.concat([stream, lzmaAloneBytes('next'), Buffer.from('junk')]);
    expect(measureLzmaAlone(followed, Number.MAX_SAFE_INTEGER)).toMatchObject({ kind: 'end', end: stream.length });
  });

  it('a known size with a finished range decoder ends without an end marker (18 zero bytes)', () => {
    expect(measureLzmaAlone(Buffer.concat([lzmaAloneEmptyKnownSize(), Buffer.from('junk')]), 100)).toEqual({ kind: 'end', end: 18, size: 0 });
  });

  it('output past maxOutput stops the walk: over', () => {
    const extent = measureLzmaAlone(lzmaAloneZeros(), 1000);
    expect(extent.kind).toBe('over');
    expect(extent.size).toBeLessThanOrEqual(1000);
  });

  it('cut anywhere, the walk says truncated and the prefix it names decodes to the start of the text', () => {
    const stream = lzmaAloneText('lc4-lp0-pb4');
    for (let cut = 18; cut < stream.length; cut++) {
      const extent = measureLzmaAlone(stream.subarray(0, cut), Number.MAX_SAFE_INTEGER);
      expect(extent.kind).toBe('truncated');
      const out = decode(stream.subarray(0, cut), { kind: 'lzma' });
      expect(out.error?.kind).toBe('truncated');
      expect(out.data.length).toBe(extent.size);
      expect(out.data).toEqual(LZMA_FIXTURE_TEXT.subarray(0, extent.size));
    }
  });

  it('a range decoder that does not start with a zero byte: corrupt at byte 13, as liblzma says', () => {
    const stream = Buffer.from(lzmaAloneBytes(PAYLOAD));
    stream[13] = 7;
    expect(measureLzmaAlone(stream, 1000)).toMatchObject({ kind: 'corrupt', offset: 13, size: 0 });
  });

  it('an end marker before the declared size: corrupt, with the output before it', () => {
    expect(measureLzmaAlone(lzmaAloneBytes('abcdef', { declaredSize: 10 }), 1000)).toMatchObject({ kind: 'corrupt', size: 6 });
  });

  it('data past the declared size with no end marker there: corrupt, with the declared output', () => {
    expect(measureLzmaAlone(lzmaAloneBytes('abcdef', { declaredSize: 3 }), 1000)).toMatchObject({ kind: 'corrupt', size: 3 });
  });
});
