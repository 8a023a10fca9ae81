import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import { readOnnxModel, sniffOnnx, sniffSavedModel } from '../../../src/readers/protobuf/index.js';
import { buildSafetensors } from '../../builders/safetensors.js';
import { buildOnnx, buildSavedModel, pb } from '../../builders/protobuf.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/onnx/${name}`, import.meta.url));
const read = (bytes: Buffer) => {
  const result = readOnnxModel(bufferSource(bytes));
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
};

describe('ONNX reader', () => {
  it('reads a model written by onnx 1.12 (unpacked dims, raw_data)', () => {
    const model = read(fixture('benign-add-relu.onnx'));
    expect(model.irVersion).toBe(8n);
    expect(model.producerName).toBe('antidote-fixture');
    expect(model.nodes.map((n) => n.opType)).toEqual(['Add', 'Relu']);
    expect(model.tensors).toMatchObject([{ name: 'w', dataType: 1, dims: [2n, 3n], rawDataBytes: 24, externalData: [] }]);
    expect(model.opsetImports).toMatchObject([{ domain: '', version: 13n }]);
    expect(model.stop).toBeNull();
  });

  it('reads external data entries of a real file', () => {
    const model = read(fixture('external-data-traversal.onnx'));
    expect(model.tensors[0]).toMatchObject({ dataLocation: 1, rawDataBytes: null, externalData: [{ key: 'location', value: '../../etc/passwd' }, { key: 'length', value: '24' }] });
  });

  it('walks subgraphs, attribute tensors, functions and metadata', () => {
    const model = read(
      buildOnnx({
        metadata: { author: 'x' },
        functions: [{ name: 'F', domain: 'local', nodes: [{ op: 'Relu', name: 'inner' }] }],
        graph: { name: 'g', nodes: [{ op: 'If', name: 'if', graphs: { then_branch: { name: 't', nodes: [{ op: 'Constant', name: 'c', tensors: { value: { name: 'k', dims: [1], external: { location: 'w.bin' } } } }] } } }] },
      }),
    );
    expect(model.nodes.map((n) => `${n.scope}:${n.opType}`)).toEqual(['g:If', 'g/if:then_branch:Constant', 'function:local.F:Relu']);
    expect(model.tensors).toMatchObject([{ name: 'k', kind: 'attribute', scope: 'g/if:then_branch/c:value' }]);
    expect(model.functions).toMatchObject([{ name: 'F', domain: 'local', nodes: 1 }]);
    expect(model.metadata).toMatchObject([{ key: 'author', value: 'x' }]);
    expect(model.counts.graphs).toBe(2);
  });

  it('a wire type that does not match the schema is a problem, and the field is skipped', () => {
    const bytes = Buffer.concat([buildOnnx(), pb.varint(14, 5)]);
    const model = read(bytes);
    expect(model.problems).toMatchObject([{ kind: 'wire-type' }]);
    expect(model.metadata).toEqual([]);
  });

  it('a corrupt graph keeps what came before and says where it stopped', () => {
    const good = buildOnnx();
    const bytes = Buffer.concat([good, pb.message(7, [pb.message(1, [pb.bytes(4, 'Relu')]), pb.lying(1, 1000)])]);
    const result = readOnnxModel(bufferSource(bytes));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.stop?.kind).toBe('truncated');
    expect(result.value.nodes.map((n) => n.opType)).toEqual(['Add', 'Relu', 'Relu']);
  });

  it('subgraphs nested past the depth limit stop the read with a limit', () => {
    let graph = { name: 'leaf', nodes: [{ op: 'Relu' }] } as Parameters<typeof buildOnnx>[0] extends infer O ? (O extends { graph?: infer G } ? G : never) : never;
    for (let i = 0; i < 40; i++) graph = { name: `g${i}`, nodes: [{ op: 'If', name: `if${i}`, graphs: { then_branch: graph! } }] };
    const result = readOnnxModel(bufferSource(buildOnnx({ graph })));
    expect(result.ok && result.value.stop).toMatchObject({ kind: 'limit', limit: 'maxMessageDepth' });
  });
});

describe('ONNX sniffing', () => {
  const yes: [string, Buffer][] = [
    ['a real onnx 1.12 model', fixture('benign-add-relu.onnx')],
    ['a real model with external data', fixture('external-data-traversal.onnx')],
    ['a built model', buildOnnx()],
    ['a model whose graph comes before ir_version', Buffer.concat([pb.message(7, [pb.bytes(2, 'g')]), pb.varint(1, 9)])],
  ];
  it.each(yes)('%s is ONNX', (_name, bytes) => expect(sniffOnnx(bufferSource(bytes))).toBe(true));

  const no: [string, Buffer][] = [
    ['a SavedModel', buildSavedModel({ metaGraphs: [{ nodes: [{ name: 'x', op: 'Placeholder' }] }] })],
    ['safetensors', buildSafetensors({ tensors: { a: { dtype: 'F32', shape: [2] } } })],
    ['a pickle', Buffer.from('80049505000000000000008c026f73942e', 'hex')],
    ['a ModelProto without a graph', Buffer.concat([pb.varint(1, 8), pb.bytes(2, 'x')])],
    ['an absurd ir_version', buildOnnx({ irVersion: 123456 })],
    ['a model with trailing garbage', Buffer.concat([buildOnnx(), Buffer.from([0xff])])],
    ['text', Buffer.from('hello world, this is not a model\n')],
  ];
  it.each(no)('%s is not ONNX', (_name, bytes) => {
    expect(sniffOnnx(bufferSource(bytes))).toBe(false);
  });

  it('ONNX is not a SavedModel', () => {
    expect(sniffSavedModel(bufferSource(buildOnnx()))).toBe(false);
    expect(sniffSavedModel(bufferSource(fixture('benign-add-relu.onnx')))).toBe(false);
  });
});
