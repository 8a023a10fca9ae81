import type { ByteSource } from '../../core/byte-source.js';
import { fail, ok, type ReadError, type ReadResult } from '../../core/read-result.js';
import { MessageContext, type ProtoProblem } from './message-context.js';
import { asInt64, ByteWindow, fieldBudget, FieldWalker, readRepeatedVarint, readString, type WireField } from './wire.js';

/*
 * An ONNX model (onnx/onnx.proto, checked against the onnx 1.12 descriptors) is one protobuf ModelProto.
 * Loading it runs no Python, but three things in it reach outside the graph: tensors whose data lives in an
 * external file named by a path (`external_data` key `location`: path traversal, CVE-2024-27318,
 * CVE-2024-5187), nodes in custom operator domains (the runtime loads a native custom-op library for them),
 * and free text (metadata, doc strings, string attributes) that tools display or pass on. This reader
 * decodes only the fields those checks need, by field number:
 *
 *   ModelProto        ir_version=1 producer_name=2 producer_version=3 domain=4 doc_string=6 graph=7
 *                     opset_import=8 metadata_props=14 training_info=20 functions=25
 *   OperatorSetIdProto domain=1 version=2          StringStringEntryProto key=1 value=2
 *   GraphProto        node=1 name=2 initializer=5 doc_string=10 sparse_initializer=15 input=11 output=12
 *   NodeProto         input=1 output=2 name=3 op_type=4 attribute=5 doc_string=6 domain=7
 *   AttributeProto    name=1 s=4 t=5 g=6 strings=9 tensors=10 graphs=11 doc_string=13 sparse_tensor=22
 *                     sparse_tensors=23
 *   TensorProto       dims=1 data_type=2 name=8 raw_data=9 external_data=13 data_location=14
 *                     (float_data=4 int32_data=5 string_data=6 int64_data=7 double_data=10 uint64_data=11)
 *   SparseTensorProto values=1 indices=2           TrainingInfoProto initialization=1 algorithm=2
 *   FunctionProto     name=1 node=7 doc_string=8 opset_import=9 domain=10
 *
 * Subgraphs (If/Loop/Scan attributes, training graphs) and function bodies are walked too: a custom op or an
 * external tensor hidden in a branch is loaded like one in the main graph.
 */

/** Nodes kept per model. Large exported LLM graphs hold a few hundred thousand. */
export const MAX_NODES = 2_000_000;
/** Tensors (initializers, sparse parts, attribute tensors) kept per model. */
export const MAX_TENSORS = 2_000_000;
/** Tensor rank. ONNX itself has no limit; no real tensor has more than a handful of dimensions. */
export const MAX_DIMS = 64;
/** metadata_props entries kept; writers store a few. */
export const MAX_METADATA_ENTRIES = 10_000;
/** external_data entries per tensor; the format defines four keys (location, offset, length, checksum). */
export const MAX_EXTERNAL_ENTRIES = 64;
/** Local functions and opset imports kept. */
export const MAX_FUNCTIONS = 100_000;
export const MAX_OPSET_IMPORTS = 10_000;
/** Bytes kept of a name or domain (longer ones are cut and marked with `...`). */
export const MAX_NAME_BYTES = 4096;
/** Bytes kept of a metadata value or external-data value for the text checks. */
export const MAX_TEXT_BYTES = 64 * 1024;
/** Distinct free-text strings kept (doc strings, string attributes); identical texts are kept once and counted. */
export const MAX_ONNX_TEXTS = 10_000;
/** Bytes of free text kept across the model (CWE-770); past this, texts are counted as not checked. */
export const MAX_ONNX_TEXT_TOTAL = 64 * 1024 * 1024;
/** Largest ir_version the sniffer accepts: onnx 1.18 writes 11; a small integer, not random bytes. */
export const MAX_IR_VERSION = 100;
/** Top-level fields the sniffer walks before deciding. */
const SNIFF_MAX_FIELDS = 100_000;

/** Where an item sits: `graph` (the main graph's name), `graph/node:attr` for subgraphs, `function:name`. */
export type OnnxScope = string;

/** A node: the operator it calls and where. */
export interface OnnxNode {
  opType: string;
  domain: string;
  name: string;
  scope: OnnxScope;
  offset: number;
}

/** One key/value entry (metadata_props, external_data). */
export interface OnnxEntry {
  key: string;
  value: string;
  offset: number;
}

