import { decompressSync as decompressAlone } from '@napi-rs/lzma/lzma';
import { decompressSync as decompressXz } from '@napi-rs/lzma/xz';
import { describe, expect, it } from 'vitest';
import { lzmaAloneBytes, lzmaAloneZeros, patchLzmaAloneHeader, xzZerosBomb } from '../../builders/compression.js';

/*
 * What the readers assume about @napi-rs/lzma 1.4.5 (lzma-rs). If an upgrade changes any of this, these
 * fail first; lzma-rs.ts sorts outcomes by these messages.
 */
const thrown = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return 'no error';
};

describe('lzma-rs contract', () => {
  it('the brief assumed the xz decoder checks the index before allocating; it does not: it decodes every block first', () => {
    // 3 MiB decoded, then the index (1000) is compared: the message names the real size it already produced.
    expect(thrown(() => decompressXz(xzZerosBomb(3, 1000)))).toMatch(/unpacked size \(3145728\) does not match index \(1000\)/);
  });

  it('an LZMA-alone known size stops decoding there, even when more data follows', () => {
    expect(decompressAlone(lzmaAloneBytes('abcdef', { declaredSize: 2 }))).toEqual(Buffer.from('ab'));
  });

  it('an end marker before the known size reports the true size', () => {
    expect(thrown(() => decompressAlone(lzmaAloneBytes('abcdef', { declaredSize: 100 })))).toMatch(/Expected unpacked size of 100 but decompressed to 6/);
  });

  it('a match that runs past the known size reports where it ended (at most 273 bytes on)', () => {
    const message = thrown(() => decompressAlone(lzmaAloneZeros({ declaredSize: 1000 })));
    const match = /Expected unpacked size of 1000 but decompressed to (\d+)/.exec(message);
    expect(match).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThan(1000);
    expect(Number(match![1])).toBeLessThanOrEqual(1000 + 273);
  });

  it('running out of input says "failed to fill whole buffer"', () => {
    const stream = lzmaAloneZeros();
    expect(thrown(() => decompressAlone(stream.subarray(0, 300)))).toContain('failed to fill whole buffer');
  });

  it('bytes after an end marker are refused', () => {
    expect(thrown(() => decompressAlone(Buffer.concat([lzmaAloneBytes('x'), Buffer.from('zz')])))).toContain('end-of-stream marker but more bytes');
  });

  it('an exact known size with an end marker after it decodes', () => {
    expect(decompressAlone(patchLzmaAloneHeader(lzmaAloneBytes('abc'), { declaredSize: 3 }))).toEqual(Buffer.from('abc'));
  });
});
