import { defineDetector } from '../../core/detector.js';
import type { Severity } from '../../core/severity.js';
import type { ZipAnomalyKind, ZipArchive } from '../../readers/zip/index.js';

/** Input of the zip detectors: one archive as the lenient reader saw it. */
export interface ZipArtifact {
  archive: ZipArchive;
  /** Detected container kind: `pytorch-zip`, `torchscript`, `npz`, `zip`. */
  format: string;
  size: number;
}

/**
 * Severity per anomaly kind. High where a scanner and the loader can see different bytes, which is how
 * picklescan was bypassed (CVE-2025-1944 name mismatch, CVE-2025-1945 flag bits, CVE-2025-10156 bad CRC):
 * torch's miniz reads such archives while Python's zipfile refuses them.
 */
const SEVERITY: Record<ZipAnomalyKind, Severity> = {
  'junk-prefix': 'high',
  'name-mismatch': 'high',
  'duplicate-name': 'high',
  'flag-bits': 'medium',
  'encrypted-flag': 'high',
  'crc-mismatch': 'high',
  'size-mismatch': 'medium',
  'method-mismatch': 'high',
  zip64: 'info',
  'central-directory-missing': 'high',
  'overlapping-entries': 'high',
  'trailing-data': 'low',
  'unlisted-data': 'medium',
  'path-traversal': 'high',
  'suspicious-name': 'medium',
  symlink: 'high',
  'unsupported-method': 'medium',
  comment: 'info',
  'count-mismatch': 'medium',
  malformed: 'medium',
  'anomalies-truncated': 'medium',
};

export default defineDetector<ZipArtifact, { anomaly: string }>({
  id: 'model/zip-anomalies',
  title: 'Archive structure lets a loader and a scanner read different bytes',
  description:
    'PyTorch checkpoints, TorchScript files and .npz arrays are zip archives. torch reads them with miniz, ' +
    'which tolerates defects that Python zipfile rejects: bytes before the archive, mismatched local and ' +
    'central headers, flipped flag bits, wrong CRCs, duplicate names. Scanners built on zipfile have skipped ' +
    'such files while torch.load still loaded them. Each defect is reported; every member is scanned anyway.',
  remediation:
    'Legitimate tools (torch.save, numpy.savez) never write these defects. Re-download the file from its ' +
    'source, verify its hash, and do not load an archive with high-severity anomalies.',
  defaultSeverity: 'high',
  tags: ['OWASP-LLM03', 'AML.T0010', 'CWE-434'],
  messages: {
    anomaly: '{{kind}}: {{detail}}',
  },
  requires: { network: false, unsafe: false },
  input: 'zip',
  run({ archive }, context) {
    for (const anomaly of archive.anomalies) {
      const details: Record<string, string | number | boolean> = {};
      if (anomaly.length !== undefined) details.length = anomaly.length;
      context.report({
        messageId: 'anomaly',
        data: { kind: anomaly.kind, detail: anomaly.message },
        severity: SEVERITY[anomaly.kind] ?? 'medium',
        location: anomaly.offset !== undefined ? { offset: anomaly.offset } : {},
        evidence: { match: anomaly.entry, rule: anomaly.kind, details },
      });
    }
  },
});
