import { defineDetector } from '../../core/detector.js';
import type { Severity } from '../../core/severity.js';
import type { GlobalRef, PickleCall } from '../../readers/pickle/disassemble.js';
import type { PickleArtifact } from './pickle-artifact.js';

/*
 * Verdicts on every global a pickle imports, allow-list first: a known-safe ML global is info; a denied one
 * is critical when the stream calls it (REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ, BUILD) and high when it is only
 * imported; anything else is an unknown callable (medium, high with --strict). Unknown is never clean: a
 * deny-list alone is what the public scanners were bypassed with (CVE-2025-1716 pip.main and many others).
 */

const qualified = (g: GlobalRef): string => `${g.module}.${g.name}`;
const callKey = (g: GlobalRef): string => `${g.module}\u0000${g.name}`;

export default defineDetector<PickleArtifact, {
  denyCalled: string;
  denyImported: string;
  unknown: string;
  dynamic: string;
  computedCall: string;
  allowed: string;
}>({
  id: 'model/pickle-globals',
  title: 'Pickle imports and calls a dangerous or unknown Python global',
  description:
    'Unpickling imports every global named by GLOBAL, STACK_GLOBAL and INST opcodes and calls them through ' +
    'REDUCE, NEWOBJ, INST, OBJ and BUILD. A global that runs commands, evaluates code, opens files or sockets, ' +
    'or imports modules gives whoever wrote the file code execution on the machine that loads it ' +
    '(torch.load, joblib.load, numpy.load with allow_pickle, pickle.load).',
  remediation:
    'Do not load this file with pickle-based loaders. Obtain the model in a safe format (safetensors, GGUF, ' +
    'ONNX), or load it with torch.load(weights_only=True) after confirming the source. If an unknown global is ' +
    'legitimate for your code base, add it to an allow-list policy file (--policy) instead of disabling the check.',
  defaultSeverity: 'critical',
  tags: ['OWASP-LLM03', 'OWASP-LLM04', 'AML.T0010', 'AML.T0011.000', 'CWE-502'],
  messages: {
    denyCalled: '{{opcode}} calls dangerous global {{global}}{{args}}',
    denyImported: 'imports dangerous global {{global}} (not called in the stream, but importing it runs module code)',
    unknown: 'imports {{global}}, which is on neither the allow-list nor the deny-list',
    dynamic: 'imports a global whose name is computed at load time ({{global}}); it cannot be checked against any list',
    computedCall: '{{opcode}} calls a computed callable that is not a plain global (the result of another call)',
    allowed: 'imports {{global}} (allow-listed for ML checkpoints)',
  },
  requires: { network: false, unsafe: false },
  input: 'pickle',
  run({ analysis }, context) {
    const { picklePolicy, strict } = context.options;
    const callsByGlobal = new Map<string, PickleCall[]>();
    for (const call of analysis.calls) {
      if (!call.callee) {
        context.report({
          messageId: 'computedCall',
          data: { opcode: call.opcode },
          severity: 'high',
          location: { offset: call.offset, pickleIndex: call.pickleIndex },
          evidence: { opcode: call.opcode, details: { count: call.count, afterCorruption: call.afterCorruption } },
        });
        continue;
      }
      const key = callKey(call.callee);
      const list = callsByGlobal.get(key);
      if (list) list.push(call);
      else callsByGlobal.set(key, [call]);
    }

    for (const imp of analysis.imports) {
      const name = qualified(imp);
      const details: Record<string, string | number | boolean> = { importOpcode: imp.opcode, count: imp.count };
      if (imp.via) details.via = imp.via;
      if (imp.afterCorruption) details.afterCorruption = true;
      if (imp.dynamic) {
        context.report({
          messageId: 'dynamic',
          data: { global: name },
          severity: 'high',
          location: { offset: imp.offset, pickleIndex: imp.pickleIndex },
          evidence: { match: name, opcode: imp.opcode, rule: 'dynamic', details },
        });
        continue;
      }
      const verdict = picklePolicy.judge(imp.module, imp.name);
      const calls = callsByGlobal.get(callKey(imp)) ?? [];
      if (verdict.verdict === 'allow') {
        context.report({
          messageId: 'allowed',
          data: { global: name },
          severity: 'info',
          location: { offset: imp.offset, pickleIndex: imp.pickleIndex },
          evidence: { match: name, opcode: imp.opcode, rule: verdict.rule, details },
        });
        continue;
      }
      if (verdict.verdict === 'deny') {
        if (verdict.reason) details.reason = verdict.reason;
        const call = calls[0];
        if (call) {
          const args = call.args ? `(${call.args.map((a) => JSON.stringify(a)).join(', ')})` : '';
          details.calls = calls.reduce((n, c) => n + c.count, 0);
          details.importOffset = imp.offset;
          context.report({
            messageId: 'denyCalled',
            data: { opcode: call.opcode, global: name, args },
            severity: 'critical',
            location: { offset: call.offset, pickleIndex: call.pickleIndex },
            evidence: { match: name, opcode: call.opcode, rule: verdict.rule, details },
          });
        } else {
          context.report({
            messageId: 'denyImported',
            data: { global: name },
            severity: 'high',
            location: { offset: imp.offset, pickleIndex: imp.pickleIndex },
            evidence: { match: name, opcode: imp.opcode, rule: verdict.rule, details },
          });
        }
        continue;
      }
      const severity: Severity = strict ? 'high' : 'medium';
      if (calls.length > 0) details.calledBy = calls.map((c) => c.opcode).join(',');
      context.report({
        messageId: 'unknown',
        data: { global: name },
        severity,
        location: { offset: imp.offset, pickleIndex: imp.pickleIndex },
        evidence: { match: name, opcode: imp.opcode, rule: 'none', details },
      });
    }
  },
});
