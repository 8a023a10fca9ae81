import type { Finding, RuleInfo, ScanResult } from '../../src/core/index.js';
import { RESULT_VERSION } from '../../src/core/index.js';

/** The rules the sample findings come from, as a detector registry would describe them. */
export const SAMPLE_RULES: RuleInfo[] = [
  {
    id: 'model/pickle-globals',
    title: 'Pickle imports a dangerous callable',
    description:
      'The pickle stream imports a global that can run code when the pickle is loaded.\nLoading it with torch.load or pickle.load executes it.',
    remediation: 'Do not load the file. Obtain the model as safetensors from a trusted source.',
    defaultSeverity: 'high',
    tags: ['OWASP-LLM03', 'AML.T0010'],
  },
  {
    id: 'model/pickle-unknown-global',
    title: 'Pickle imports a callable that is not on the allow list',
    description: 'The global is neither known safe nor known dangerous.',
    remediation: 'Review the import; add it to the policy allow list if it is expected.',
    defaultSeverity: 'medium',
    tags: ['OWASP-LLM03'],
  },
  {
    id: 'model/pickle-protocol',
    title: 'Pickle protocol',
    description: 'Reports the pickle protocol in use.',
    remediation: 'None needed.',
    defaultSeverity: 'info',
    tags: [],
  },
];

/** Findings of a poisoned torch checkpoint and a few neighbours, one per severity band. */
export const SAMPLE_FINDINGS: Finding[] = [
  {
    ruleId: 'model/pickle-globals',
    severity: 'critical',
    messageId: 'called',
    message: 'REDUCE calls os.system',
    location: { path: 'model.pt!archive/data.pkl', offset: 42, pickleIndex: 0 },
    evidence: { match: 'os.system', opcode: 'REDUCE', rule: 'deny:os' },
  },
  {
    ruleId: 'model/pickle-globals',
    severity: 'high',
    messageId: 'imported',
    message: 'Imports builtins.eval',
    location: { path: 'weights/legacy.bin', offset: 7 },
    evidence: { match: 'builtins.eval', opcode: 'STACK_GLOBAL', rule: 'deny:builtins.eval' },
  },
  {
    ruleId: 'model/pickle-unknown-global',
    severity: 'medium',
    messageId: 'unknown',
    message: 'Imports mylib.layers.Custom, which is not on the allow list',
    location: { path: 'model.pt!archive/data.pkl', offset: 120 },
    evidence: { match: 'mylib.layers.Custom', opcode: 'GLOBAL', details: { module: 'mylib.layers', known: false } },
  },
  {
    ruleId: 'model/pickle-protocol',
    severity: 'info',
    messageId: 'protocol',
    message: 'Pickle protocol 2',
    location: { path: 'model.pt!archive/data.pkl', offset: 0 },
    evidence: { opcode: 'PROTO', score: 0.25, excerpt: '\\x80\\x02' },
  },
];

/** A realistic run: a member with findings, files scanned, partial, failed and skipped. */
export function sampleResult(overrides: Partial<ScanResult> = {}): ScanResult {
  return {
    version: RESULT_VERSION,
    tool: { name: 'antidote', version: '0.1.0' },
    status: 'partial',
    startedAt: '2026-11-22T00:30:00.000Z',
    durationMs: 1234.5,
    inputs: ['model.pt', 'weights', 'broken.zip', 'notes dir'],
    findings: structuredClone(SAMPLE_FINDINGS),
    files: [
      { path: 'model.pt', format: 'pytorch-zip', status: 'scanned', size: 4096, sha256: 'a'.repeat(64) },
      { path: 'model.pt!archive/data.pkl', format: 'pickle', status: 'scanned', size: 900, sha256: null },
      {
        path: 'weights/legacy.bin',
        format: 'pickle',
        status: 'partial',
        size: 2048,
        sha256: 'b'.repeat(64),
        reason: 'truncated stream at offset 1999',
      },
      { path: 'broken.zip', format: 'zip', status: 'failed', size: 10, sha256: null, reason: 'no end of central directory' },
      { path: 'notes dir/README.md', format: 'unknown', status: 'skipped', size: 12, sha256: null, reason: 'not a model format' },
    ],
    rules: structuredClone(SAMPLE_RULES),
    summary: { info: 1, low: 0, medium: 1, high: 1, critical: 1 },
    ...overrides,
  };
}

/** Strings a hostile file controls, each an attack on the reader of a report. */
export const HOSTILE = {
  /** Clears the line and prints a fake "no findings" verdict in green. */
  ansi: '\u001b[2K\r\u001b[32mNo findings.\u001b[0m',
  /** Right-to-left override: `evil‮lkp.pt` displays as `eviltp.pkl`. */
  bidi: 'evil\u202elkp.pt',
  /** 8-bit CSI, which some terminals honour like ESC [. */
  c1: 'a\u009b31mred',
  script: '<script>alert(1)</script>',
  attribute: '"><img src=x onerror=alert(1)>',
} as const;

/** A result whose every attacker-controlled string carries one of the attacks above. */
export function hostileResult(): ScanResult {
  const result = sampleResult();
  const first = result.findings[0];
  if (!first) throw new TypeError('sample has findings');
  first.message = `${HOSTILE.script} ${HOSTILE.ansi}`;
  first.location.path = `${HOSTILE.attribute}!${HOSTILE.bidi}`;
  first.evidence = { match: HOSTILE.c1, opcode: HOSTILE.ansi, rule: HOSTILE.script, details: { [HOSTILE.attribute]: HOSTILE.bidi } };
  result.files.push({
    path: `${HOSTILE.bidi}\r${HOSTILE.attribute}`,
    format: HOSTILE.script,
    status: 'failed',
    size: 1,
    sha256: null,
    reason: HOSTILE.ansi,
  });
  result.inputs.push(HOSTILE.attribute);
  const rule = result.rules[0];
  if (rule) rule.description = `${HOSTILE.script}\n${HOSTILE.bidi}`;
  return result;
}
