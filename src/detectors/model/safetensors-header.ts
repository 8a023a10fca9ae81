import { base64Runs, clip, CODE_PATTERNS, excerpt, MAX_BLOB_CHARS, URL_PATTERN } from '../text/embedded-code.js';
import { cappedReporter, type CappedReport } from '../capped-reporter.js';
import { defineDetector } from '../../core/detector.js';
import type { Severity } from '../../core/severity.js';
import type { SafetensorsHeader, SafetensorsProblemKind } from '../../readers/safetensors/index.js';

/** Input of the safetensors detectors: one validated header and the size of the file it came from. */
export interface SafetensorsArtifact {
  header: SafetensorsHeader;
  size: number;
}

/*
 * Safetensors exists so that loading weights runs no code, and a valid file keeps that promise: it is
 * reported as a safe format. What remains for an attacker is the header: duplicate names, overlapping or
 * gapped offsets, sizes that overflow, odd dtypes and bytes no tensor declares make two loaders (or a
 * scanner and a loader) read different tensors, crash a loader, or carry a payload past the tensors; and
 * `__metadata__` strings are free text that tooling displays, logs or passes on, where code and URLs do not
 * belong. This detector reports each validation problem from the reader and checks metadata values, keys,
 * tensor names and ignored fields for code (high) and URLs (low).
 */

/** Findings per message id before the rest are only counted (a hostile header can hold 200,000 URLs). */
const MAX_REPORTS_PER_MESSAGE = 25;

/** `curl ... | sh`: the pipe is found first, then a downloader is looked for before it on the same line. */
const PIPE_TO_SHELL = /\|\s*(?:sudo\s+)?(?:ba|z|da|k)?sh\b/g;
const DOWNLOADER = /\b(?:curl|wget)\b/;
/** How far before `| sh` a downloader is looked for. */
const DOWNLOAD_LOOKBACK = 400;
/** Thumbnails (modelspec.thumbnail) are data URIs of images: base64 by design, not a hidden payload. */
const IMAGE_DATA_URI = /data:image\/(?:png|jpeg|jpg|webp|gif);base64,$/i;
/** Pickle protocol 2-5 opens with PROTO n: a base64 pickle in metadata is code for whoever unpickles it. */
const PICKLE_PREFIX = /^\x80[\x02-\x05]/;

const MESSAGES = {
  safeFormat: 'valid safetensors file ({{tensors}} tensors, {{dataBytes}} data bytes): a format that stores no code',
  invalidHeader: 'invalid safetensors header: {{detail}}',
  invalidTensor: 'malformed tensor entry {{tensor}}: {{detail}}',
  unknownDtype: 'unknown dtype in tensor {{tensor}}: {{detail}}',
  sizeMismatch: 'tensor {{tensor}} size does not add up: {{detail}}',
  overlap: 'overlapping tensors: {{detail}}',
  gap: 'gap between tensors: {{detail}}',
  trailingBytes: 'trailing bytes no tensor declares: {{detail}}',
  missingBytes: 'tensor data missing: {{detail}}',
  duplicateName: 'duplicate name in the header: {{detail}}',
  duplicateKey: 'duplicate key in the header: {{detail}}',
  invalidMetadata: 'invalid __metadata__: {{detail}}',
  unexpectedKey: 'ignored field in tensor {{tensor}}: {{detail}}',
  problemsOmitted: '{{count}} further header problems not listed',
  metadataCode: 'code in {{where}}: {{what}}',
  metadataBlob: 'opaque base64 blob of {{length}} characters in {{where}}',
  metadataUrl: 'URL in {{where}}: {{url}}',
  moreFindings: '{{count}} more {{messageId}} findings not listed',
} as const;

