import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildSavedModel, SAVER_FUNCTION, tfAttr } from '../builders/protobuf.js';
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
