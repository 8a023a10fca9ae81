import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AntidoteError } from '../../src/core/errors.js';
import { loadPicklePolicy, readPolicyFile, validatePolicyFile } from '../../src/policy/pickle-policy.js';

const policy = loadPicklePolicy();
const verdict = (qualified: string, name?: string): string => {
  if (name !== undefined) return policy.judge(qualified, name).verdict;
  const dot = qualified.lastIndexOf('.');
  return policy.judge(qualified.slice(0, dot), qualified.slice(dot + 1)).verdict;
};

describe('pickle policy: every global that real benign checkpoints import is allowed', () => {
  // The GLOBAL lists of the committed real fixtures (test/fixtures/README.md), made with torch, numpy, joblib.
  it.each([
    'collections.OrderedDict',
    'torch._utils._rebuild_tensor_v2',
    'torch._utils._rebuild_parameter',
    'torch.FloatStorage',
    'torch.ByteStorage',
    'torch.HalfStorage',
    'torch.BFloat16Storage',
    'torch.DoubleStorage',
    'torch.LongStorage',
    'torch.CharStorage',
    'torch.BoolStorage',
    'torch.ComplexFloatStorage',
    'torch.Size',
    'torch.device',
    'torch.float32',
    '_codecs.encode',
    'numpy.core.multiarray._reconstruct',
    'numpy._core.multiarray._reconstruct',
    'numpy.ndarray',
    'numpy.dtype',
    'joblib.numpy_pickle.NumpyArrayWrapper',
    '__builtin__.set',
    'builtins.set',
    'torch.jit._pickle.build_intlist',
  ])('%s', (g) => expect(verdict(g)).toBe('allow'));
});

describe('pickle policy: the public deny-lists are covered', () => {
  it.each([
    'os.system',
    'posix.system',
    'nt.system',
    'os.path.join',
    'subprocess.Popen',
    'builtins.eval',
    'builtins.exec',
    '__builtin__.exec',
    '__builtin__.eval',
    'builtins.getattr',
    'builtins.__import__',
    'builtins.open',
    'builtins.compile',
    'pip.main',
    'pip._internal.main',
    'runpy._run_code',
    'importlib.import_module',
    'operator.attrgetter',
    '_operator.methodcaller',
    'functools.partial',
    'torch.serialization.load',
    'torch.storage._load_from_bytes',
    'socket.create_connection',
    'pty.spawn',
    'webbrowser.open',
    'timeit.timeit',
    'code.InteractiveInterpreter',
    'pdb.run',
    'asyncio.subprocess',
    'ctypes.CDLL',
    'shutil.rmtree',
    'numpy.testing._private.utils.runstring',
    'pydoc.locate',
  ])('%s is denied', (g) => expect(verdict(g)).toBe('deny'));

  it('a dotted protocol-4 name is judged on its full path (torch + serialization.load)', () => {
    expect(verdict('torch', 'serialization.load')).toBe('deny');
  });

  it('a dotted name re-rooted inside another module is caught (mypkg + os.system)', () => {
    expect(policy.judge('mypkg', 'os.system')).toMatchObject({ verdict: 'deny', rule: 'deny:os' });
  });

  it('wrapper suffixes do not hide a denied callable', () => {
    expect(verdict('builtins', 'eval.__call__')).toBe('deny');
  });

  it('attribute chains into __globals__ are denied in any module', () => {
    expect(policy.judge('collections', 'OrderedDict.__init__.__globals__').verdict).toBe('deny');
  });

  it('an allow pair is exact: a dotted tail on an allowed global is not allowed', () => {
    expect(verdict('torch._utils', '_rebuild_tensor_v2.__code__')).not.toBe('allow');
  });

  it('names the deciding rule', () => {
    expect(policy.judge('os', 'system').rule).toBe('deny:os');
    expect(policy.judge('collections', 'OrderedDict').rule).toBe('allow:collections.OrderedDict');
  });

  it('third-party classes are unknown, not allowed and not denied', () => {
    expect(verdict('sklearn.linear_model._base', 'LinearRegression')).toBe('unknown');
    expect(policy.judge('mypackage.models', 'Net')).toEqual({ verdict: 'unknown', rule: 'none' });
  });
});

describe('pickle policy files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'antidote-policy-'));
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('a user file extends the shipped policy', () => {
    const extra = write('extra.json', JSON.stringify({ version: 1, allow: [{ module: 'mypackage.models', names: ['Net'] }], deny: [{ module: 'mypackage.evil', names: '*' }] }));
    const extended = loadPicklePolicy([extra]);
    expect(extended.judge('mypackage.models', 'Net').verdict).toBe('allow');
    expect(extended.judge('mypackage.evil.sub', 'x').verdict).toBe('deny');
    expect(extended.judge('os', 'system').verdict).toBe('deny');
  });

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['wrong version', '{"version": 2, "allow": [], "deny": []}', /version/],
    ['allow wildcard', '{"version": 1, "allow": [{"module": "os", "names": "*"}], "deny": []}', /allow\[0\]\.names/],
    ['missing module', '{"version": 1, "allow": [], "deny": [{"names": "*"}]}', /deny\[0\]\.module/],
  ])('rejects a policy with %s, naming the field', (name, text, pattern) => {
    const path = write(`${name.replace(/\W/g, '-')}.json`, text);
    let caught: unknown;
    try {
      readPolicyFile(path);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AntidoteError);
    expect((caught as AntidoteError).code).toBe('POLICY_INVALID');
    expect((caught as AntidoteError).message).toMatch(pattern);
    expect((caught as AntidoteError).message).toContain(path);
  });

  it('a missing policy file is a POLICY_INVALID error, not a crash', () => {
    expect(() => readPolicyFile(join(dir, 'nope.json'))).toThrow(AntidoteError);
  });

  it('validatePolicyFile accepts the shipped shape', () => {
    expect(validatePolicyFile({ version: 1, allow: [], deny: [] }, 'inline').version).toBe(1);
  });
});

describe('pickle policy: TorchScript class namespace', () => {
  it('__torch__ classes are allowed (TorchScript resolves them from the archive code; Python cannot import them)', () => {
    expect(policy.judge('__torch__.torch.nn.modules.linear', 'Linear').verdict).toBe('allow');
    expect(policy.judge('__torch__', 'TinyScripted').verdict).toBe('allow');
  });
  it('but not dunder chains hung off them', () => {
    expect(policy.judge('__torch__', 'X.__globals__').verdict).toBe('deny');
  });
});
