import { base64Runs, clip, CODE_PATTERNS as SHARED_CODE_PATTERNS, excerpt, MAX_BLOB_CHARS, URL_PATTERN, type CodePattern } from '../text/embedded-code.js';
import { cappedReporter, type CappedReport } from '../capped-reporter.js';
import { defineDetector } from '../../core/detector.js';
import type { Location } from '../../core/finding.js';
import { severityRank, type Severity } from '../../core/severity.js';
import { MAX_TEXT_BYTES, type OnnxModel, type OnnxTensor } from '../../readers/protobuf/index.js';

/** Input of the ONNX detector: one decoded model and the size of the file it came from. */
export interface OnnxArtifact {
  model: OnnxModel;
  size: number;
}

/*
 * ONNX stores a graph of operators, not code, and loading one runs no Python. What an attacker controls is
 * where the runtime reaches outside the file: external-data `location` paths (onnx and onnxruntime followed
 * `../` and absolute paths before CVE-2024-27318 / CVE-2024-5187, so a model could read, or with
 * save_model overwrite, any file), operators in custom domains (a runtime resolves them from a native
 * custom-op library, i.e. code the model asks to load), tensor sizes that make a loader allocate far more
 * than the file holds, and free text that tools display or pass on: metadata_props, the doc strings of the
 * model, its graphs, nodes and functions, and string attributes (which custom ops receive as arguments).
 * A model with none of these is reported once as info, with counts.
 */

/** Findings per message id before the rest are only counted. */
const MAX_REPORTS_PER_MESSAGE = 25;
/**
 * Operator domains the ONNX spec and onnxruntime define. `com.microsoft` is onnxruntime's contrib-op domain:
 * its kernels ship inside onnxruntime itself (no library is loaded), so it counts as known, but a model
 * using it only runs on onnxruntime.
 */
const KNOWN_DOMAINS: ReadonlySet<string> = new Set(['', 'ai.onnx', 'ai.onnx.ml', 'ai.onnx.training', 'ai.onnx.preview.training', 'com.microsoft']);
/** Declared tensor sizes above this are implausible for any file (1 TiB): an allocation bomb. */
const MAX_PLAUSIBLE_TENSOR_BYTES = 2n ** 40n;
/** Element widths in bits by TensorProto.DataType (onnx.proto); STRING (8) and UNDEFINED (0) have none. */
const DATA_TYPE_BITS: Readonly<Record<number, number>> = {
  1: 32, 2: 8, 3: 8, 4: 16, 5: 16, 6: 32, 7: 64, 9: 8, 10: 16, 11: 64, 12: 32, 13: 64, 14: 64, 15: 128, 16: 16,
  17: 8, 18: 8, 19: 8, 20: 8, 21: 4, 22: 4, 23: 4,
};

/** The shared code patterns plus `curl ... | sh` on one line (bounded), before the HTML ones as before. */
const CODE_PATTERNS: readonly CodePattern[] = [
  ...SHARED_CODE_PATTERNS.slice(0, 8),
  { rule: 'download-and-run', what: 'a download piped to a shell', pattern: /\b(?:curl|wget)\b[^\n|]{0,400}\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b/ },
  ...SHARED_CODE_PATTERNS.slice(8),
];
/** Pickle protocol 2-5 opens with PROTO n: a base64 pickle in metadata is code for whoever unpickles it. */
const PICKLE_PREFIX = /^\x80[\x02-\x05]/;

const MESSAGES = {
  validModel: 'ONNX model ({{nodes}} nodes, {{tensors}} tensors, {{functions}} local functions, producer {{producer}}): a graph format that stores no Python code',
  externalPathTraversal: 'tensor {{tensor}} loads external data from {{location}}: {{why}}, which escapes the model folder',
  externalMissingLocation: 'tensor {{tensor}} is marked as external data but names no location',
  customOperator: 'operator {{op}} in custom domain {{domain}} ({{count}} nodes, first {{node}} in {{scope}}): a runtime loads it from a native custom-op library',
  declaredSizeMismatch: 'tensor {{tensor}} declares {{declared}} bytes but holds {{actual}}',
  declaredTooLarge: 'tensor {{tensor}} declares {{declared}} bytes, more than {{limit}}',
  invalidDims: 'tensor {{tensor}} has a negative dimension: {{dims}}',
  metadataCode: 'code in {{where}}: {{what}}',
  metadataBlob: 'opaque base64 blob of {{length}} characters in {{where}}',
  metadataUrl: 'URL in {{where}}: {{url}}',
  textNotChecked: '{{what}}: not checked for code or links',
  malformed: 'protobuf anomaly: {{detail}}',
  incomplete: 'model not fully read: {{detail}}',
  noOpsetImport: 'model declares ir_version {{irVersion}} but no opset_import, which onnx requires from IR version 3 and writes right after the graph: the file was most likely cut short',
  moreFindings: '{{count}} more {{messageId}} findings not listed',
} as const;

