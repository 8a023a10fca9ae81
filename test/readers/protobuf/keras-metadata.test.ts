import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import { DEFAULT_LIMITS } from '../../../src/core/limits.js';
import { readKerasSavedMetadata } from '../../../src/readers/keras/index.js';
import {
  readKerasMetadata,
  readTensorflowGraph,
  sniffGraphDef,
  sniffKerasMetadata,
  sniffOnnx,
  sniffSavedModel,
} from '../../../src/readers/protobuf/index.js';
import { MARSHAL_LAMBDA, tfKerasLambdaConfig, tfKerasLayerMetadata, tfKerasModelMetadata } from '../../builders/keras.js';
import { buildKerasMetadata, buildOnnx, buildSavedModel, pb } from '../../builders/protobuf.js';

const dense = tfKerasLayerMetadata('Dense', { name: 'dense', units: 1, activation: 'relu' }, 2);
const lambda = tfKerasLayerMetadata('Lambda', tfKerasLambdaConfig(MARSHAL_LAMBDA.malicious), 1);
const metadata = buildKerasMetadata([
  { nodePath: 'root', identifier: '_tf_keras_sequential', metadata: tfKerasModelMetadata([{ class_name: 'Dense', config: { name: 'dense', units: 1 } }]) },
  { nodePath: 'root.layer_with_weights-0', metadata: dense },
]);

describe('keras_metadata.pb reader', () => {
  it('reads every node: id, path, identifier and the JSON', () => {
    const result = readKerasMetadata(bufferSource(metadata));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.nodes.map((n) => [n.nodeId, n.nodePath, n.identifier])).toEqual([
      [0, 'root', '_tf_keras_sequential'],
      [1, 'root.layer_with_weights-0', '_tf_keras_layer'],
    ]);
    expect(JSON.parse(result.value.nodes[1]!.metadata)).toEqual(dense);
    expect(result.value.stop).toBeNull();
  });

  it('the JSON becomes Keras config documents named by node path, with the Keras version', () => {
    const read = readKerasMetadata(bufferSource(buildKerasMetadata([{ nodePath: 'root.layer-1', metadata: lambda }])));
    if (!read.ok) throw new Error(read.error.message);
    const model = readKerasSavedMetadata(read.value.nodes, [], DEFAULT_LIMITS);
    expect(model.format).toBe('keras-savedmodel');
    expect(model.documents.map((d) => d.name)).toEqual(['root.layer-1']);
    expect(model.documents[0]?.facts?.lambdas.map((l) => [l.jsonPath, l.encoding])).toEqual([['$.config.function', 'marshal']]);
    const withModel = readKerasMetadata(bufferSource(metadata));
    if (!withModel.ok) throw new Error(withModel.error.message);
    expect(readKerasSavedMetadata(withModel.value.nodes, [], DEFAULT_LIMITS).kerasVersion).toBe('2.11.0');
  });

  it('a file cut inside a node keeps the nodes before it and says where it stopped', () => {
    const bytes = Buffer.concat([buildKerasMetadata([{ nodePath: 'root.layer-1', metadata: lambda }]), pb.lying(1, 5000, Buffer.from('0a'))]);
    const result = readKerasMetadata(bufferSource(bytes));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.nodes[0]?.nodePath).toBe('root.layer-1');
    expect(result.value.stop?.kind).toBe('truncated');
  });

  it('a node whose JSON is over the per-node limit is not kept and is named as a limit problem', () => {
    const read = readKerasMetadata(bufferSource(buildKerasMetadata([{ nodePath: 'root', metadata: dense }])));
    if (!read.ok) throw new Error(read.error.message);
    const node = { ...read.value.nodes[0]!, metadata: '', omitted: 'maxKerasMetadataBytes' as const };
    const model = readKerasSavedMetadata([node], [], DEFAULT_LIMITS);
    expect(model.documents).toEqual([]);
    expect(model.problems).toEqual([expect.objectContaining({ kind: 'limit', limit: 'maxKerasMetadataBytes', document: 'root' })]);
  });

  it('a SavedModel written before keras_metadata.pb keeps the same JSON in its object graph', () => {
    const bytes = buildSavedModel({
      metaGraphs: [
        {
          nodes: [{ name: 'x', op: 'Placeholder' }],
          objects: [
            { identifier: '_tf_keras_sequential', metadata: tfKerasModelMetadata([]) },
            { identifier: '_generic_user_object', metadata: '' },
            { identifier: 'trackable_dict_wrapper', metadata: '{"not": "keras"}' },
            { identifier: '_tf_keras_layer', metadata: lambda },
          ],
        },
      ],
    });
    expect(sniffSavedModel(bufferSource(bytes))).toBe(true);
    const result = readTensorflowGraph(bufferSource(bytes), 'saved-model');
    if (!result.ok) throw new Error(result.error.message);
    expect(result.value.kerasMetadata.map((n) => [n.nodeId, n.nodePath, n.identifier])).toEqual([
      [0, 'object_graph_def.nodes[0]', '_tf_keras_sequential'],
      [3, 'object_graph_def.nodes[3]', '_tf_keras_layer'],
    ]);
  });
});

