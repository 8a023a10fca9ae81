import { describe, expect, it } from 'vitest';
import type { ScanResult } from '../../src/core/result.js';
import { lzmaAloneBytes } from '../builders/compression.js';
import { buildNpy } from '../builders/npy.js';
import { buildPickle, payloadPickle, type PickleBuilder } from '../builders/pickle.js';
import { buildTar } from '../builders/tar.js';
import { buildTorchZip } from '../builders/torch.js';
import { buildZip } from '../builders/zip.js';
import { scanOf } from './helpers.js';

/*
 * Bypasses found by red-teaming antidote itself; each was verified to run its payload under CPython
 * (pickle.load, torch.load 1.13, joblib.load 1.2, numpy.load) before the fix. One test per bypass.
 */

const CMD = 'touch /tmp/antidote-redteam';
const caught = (r: ScanResult, global = 'posix.system'): boolean =>
  r.findings.some((f) => f.ruleId === 'model/pickle-globals' && (f.severity === 'critical' || f.severity === 'high') && f.evidence.match === global);
const notClean = (r: ScanResult): boolean => r.status !== 'succeeded' || r.findings.some((f) => f.severity === 'critical' || f.severity === 'high');
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

/** A joblib NumpyArrayWrapper state dict for a uint8 array of `shape`, with extra keys. */
function wrapperState(b: PickleBuilder, shapes: number[]): PickleBuilder {
  b.emptyDict().mark();
  b.unicode('shape').int(shapes[0]!).tuple1();
  b.unicode('subclass').global('numpy', 'ndarray').unicode('order').unicode('C');
  b.unicode('dtype').global('numpy', 'dtype').unicode('u1').tuple1().reduce();
  b.unicode('allow_mmap').op('NEWFALSE');
  for (const s of shapes.slice(1)) b.unicode('shape').int(s).tuple1();
  return b.setitems();
}

const payloadOps = (keep: boolean): Buffer => {
  const b = buildPickle().global('posix', 'system').unicode(CMD).tuple1().reduce();
  if (!keep) b.pop();
  return b.bytes();
};