type MessageId = keyof typeof MESSAGES;

type Report = CappedReport<MessageId>;

export default defineDetector<OnnxArtifact, typeof MESSAGES>({
  id: 'model/onnx-graph',
  title: 'ONNX model reaches outside its graph',
  description:
    'An ONNX model runs no Python when loaded, but it can make the runtime reach outside the file: external ' +
    'tensor data with a location that is absolute or climbs out of the model folder (CVE-2024-27318, ' +
    'CVE-2024-5187) reads or overwrites arbitrary files; operators in custom domains make the runtime load a ' +
    'native custom-op library; tensors that declare far more bytes than they hold exhaust memory; metadata, ' +
    'doc strings and string attributes can carry code or links for the tools that display or receive them.',
  remediation:
    'Do not load a model whose external data points outside its folder; re-export it with relative locations ' +
    'inside the model directory and upgrade onnx (>= 1.16.2) and onnxruntime. Only load custom-op libraries you ' +
    'built or trust, and check which library provides each custom domain. Treat code in metadata as an attack.',
  defaultSeverity: 'medium',
  tags: ['OWASP-LLM03', 'OWASP-LLM05', 'AML.T0010', 'AML.T0011', 'CVE-2024-27318', 'CVE-2024-5187', 'CWE-22', 'CWE-770'],
  messages: MESSAGES,
  requires: { network: false, unsafe: false },
  input: 'onnx',
  run({ model, size }, context) {
    const capped = cappedReporter(context, MAX_REPORTS_PER_MESSAGE);
    let worst: Severity = 'info';
    const report: Report = (messageId, severity, body) => {
      if (severityRank(severity) > severityRank(worst)) worst = severity;
      capped.report(messageId, severity, body);
    };

    for (const tensor of model.tensors) checkTensor(tensor, size, report);
    checkOperators(model, report);
    for (const entry of model.metadata) {
      const path = `$.metadata_props[${JSON.stringify(entry.key)}]`;
      checkText(entry.key, `metadata_props key ${clip(JSON.stringify(entry.key))}`, path, entry.offset, report);
      checkText(entry.value, `metadata_props ${clip(JSON.stringify(entry.key))}`, path, entry.offset, report);
    }
    for (const text of model.texts) {
      const where = `${clip(text.where)}${text.repeats > 0 ? ` (and ${text.repeats} more places)` : ''}`;
      checkText(text.text, where, text.path, text.offset, report);
      if (text.bytes > MAX_TEXT_BYTES) {
        // Real doc strings and attributes are short; what lies past the cut was not looked at.
        report('textNotChecked', 'medium', {
          data: { what: `${where} holds ${text.bytes} bytes, of which the first ${MAX_TEXT_BYTES} were checked; the rest was` },
          location: { offset: text.offset, jsonPath: text.path },
          evidence: { rule: 'maxTextBytes', details: { bytes: text.bytes, checked: MAX_TEXT_BYTES } },
        });
      }
    }
    if (model.textsOmitted > 0) {
      report('textNotChecked', 'medium', {
        data: { what: `${model.textsOmitted} further doc strings or string attributes (past ${model.texts.length} distinct texts or the byte limit)` },
        evidence: { rule: 'maxOnnxTexts', details: { omitted: model.textsOmitted, kept: model.texts.length } },
      });
    }
    for (const problem of model.problems) {
      report('malformed', 'medium', { data: { detail: problem.message }, location: { offset: problem.offset }, evidence: { rule: problem.kind } });
    }
    if (model.irVersion >= 3n && model.opsetImports.length === 0 && !model.stop) {
      report('noOpsetImport', 'medium', { data: { irVersion: Number(model.irVersion) }, evidence: { rule: 'missing-opset-import', details: { irVersion: Number(model.irVersion), nodes: model.nodes.length } } });
    }
    if (model.stop) {
      report('incomplete', 'medium', {
        data: { detail: model.stop.message },
        location: { offset: model.stop.offset },
        evidence: { rule: model.stop.kind, details: model.stop.limit ? { limit: model.stop.limit } : undefined },
      });
    }

    capped.flush();

    if (worst === 'info') {
      const domains = [...new Set(model.opsetImports.map((o) => o.domain || 'ai.onnx'))].join(',');
      const external = model.tensors.filter((t) => t.externalData.length > 0 || t.dataLocation === 1).length;
      context.report({
        messageId: 'validModel',
        severity: 'info',
        data: { nodes: model.nodes.length, tensors: model.tensors.length, functions: model.functions.length, producer: JSON.stringify(clip(`${model.producerName} ${model.producerVersion}`.trim())) },
        evidence: {
          details: {
            irVersion: Number(model.irVersion),
            graphs: model.counts.graphs,
            nodes: model.nodes.length,
            initializers: model.counts.initializers,
            sparseInitializers: model.counts.sparseInitializers,
            tensors: model.tensors.length,
            externalTensors: external,
            functions: model.functions.length,
            inputs: model.counts.inputs,
            outputs: model.counts.outputs,
            metadataEntries: model.metadata.length,
            texts: model.texts.length,
            opsetDomains: domains,
          },
        },
      });
    }
  },
});

