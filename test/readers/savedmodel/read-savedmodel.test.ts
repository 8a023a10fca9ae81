import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import { readTensorflowGraph, sniffGraphDef, sniffOnnx, sniffSavedModel } from '../../../src/readers/protobuf/index.js';
import { buildGraphDef, buildOnnx, buildSavedModel, pb, SAVER_FUNCTION } from '../../builders/protobuf.js';
import { buildSafetensors } from '../../builders/safetensors.js';

const savedModel = buildSavedModel({
  metaGraphs: [
    { tags: ['serve'], nodes: [{ name: 'x', op: 'Placeholder' }, { name: 'call', op: 'StatefulPartitionedCall', inputs: ['x'] }], functions: [SAVER_FUNCTION, { name: '__inference_f_10', nodes: [{ name: 'read', op: 'ReadFile' }] }] },
    { tags: ['train', 'gpu'], nodes: [{ name: 'y', op: 'Const' }] },
  ],
});

describe('TensorFlow graph reader', () => {
  it('reads every node of every meta graph and function body, with tags', () => {
    const result = readTensorflowGraph(bufferSource(savedModel), 'saved-model');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const graph = result.value;
    expect(graph.schemaVersion).toBe(1n);
    expect(graph.metaGraphTags).toEqual([['serve'], ['train', 'gpu']]);
    expect(graph.functions.map((f) => [f.name, f.nodes])).toEqual([['__inference__traced_save_45', 4], ['__inference_f_10', 1]]);
    expect(graph.nodes.map((n) => `${n.metaGraph}:${n.function ?? '-'}:${n.op}`)).toEqual([
      '0:-:Placeholder',
      '0:-:StatefulPartitionedCall',
      '0:__inference__traced_save_45:StringJoin',
      '0:__inference__traced_save_45:ShardedFilename',
      '0:__inference__traced_save_45:SaveV2',
      '0:__inference__traced_save_45:MergeV2Checkpoints',
      '0:__inference_f_10:ReadFile',
      '1:-:Const',
    ]);
    expect(graph.stop).toBeNull();
  });

  it('reads a bare GraphDef (frozen graph)', () => {
    const result = readTensorflowGraph(bufferSource(buildGraphDef({ nodes: [{ name: 'x', op: 'Placeholder' }, { name: 'w', op: 'WriteFile' }] })), 'graph-def');
    expect(result.ok && result.value.nodes.map((n) => n.op)).toEqual(['Placeholder', 'WriteFile']);
  });

  it('a corrupt meta graph keeps the nodes before it and records where it stopped', () => {
    const bytes = Buffer.concat([savedModel, pb.message(2, [pb.message(2, [pb.message(1, [pb.bytes(1, 'p'), pb.bytes(2, 'PyFunc')]), pb.lying(1, 99)])])]);
    const result = readTensorflowGraph(bufferSource(bytes), 'saved-model');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.stop?.kind).toBe('truncated');
    expect(result.value.nodes.at(-1)?.op).toBe('PyFunc');
  });
});

describe('TensorFlow sniffing', () => {
  it('a SavedModel is a SavedModel, not ONNX or a GraphDef', () => {
    const source = bufferSource(savedModel);
    expect([sniffSavedModel(source), sniffOnnx(source), sniffGraphDef(source)]).toEqual([true, false, false]);
  });
  it('a GraphDef is a GraphDef, not a SavedModel or ONNX', () => {
    const source = bufferSource(buildGraphDef({ nodes: [{ name: 'x', op: 'Placeholder' }] }));
    expect([sniffGraphDef(source), sniffSavedModel(source), sniffOnnx(source)]).toEqual([true, false, false]);
  });
  const no: [string, Buffer][] = [
    ['ONNX', buildOnnx()],
    ['safetensors', buildSafetensors({ tensors: { a: { dtype: 'F32', shape: [2] } } })],
    ['a pickle', Buffer.from('80049505000000000000008c026f73942e', 'hex')],
    ['text', Buffer.from('just some text that is not a graph\n')],
    ['a SavedModel with an absurd schema version', Buffer.concat([pb.varint(1, 1000), savedModel.subarray(2)])],
    ['a GraphDef whose op is not a name', buildGraphDef({ nodes: [{ name: 'x', op: 'not an op!' }] })],
  ];
  it.each(no)('%s is neither', (_name, bytes) => {
    const source = bufferSource(bytes);
    expect([sniffSavedModel(source), sniffGraphDef(source)]).toEqual([false, false]);
  });
});
