import { defineDetector } from '../../core/detector.js';
import type { Severity } from '../../core/severity.js';
import type { TarAnomalyKind, TarArchive } from '../../readers/tar/index.js';

/** Input of the tar detector: one archive as the reader listed it. */
export interface TarArtifact {
  archive: TarArchive;
  size: number;
}

const SEVERITY: Record<TarAnomalyKind, Severity> = {
  'path-traversal': 'high',
  symlink: 'high',
  hardlink: 'high',
  'duplicate-name': 'medium',
  'bad-checksum': 'medium',
  truncated: 'medium',
  'trailing-data': 'low',
  device: 'medium',
};

export default defineDetector<TarArtifact, { anomaly: string; legacyTorch: string }>({
  id: 'model/tar-anomalies',
  title: 'Tar archive with members that escape, link out, or hide data',
  description:
    'Model files travel in tar archives, and torch.load still opens the pre-1.0 tar checkpoint layout, ' +
    'unpickling its storages, tensors and pickle members. Members whose names escape the extraction folder, ' +
    'links to files outside it, duplicate names and truncated archives make extraction or loading see other ' +
    'bytes than a reviewer does. Every member is scanned by content as well.',
  remediation:
    'Do not extract or load the archive as is. Extract with a tool that refuses links and absolute or ".." ' +
    'paths, and re-download the model from its source if the archive is damaged.',
  defaultSeverity: 'high',
  tags: ['OWASP-LLM03', 'AML.T0010', 'CWE-22', 'CWE-59'],
  messages: {
    anomaly: '{{kind}}: {{detail}}',
    legacyTorch: 'tar archive in the legacy torch checkpoint layout: torch.load unpickles its {{members}} member(s)',
  },
  requires: { network: false, unsafe: false },
  input: 'tar',
  run({ archive }, context) {
    for (const anomaly of archive.anomalies) {
      context.report({
        messageId: 'anomaly',
        data: { kind: anomaly.kind, detail: anomaly.message },
        severity: SEVERITY[anomaly.kind],
        location: anomaly.offset !== undefined ? { offset: anomaly.offset } : {},
        evidence: { match: anomaly.entry, rule: anomaly.kind },
      });
    }
    const torchMembers = archive.entries.filter((e) => LEGACY_TORCH_MEMBERS.has(e.name)).map((e) => e.name);
    if (torchMembers.length > 0) {
      context.report({
        messageId: 'legacyTorch',
        data: { members: torchMembers.join(', ') },
        severity: 'info',
        evidence: { match: torchMembers.join(','), rule: 'legacy-torch-tar' },
      });
    }
  },
});

/** Members torch's `_legacy_load` unpickles from a tar checkpoint (torch/serialization.py). */
export const LEGACY_TORCH_MEMBERS = new Set(['storages', 'tensors', 'pickle']);
