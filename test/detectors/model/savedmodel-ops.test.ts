import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import detector from '../../../src/detectors/model/savedmodel-ops.js';
import { readTensorflowGraph } from '../../../src/readers/protobuf/index.js';
import { buildGraphDef, buildSavedModel, pb, SAVER_FUNCTION, type TfNodeSpec } from '../../builders/protobuf.js';
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
