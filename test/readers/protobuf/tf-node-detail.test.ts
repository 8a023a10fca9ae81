import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import { MAX_TF_DETAIL_ITEMS, readTensorflowGraph, type TfNode } from '../../../src/readers/protobuf/index.js';
import { buildSavedModel, tfAttr, type TfNodeSpec } from '../../builders/protobuf.js';

const DETAIL = new Set(['PyFunc', 'ReadFile', 'WriteFile', 'DebugIdentityV2']);
const read = (bytes: Buffer, ops: ReadonlySet<string> = DETAIL) => {
  const result = readTensorflowGraph(bufferSource(bytes), 'saved-model', undefined, ops);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
};
const byName = (nodes: TfNode[], name: string) => nodes.find((n) => n.name === name);

const pyfunc: TfNodeSpec = {
  name: 'PyFunc',
  op: 'PyFunc',
  inputs: ['x', '^init'],
  attrs: { token: tfAttr.s('pyfunc_0'), Tin: tfAttr.types([1]), Tout: tfAttr.types([1, 7]) },
};
const filename: TfNodeSpec = { name: 'ReadFile/filename', op: 'Const', attrs: { dtype: tfAttr.type(7), value: tfAttr.stringTensor(['/etc/passwd']) } };
const readFile: TfNodeSpec = { name: 'ReadFile', op: 'ReadFile', inputs: ['ReadFile/filename:0'] };

describe('TensorFlow node arguments for evidence', () => {
  it('decodes inputs and attributes of the requested ops only', () => {
    const graph = read(buildSavedModel({ metaGraphs: [{ nodes: [{ name: 'x', op: 'Placeholder', attrs: { dtype: tfAttr.type(1) } }, pyfunc] }] }));
    expect(byName(graph.nodes, 'x')?.detail).toBeUndefined();
    expect(byName(graph.nodes, 'PyFunc')?.detail).toMatchObject({
      inputs: ['x', '^init'],
      attrs: [
        { name: 'Tin', value: '[DT_FLOAT]', strings: [] },
        { name: 'Tout', value: '[DT_FLOAT, DT_STRING]', strings: [] },
        { name: 'token', value: '"pyfunc_0"', strings: ['pyfunc_0'] },
      ],
    });
  });

  it('a string Const feeding ReadFile in the same graph is attached, before or after the reader node', () => {
    for (const nodes of [[filename, readFile], [readFile, filename]]) {
      const detail = byName(read(buildSavedModel({ metaGraphs: [{ nodes }] })).nodes, 'ReadFile')?.detail;
      expect(detail?.constInputs).toEqual([{ input: 'ReadFile/filename:0', node: 'ReadFile/filename', values: ['/etc/passwd'] }]);
    }
  });

  it('inside a function body, inputs `node:output:0` resolve within that function only', () => {
    const fnConst: TfNodeSpec = { ...filename, name: 'path', attrs: { dtype: tfAttr.type(7), value: tfAttr.stringTensor(['/tmp/payload.sh']) } };
    const write: TfNodeSpec = { name: 'WriteFile', op: 'WriteFile', inputs: ['path:output:0', 'contents'] };
    const other: TfNodeSpec = { ...filename, name: 'path', attrs: { dtype: tfAttr.type(7), value: tfAttr.stringTensor(['/not/this/one']) } };
    const graph = read(buildSavedModel({ metaGraphs: [{ nodes: [other], functions: [{ name: '__inference_f_1', nodes: [fnConst, write] }] }] }));
    expect(byName(graph.nodes, 'WriteFile')?.detail?.constInputs).toEqual([{ input: 'path:output:0', node: 'path', values: ['/tmp/payload.sh'] }]);
  });

  it('a Const that is not a string tensor is not attached', () => {
    const numeric: TfNodeSpec = { name: 'ReadFile/filename', op: 'Const', attrs: { dtype: tfAttr.type(1), value: tfAttr.floatTensor([1, 2]) } };
    expect(byName(read(buildSavedModel({ metaGraphs: [{ nodes: [numeric, readFile] }] })).nodes, 'ReadFile')?.detail?.constInputs).toEqual([]);
  });

  it('list attributes, shapes, functions and long strings are bounded', () => {
    const urls = Array.from({ length: 20 }, (_, i) => `grpc://collector-${i}.example:6064`);
    const node: TfNodeSpec = {
      name: 'dbg',
      op: 'DebugIdentityV2',
      attrs: { debug_urls: tfAttr.strings(urls), shape: tfAttr.shape([2, 3]), f: tfAttr.func('__inference_g_9'), long: tfAttr.s('a'.repeat(10_000)) },
    };
    const detail = byName(read(buildSavedModel({ metaGraphs: [{ nodes: [node] }] })).nodes, 'dbg')?.detail;
    const attr = (name: string) => detail?.attrs.find((a) => a.name === name);
    expect(attr('debug_urls')?.strings).toEqual(urls.slice(0, MAX_TF_DETAIL_ITEMS));
    expect(attr('debug_urls')?.value).toContain(`... ${20 - MAX_TF_DETAIL_ITEMS} more`);
    expect(attr('shape')?.value).toBe('shape [2, 3]');
    expect(attr('f')?.value).toBe('func "__inference_g_9"');
    expect(attr('long')?.value.length).toBeLessThan(300);
  });

  it('random AttrValue bytes never throw and never grow past the bounds', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 60 }), { maxLength: 40 }), (values) => {
        const attrs = Object.fromEntries(values.map((v, i) => [`a${i}`, Buffer.from(v)]));
        const node: TfNodeSpec = { name: 'p', op: 'PyFunc', inputs: Array.from({ length: 30 }, (_, i) => `in${i}`), attrs };
        const detail = byName(read(buildSavedModel({ metaGraphs: [{ nodes: [node] }] })).nodes, 'p')?.detail;
        expect(detail).toBeDefined();
        if (!detail) return;
        expect(detail.attrs.length).toBeLessThanOrEqual(32);
        expect(detail.inputs.length).toBeLessThanOrEqual(16);
        for (const a of detail.attrs) expect(a.value.length).toBeLessThan(8 * 300 + 100);
      }),
      { numRuns: 300 },
    );
  });
});
