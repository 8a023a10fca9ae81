import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import onnxDetector from '../../../src/detectors/model/onnx-graph.js';
import savedModelDetector, { TF_DETAIL_OPS } from '../../../src/detectors/model/savedmodel-ops.js';
import { MAX_ONNX_TEXTS, readOnnxModel, readTensorflowGraph } from '../../../src/readers/protobuf/index.js';
import { MARSHAL_LAMBDA, tfKerasLambdaConfig, tfKerasLayerMetadata } from '../../builders/keras.js';
import { buildOnnx, buildSavedModel, SAVER_FUNCTION, tfAttr } from '../../builders/protobuf.js';
import { runDetector } from '../../detectors/detector-tester.js';

/*
 * The protobuf readers under fuzz for what this folder added: ONNX doc strings and string attributes,
 * SavedModel node arguments and Keras objects in the object graph. No exception escapes, every result is a
 * ReadResult, the detectors run on whatever was read, time stays bounded.
 */

const MAX_MS = 2000;
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/onnx/${name}`, import.meta.url));

const ONNX_SAMPLES = [
  fixture('docstring-code.onnx'),
  buildOnnx({
    docString: 'import os',
    functions: [{ name: 'F', domain: 'local', nodes: [{ op: 'Relu', docString: 'eval(x)' }], docString: 'https://example.com' }],
    graph: { name: 'g', docString: 'graph', nodes: [{ op: 'If', name: 'if', strings: { mode: 'constant', list: ['a', 'b'] }, graphs: { then_branch: { nodes: [{ op: 'Relu', docString: 'exec(p)' }] } } }] },
  }),
];
const SAVED_MODEL_SAMPLES = [
  buildSavedModel({
    metaGraphs: [
      {
        nodes: [
          { name: 'f', op: 'Const', attrs: { dtype: tfAttr.type(7), value: tfAttr.stringTensor(['/etc/passwd']) } },
          { name: 'r', op: 'ReadFile', inputs: ['f'] },
          { name: 'p', op: 'PyFunc', inputs: ['r'], attrs: { token: tfAttr.s('pyfunc_0'), Tin: tfAttr.types([7]), Tout: tfAttr.types([7]), s: tfAttr.shape([1, 2]) } },
        ],
        functions: [SAVER_FUNCTION],
        objects: [{ identifier: '_tf_keras_layer', metadata: tfKerasLayerMetadata('Lambda', tfKerasLambdaConfig(MARSHAL_LAMBDA.malicious)) }],
      },
    ],
  }),
];

function mutate(sample: Buffer, fraction: number, edits: { at: number; byte: number }[]): Buffer {
  const bytes = Buffer.from(sample.subarray(0, Math.max(1, Math.floor(sample.length * fraction))));
  for (const { at, byte } of edits) bytes[at % bytes.length] = byte;
  return bytes;
}
const edits = fc.array(fc.record({ at: fc.nat({ max: 4000 }), byte: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 });
const fraction = fc.double({ min: 0, max: 1, noNaN: true });

describe('protobuf readers under fuzz: doc strings, node arguments, object graphs', () => {
  it('ONNX models with doc strings and string attributes: cut and mutated', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ONNX_SAMPLES), fraction, edits, (sample, f, e) => {
        const start = Date.now();
        const bytes = mutate(sample, f, e);
        const result = readOnnxModel(bufferSource(bytes));
        if (result.ok) {
          expect(result.value.texts.length).toBeLessThanOrEqual(MAX_ONNX_TEXTS);
          expect(runDetector(onnxDetector, { model: result.value, size: bytes.length }).length).toBeGreaterThan(0);
        } else expect(['malformed', 'truncated', 'limit', 'unsupported', 'io']).toContain(result.error.kind);
        expect(Date.now() - start).toBeLessThan(MAX_MS);
      }),
      { numRuns: 1500 },
    );
  });

  it('SavedModels with node arguments and Keras objects: cut and mutated', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SAVED_MODEL_SAMPLES), fraction, edits, (sample, f, e) => {
        const start = Date.now();
        const bytes = mutate(sample, f, e);
        const result = readTensorflowGraph(bufferSource(bytes), 'saved-model', undefined, TF_DETAIL_OPS);
        if (result.ok) {
          for (const node of result.value.nodes) if (node.detail) expect(node.detail.attrs.length).toBeLessThanOrEqual(32);
          expect(runDetector(savedModelDetector, { graph: result.value, size: bytes.length }).length).toBeGreaterThan(0);
        } else expect(['malformed', 'truncated', 'limit', 'unsupported', 'io']).toContain(result.error.kind);
        expect(Date.now() - start).toBeLessThan(MAX_MS);
      }),
      { numRuns: 1500 },
    );
  });
});
