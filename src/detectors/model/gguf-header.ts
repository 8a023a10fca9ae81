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
/** True when the tensor infos place data past the end of the file (see GgufTensorExtent). */
export function dataPastEnd(file: GgufFile): boolean {
  const extent = file.tensorExtent;
  return extent !== null && extent.end > BigInt(extent.fileSize);
}

export default defineDetector<GgufArtifact, { summary: string; stopped: string; problem: string; duplicateTemplate: string; dataPastEnd: string; unsizedTypes: string }>({
  id: 'model/gguf-header',
  title: 'GGUF header or metadata is truncated, over a limit or malformed, or its tensor data does not fit',
  description:
    'GGUF stores no executable code, but its header and metadata declare counts and lengths that loaders trust: ' +
    'lying values drove heap overflows in the GGUF reader of llama.cpp (Cisco Talos advisories, 2024). ' +
    'A file cut short or over a limit also hides whatever metadata (such as chat templates) comes after the stop, ' +
    'and tensor infos that place data past the end of the file describe a cut download or a file made to send a ' +
    'loader out of bounds.',
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
    dataPastEnd: 'tensor data ends at byte {{end}} but the file has {{size}} bytes ({{missing}} missing): tensor {{tensor}} ({{type}} {{dims}}, {{bytes}} bytes at data offset {{offset}}) reaches furthest',
    unsizedTypes: '{{count}} tensors use ggml types without a known size ({{types}}): whether their data fits in the file was not checked',
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
    const extent = file.tensorExtent;
    if (extent && dataPastEnd(file) && extent.furthest) {
      // llama.cpp refuses such a file ("tensor data is not within the file bounds"); older readers trusted
      // the offsets. Either a cut download or a file made to send a loader out of bounds.
      const t = extent.furthest;
      context.report({
        messageId: 'dataPastEnd',
        data: { end: extent.end.toString(), size: extent.fileSize, missing: (extent.end - BigInt(extent.fileSize)).toString(), tensor: JSON.stringify(t.name), type: t.type, dims: t.dims, bytes: t.bytes.toString(), offset: t.offset.toString() },
        severity: 'medium',
        location: { offset: extent.dataOffset },
        evidence: {
          match: 'tensor data past the end of the file',
          rule: 'tensor-extent',
          details: { dataOffset: extent.dataOffset, dataEnd: extent.end.toString(), fileSize: extent.fileSize, tensorIndex: t.index, tensor: t.name, type: t.type, dims: t.dims, tensorOffset: t.offset.toString(), tensorBytes: t.bytes.toString() },
        },
      });
    }
    if (extent && extent.unsized > 0) {
      context.report({
        messageId: 'unsizedTypes',
        data: { count: extent.unsized, types: extent.unsizedTypes.join(', ') },
        severity: 'low',
        evidence: { rule: 'tensor-extent', details: { unsized: extent.unsized, types: extent.unsizedTypes.join(',') } },
      });
    }
    if (!file.stop && file.problems.length === 0 && !dataPastEnd(file) && (extent?.unsized ?? 0) === 0) {
      context.report({
        messageId: 'summary',
        data: { version: file.version, kvCount: file.kvCount, tensorCount: file.tensorCount, templates: file.chatTemplates.length },
        severity: 'info',
        evidence: { details },
      });
    }
  },
});
