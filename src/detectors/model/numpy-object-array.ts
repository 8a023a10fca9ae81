import { defineDetector } from '../../core/detector.js';
import type { NpyHeader } from '../../readers/numpy/index.js';

/** Input of the numpy detectors: one parsed .npy header. */
export interface NumpyArtifact {
  header: NpyHeader;
  size: number;
}

/*
 * A .npy array with an object dtype stores its data as a pickle: np.load(allow_pickle=True) (the default
 * before numpy 1.16.3, CVE-2019-6446) unpickles it. The pickle itself is judged by model/pickle-globals;
 * this detector says that the file needs pickle at all, and flags headers whose size does not add up.
 */
export default defineDetector<NumpyArtifact, { objectDtype: string; sizeMismatch: string }>({
  id: 'model/numpy-object-array',
  title: 'NumPy array stores Python objects (loading it unpickles)',
  description:
    'An .npy file (alone or inside an .npz) with an object dtype cannot be loaded without ' +
    'allow_pickle=True, which runs the pickle stored as its data. Numeric arrays never need this.',
  remediation:
    'Load numeric data with np.load(allow_pickle=False) (the default since numpy 1.16.3). If an object array ' +
    'is expected, check the pickle findings for this file before loading it with allow_pickle=True.',
  defaultSeverity: 'medium',
  tags: ['OWASP-LLM03', 'AML.T0010', 'CWE-502', 'CVE-2019-6446'],
  messages: {
    objectDtype: 'array has object dtype {{descr}}: loading it requires allow_pickle=True and runs a pickle',
    sizeMismatch: 'header declares {{expected}} data bytes but {{actual}} follow (truncated or padded array)',
  },
  requires: { network: false, unsafe: false },
  input: 'numpy',
  run({ header }, context) {
    if (header.hasObjectDtype) {
      context.report({
        messageId: 'objectDtype',
        data: { descr: JSON.stringify(header.descr) },
        location: { offset: header.dataOffset },
        evidence: { match: JSON.stringify(header.descr), details: { shape: JSON.stringify(header.shape) } },
      });
    }
    if (header.sizeMismatch) {
      context.report({
        messageId: 'sizeMismatch',
        data: { expected: header.sizeMismatch.expected, actual: header.sizeMismatch.actual },
        severity: 'low',
        evidence: { details: { expected: header.sizeMismatch.expected, actual: header.sizeMismatch.actual } },
      });
    }
  },
});
