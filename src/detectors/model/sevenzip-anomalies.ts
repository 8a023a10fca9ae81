import { defineDetector } from '../../core/detector.js';
import type { Severity } from '../../core/severity.js';
import type { SevenZipAnomalyKind, SevenZipArchive } from '../../readers/sevenzip/index.js';

/** Input of the 7z detector: one archive as the reader listed and extracted it. */
export interface SevenZipArtifact {
  archive: SevenZipArchive;
  size: number;
}

const SEVERITY: Record<SevenZipAnomalyKind, Severity> = {
  'path-traversal': 'high',
  symlink: 'high',
  // Cannot be scanned: a payload may be inside. Never clean, but not proof of malice either.
  encrypted: 'medium',
  'over-limit': 'medium',
  corrupt: 'medium',
  'duplicate-name': 'medium',
  'trailing-data': 'low',
};

export default defineDetector<SevenZipArtifact, { anomaly: string }>({
  id: 'model/sevenzip-anomalies',
  title: '7z archive with members that escape, link out, hide behind a password, or expand past the limits',
  description:
    'Attackers wrap pickle payloads in 7z archives because model scanners skip the format. Members whose ' +
    'names escape the extraction folder and links to files outside it make extraction write or read other ' +
    'files than a reviewer sees; encrypted members and headers cannot be scanned at all; archives that ' +
    'declare far more output than their size are decompression bombs and are not extracted. Every member ' +
    'that can be extracted is scanned by content as well.',
  remediation:
    'Do not extract or load the archive as is. Ask the publisher for an unencrypted archive or the model ' +
    'files themselves, extract with a tool that refuses links and absolute or ".." paths, and re-download ' +
    'the model from its source if the archive is damaged.',
  defaultSeverity: 'high',
  tags: ['OWASP-LLM03', 'AML.T0010', 'CWE-22', 'CWE-59', 'CWE-409'],
  messages: {
    anomaly: '{{kind}}: {{detail}}',
  },
  requires: { network: false, unsafe: false },
  input: 'sevenzip',
  run({ archive }, context) {
    for (const anomaly of archive.anomalies) {
      context.report({
        messageId: 'anomaly',
        data: { kind: anomaly.kind, detail: anomaly.message },
        severity: SEVERITY[anomaly.kind],
        evidence: {
          match: anomaly.entry ?? anomaly.limit,
          rule: anomaly.kind,
          ...(anomaly.target !== undefined ? { excerpt: anomaly.target, details: { target: anomaly.target } } : {}),
        },
      });
    }
  },
});