/** A tensor: an initializer, part of a sparse initializer, or an attribute value. */
export interface OnnxTensor {
  name: string;
  kind: 'initializer' | 'sparse-initializer' | 'attribute';
  scope: OnnxScope;
  dataType: number;
  dims: bigint[];
  /** Bytes of raw_data, or null when absent. */
  rawDataBytes: number | null;
  /** Bytes of the typed data fields (float_data, int64_data, ...), 0 when none. */
  typedDataBytes: number;
  externalData: OnnxEntry[];
  /** data_location: 0 DEFAULT, 1 EXTERNAL. */
  dataLocation: number;
  /** Bytes of the TensorProto message. */
  messageBytes: number;
  offset: number;
  /** Set when the file ends inside this tensor: its sizes are not the writer's, only what was kept. */
  truncated?: true;
}

/** A model-local function (FunctionProto): callable as op `name` in `domain`. */
export interface OnnxFunction {
  name: string;
  domain: string;
  nodes: number;
  offset: number;
}

/**
 * A free-text string of the model: a doc_string (model, graph, node, attribute, function) or a string
 * attribute value. Tools print doc strings and pass attributes on to custom ops, so code or links in them
 * travel with the model.
 */
export interface OnnxText {
  /** Where it is, in words: `model doc_string`, `node "add" doc_string`, `attribute "mode" of node "pad"`. */
  where: string;
  /** The same place as a path: `$.doc_string`, `$.main/add.doc_string`, `$.main/pad:mode`. */
  path: string;
  /** The text, cut to MAX_TEXT_BYTES (see `bytes`). */
  text: string;
  /** Bytes of the field in the file. */
  bytes: number;
  offset: number;
  /** Further places that hold the same text. */
  repeats: number;
}

/** An opset import: a domain the model declares it uses. */
export interface OnnxOpset {
  domain: string;
  version: bigint;
  offset: number;
}

/** What the reader found. `stop` is set when the read ended early; everything before it is kept. */
export interface OnnxModel {
  irVersion: bigint;
  producerName: string;
  producerVersion: string;
  opsetImports: OnnxOpset[];
  graphName: string;
  nodes: OnnxNode[];
  tensors: OnnxTensor[];
  metadata: OnnxEntry[];
  functions: OnnxFunction[];
  /** Doc strings and string attributes, deduplicated by content. */
  texts: OnnxText[];
  /** Texts not kept because MAX_ONNX_TEXTS or MAX_ONNX_TEXT_TOTAL was reached: they were not checked. */
  textsOmitted: number;
  counts: { graphs: number; inputs: number; outputs: number; initializers: number; sparseInitializers: number };
  problems: ProtoProblem[];
  problemsOmitted: number;
  stop: ReadError | null;
}

const TYPED_DATA_FIELDS = new Set([4, 5, 6, 7, 10, 11]);

/**
 * True when `source` holds an ONNX ModelProto: its top-level fields all parse to the end of the source,
 * every known field has the wire type the schema declares, `ir_version` is a small positive integer and a
 * `graph` is present whose first field is a GraphProto field. Random data and other protobufs fail this.
 */
export function sniffOnnx(source: ByteSource): boolean {
  if (source.size < 4) return false;
  const window = new ByteWindow(source);
  const walker = new FieldWalker(window, 0, source.size, fieldBudget(SNIFF_MAX_FIELDS));
  const wireTypes: Record<number, number> = { 1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2 };
  let irVersion: bigint | null = null;
  let graph: WireField | null = null;
  let unknown = 0;
  for (let field = walker.next(); field; field = walker.next()) {
    const expected = wireTypes[field.number];
    if (expected === undefined) {
      // Newer writers add fields; a handful of unknown ones is a newer model, many are something else.
      if (++unknown > 4 || field.number > 64) return false;
      continue;
    }
    if (field.wireType !== expected) return false;
    if (field.number === 1) irVersion = field.value;
    if (field.number === 7) graph ??= field;
  }
  if (walker.error || walker.position !== source.size) return false;
  if (irVersion === null || irVersion < 1n || irVersion > BigInt(MAX_IR_VERSION) || graph === null) return false;
  if (graph.end === graph.start) return true;
  const first = new FieldWalker(window, graph.start, graph.end, fieldBudget(1)).next();
  return first !== null && first.wireType === 2 && [1, 2, 5, 10, 11, 12, 13, 14, 15, 16].includes(first.number);
}

