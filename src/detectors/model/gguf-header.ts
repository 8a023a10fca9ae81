import { defineDetector } from '../../core/detector.js';
import type { Severity } from '../../core/severity.js';
import type { GgufFile } from '../../readers/gguf/index.js';

/** Input of the GGUF detectors: the header and metadata of one GGUF file. */
export interface GgufArtifact {
  file: GgufFile;
  size: number;
}

/** Keys whose values loaders act on as text; a duplicate of one means two loaders may see two templates. */
const SENSITIVE_PREFIX = 'tokenizer.chat_template';

/*
 * GGUF holds no code: header, typed metadata, tensor infos, raw tensor data. What can go wrong is the
 * parse itself (Cisco Talos's 2024 llama.cpp advisories were heap overflows in its GGUF reader driven by
 * lying counts and lengths) and metadata a loader acts on (chat templates, judged by
 * model/gguf-chat-template). A file that antidote could not read to the end of its tensor infos is never
 * reported as clean.
 */
export default defineDetector<GgufArtifact, { summary: string; stopped: string; problem: string; duplicateTemplate: string }>({
  id: 'model/gguf-header',
  title: 'GGUF header or metadata is truncated, over a limit or malformed',
  description:
    'GGUF stores no executable code, but its header and metadata declare counts and lengths that loaders trust: ' +
    'lying values drove heap overflows in the GGUF reader of llama.cpp (Cisco Talos advisories, 2024). ' +
    'A file cut short or over a limit also hides whatever metadata (such as chat templates) comes after the stop.',
  remediation:
    'Re-download the file from its original publisher and compare its sha256; do not load a GGUF whose metadata ' +
    'cannot be read to the end. Update llama.cpp and its bindings to a release that validates GGUF headers.',
  defaultSeverity: 'high',
  tags: ['OWASP-LLM03', 'AML.T0010', 'CWE-770', 'CWE-674', 'CWE-122'],
  messages: {
    summary: 'GGUF v{{version}}: {{kvCount}} metadata pairs, {{tensorCount}} tensors, {{templates}} chat templates (GGUF holds no code)',
    stopped: 'GGUF {{kind}} at byte {{offset}}: {{message}}; metadata after this point was not read',
    problem: 'GGUF {{kind}}: {{message}}',
    duplicateTemplate: 'chat template key {{key}} appears more than once: loaders may use a template antidote did not pick',
  },
  requires: { network: false, unsafe: false },
  input: 'gguf',
  run({ file }, context) {
    const details = { version: file.version, kvCount: file.kvCount, tensorCount: file.tensorCount, littleEndian: file.littleEndian };
    if (file.stop) {
      // Truncated inside the tensor infos leaves every metadata pair read: medium. Anywhere else, high.
      const inTensors = file.stop.kind === 'truncated' && file.kv.size === file.kvCount;
      const severity: Severity = inTensors ? 'medium' : 'high';
      context.report({
        messageId: 'stopped',
        data: { kind: file.stop.kind, offset: file.stop.offset ?? 0, message: file.stop.message },
        severity,
        location: { offset: file.stop.offset ?? 0, ...(file.stop.key ? { jsonPath: file.stop.key } : {}) },
        evidence: { match: file.stop.kind, ...(file.stop.limit ? { rule: file.stop.limit } : {}), details: { ...details, pairsRead: file.kv.size, tensorsRead: file.tensorsRead } },
      });
    }
    for (const problem of file.problems) {
      const duplicate = problem.key !== undefined && problem.key.startsWith(SENSITIVE_PREFIX) && problem.message.includes('more than once');
      if (duplicate) {
        context.report({
          messageId: 'duplicateTemplate',
          data: { key: problem.key! },
          severity: 'high',
          location: { offset: problem.offset ?? 0, jsonPath: problem.key! },
          evidence: { match: problem.key! },
        });
        continue;
      }
      context.report({
        messageId: 'problem',
        data: { kind: problem.kind, message: problem.message },
        severity: 'medium',
        location: { offset: problem.offset ?? 0, ...(problem.key ? { jsonPath: problem.key } : {}) },
        evidence: { match: problem.kind, ...(problem.limit ? { rule: problem.limit } : {}) },
      });
    }
    if (!file.stop && file.problems.length === 0) {
      context.report({
        messageId: 'summary',
        data: { version: file.version, kvCount: file.kvCount, tensorCount: file.tensorCount, templates: file.chatTemplates.length },
        severity: 'info',
        evidence: { details },
      });
    }
  },
});