const PROBLEM_MESSAGES: Readonly<Record<SafetensorsProblemKind, { messageId: keyof typeof MESSAGES; severity: Severity }>> = {
  'invalid-header': { messageId: 'invalidHeader', severity: 'high' },
  'invalid-tensor': { messageId: 'invalidTensor', severity: 'high' },
  'unknown-dtype': { messageId: 'unknownDtype', severity: 'high' },
  'size-mismatch': { messageId: 'sizeMismatch', severity: 'high' },
  overlap: { messageId: 'overlap', severity: 'high' },
  gap: { messageId: 'gap', severity: 'high' },
  'trailing-bytes': { messageId: 'trailingBytes', severity: 'high' },
  'missing-bytes': { messageId: 'missingBytes', severity: 'high' },
  'duplicate-name': { messageId: 'duplicateName', severity: 'high' },
  'duplicate-key': { messageId: 'duplicateKey', severity: 'high' },
  'invalid-metadata': { messageId: 'invalidMetadata', severity: 'high' },
  // serde ignores unknown fields: no loader disagreement, but room for content nobody looks at.
  'unexpected-key': { messageId: 'unexpectedKey', severity: 'low' },
};

type MessageId = keyof typeof MESSAGES;

/** One string of the header to check, and where it is. */
interface HeaderText {
  text: string;
  where: string;
  jsonPath: string;
  offset?: number;
}

export default defineDetector<SafetensorsArtifact, typeof MESSAGES>({
  id: 'model/safetensors-header',
  title: 'Safetensors header is invalid or carries code',
  description:
    'Safetensors files hold no code, but their JSON header can still be an attack: duplicate tensor names, ' +
    'overlapping or gapped data offsets, unknown dtypes, sizes that overflow and bytes no tensor declares ' +
    'make two loaders (or a scanner and a loader) read different weights, crash a loader, or smuggle a ' +
    'payload past the tensors. The free-text __metadata__ map should hold no code or links either.',
  remediation:
    'Do not load a safetensors file whose header has problems: re-export it from a trusted source with the ' +
    'reference writer (safetensors.torch.save_file). Treat code in metadata as an attack on whatever tool ' +
    'reads it; check that URLs in metadata point where you expect.',
  defaultSeverity: 'high',
  tags: ['OWASP-LLM03', 'OWASP-LLM04', 'AML.T0010', 'CWE-20', 'CWE-190', 'CWE-436'],
  messages: MESSAGES,
  requires: { network: false, unsafe: false },
  input: 'safetensors',
  run({ header }, context) {
    const capped = cappedReporter(context, MAX_REPORTS_PER_MESSAGE);
    const report: Report = capped.report;

    for (const problem of header.problems) {
      const { messageId, severity } = PROBLEM_MESSAGES[problem.kind];
      report(messageId, severity, {
        data: { tensor: problem.tensor !== undefined ? JSON.stringify(problem.tensor) : '-', detail: problem.message },
        location: { offset: problem.offset, jsonPath: problem.tensor !== undefined ? tensorPath(problem.tensor) : undefined },
        evidence: { match: problem.kind, rule: problem.kind, excerpt: problem.excerpt },
      });
    }
    if (header.problemsOmitted > 0) {
      context.report({ messageId: 'problemsOmitted', data: { count: header.problemsOmitted }, evidence: { details: { omitted: header.problemsOmitted } } });
    }

    for (const item of headerTexts(header)) checkText(item, report);

    capped.flush();

    if (header.problems.length === 0 && header.problemsOmitted === 0) {
      context.report({
        messageId: 'safeFormat',
        severity: 'info',
        data: { tensors: header.tensors.length, dataBytes: header.dataBytes },
        evidence: { details: { tensors: header.tensors.length, headerLength: header.headerLength, dataBytes: header.dataBytes, metadataEntries: header.metadata?.length ?? 0 } },
      });
    }
  },
});

type Report = CappedReport<MessageId>;

