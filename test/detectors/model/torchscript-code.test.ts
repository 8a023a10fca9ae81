import { describe, expect, it } from 'vitest';
import detector from '../../../src/detectors/model/torchscript-code.js';
import { brief, runDetector } from '../detector-tester.js';

const run = (text: string) => runDetector(detector, { codeFiles: [{ name: 'm/code/__torch__.py', text }] }, { path: 'm.pt' });

describe('model/torchscript-code', () => {
  it('ordinary TorchScript forward code only notes the program (info)', () => {
    const code = 'class Net(Module):\n  def forward(self, x: Tensor) -> Tensor:\n    return torch.relu(torch.linear(x, self.weight))\n';
    expect(brief(run(code))).toEqual(['program:info']);
  });
  it.each([
    ['aten file read', 'x = ops.aten.from_file("/etc/passwd", True, 100)'],
    ['model load from code', 'm = torch.jit.load("other.pt")'],
    ['native library load', 'torch.ops.load_library("/tmp/evil.so")'],
    ['python escape', 'os.system("id")'],
  ])('%s is high, with the line as evidence', (_name, line) => {
    const out = run(`def forward(self):\n  ${line}\n`);
    expect(brief(out)).toEqual(['program:info', 'suspicious:high']);
    expect(out[1]?.location.row).toBe(1);
    expect(out[1]?.evidence.excerpt).toBe(line);
  });
});