/** Read an ONNX model. Never throws; a read that stops early returns what it found with `stop` set. */
export function readOnnxModel(source: ByteSource, maxFields?: number): ReadResult<OnnxModel> {
  const reader = new OnnxReader(new MessageContext(source, maxFields));
  const model = reader.model;
  reader.readModel(source.size);
  model.problems = reader.ctx.problems;
  model.problemsOmitted = reader.ctx.problemsOmitted;
  model.stop = reader.ctx.incomplete;
  if (!reader.sawGraph && model.stop) return fail(model.stop);
  if (!reader.sawGraph) return fail({ kind: 'malformed', message: 'no graph in the ModelProto', offset: 0 });
  return ok(model);
}

class OnnxReader {
  readonly model: OnnxModel = {
    irVersion: 0n,
    producerName: '',
    producerVersion: '',
    opsetImports: [],
    graphName: '',
    nodes: [],
    tensors: [],
    metadata: [],
    functions: [],
    texts: [],
    textsOmitted: 0,
    counts: { graphs: 0, inputs: 0, outputs: 0, initializers: 0, sparseInitializers: 0 },
    problems: [],
    problemsOmitted: 0,
    stop: null,
  };
  sawGraph = false;
  /** Texts by content, for deduplication, and the bytes kept. */
  private readonly textIndex = new Map<string, OnnxText>();
  private textBytes = 0;

  constructor(readonly ctx: MessageContext) {}

  /** Keep one free-text field; empty ones carry nothing, repeated ones are counted on the first. */
  private text(f: WireField, what: string, where: string, path: string): void {
    const { ctx, model } = this;
    if (!ctx.expect(f, 2, what) || f.end === f.start) return;
    const take = Math.min(f.end - f.start, MAX_TEXT_BYTES);
    const text = readString(ctx.window, f, take).text;
    const seen = this.textIndex.get(text);
    if (seen) {
      seen.repeats++;
      return;
    }
    if (model.texts.length >= MAX_ONNX_TEXTS || this.textBytes + take > MAX_ONNX_TEXT_TOTAL) {
      model.textsOmitted++;
      return;
    }
    this.textBytes += take;
    const entry: OnnxText = { where, path, text, bytes: f.end - f.start, offset: f.offset, repeats: 0 };
    this.textIndex.set(text, entry);
    model.texts.push(entry);
  }

  readModel(size: number): void {
    const { ctx, model } = this;
    ctx.fields(0, size, 0, (f) => {
      switch (f.number) {
        case 1:
          if (ctx.expect(f, 0, 'ir_version')) model.irVersion = asInt64(f.value);
          break;
        case 2:
          model.producerName = ctx.string(f, 'producer_name', MAX_NAME_BYTES);
          break;
        case 3:
          model.producerVersion = ctx.string(f, 'producer_version', MAX_NAME_BYTES);
          break;
        case 6:
          this.text(f, 'model doc_string', 'model doc_string', '$.doc_string');
          break;
        case 7:
          if (ctx.expect(f, 2, 'graph')) {
            // A graph the file ends before (a cut length prefix and nothing after it) is no graph at all.
            this.sawGraph ||= !f.clamped || f.end > f.start;
            this.readGraph(f, 1, null);
          }
          break;
        case 8:
          if (ctx.expect(f, 2, 'opset_import')) this.readOpset(f, 1);
          break;
        case 14:
          if (ctx.expect(f, 2, 'metadata_props') && !ctx.overLimit(model.metadata.length, MAX_METADATA_ENTRIES, 'maxOnnxMetadata', 'metadata_props entries', f.offset)) {
            model.metadata.push(this.readEntry(f, 1));
          }
          break;
        case 20:
          if (ctx.expect(f, 2, 'training_info')) {
            ctx.fields(f.start, f.end, 1, (g) => {
              if ((g.number === 1 || g.number === 2) && ctx.expect(g, 2, g.number === 1 ? 'initialization' : 'algorithm')) {
                this.readGraph(g, 2, `training_info.${g.number === 1 ? 'initialization' : 'algorithm'}`);
              }
            });
          }
          break;
        case 25:
          if (ctx.expect(f, 2, 'functions')) this.readFunction(f, 1);
          break;
      }
    });
  }

  private readOpset(f: WireField, depth: number): void {
    const { ctx, model } = this;
    if (ctx.overLimit(model.opsetImports.length, MAX_OPSET_IMPORTS, 'maxOnnxOpsets', 'opset imports', f.offset)) return;
    const opset: OnnxOpset = { domain: '', version: 0n, offset: f.offset };
    ctx.fields(f.start, f.end, depth, (g) => {
      if (g.number === 1) opset.domain = ctx.string(g, 'opset domain', MAX_NAME_BYTES);
      else if (g.number === 2 && ctx.expect(g, 0, 'opset version')) opset.version = asInt64(g.value);
    });
    model.opsetImports.push(opset);
  }

