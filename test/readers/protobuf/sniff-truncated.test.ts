import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import { readOnnxModel, readTensorflowGraph, sniffTruncatedModel, type TruncatedModelKind } from '../../../src/readers/protobuf/index.js';
import { buildGraphDef, buildKerasMetadata, buildOnnx, buildSavedModel, pb } from '../../builders/protobuf.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/onnx/${name}`, import.meta.url));
const none: ReadonlySet<TruncatedModelKind> = new Set();
const sniff = (bytes: Buffer, hinted: TruncatedModelKind[] = [], contentOnly = true) => sniffTruncatedModel(bufferSource(bytes), new Set(hinted), contentOnly);

const onnx = fixture('external-data-traversal.onnx');
const savedModel = buildSavedModel({ metaGraphs: [{ nodes: [{ name: 'x', op: 'Placeholder' }, { name: 'p', op: 'PyFunc' }] }] });
const graphDef = buildGraphDef({ nodes: [{ name: 'x', op: 'Placeholder' }, { name: 'p', op: 'PyFunc' }] });
const kerasMetadata = buildKerasMetadata([{ nodePath: 'root', identifier: '_tf_keras_sequential', metadata: { class_name: 'Sequential' } }]);

describe('recognising a protobuf model from a cut-short prefix', () => {
  it.each([
    ['ONNX', onnx, 'onnx'],
    ['SavedModel', savedModel, 'saved-model'],
    ['GraphDef', graphDef, 'graph-def'],
    ['Keras metadata', kerasMetadata, 'keras-metadata'],
  ] as const)('a cut %s is recognised from content once its first fields are in', (_name, bytes, kind) => {
    expect(sniff(bytes.subarray(0, bytes.length - 3))).toBe(kind);
    expect(sniff(bytes.subarray(0, Math.floor(bytes.length / 2)))).toBe(kind);
  });

  it('a cut at a field boundary before the graph (the prefix parses to its end) is recognised too', () => {
    const header = Buffer.concat([pb.varint(1, 8), pb.bytes(2, 'pytorch'), pb.bytes(3, '2.1.0')]);
    expect(sniff(header)).toBe('onnx');
    expect(readOnnxModel(bufferSource(header))).toMatchObject({ ok: false, error: { message: 'no graph in the ModelProto' } });
  });

  it('a one-byte prefix is recognised only when the file name says what it is', () => {
    expect(sniff(onnx.subarray(0, 1))).toBeNull();
    expect(sniff(onnx.subarray(0, 1), ['onnx'])).toBe('onnx');
    expect(sniff(savedModel.subarray(0, 2), ['saved-model'])).toBe('saved-model');
  });

  it('a name does not make bytes that contradict the schema a model', () => {
    expect(sniff(Buffer.from('hello world'), ['onnx', 'saved-model', 'graph-def'])).toBeNull();
    expect(sniff(Buffer.from([0x80, 0x04, 0x95]), ['onnx'])).toBeNull();
  });

  it('ONNX ir_version 1 or 2 with a string next is not claimed from content (the SavedModel schema version is 1)', () => {
    expect(sniff(Buffer.concat([pb.varint(1, 1), pb.bytes(2, 'pytorch')]).subarray(0, 6))).toBeNull();
    expect(sniff(Buffer.concat([pb.varint(1, 8), pb.bytes(2, 'pytorch')]).subarray(0, 6))).toBe('onnx');
  });

  it('archive members that are only probed are recognised by name only', () => {
    const cut = onnx.subarray(0, 100);
    expect(sniffTruncatedModel(bufferSource(cut), none, false)).toBeNull();
    expect(sniffTruncatedModel(bufferSource(cut), new Set(['onnx']), false)).toBe('onnx');
  });

  it('a length that overruns a complete inner message is a lie, not a cut', () => {
    const lying = Buffer.concat([pb.varint(1, 1), pb.message(2, [pb.lying(1, 50), Buffer.from('0a00', 'hex')]), pb.lying(2, 999)]);
    expect(sniff(lying)).toBeNull();
  });

  it('the readers keep what comes before the cut: nodes, tensors and the external-data location', () => {
    const model = readOnnxModel(bufferSource(onnx.subarray(0, onnx.length - 20)));
    if (!model.ok) throw new Error(model.error.message);
    expect(model.value.stop?.kind).toBe('truncated');
    expect(model.value.tensors[0]?.externalData.find((e) => e.key === 'location')?.value).toBe('../../etc/passwd');
    const graph = readTensorflowGraph(bufferSource(savedModel.subarray(0, savedModel.length - 4)), 'saved-model');
    if (!graph.ok) throw new Error(graph.error.message);
    expect(graph.value.nodes.map((n) => n.op)).toEqual(['Placeholder', 'PyFunc']);
    expect(graph.value.stop?.kind).toBe('truncated');
  });

  it('random bytes, with and without hints, never throw and rarely match from content', () => {
    let matched = 0;
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.subarray(['onnx', 'saved-model', 'graph-def', 'keras-metadata'] as TruncatedModelKind[]), (bytes, hinted) => {
        sniffTruncatedModel(bufferSource(Buffer.from(bytes)), new Set(hinted), true);
        if (sniffTruncatedModel(bufferSource(Buffer.from(bytes)), none, true)) matched++;
      }),
      { numRuns: 3000 },
    );
    expect(matched).toBeLessThan(30);
  });

  it('a buildOnnx model cut anywhere is an ONNX model to this sniffer or to the full one', () => {
    const model = buildOnnx();
    for (let cut = 5; cut < model.length; cut++) {
      const prefix = model.subarray(0, cut);
      const recognised = sniff(prefix) === 'onnx' || readOnnxModel(bufferSource(prefix)).ok;
      expect(recognised, `cut at ${cut}`).toBe(true);
    }
  });
});
