import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildKerasZip, denseLayer, layer, MARSHAL_LAMBDA, sequentialConfig, tfKerasLambdaConfig, tfKerasLayerMetadata, tfKerasModelMetadata } from '../builders/keras.js';
import { buildKerasMetadata, buildSavedModel, SAVER_FUNCTION } from '../builders/protobuf.js';
import { buildZip } from '../builders/zip.js';
import { payloadPickle } from '../builders/pickle.js';
import { scanFiles, scanOf } from './helpers.js';

/* Keras through the whole engine: .keras zips and legacy .h5 files, detected by content. */

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/keras/${name}`, import.meta.url));
const keras = (r: Awaited<ReturnType<typeof scanOf>>) => r.findings.filter((f) => f.ruleId === 'model/keras-config');

describe('Keras models in a scan', () => {
  it('a benign .keras zip is quiet', async () => {
    const r = await scanOf(buildKerasZip({ config: sequentialConfig([denseLayer('dense')]) }), 'model.keras');
    expect(r.files[0]?.format).toBe('keras');
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('CVE-2025-1550: a config that names os.system as a layer module is critical', async () => {
    const config = sequentialConfig([layer('system', { name: 'x' }, 'os')]);
    const r = await scanOf(buildKerasZip({ config }), 'model.keras');
    expect(keras(r).some((f) => f.severity === 'critical')).toBe(true);
  });

  it('a legacy .h5 with a Lambda layer is reported, a benign .h5 is quiet', async () => {
    const evil = await scanOf(fixture('legacy-lambda-latest.h5'), 'model.h5');
    expect(keras(evil).some((f) => f.severity === 'critical' || f.severity === 'high')).toBe(true);
    const benign = await scanOf(fixture('legacy-benign.h5'), 'model.h5');
    expect(benign.files[0]?.format).toBe('keras-h5');
    expect(benign.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('a module reference behind an HDF5 user block is still found', async () => {
    const r = await scanOf(fixture('legacy-module-ref-userblock.h5'), 'model.h5');
    expect(keras(r).some((f) => f.severity === 'critical' || f.severity === 'high')).toBe(true);
  });
});

describe('Keras metadata of a TensorFlow SavedModel in a scan', () => {
  const lambdaMetadata = buildKerasMetadata([
    { nodePath: 'root', identifier: '_tf_keras_sequential', metadata: tfKerasModelMetadata([]) },
    { nodePath: 'root.layer-1', metadata: tfKerasLayerMetadata('Lambda', tfKerasLambdaConfig(MARSHAL_LAMBDA.malicious)) },
  ]);
  const benignMetadata = buildKerasMetadata([
    { nodePath: 'root', identifier: '_tf_keras_sequential', metadata: tfKerasModelMetadata([{ class_name: 'Dense', config: { name: 'dense', units: 1 } }]) },
    { nodePath: 'root.layer_with_weights-0', metadata: tfKerasLayerMetadata('Dense', { name: 'dense', units: 1 }) },
  ]);
  const savedModel = buildSavedModel({ metaGraphs: [{ nodes: [{ name: 'x', op: 'Placeholder' }, { name: 'y', op: 'Relu', inputs: ['x'] }], functions: [SAVER_FUNCTION] }] });

  it('keras_metadata.pb on its own is found by content, whatever its name', async () => {
    const r = await scanOf(lambdaMetadata, 'renamed.bin');
    expect(r.files[0]).toMatchObject({ format: 'keras-metadata', status: 'scanned' });
    expect(keras(r).map((f) => `${f.severity}:${f.location.jsonPath}`)).toEqual(['critical:root.layer-1:$.config.function']);
  });

  it('in a SavedModel folder beside a clean saved_model.pb, the Lambda is critical; the benign folder is quiet', async () => {
    const evil = await scanFiles({ 'saved_model.pb': savedModel, 'keras_metadata.pb': lambdaMetadata, 'fingerprint.pb': Buffer.from('0801', 'hex') });
    expect(evil.result.files.find((f) => f.path.endsWith('keras_metadata.pb'))?.format).toBe('keras-metadata');
    expect(keras(evil.result).filter((f) => f.severity === 'critical')).toHaveLength(1);
    const benign = await scanFiles({ 'saved_model.pb': savedModel, 'keras_metadata.pb': benignMetadata });
    expect(benign.result.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('a zipped SavedModel folder is read the same way', async () => {
    const zip = buildZip({ entries: [{ name: 'model/saved_model.pb', data: savedModel }, { name: 'model/keras_metadata.pb', data: lambdaMetadata, method: 'deflate' }] });
    const r = await scanOf(zip, 'model.zip');
    expect(keras(r).map((f) => f.location.path)).toEqual(['model.zip!model/keras_metadata.pb']);
  });

  it('an older saved_model.pb with the Keras JSON in its object graph is judged by the Keras checks', async () => {
    const legacy = buildSavedModel({ metaGraphs: [{ nodes: [{ name: 'x', op: 'Placeholder' }], objects: [{ identifier: '_tf_keras_layer', metadata: tfKerasLayerMetadata('Lambda', tfKerasLambdaConfig(MARSHAL_LAMBDA.malicious)) }] }] });
    const r = await scanOf(legacy, 'saved_model.pb');
    expect(r.files[0]?.format).toBe('tf-savedmodel');
    expect(keras(r).map((f) => f.severity)).toEqual(['critical']);
  });

  it('a file named keras_metadata.pb that does not parse as one is a failure, not a pass', async () => {
    const r = await scanOf(Buffer.from('\x0a\xff\xff\xff\x0f garbage', 'latin1'), 'model/keras_metadata.pb');
    expect(r.files[0]).toMatchObject({ format: 'keras-metadata', status: 'failed' });
    expect(r.findings.some((f) => f.ruleId === 'file/unscanned' && f.severity === 'medium')).toBe(true);
  });

  it('content decides before the name: a pickle named keras_metadata.pb is scanned as a pickle', async () => {
    const r = await scanOf(payloadPickle('os', 'system', 'id'), 'keras_metadata.pb');
    expect(r.files[0]?.format).toBe('pickle');
    expect(r.findings.some((f) => f.ruleId === 'model/pickle-globals' && f.severity === 'critical')).toBe(true);
  });
});
