import { defineDetector } from '../../core/detector.js';
import type { PickleArtifact } from './pickle-artifact.js';

/*
 * Structural problems in a pickle stream. A stream that breaks part-way is how nullifAI (ReversingLabs, 2025)
 * hid payloads from picklescan: the loader executes everything before the break and only then fails. The
 * imports before and after the break are judged by model/pickle-globals; this detector reports the break
 * itself, limits that stopped the read (so the file is never read as clean), and unusual stream shapes.
 */
export default defineDetector<PickleArtifact, {
  corrupt: string;
  limit: string;
  trailing: string;
  outOfBand: string;
  unscanned: string;
}>({
  id: 'model/pickle-integrity',
  title: 'Pickle stream is corrupt, cut short, or only partly scanned',
  description:
    'A pickle that a strict parser rejects can still run code: Python executes every opcode before the point ' +
    'of failure. Broken streams are a known way to hide payloads from scanners that stop at the first error. ' +
    'A stream that hit a safety limit was not read to its end, so nothing can be said about the rest.',
  remediation:
    'Treat the file as untrusted: do not load it. Re-download it from its original source and compare hashes; ' +
    'if a limit was reached on a legitimate file, raise that limit with a policy override and scan again.',
  defaultSeverity: 'medium',
  tags: ['OWASP-LLM03', 'AML.T0010', 'AML.T0011.000'],
  messages: {
    corrupt: 'pickle stream is corrupt at byte {{offset}} ({{detail}}); opcodes before this point still run when loaded',
    limit: 'scan stopped at a safety limit ({{limit}}): {{detail}}; the rest of the stream was not checked',
    trailing: '{{bytes}} bytes follow the last pickle and are not a pickle',
    outOfBand: 'stream references {{count}} protocol-5 out-of-band buffer(s) that the loader must supply',
    unscanned: '{{bytes}} bytes of the stream could not be scanned',
  },
  requires: { network: false, unsafe: false },
  input: 'pickle',
  run({ analysis, container }, context) {
    for (const issue of analysis.issues) {
      if (issue.kind === 'limit') {
        context.report({
          messageId: 'limit',
          data: { limit: issue.limit ?? 'limit', detail: issue.message },
          severity: 'medium',
          location: { offset: issue.offset, pickleIndex: issue.pickleIndex },
          evidence: { rule: issue.limit ?? 'limit', details: { kind: issue.kind } },
        });
        continue;
      }
      const importsBefore = analysis.imports.filter((i) => i.pickleIndex === issue.pickleIndex && i.offset < issue.offset);
      const evidenceDetails: Record<string, string | number | boolean> = {
        kind: issue.kind,
        importsBeforeBreak: importsBefore.length,
      };
      context.report({
        messageId: 'corrupt',
        data: { offset: issue.offset, detail: issue.message },
        // A break right after imports is the nullifAI shape; a break in an import-free stream is damage.
        severity: importsBefore.length > 0 ? 'high' : 'medium',
        location: { offset: issue.offset, pickleIndex: issue.pickleIndex },
        evidence: { opcode: issue.opcode, rule: issue.kind, details: evidenceDetails },
      });
    }
    // Legacy torch files end with raw storage bytes: that is their format, not a finding.
    if (analysis.trailingBytes > 0 && container !== 'pytorch-legacy') {
      context.report({
        messageId: 'trailing',
        data: { bytes: analysis.trailingBytes },
        severity: 'info',
        location: { offset: analysis.endOffset },
        evidence: { details: { bytes: analysis.trailingBytes } },
      });
    }
    if (analysis.outOfBandBuffers > 0) {
      context.report({
        messageId: 'outOfBand',
        data: { count: analysis.outOfBandBuffers },
        severity: 'low',
        evidence: { opcode: 'NEXT_BUFFER' },
      });
    }
    if (analysis.unscannedBytes > 0) {
      context.report({
        messageId: 'unscanned',
        data: { bytes: analysis.unscannedBytes },
        severity: 'medium',
        evidence: { details: { bytes: analysis.unscannedBytes } },
      });
    }
  },
});