/** Every free-text string of the header: metadata keys and values, tensor names, ignored field values. */
function* headerTexts(header: SafetensorsHeader): Generator<HeaderText> {
  for (const entry of header.metadata ?? []) {
    const path = `$.__metadata__[${JSON.stringify(entry.key)}]`;
    yield { text: entry.key, where: `__metadata__ key ${clip(JSON.stringify(entry.key))}`, jsonPath: path, offset: entry.offset };
    yield { text: entry.value, where: `__metadata__ ${clip(JSON.stringify(entry.key))}`, jsonPath: path, offset: entry.offset };
  }
  for (const tensor of header.tensors) {
    yield { text: tensor.name, where: `tensor name ${clip(JSON.stringify(tensor.name))}`, jsonPath: tensorPath(tensor.name), offset: tensor.offset };
  }
  for (const problem of header.problems) {
    if (problem.kind === 'unexpected-key' && problem.excerpt !== undefined && problem.tensor !== undefined) {
      yield { text: problem.excerpt, where: `an ignored field of tensor ${clip(JSON.stringify(problem.tensor))}`, jsonPath: tensorPath(problem.tensor), offset: problem.offset };
    }
  }
}

/** Report code (high), base64 blobs (medium, high when they decode to code or a pickle) and URLs (low) in one string. */
function checkText(item: HeaderText, report: Report): void {
  const location = { offset: item.offset, jsonPath: item.jsonPath };
  const code = findCode(item.text);
  if (code) {
    report('metadataCode', 'high', {
      data: { where: item.where, what: code.what },
      location,
      evidence: { match: code.what, rule: code.rule, excerpt: excerpt(item.text, code.index, code.length) },
    });
  }
  for (const blob of base64Runs(item.text)) {
    if (IMAGE_DATA_URI.test(item.text.slice(Math.max(0, blob.index - 40), blob.index))) continue;
    const decoded = Buffer.from(item.text.slice(blob.index, blob.index + Math.min(blob.length, MAX_BLOB_CHARS)), 'base64').toString('latin1');
    const inner = PICKLE_PREFIX.test(decoded) ? { rule: 'base64-pickle', what: 'a base64-encoded pickle', index: 0, length: 2 } : findCode(decoded);
    if (inner) {
      report('metadataCode', 'high', {
        data: { where: item.where, what: `${inner.what} (base64-encoded)` },
        location,
        evidence: { match: inner.what, rule: inner.rule, excerpt: excerpt(decoded, inner.index, inner.length), details: { encoding: 'base64', blobLength: blob.length } },
      });
    } else {
      report('metadataBlob', 'medium', {
        data: { where: item.where, length: blob.length },
        location,
        evidence: { match: 'base64', excerpt: `${item.text.slice(blob.index, blob.index + 48)}...`, details: { blobLength: blob.length } },
      });
    }
  }
  const seen = new Set<string>();
  for (const url of item.text.matchAll(URL_PATTERN)) {
    if (seen.has(url[0])) continue;
    seen.add(url[0]);
    report('metadataUrl', 'low', { data: { where: item.where, url: clip(url[0]) }, location, evidence: { match: clip(url[0]) } });
  }
}

/** The first code pattern found in `text`. Every pattern runs in time linear in the text (no nested or long bounded repeats). */
function findCode(text: string): { rule: string; what: string; index: number; length: number } | null {
  for (const { rule, what, pattern } of CODE_PATTERNS) {
    const match = pattern.exec(text);
    if (match) return { rule, what, index: match.index, length: match[0].length };
  }
  if (!DOWNLOADER.test(text)) return null;
  let searchedTo = 0;
  for (const pipe of text.matchAll(PIPE_TO_SHELL)) {
    const index = pipe.index ?? 0;
    // Look back only over text not looked at yet, so that many pipes cost one pass in total.
    const window = Math.max(searchedTo, index - DOWNLOAD_LOOKBACK);
    const from = window + text.slice(window, index).lastIndexOf('\n') + 1;
    searchedTo = index;
    const download = DOWNLOADER.exec(text.slice(from, index));
    if (download) return { rule: 'download-and-run', what: 'a download piped to a shell', index: from + download.index, length: index + pipe[0].length - from - download.index };
  }
  return null;
}



function tensorPath(name: string): string {
  return `$[${JSON.stringify(name)}]`;
}