/** External data paths, declared sizes and dimensions of one tensor. */
function checkTensor(tensor: OnnxTensor, fileSize: number, report: Report): void {
  const name = JSON.stringify(clip(tensor.name));
  const location: Partial<Location> = { offset: tensor.offset, jsonPath: tensorPath(tensor) };
  const where = { kind: tensor.kind, scope: tensor.scope };
  const entry = (key: string) => tensor.externalData.find((e) => e.key === key);
  const external = tensor.dataLocation === 1 || tensor.externalData.length > 0;

  for (const e of tensor.externalData) {
    if (e.key !== 'location') continue;
    const why = escapeReason(e.value);
    if (why) {
      report('externalPathTraversal', 'high', {
        data: { tensor: name, location: JSON.stringify(clip(e.value)), why },
        location: { ...location, offset: e.offset },
        evidence: { match: clip(e.value), rule: 'external-data-location', details: where },
      });
    }
  }
  if (tensor.dataLocation === 1 && !entry('location')) {
    report('externalMissingLocation', 'medium', { data: { tensor: name }, location, evidence: { rule: 'external-data-location', details: where } });
  }

  // A tensor the file ends inside has the sizes of what was kept, not of what was written: only its
  // external-data location (above) is judged; the cut itself is reported as `incomplete`.
  if (tensor.truncated) return;
  if (tensor.dims.some((d) => d < 0n)) {
    report('invalidDims', 'medium', { data: { tensor: name, dims: `[${tensor.dims.join(', ')}]` }, location, evidence: { rule: 'negative-dim', details: where } });
    return;
  }
  const bits = DATA_TYPE_BITS[tensor.dataType];
  if (bits === undefined) return;
  const elements = tensor.dims.reduce((product, d) => product * d, 1n);
  const declared = (elements * BigInt(bits) + 7n) / 8n;
  const details = { ...where, dataType: tensor.dataType, dims: `[${tensor.dims.join(', ')}]`, declaredBytes: declared.toString() };
  if (declared > MAX_PLAUSIBLE_TENSOR_BYTES) {
    report('declaredTooLarge', 'medium', { data: { tensor: name, declared: declared.toString(), limit: '1 TiB' }, location, evidence: { rule: 'implausible-size', details } });
    return;
  }
  if (external) {
    const length = entry('length')?.value;
    if (length !== undefined && /^\d{1,20}$/.test(length) && BigInt(length) !== declared) {
      report('declaredSizeMismatch', 'medium', { data: { tensor: name, declared: declared.toString(), actual: `${length} (external length)` }, location, evidence: { rule: 'external-length', details } });
    }
    return;
  }
  if (tensor.rawDataBytes !== null) {
    if (BigInt(tensor.rawDataBytes) !== declared) {
      report('declaredSizeMismatch', 'medium', { data: { tensor: name, declared: declared.toString(), actual: `${tensor.rawDataBytes} (raw_data)` }, location, evidence: { rule: 'raw-data-size', details } });
    }
    return;
  }
  // Typed fields hold at least one byte per element, so a tensor declaring more bytes than the whole file
  // cannot hold its data: a loader that allocates from dims first is made to allocate what is not there.
  if (declared > BigInt(fileSize) && elements > BigInt(tensor.typedDataBytes)) {
    report('declaredTooLarge', 'medium', { data: { tensor: name, declared: declared.toString(), limit: `the file (${fileSize} bytes)` }, location, evidence: { rule: 'larger-than-file', details } });
  }
}