describe('red-team bypasses (fixed)', () => {
  it('memo keys written with an underscore (GET "1_0" is memo[10] to CPython)', async () => {
    const bytes = buildPickle().proto(4)
      .unicode('collections').binput(1).pop().unicode('posix').binput(10).pop()
      .unicode('OrderedDict').binput(2).pop().unicode('system').binput(20).pop()
      .op('GET', Buffer.from('1_0\n')).op('GET', Buffer.from('2_0\n')).stackGlobal()
      .unicode(CMD).tuple1().reduce().stop().bytes();
    expect(caught(await scanOf(bytes, 'm.pkl'))).toBe(true);
  });

  it('a pickle whose first opcode is not PROTO or a usual start (BININT1, POP, then the payload)', async () => {
    const bytes = Buffer.concat([buildPickle().int(0).pop().bytes(), payloadPickle('posix', 'system', CMD).subarray(2)]);
    expect(caught(await scanOf(bytes, 'm.pkl'))).toBe(true);
  });

  it('the same inside a torch zip data.pkl', async () => {
    const pickle = Buffer.concat([buildPickle().int(0).pop().bytes(), payloadPickle('posix', 'system', CMD)]);
    expect(caught(await scanOf(buildTorchZip({ pickle }), 'm.pt'))).toBe(true);
  });

  it('a legacy torch tar checkpoint whose storages member is the payload', async () => {
    const tar = buildTar([{ name: 'storages', data: payloadPickle('posix', 'system', CMD) }]);
    const r = await scanOf(tar, 'm.pt');
    expect(r.files[0]?.format).toBe('tar');
    expect(caught(r)).toBe(true);
  });

  it('joblib: duplicate "shape" key (Python keeps the last one)', async () => {
    const P = payloadOps(false);
    const b = buildPickle().proto(2).global('joblib.numpy_pickle', 'NumpyArrayWrapper').emptyTuple().newobj();
    wrapperState(b, [4 + P.length, 4]).build().raw(Buffer.alloc(4)).raw(P).stop();
    expect(caught(await scanOf(b.bytes(), 'm.joblib'))).toBe(true);
  });

  it('joblib: wrapper made by copyreg._reconstructor (joblib checks isinstance)', async () => {
    const P = payloadOps(true);
    const b = buildPickle().proto(2).global('copy_reg', '_reconstructor').mark()
      .global('joblib.numpy_pickle', 'NumpyArrayWrapper').global('__builtin__', 'object').none().tuple().reduce();
    wrapperState(b, [5]).build().op('BINBYTES', u32(P.length)).raw(P).pop().stop();
    expect(caught(await scanOf(b.bytes(), 'm.joblib'))).toBe(true);
  });

  it('joblib: wrapper state given as a (None, dict) pair', async () => {
    // The 5 array bytes are a BINBYTES header: a reader that skips no array bytes swallows the payload.
    const P = payloadOps(true);
    const b = buildPickle().proto(2).global('joblib.numpy_pickle', 'NumpyArrayWrapper').emptyTuple().newobj().none();
    wrapperState(b, [5]).tuple2().build().op('BINBYTES', u32(P.length)).raw(P).pop().stop();
    expect(caught(await scanOf(b.bytes(), 'm.joblib'))).toBe(true);
  });

  it('joblib: array bytes read from after a FRAME while the frame still holds the payload', async () => {
    const P = payloadOps(false);
    const inner = wrapperState(buildPickle().global('joblib.numpy_pickle', 'NumpyArrayWrapper').emptyTuple().newobj(), [P.length]).build().raw(P).bytes();
    const D = buildPickle().op('SHORT_BINBYTES', Buffer.concat([Buffer.from([P.length - 3]), Buffer.alloc(P.length - 3)])).pop().bytes();
    const r = await scanOf(buildPickle().proto(4).frame(inner.length).raw(inner).raw(D).stop().bytes(), 'm.joblib');
    expect(notClean(r)).toBe(true);
  });

  it('joblib: protocol-0 INT "0x5" in the shape is 5 to Python', async () => {
    const P = payloadOps(false);
    const b = buildPickle().proto(2).global('joblib.numpy_pickle', 'NumpyArrayWrapper').emptyTuple().newobj();
    b.emptyDict().mark().unicode('shape').op('INT', Buffer.from(`0x${(4).toString(16)}\n`)).tuple1()
      .unicode('dtype').global('numpy', 'dtype').unicode('u1').tuple1().reduce().setitems()
      .build().raw(Buffer.alloc(4)).raw(P).stop();
    expect(caught(await scanOf(b.bytes(), 'm.joblib'))).toBe(true);
  });

  it('an LZMA-alone stream followed by a second stream (joblib compress="lzma" reads both)', async () => {
    const bytes = Buffer.concat([lzmaAloneBytes(payloadPickle('posix', 'system', CMD)), lzmaAloneBytes(Buffer.alloc(0))]);
    expect(caught(await scanOf(bytes, 'm.joblib'))).toBe(true);
  });

  it('an .npz member flagged as a directory by its attributes only (zipfile reads it anyway)', async () => {
    const npy = buildNpy({ descr: '|O', shape: [1], data: payloadPickle('posix', 'system', CMD) });
    const r = await scanOf(buildZip({ entries: [{ name: 'x.npy', data: npy, externalAttrs: 0x10 }] }), 'm.npz');
    expect(caught(r)).toBe(true);
  });

  it('STRING operands with escapes (STRING \'po\\x73ix\')', async () => {
    const bytes = buildPickle().proto(2)
      .op('STRING', Buffer.from("'po\\x73ix'\n")).op('STRING', Buffer.from("'sy\\163tem'\n")).stackGlobal()
      .binunicode(CMD).tuple1().reduce().stop().bytes();
    expect(caught(await scanOf(bytes, 'm.pkl'))).toBe(true);
  });

  it('UNICODE operands with raw-unicode-escape (Vpo\\u0073ix)', async () => {
    const bytes = buildPickle().proto(2)
      .op('UNICODE', Buffer.from('po\\u0073ix\n')).op('UNICODE', Buffer.from('system\n')).stackGlobal()
      .binunicode(CMD).tuple1().reduce().stop().bytes();
    expect(caught(await scanOf(bytes, 'm.pkl'))).toBe(true);
  });
});

describe('red-team controls: text that merely starts with an opcode byte is not a pickle', () => {
  it.each([
    ['python source', 'class Net(Module):\n  __parameters__ = []\n  def forward(self, x):\n    return x\n'],
    ['a model card', 'license: apache-2.0\nlanguage: en\n'],
    ['a JSON config', '{"architectures": ["LlamaForCausalLM"]}'],
  ])('%s', async (_name, text) => {
    const r = await scanOf(Buffer.from(text), 'file.txt');
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.files[0]?.format).not.toBe('pickle');
  });
});