  private readEntry(f: WireField, depth: number): OnnxEntry {
    const entry: OnnxEntry = { key: '', value: '', offset: f.offset };
    this.ctx.fields(f.start, f.end, depth, (g) => {
      if (g.number === 1) entry.key = this.ctx.string(g, 'key', MAX_TEXT_BYTES);
      else if (g.number === 2) entry.value = this.ctx.string(g, 'value', MAX_TEXT_BYTES);
    });
    return entry;
  }

  /** A GraphProto; `scope` null for the main graph (named by its own name field). */
  private readGraph(f: WireField, depth: number, scope: string | null): void {
    const { ctx, model } = this;
    model.counts.graphs++;
    // The name comes first in no particular order, so a first pass reads it for the scope of the items.
    let name = '';
    ctx.peek(f.start, f.end, (g) => {
      if (g.number === 2) name = ctx.string(g, 'graph name', MAX_NAME_BYTES);
    });
    const here = scope ?? (name || 'graph');
    if (scope === null) model.graphName = name;
    ctx.fields(f.start, f.end, depth, (g) => {
      switch (g.number) {
        case 1:
          if (ctx.expect(g, 2, 'node')) this.readNode(g, depth + 1, here);
          break;
        case 5:
          if (ctx.expect(g, 2, 'initializer')) {
            model.counts.initializers++;
            this.readTensor(g, depth + 1, 'initializer', here);
          }
          break;
        case 15:
          if (ctx.expect(g, 2, 'sparse_initializer')) {
            model.counts.sparseInitializers++;
            this.readSparse(g, depth + 1, 'sparse-initializer', here);
          }
          break;
        case 10:
          this.text(g, 'graph doc_string', `graph ${JSON.stringify(here)} doc_string`, `$.${here}.doc_string`);
          break;
        case 11:
          model.counts.inputs++;
          break;
        case 12:
          model.counts.outputs++;
          break;
      }
    });
  }

  private readNode(f: WireField, depth: number, scope: string): void {
    const { ctx, model } = this;
    if (ctx.overLimit(model.nodes.length, MAX_NODES, 'maxOnnxNodes', 'nodes', f.offset)) return;
    const node: OnnxNode = { opType: '', domain: '', name: '', scope, offset: f.offset };
    const cut = f.clamped === true;
    const attributes: WireField[] = [];
    const doc: { field: WireField | null } = { field: null };
    ctx.fields(f.start, f.end, depth, (g) => {
      if (g.number === 3) node.name = ctx.string(g, 'node name', MAX_NAME_BYTES);
      else if (g.number === 4) node.opType = ctx.string(g, 'op_type', MAX_NAME_BYTES);
      else if (g.number === 7) node.domain = ctx.string(g, 'node domain', MAX_NAME_BYTES);
      else if (g.number === 5 && ctx.expect(g, 2, 'attribute')) attributes.push(g);
      else if (g.number === 6) doc.field = g;
    });
    // A node cut before its op_type (the last one of a truncated file) names nothing to judge.
    if (!cut || node.opType !== '') model.nodes.push(node);
    // Attributes after the node itself, so that subgraph nodes follow their parent in document order.
    const label = node.name || `${node.opType}@${f.offset}`;
    if (doc.field) this.text(doc.field, 'node doc_string', `node ${JSON.stringify(label)} doc_string`, `$.${scope}/${label}.doc_string`);
    for (const attribute of attributes) {
      if (ctx.stopped) return;
      this.readAttribute(attribute, depth + 1, `${scope}/${label}`, label);
    }
  }

  private readAttribute(f: WireField, depth: number, scope: string, node: string): void {
    const { ctx } = this;
    let name = '';
    ctx.peek(f.start, f.end, (g) => {
      if (g.number === 1) name = ctx.string(g, 'attribute name', MAX_NAME_BYTES);
    });
    const here = `${scope}:${name}`;
    const where = `attribute ${JSON.stringify(name)} of node ${JSON.stringify(node)}`;
    ctx.fields(f.start, f.end, depth, (g) => {
      switch (g.number) {
        case 4:
        case 9:
          this.text(g, 'attribute string', where, `$.${here}`);
          break;
        case 13:
          this.text(g, 'attribute doc_string', `${where} doc_string`, `$.${here}.doc_string`);
          break;
        case 5:
        case 10:
          if (ctx.expect(g, 2, 'attribute tensor')) this.readTensor(g, depth + 1, 'attribute', here);
          break;
        case 6:
        case 11:
          if (ctx.expect(g, 2, 'attribute graph')) this.readGraph(g, depth + 1, here);
          break;
        case 22:
        case 23:
          if (ctx.expect(g, 2, 'attribute sparse tensor')) this.readSparse(g, depth + 1, 'attribute', here);
          break;
      }
    });
  }

