import { defineDetector } from '../../core/detector.js';
import type { FileStatus } from '../../core/result.js';

/** Input of file-level detectors: what the engine could and could not do with one object. */
export interface FileArtifact {
  format: string;
  status: FileStatus;
  reason?: string;
  /** Name of the limit that stopped the read, when one did. */
  limit?: string;
  /** Lower-cased extension of the object's name, used only to raise concern, never to decide safety. */
  extension: string;
  size: number;
}

/**
 * Extensions under which model weights travel. A file with one of these that antidote cannot identify is
 * reported: it may be a format a loader accepts and antidote does not (unknown is not clean).
 */
const MODEL_EXTENSIONS = new Set([
  '.pt', '.pth', '.bin', '.ckpt', '.pkl', '.pickle', '.joblib', '.jbl', '.npy', '.npz', '.dat', '.data',
  '.model', '.sav', '.mar', '.h5', '.hdf5', '.keras', '.pb', '.onnx', '.gguf', '.ggml', '.safetensors',
  '.msgpack', '.tflite', '.mlmodel', '.pdparams', '.nemo', '.llamafile', '.7z', '.tar', '.tgz', '.gz', '.zip',
]);

export default defineDetector<FileArtifact, { unreadable: string; limit: string; unrecognized: string }>({
  id: 'file/unscanned',
  title: 'File could not be fully scanned',
  description:
    'antidote could not read this file or member completely: it was unreadable, malformed beyond recovery, ' +
    'over a safety limit, or in a format antidote does not recognise while its name suggests model weights. ' +
    'Nothing can be said about what was not read, so it is reported rather than passed as clean.',
  remediation:
    'Check where the file came from and why it is unreadable. If it is legitimate and over a limit, raise the ' +
    'limit and scan again; if its format is unsupported, convert the model to a format antidote scans ' +
    '(e.g. safetensors) or review it by other means before loading.',
  defaultSeverity: 'medium',
  tags: ['OWASP-LLM03', 'AML.T0010'],
  messages: {
    unreadable: 'could not be read ({{reason}})',
    limit: 'scan stopped at safety limit {{limit}} ({{reason}})',
    unrecognized: 'format not recognised for a {{extension}} file; its contents were not verified',
  },
  requires: { network: false, unsafe: false },
  input: 'file',
  run(file, context) {
    if (file.limit) {
      context.report({
        messageId: 'limit',
        data: { limit: file.limit, reason: file.reason ?? 'limit reached' },
        evidence: { rule: file.limit, details: { format: file.format, size: file.size } },
      });
      return;
    }
    if (file.status === 'failed') {
      context.report({
        messageId: 'unreadable',
        data: { reason: file.reason ?? 'unknown error' },
        evidence: { details: { format: file.format, size: file.size } },
      });
      return;
    }
    if (file.format === 'unknown' && MODEL_EXTENSIONS.has(file.extension)) {
      context.report({
        messageId: 'unrecognized',
        data: { extension: file.extension },
        severity: 'low',
        evidence: { details: { size: file.size } },
      });
    }
  },
});
