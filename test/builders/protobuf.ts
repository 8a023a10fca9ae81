/**
 * Byte builders for protobuf models: a tiny wire-format writer (independent of the reader: a second opinion),
 * then `buildOnnx` (ModelProto, onnx/onnx.proto) and `buildSavedModel` / `buildGraphDef` (TensorFlow
 * saved_model.proto, graph.proto). With defaults the output is what the official writers produce for the
 * same content: fields in field-number order, packed repeated scalars. Hostile variants set one part: a
 * traversing external-data location, a custom domain, a wrong raw_data size, a dangerous op.
 */

/** Encode an unsigned (or two's-complement int64) varint. */
export function varint(value: number | bigint): Buffer {
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    bytes.push(byte);
  } while (v > 0n);
  return Buffer.from(bytes);
}

/** A tag: field number and wire type. */
export function tag(number: number, wireType: number): Buffer {
  return varint((BigInt(number) << 3n) | BigInt(wireType));
}

/** Protobuf field writers; each returns the field's bytes. */
export const pb = {
  varint: (number: number, value: number | bigint) => Buffer.concat([tag(number, 0), varint(value)]),
  fixed32: (number: number, value: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0);
    return Buffer.concat([tag(number, 5), b]);
  },
  fixed64: (number: number, value: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, value));
    return Buffer.concat([tag(number, 1), b]);
  },
  bytes: (number: number, payload: Buffer | string) => {
    const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    return Buffer.concat([tag(number, 2), varint(data.length), data]);
  },
  message: (number: number, parts: Buffer[]) => pb.bytes(number, Buffer.concat(parts)),
  /** A length-delimited field whose length prefix claims `claimed` bytes, followed by `payload` as is. */
  lying: (number: number, claimed: number | bigint, payload: Buffer = Buffer.alloc(0)) => Buffer.concat([tag(number, 2), varint(claimed), payload]),
  packed: (number: number, values: (number | bigint)[]) => pb.bytes(number, Buffer.concat(values.map(varint))),
};

const opt = <T>(value: T | undefined, write: (v: T) => Buffer): Buffer[] => (value === undefined ? [] : [write(value)]);

// ---- ONNX ----

/** Element widths in bytes by TensorProto.DataType, written out independently of the detector. */
const ONNX_ELEMENT_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2 };

/** One tensor (initializer or attribute value). */
export interface OnnxTensorSpec {
  name: string;
  /** TensorProto.DataType; default 1 (FLOAT). */
  dataType?: number;
  dims: (number | bigint)[];
  /** raw_data; default zeros of the size dims and type imply. null: no raw_data field. */
  raw?: Buffer | null;
  /** external_data entries (key -> value); implies data_location EXTERNAL and no raw_data unless given. */
  external?: Record<string, string>;
  dataLocation?: number;
  /** float_data values (packed fixed32). */
  floatData?: number[];
}

/** One node. */
export interface OnnxNodeSpec {
  op: string;
  domain?: string;
  name?: string;
  inputs?: string[];
  outputs?: string[];
  /** Graph-valued attributes (If then_branch/else_branch, Loop body). */
  graphs?: Record<string, OnnxGraphSpec>;
  /** Tensor-valued attributes (Constant value). */
  tensors?: Record<string, OnnxTensorSpec>;
  /** String attributes (AttributeProto s, type STRING) and string-list attributes (strings, type STRINGS). */
  strings?: Record<string, string | string[]>;
  docString?: string;
}

/** One graph. */
export interface OnnxGraphSpec {
  name?: string;
  docString?: string;
  nodes?: OnnxNodeSpec[];
  initializers?: OnnxTensorSpec[];
  inputs?: string[];
  outputs?: string[];
}

/** A model-local function. */
export interface OnnxFunctionSpec {
  name: string;
  domain: string;
  nodes: OnnxNodeSpec[];
  docString?: string;
}

/** What to build. */
export interface BuildOnnxOptions {
  irVersion?: number;
  opsets?: { domain?: string; version: number }[];
  producer?: string;
  graph?: OnnxGraphSpec;
  metadata?: Record<string, string>;
  functions?: OnnxFunctionSpec[];
  docString?: string;
  /** Raw bytes appended after the ModelProto fields. */
  trailing?: Buffer;
}

function onnxEntry(number: number, key: string, value: string): Buffer {
  return pb.message(number, [pb.bytes(1, key), pb.bytes(2, value)]);
}