describe('keras_metadata.pb sniffing', () => {
  it('keras_metadata.pb is Keras metadata and no other protobuf model', () => {
    const source = bufferSource(metadata);
    expect([sniffKerasMetadata(source), sniffOnnx(source), sniffSavedModel(source), sniffGraphDef(source)]).toEqual([true, false, false, false]);
  });
  const no: [string, Buffer][] = [
    ['ONNX', buildOnnx()],
    ['a SavedModel', buildSavedModel({ metaGraphs: [{ nodes: [{ name: 'x', op: 'Placeholder' }] }] })],
    ['nodes without a Keras identifier', buildKerasMetadata([{ nodePath: 'root', identifier: 'something_else', metadata: {} }])],
    ['a node with a field of the wrong wire type', pb.message(1, [pb.bytes(2, 'x'), pb.bytes(4, '_tf_keras_layer')])],
    ['text', Buffer.from('{"class_name": "Lambda"}')],
  ];
  it.each(no)('%s is not', (_name, bytes) => {
    expect(sniffKerasMetadata(bufferSource(bytes))).toBe(false);
  });
});

describe('keras_metadata.pb reader under fuzz: never throws, bounded time', () => {
  const samples = [metadata, buildKerasMetadata([{ nodePath: 'root.layer-1', metadata: lambda }])];
  const check = (bytes: Buffer) => {
    const start = Date.now();
    const source = bufferSource(bytes);
    sniffKerasMetadata(source);
    const result = readKerasMetadata(source);
    if (result.ok) {
      const model = readKerasSavedMetadata(result.value.nodes, [], DEFAULT_LIMITS);
      expect(model.documents.length).toBeLessThanOrEqual(result.value.nodes.length);
    } else {
      expect(['malformed', 'truncated', 'limit', 'unsupported', 'io']).toContain(result.error.kind);
    }
    expect(Date.now() - start).toBeLessThan(2000);
  };
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => check(Buffer.from(bytes))), { numRuns: 1000 });
  });
  it('truncated and mutated valid files', () => {
    const mutation = fc.record({ at: fc.nat({ max: 4000 }), byte: fc.integer({ min: 0, max: 255 }) });
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.double({ min: 0, max: 1, noNaN: true }), fc.array(mutation, { maxLength: 6 }), (sample, fraction, mutations) => {
        const bytes = Buffer.from(sample.subarray(0, Math.max(1, Math.floor(sample.length * fraction))));
        for (const { at, byte } of mutations) bytes[at % bytes.length] = byte;
        check(bytes);
      }),
      { numRuns: 1500 },
    );
  });
});