/** Why an external-data location leaves the model folder, or null when it stays inside. */
export function escapeReason(location: string): string | null {
  if (location.length === 0) return null;
  if (location.includes('\0')) return 'it contains a NUL byte';
  if (/^[A-Za-z]:/.test(location)) return 'it starts with a drive letter';
  if (location.startsWith('\\\\') || location.startsWith('//')) return 'it is a UNC or network path';
  if (location.startsWith('/') || location.startsWith('\\')) return 'it is an absolute path';
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(location)) return 'it names a URL scheme';
  if (location.startsWith('~')) return 'it starts in a home directory';
  if (location.split(/[\\/]/).some((segment) => segment === '..')) return "it climbs out with '..'";
  return null;
}

/** One finding per distinct (domain, op_type) outside the known domains, skipping model-local functions. */
function checkOperators(model: OnnxModel, report: Report): void {
  const local = new Set(model.functions.map((f) => `${f.domain}\u0000${f.name}`));
  const groups = new Map<string, { op: string; domain: string; count: number; first: (typeof model.nodes)[number] }>();
  for (const node of model.nodes) {
    if (KNOWN_DOMAINS.has(node.domain)) continue;
    const key = `${node.domain}\u0000${node.opType}`;
    // A node calling a function defined in the model runs that function's own nodes (checked themselves).
    if (local.has(key)) continue;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { op: node.opType, domain: node.domain, count: 1, first: node });
  }
  for (const { op, domain, count, first } of groups.values()) {
    report('customOperator', 'medium', {
      data: { op: JSON.stringify(clip(op)), domain: JSON.stringify(clip(domain)), count, node: JSON.stringify(clip(first.name)), scope: clip(first.scope) },
      location: { offset: first.offset },
      evidence: { match: `${domain}::${op}`, rule: 'custom-domain', details: { domain, opType: op, nodes: count, firstNode: first.name, scope: first.scope } },
    });
  }
}

/** Report code (high), base64 blobs (medium, high when they decode to code or a pickle) and URLs (low). */
function checkText(text: string, where: string, jsonPath: string, offset: number, report: Report): void {
  const location = { offset, jsonPath };
  const code = findCode(text);
  if (code) {
    report('metadataCode', 'high', { data: { where, what: code.what }, location, evidence: { match: code.what, rule: code.rule, excerpt: excerpt(text, code.index, code.length) } });
  }
  for (const blob of base64Runs(text)) {
    const decoded = Buffer.from(text.slice(blob.index, blob.index + Math.min(blob.length, MAX_BLOB_CHARS)), 'base64').toString('latin1');
    const inner = PICKLE_PREFIX.test(decoded) ? { rule: 'base64-pickle', what: 'a base64-encoded pickle', index: 0, length: 2 } : findCode(decoded);
    if (inner) {
      report('metadataCode', 'high', {
        data: { where, what: `${inner.what} (base64-encoded)` },
        location,
        evidence: { match: inner.what, rule: inner.rule, excerpt: excerpt(decoded, inner.index, inner.length), details: { encoding: 'base64', blobLength: blob.length } },
      });
    } else {
      report('metadataBlob', 'medium', { data: { where, length: blob.length }, location, evidence: { match: 'base64', excerpt: `${text.slice(blob.index, blob.index + 48)}...`, details: { blobLength: blob.length } } });
    }
  }
  const seen = new Set<string>();
  for (const url of text.matchAll(URL_PATTERN)) {
    if (seen.has(url[0])) continue;
    seen.add(url[0]);
    report('metadataUrl', 'low', { data: { where, url: clip(url[0]) }, location, evidence: { match: clip(url[0]) } });
  }
}

function findCode(text: string): { rule: string; what: string; index: number; length: number } | null {
  for (const { rule, what, pattern } of CODE_PATTERNS) {
    const match = pattern.exec(text);
    if (match) return { rule, what, index: match.index, length: match[0].length };
  }
  return null;
}



function tensorPath(tensor: OnnxTensor): string {
  return `$.${tensor.scope}[${JSON.stringify(tensor.name)}]`;
}

