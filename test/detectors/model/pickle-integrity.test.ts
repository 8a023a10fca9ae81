import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import { DEFAULT_LIMITS, resolveLimits, type Limits } from '../../../src/core/limits.js';
import detector from '../../../src/detectors/model/pickle-integrity.js';
import { disassemblePickle } from '../../../src/readers/pickle/index.js';
import { buildPickle, payloadPickle } from '../../builders/pickle.js';
import { buildLegacyTorch } from '../../builders/torch.js';
import { brief, runDetector } from '../detector-tester.js';

const findings = (bytes: Buffer, container = 'pickle', limits: Limits = DEFAULT_LIMITS, expectedPickles = 1) =>
  runDetector(detector, { analysis: disassemblePickle(bufferSource(bytes), { limits, expectedPickles }), container });

describe('model/pickle-integrity', () => {
  it('a well-formed pickle is quiet', () => {
    expect(findings(payloadPickle('os', 'system'))).toEqual([]);
  });

  it('a legacy torch file with its storage bytes is quiet', () => {
    expect(findings(buildLegacyTorch(), 'pytorch-legacy', DEFAULT_LIMITS, 5)).toEqual([]);
  });

  it('a break right after imports (nullifAI) is high', () => {
    const bytes = Buffer.concat([buildPickle().proto(2).global('os', 'system').bytes(), Buffer.from([0xff])]);
    expect(brief(findings(bytes))).toEqual(['corrupt:high']);
  });

  it('a break in an import-free stream is medium', () => {
    expect(brief(findings(Buffer.from([0x80, 0x02, 0x7d, 0xff])))).toEqual(['corrupt:medium']);
  });

  it('a limit is reported by name', () => {
    const b = buildPickle().proto(2);
    for (let i = 0; i < 50; i++) b.int(i);
    const out = findings(b.stop().bytes(), 'pickle', resolveLimits({ maxStackDepth: 5 }));
    expect(brief(out)).toEqual(['limit:medium', 'unscanned:medium']);
    expect(out[0]?.evidence.rule).toBe('maxStackDepth');
  });

  it('trailing bytes after a plain pickle are info', () => {
    expect(brief(findings(Buffer.concat([payloadPickle('a', 'b'), Buffer.from([1, 2, 3])])))).toEqual(['trailing:info']);
  });

  it('protocol-5 out-of-band buffers are low', () => {
    expect(brief(findings(buildPickle().proto(5).op('NEXT_BUFFER').stop().bytes()))).toEqual(['outOfBand:low']);
  });
});