/** TensorProto bytes. */
export function onnxTensor(spec: OnnxTensorSpec): Buffer {
  const dataType = spec.dataType ?? 1;
  const elements = spec.dims.reduce<number>((p, d) => p * Number(d), 1);
  const external = spec.external !== undefined;
  const raw = spec.raw === undefined ? (external || spec.floatData ? null : Buffer.alloc(elements * (ONNX_ELEMENT_BYTES[dataType] ?? 0))) : spec.raw;
  const parts: Buffer[] = [];
  if (spec.dims.length > 0) parts.push(pb.packed(1, spec.dims));
  parts.push(pb.varint(2, dataType));
  if (spec.floatData) {
    const b = Buffer.alloc(spec.floatData.length * 4);
    spec.floatData.forEach((v, i) => b.writeFloatLE(v, i * 4));
    parts.push(pb.bytes(4, b));
  }
  parts.push(pb.bytes(8, spec.name));
  if (raw !== null) parts.push(pb.bytes(9, raw));
  for (const [key, value] of Object.entries(spec.external ?? {})) parts.push(onnxEntry(13, key, value));
  const location = spec.dataLocation ?? (external ? 1 : undefined);
  parts.push(...opt(location, (v) => pb.varint(14, v)));
  return Buffer.concat(parts);
}

function valueInfo(name: string): Buffer {
  // ValueInfoProto{name=1, type=2 TypeProto{tensor_type=1 {elem_type=1: FLOAT, shape=2 {dim=1 {dim_value=1}} x [2, 3]}}}
  const shape = pb.message(2, [2, 3].map((d) => pb.message(1, [pb.varint(1, d)])));
  return Buffer.concat([pb.bytes(1, name), pb.message(2, [pb.message(1, [pb.varint(1, 1), shape])])]);
}

function onnxNode(spec: OnnxNodeSpec): Buffer {
  const parts: Buffer[] = [];
  for (const input of spec.inputs ?? []) parts.push(pb.bytes(1, input));
  for (const output of spec.outputs ?? []) parts.push(pb.bytes(2, output));
  parts.push(...opt(spec.name, (v) => pb.bytes(3, v)));
  parts.push(pb.bytes(4, spec.op));
  // AttributeProto{name=1, t=5 | g=6, type=20: TENSOR 4 | GRAPH 5}
  for (const [name, tensor] of Object.entries(spec.tensors ?? {})) parts.push(pb.message(5, [pb.bytes(1, name), pb.message(5, [onnxTensor(tensor)]), pb.varint(20, 4)]));
  for (const [name, graph] of Object.entries(spec.graphs ?? {})) parts.push(pb.message(5, [pb.bytes(1, name), pb.message(6, [onnxGraph(graph)]), pb.varint(20, 5)]));
  // AttributeProto{name=1, s=4, type=20: STRING 3} or {name=1, strings=9..., type=20: STRINGS 8}
  for (const [name, value] of Object.entries(spec.strings ?? {})) {
    parts.push(pb.message(5, typeof value === 'string' ? [pb.bytes(1, name), pb.bytes(4, value), pb.varint(20, 3)] : [pb.bytes(1, name), ...value.map((v) => pb.bytes(9, v)), pb.varint(20, 8)]));
  }
  parts.push(...opt(spec.docString, (v) => pb.bytes(6, v)));
  parts.push(...opt(spec.domain, (v) => pb.bytes(7, v)));
  return Buffer.concat(parts);
}

/** GraphProto bytes. */
export function onnxGraph(spec: OnnxGraphSpec): Buffer {
  return Buffer.concat([
    ...(spec.nodes ?? []).map((n) => pb.message(1, [onnxNode(n)])),
    pb.bytes(2, spec.name ?? 'main'),
    ...(spec.initializers ?? []).map((t) => pb.message(5, [onnxTensor(t)])),
    ...opt(spec.docString, (v) => pb.bytes(10, v)),
    ...(spec.inputs ?? []).map((n) => pb.message(11, [valueInfo(n)])),
    ...(spec.outputs ?? []).map((n) => pb.message(12, [valueInfo(n)])),
  ]);
}

/** A small valid graph: y = Relu(x + w). */
export const SMALL_GRAPH: OnnxGraphSpec = {
  name: 'small',
  nodes: [
    { op: 'Add', name: 'add', inputs: ['x', 'w'], outputs: ['s'] },
    { op: 'Relu', name: 'relu', inputs: ['s'], outputs: ['y'] },
  ],
  initializers: [{ name: 'w', dims: [2, 3] }],
  inputs: ['x'],
  outputs: ['y'],
};

