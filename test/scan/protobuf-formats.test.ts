import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ScanResult } from '../../src/core/result.js';
import { atLeast } from '../../src/core/severity.js';
import { MARSHAL_LAMBDA, tfKerasLambdaConfig, tfKerasLayerMetadata } from '../builders/keras.js';
import { buildGraphDef, buildKerasMetadata, buildSavedModel, SAVER_FUNCTION, tfAttr } from '../builders/protobuf.js';
import { scanOf } from './helpers.js';

/* ONNX and TensorFlow SavedModel through the whole engine, detected by content. */

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/onnx/${name}`, import.meta.url));
const above = (r: Awaited<ReturnType<typeof scanOf>>, ruleId: string) => r.findings.filter((f) => f.ruleId === ruleId && f.severity !== 'info');

describe('ONNX and SavedModel files in a scan', () => {
  it('a real benign ONNX model (made with onnx 1.12) is quiet', async () => {
    const r = await scanOf(fixture('benign-add-relu.onnx'), 'model.onnx');
    expect(r.files[0]?.format).toBe('onnx');
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('ONNX external data that escapes the model folder is high', async () => {
    const r = await scanOf(fixture('external-data-traversal.onnx'), 'model.onnx');
    expect(above(r, 'model/onnx-graph').some((f) => f.severity === 'high')).toBe(true);
  });

  it('code in an ONNX node doc_string (real onnx 1.12 file) is high', async () => {
    const r = await scanOf(fixture('docstring-code.onnx'), 'model.onnx');
    expect(above(r, 'model/onnx-graph').map((f) => `${f.severity}:${f.messageId}`)).toEqual(['high:metadataCode', 'low:metadataUrl', 'low:metadataUrl']);
  });

  it('a SavedModel whose graph calls PyFunc is critical; its saver ops alone stay quiet', async () => {
    const evil = buildSavedModel({ metaGraphs: [{ tags: ['serve'], nodes: [{ name: 'x', op: 'Placeholder' }, { name: 'run', op: 'PyFunc', inputs: ['x'] }], functions: [SAVER_FUNCTION] }] });
    const r = await scanOf(evil, 'saved_model.pb');
    expect(r.files[0]?.format).toBe('tf-savedmodel');
    expect(above(r, 'model/savedmodel-ops').some((f) => f.severity === 'critical')).toBe(true);
    const benign = buildSavedModel({ metaGraphs: [{ tags: ['serve'], nodes: [{ name: 'x', op: 'Placeholder' }, { name: 'y', op: 'Relu', inputs: ['x'] }], functions: [SAVER_FUNCTION] }] });
    expect((await scanOf(benign, 'saved_model.pb')).findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('a SavedModel that writes a file names the path from its Const input in the finding', async () => {
    const evil = buildSavedModel({
      metaGraphs: [
        {
          nodes: [{ name: 'x', op: 'Placeholder' }],
          functions: [
            SAVER_FUNCTION,
            {
              name: '__inference_serve_12',
              nodes: [
                { name: 'path', op: 'Const', attrs: { dtype: tfAttr.type(7), value: tfAttr.stringTensor(['/etc/cron.d/backdoor']) } },
                { name: 'drop', op: 'WriteFile', inputs: ['path:output:0', 'x'] },
              ],
            },
          ],
        },
      ],
    });
    const [finding] = above(await scanOf(evil, 'saved_model.pb'), 'model/savedmodel-ops');
    expect(finding?.message).toContain('"/etc/cron.d/backdoor"');
  });
});

describe('a protobuf model cut short is reported, never clean and never silently unscanned', () => {
  const pyfuncSavedModel = buildSavedModel({
    metaGraphs: [
      {
        tags: ['serve'],
        nodes: [
          { name: 'x', op: 'Placeholder', attrs: { dtype: tfAttr.type(7) } },
          { name: 'path', op: 'Const', attrs: { dtype: tfAttr.type(7), value: tfAttr.stringTensor(['/etc/passwd']) } },
          { name: 'leak', op: 'ReadFile', inputs: ['path'] },
          { name: 'run', op: 'PyFunc', inputs: ['x', 'leak'], attrs: { token: tfAttr.s('pyfunc_0') } },
        ],
        functions: [SAVER_FUNCTION],
      },
    ],
  });
  const graphDef = buildGraphDef({ nodes: [{ name: 'x', op: 'Placeholder' }, { name: 'run', op: 'PyFunc', inputs: ['x'], attrs: { token: tfAttr.s('pyfunc_0') } }] });
  const kerasMetadata = buildKerasMetadata([{ nodePath: 'root.layer-1', metadata: tfKerasLayerMetadata('Lambda', tfKerasLambdaConfig(MARSHAL_LAMBDA.malicious)) }]);
  const clean = (r: ScanResult) => r.status === 'succeeded' && !r.findings.some((f) => atLeast(f.severity, 'medium'));

  // [what, bytes, a name that says what the file is, shortest prefix recognised from content alone: ONNX
  // ir_version and a character of the producer name; SavedModel its version and the first MetaGraphDef tag; GraphDef the first
  // node's name and op; Keras metadata the first node's Keras identifier]
  const cases: [string, Buffer, string, number][] = [
    ['ONNX with traversing external data (real onnx 1.12 file)', fixture('external-data-traversal.onnx'), 'model.onnx', 5],
    ['ONNX with code in a doc string (real onnx 1.12 file)', fixture('docstring-code.onnx'), 'model.onnx', 5],
    ['SavedModel calling PyFunc and ReadFile', pyfuncSavedModel, 'saved_model.pb', 7],
    ['frozen GraphDef calling PyFunc', graphDef, 'frozen_graph.pb', 18],
    ['keras_metadata.pb with a marshalled Lambda', kerasMetadata, 'keras_metadata.pb', 34],
  ];

  it.each(cases)('every truncation of %s, under its usual name, is reported', async (_what, bytes, name) => {
    for (let cut = 1; cut < bytes.length; cut++) {
      const r = await scanOf(bytes.subarray(0, cut), name);
      if (clean(r) || r.files[0]?.status === 'skipped') throw new Error(`a ${cut}-byte prefix read as clean: ${JSON.stringify(r.files[0])}`);
    }
  });

  it.each(cases)('every truncation of %s is reported from its content alone past its first fields', async (_what, bytes, _name, shortest) => {
    for (let cut = shortest; cut < bytes.length; cut++) {
      const r = await scanOf(bytes.subarray(0, cut), 'download.part');
      if (clean(r) || r.files[0]?.status === 'skipped') throw new Error(`a ${cut}-byte prefix read as clean: ${JSON.stringify(r.files[0])}`);
    }
  });

  it('a cut file keeps what it holds before the cut: the traversal and the PyFunc are still found', async () => {
    const onnx = fixture('external-data-traversal.onnx');
    const r = await scanOf(onnx.subarray(0, onnx.length - 20), 'download.part');
    expect(r.files[0]).toMatchObject({ format: 'onnx', status: 'partial' });
    expect(above(r, 'model/onnx-graph').map((f) => `${f.messageId}:${f.severity}`)).toEqual(['externalPathTraversal:high', 'incomplete:medium']);
    const tf = await scanOf(pyfuncSavedModel.subarray(0, pyfuncSavedModel.length - 40), 'download.part');
    expect(tf.files[0]).toMatchObject({ format: 'tf-savedmodel', status: 'partial' });
    expect(above(tf, 'model/savedmodel-ops').map((f) => `${f.evidence.match ?? f.messageId}:${f.severity}`)).toEqual(['ReadFile:high', 'PyFunc:critical', 'incomplete:medium']);
  });

  it('controls: short text, random-looking bytes and other protobufs are not taken for cut models', async () => {
    for (const [bytes, name] of [
      [Buffer.from('hello world\n'), 'notes.txt'],
      [Buffer.from('0801', 'hex'), 'two-bytes.bin'],
      [Buffer.from('08ff01120a', 'hex'), 'ir-version-255.bin'],
      [Buffer.from('0a0568656c6c6f', 'hex'), 'a-string-field.bin'],
    ] as const) {
      const r = await scanOf(bytes, name);
      expect(r.files[0]?.status).toBe('skipped');
    }
  });
});