  private readSparse(f: WireField, depth: number, kind: OnnxTensor['kind'], scope: string): void {
    this.ctx.fields(f.start, f.end, depth, (g) => {
      if ((g.number === 1 || g.number === 2) && this.ctx.expect(g, 2, g.number === 1 ? 'sparse values' : 'sparse indices')) {
        this.readTensor(g, depth + 1, kind, scope);
      }
    });
  }

  private readTensor(f: WireField, depth: number, kind: OnnxTensor['kind'], scope: string): void {
    const { ctx, model } = this;
    if (ctx.overLimit(model.tensors.length, MAX_TENSORS, 'maxOnnxTensors', 'tensors', f.offset)) return;
    const tensor: OnnxTensor = {
      name: '',
      kind,
      scope,
      dataType: 0,
      dims: [],
      rawDataBytes: null,
      typedDataBytes: 0,
      externalData: [],
      dataLocation: 0,
      messageBytes: f.end - f.start,
      offset: f.offset,
      ...(f.clamped ? { truncated: true as const } : {}),
    };
    ctx.fields(f.start, f.end, depth, (g) => {
      switch (g.number) {
        case 1: {
          const error = readRepeatedVarint(ctx.window, g, tensor.dims, MAX_DIMS);
          if (error) {
            ctx.problem({ kind: error.kind === 'limit' ? 'limit' : 'malformed', message: `tensor dims: ${error.message}`, offset: error.offset ?? g.offset });
            return false;
          }
          break;
        }
        case 2:
          if (ctx.expect(g, 0, 'data_type')) tensor.dataType = Number(BigInt.asIntN(32, g.value));
          break;
        case 8:
          tensor.name = ctx.string(g, 'tensor name', MAX_NAME_BYTES);
          break;
        case 9:
          if (ctx.expect(g, 2, 'raw_data')) tensor.rawDataBytes = g.end - g.start; // a repeated optional field: the last one wins
          break;
        case 13:
          if (ctx.expect(g, 2, 'external_data') && !ctx.overLimit(tensor.externalData.length, MAX_EXTERNAL_ENTRIES, 'maxOnnxExternalEntries', 'external_data entries in one tensor', g.offset)) {
            tensor.externalData.push(this.readEntry(g, depth + 1));
          }
          break;
        case 14:
          if (ctx.expect(g, 0, 'data_location')) tensor.dataLocation = Number(BigInt.asIntN(32, g.value));
          break;
        default:
          if (TYPED_DATA_FIELDS.has(g.number)) tensor.typedDataBytes += g.end > g.start ? g.end - g.start : 8;
      }
    });
    // dims are int64: keep the signed value so a negative dimension is visible as one.
    tensor.dims = tensor.dims.map(asInt64);
    model.tensors.push(tensor);
  }

  private readFunction(f: WireField, depth: number): void {
    const { ctx, model } = this;
    if (ctx.overLimit(model.functions.length, MAX_FUNCTIONS, 'maxOnnxFunctions', 'functions', f.offset)) return;
    const fn: OnnxFunction = { name: '', domain: '', nodes: 0, offset: f.offset };
    ctx.peek(f.start, f.end, (g) => {
      if (g.number === 1) fn.name = ctx.string(g, 'function name', MAX_NAME_BYTES);
      else if (g.number === 10) fn.domain = ctx.string(g, 'function domain', MAX_NAME_BYTES);
    });
    model.functions.push(fn);
    const scope = `function:${fn.domain ? `${fn.domain}.` : ''}${fn.name}`;
    ctx.fields(f.start, f.end, depth, (g) => {
      if (g.number === 7 && ctx.expect(g, 2, 'function node')) {
        fn.nodes++;
        this.readNode(g, depth + 1, scope);
      } else if (g.number === 8) this.text(g, 'function doc_string', `function ${JSON.stringify(fn.name)} doc_string`, `$.${scope}.doc_string`);
    });
  }
}