/** Build an ONNX ModelProto (defaults: ir_version 8, opset 13, the small graph). */
export function buildOnnx(options: BuildOnnxOptions = {}): Buffer {
  const parts: Buffer[] = [pb.varint(1, options.irVersion ?? 8), pb.bytes(2, options.producer ?? 'antidote-test'), pb.bytes(3, '0.1')];
  parts.push(...opt(options.docString, (v) => pb.bytes(6, v)));
  parts.push(pb.message(7, [onnxGraph(options.graph ?? SMALL_GRAPH)]));
  for (const opset of options.opsets ?? [{ version: 13 }]) {
    parts.push(pb.message(8, [...opt(opset.domain, (d) => pb.bytes(1, d)), pb.varint(2, opset.version)]));
  }
  for (const [key, value] of Object.entries(options.metadata ?? {})) parts.push(onnxEntry(14, key, value));
  for (const fn of options.functions ?? []) {
    // FunctionProto{name=1, node=7, doc_string=8, opset_import=9, domain=10}
    parts.push(pb.message(25, [pb.bytes(1, fn.name), ...fn.nodes.map((n) => pb.message(7, [onnxNode(n)])), ...opt(fn.docString, (v) => pb.bytes(8, v)), pb.message(9, [pb.varint(2, 13)]), pb.bytes(10, fn.domain)]));
  }
  if (options.trailing) parts.push(options.trailing);
  return Buffer.concat(parts);
}

// ---- TensorFlow ----

/** One NodeDef. */
export interface TfNodeSpec {
  name: string;
  op: string;
  inputs?: string[];
  device?: string;
  /** attr map entries: name -> AttrValue bytes (see tfAttr). */
  attrs?: Record<string, Buffer>;
}

/** AttrValue bytes (tensorflow/core/framework/attr_value.proto), written as TensorFlow does. */
export const tfAttr = {
  /** AttrValue{s=2}. */
  s: (value: string | Buffer) => pb.bytes(2, value),
  /** AttrValue{i=3}. */
  i: (value: number | bigint) => pb.varint(3, value),
  /** AttrValue{b=5}. */
  b: (value: boolean) => pb.varint(5, value ? 1 : 0),
  /** AttrValue{type=6}: 1 DT_FLOAT, 7 DT_STRING, 9 DT_INT64. */
  type: (code: number) => pb.varint(6, code),
  /** AttrValue{list=1 ListValue{type=6 packed}}. */
  types: (codes: number[]) => pb.message(1, [pb.packed(6, codes)]),
  /** AttrValue{list=1 ListValue{s=2...}}. */
  strings: (values: string[]) => pb.message(1, values.map((v) => pb.bytes(2, v))),
  /** AttrValue{shape=7 TensorShapeProto{dim=2 {size=1}}}. */
  shape: (dims: number[]) => pb.message(7, dims.map((d) => pb.message(2, [pb.varint(1, d)]))),
  /** AttrValue{tensor=8 TensorProto{dtype=1: DT_STRING, tensor_shape=2 {}, string_val=8...}}: a Const's string value. */
  stringTensor: (values: string[]) => pb.message(8, [pb.varint(1, 7), pb.message(2, []), ...values.map((v) => pb.bytes(8, v))]),
  /** AttrValue{tensor=8 TensorProto{dtype=1: DT_FLOAT, tensor_content=4}}. */
  floatTensor: (values: number[]) => {
    const b = Buffer.alloc(values.length * 4);
    values.forEach((v, i) => b.writeFloatLE(v, i * 4));
    return pb.message(8, [pb.varint(1, 1), pb.message(2, [pb.message(2, [pb.varint(1, values.length)])]), pb.bytes(4, b)]);
  },
  /** AttrValue{func=10 NameAttrList{name=1}}. */
  func: (name: string) => pb.message(10, [pb.bytes(1, name)]),
};

/** One FunctionDef of the library. */
export interface TfFunctionSpec {
  name: string;
  nodes: TfNodeSpec[];
}

/** One GraphDef. */
export interface TfGraphSpec {
  nodes?: TfNodeSpec[];
  functions?: TfFunctionSpec[];
}

function tfNode(spec: TfNodeSpec): Buffer {
  // NodeDef{name=1, op=2, input=3, device=4, attr=5 (map entries {key=1, value=2}, sorted by key as TF writes them)}
  const attrs = Object.entries(spec.attrs ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => pb.message(5, [pb.bytes(1, key), pb.bytes(2, value)]));
  return Buffer.concat([pb.bytes(1, spec.name), pb.bytes(2, spec.op), ...(spec.inputs ?? []).map((i) => pb.bytes(3, i)), ...opt(spec.device, (d) => pb.bytes(4, d)), ...attrs]);
}

