import { defineDetector } from '../../core/detector.js';

/** Input of the TorchScript detector: the archive's `code/` files as text. */
export interface TorchScriptArtifact {
  codeFiles: { name: string; text: string }[];
}

/**
 * Operations in TorchScript code that reach outside the model: file I/O through aten ops, loading other
 * models or native libraries, and Python escape hatches. TorchScript is compiled and run by torch.jit.load,
 * and CVE-2025-32434 showed torch.load(weights_only=True) itself could be driven into it.
 */
const SUSPICIOUS: { pattern: RegExp; what: string }[] = [
  { pattern: /\b(?:ops\.)?aten\.(?:from_file|save|_save)\b|\baten::(?:from_file|save)\b/, what: 'file read/write op' },
  { pattern: /\btorch\.(?:load|save|jit\.load|hub\.\w+)\b/, what: 'model load/save from code' },
  { pattern: /\bops\.load_library\b|\bload_library\b/, what: 'native library load' },
  { pattern: /\b__import__\b|\bimportlib\b|\bsubprocess\b|\bos\.(?:system|popen|exec\w*|spawn\w*)\b/, what: 'Python process or import escape' },
  { pattern: /\b(?:eval|exec|compile)\s*\(/, what: 'dynamic code evaluation' },
  { pattern: /\bopen\s*\(/, what: 'file open' },
];

export default defineDetector<TorchScriptArtifact, { program: string; suspicious: string }>({
  id: 'model/torchscript-code',
  title: 'TorchScript archive carries code that runs on load',
  description:
    'A TorchScript file is a program: torch.jit.load compiles the code/ files it contains and running the ' +
    'model runs them. Code that reads or writes files, loads libraries or other models is not needed for ' +
    'inference and is how a model file turns into an attack.',
  remediation:
    'Prefer weights-only formats (safetensors) and rebuild the architecture from trusted source code. Review ' +
    'the listed code before loading a TorchScript file from an untrusted source.',
  defaultSeverity: 'high',
  tags: ['OWASP-LLM03', 'AML.T0010', 'CVE-2025-32434'],
  messages: {
    program: 'TorchScript program with {{count}} code file(s): loading it compiles and runs them',
    suspicious: '{{what}} in TorchScript code {{file}}: {{excerpt}}',
  },
  requires: { network: false, unsafe: false },
  input: 'torchscript',
  run({ codeFiles }, context) {
    context.report({ messageId: 'program', data: { count: codeFiles.length }, severity: 'info', evidence: { details: { files: codeFiles.length } } });
    for (const file of codeFiles) {
      const lines = file.text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        for (const { pattern, what } of SUSPICIOUS) {
          if (!pattern.test(line)) continue;
          const excerpt = line.trim().slice(0, 160);
          context.report({
            messageId: 'suspicious',
            data: { what, file: file.name, excerpt },
            location: { path: `${context.path}!${file.name}`, row: i },
            evidence: { match: what, excerpt },
          });
        }
      }
    }
  },
});