/** GraphDef bytes: nodes, then the function library, then versions {producer=1}. */
export function buildGraphDef(spec: TfGraphSpec): Buffer {
  const parts = (spec.nodes ?? []).map((n) => pb.message(1, [tfNode(n)]));
  if (spec.functions && spec.functions.length > 0) {
    // FunctionDefLibrary{function=1 FunctionDef{signature=1 OpDef{name=1}, node_def=3}}
    const functions = spec.functions.map((f) => pb.message(1, [pb.message(1, [pb.bytes(1, f.name)]), ...f.nodes.map((n) => pb.message(3, [tfNode(n)]))]));
    parts.push(pb.message(2, functions));
  }
  parts.push(pb.message(4, [pb.varint(1, 1087)]));
  return Buffer.concat(parts);
}

/** What to build. */
export interface BuildSavedModelOptions {
  schemaVersion?: number;
  /** `objects`: Keras user objects of the meta graph's object graph (see tfObjectGraph). */
  metaGraphs: (TfGraphSpec & { tags?: string[]; objects?: { identifier: string; metadata: unknown }[] })[];
}

/** A SavedModel (`saved_model.pb`): schema version, then MetaGraphDef{meta_info_def{tags=4}, graph_def}. */
export function buildSavedModel(options: BuildSavedModelOptions): Buffer {
  const parts = [pb.varint(1, options.schemaVersion ?? 1)];
  for (const meta of options.metaGraphs) {
    const info = pb.message(1, [pb.bytes(1, ''), ...(meta.tags ?? ['serve']).map((t) => pb.bytes(4, t)), pb.bytes(5, '2.15.0')]);
    parts.push(pb.message(2, [info, pb.message(2, [buildGraphDef(meta)]), ...(meta.objects ? [tfObjectGraph(meta.objects)] : [])]));
  }
  return Buffer.concat(parts);
}

/** The ops a TF2 SavedModel's saver function holds: a benign graph must not look dangerous because of them. */
export const SAVER_FUNCTION: TfFunctionSpec = {
  name: '__inference__traced_save_45',
  nodes: [
    { name: 'StringJoin', op: 'StringJoin' },
    { name: 'ShardedFilename', op: 'ShardedFilename' },
    { name: 'SaveV2', op: 'SaveV2' },
    { name: 'MergeV2Checkpoints', op: 'MergeV2Checkpoints' },
  ],
};

// ---- Keras metadata (keras_metadata.pb) ----

/** One Keras object of a SavedModel: its node path, identifier and metadata (serialized unless already text). */
export interface KerasMetadataNodeSpec {
  nodeId?: number;
  nodePath: string;
  identifier?: string;
  metadata: unknown;
}

/** VersionDef{producer=1, min_consumer=2} as tf.keras writes it into every SavedObject. */
const KERAS_VERSION_DEF = pb.message(6, [pb.varint(1, 2), pb.varint(2, 1)]);

/**
 * A `keras_metadata.pb` (keras/protobuf/saved_metadata.proto): SavedMetadata{nodes=1 SavedObject{node_id=2,
 * node_path=3, identifier=4, metadata=5, version=6}}, fields in number order as protobuf writes them, node_id
 * 0 omitted (proto3 default).
 */
export function buildKerasMetadata(nodes: KerasMetadataNodeSpec[]): Buffer {
  return Buffer.concat(
    nodes.map((node, i) => {
      const id = node.nodeId ?? i;
      const json = typeof node.metadata === 'string' ? node.metadata : JSON.stringify(node.metadata);
      return pb.message(1, [...(id !== 0 ? [pb.varint(2, id)] : []), pb.bytes(3, node.nodePath), pb.bytes(4, node.identifier ?? '_tf_keras_layer'), pb.bytes(5, json), KERAS_VERSION_DEF]);
    }),
  );
}

/**
 * A SavedObjectGraph (MetaGraphDef.object_graph_def = 7) whose nodes are user objects
 * SavedObject{user_object=4 SavedUserObject{identifier=1, version=2, metadata=3}}: where TF before 2.5 kept
 * the Keras metadata.
 */
export function tfObjectGraph(objects: { identifier: string; metadata: unknown }[]): Buffer {
  return pb.message(
    7,
    objects.map((o) => {
      const json = typeof o.metadata === 'string' ? o.metadata : JSON.stringify(o.metadata);
      return pb.message(1, [pb.message(4, [pb.bytes(1, o.identifier), pb.message(2, [pb.varint(1, 1)]), ...(json.length > 0 ? [pb.bytes(3, json)] : [])])]);
    }),
  );
}
