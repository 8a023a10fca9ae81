import type { ByteSource } from '../../core/byte-source.js';
import { fail, ok, type ReadError, type ReadResult } from '../../core/read-result.js';
import { KERAS_IDENTIFIER, MAX_KERAS_METADATA_NODES, readSavedObject, type KerasMetadataNode } from './keras-metadata.js';
import { MessageContext, type ProtoProblem } from './message-context.js';
import { MAX_TF_DETAILED_NODES, readConstStrings, readNodeDetail, type TfNodeDetail } from './tf-node-detail.js';
import { asInt64, ByteWindow, fieldBudget, FieldWalker, readString, type WireField } from './wire.js';

/*
 * TensorFlow graphs: a SavedModel's `saved_model.pb` (tensorflow/core/protobuf/saved_model.proto) or a bare
 * frozen GraphDef (`*.pb`, tensorflow/core/framework/graph.proto). Loading either runs the graph's ops, and a
 * few ops reach outside the tensor world: PyFunc/EagerPyFunc call Python, ReadFile/WriteFile/MatchingFiles
 * touch the file system. This reader lists every op in every graph and function body; the detector judges
 * them. Field numbers, by message:
 *
 *   SavedModel          saved_model_schema_version=1 meta_graphs=2
 *   MetaGraphDef        meta_info_def=1 (MetaInfoDef tags=4) graph_def=2 object_graph_def=7
 *   SavedObjectGraph    nodes=1 (SavedObject user_object=4: SavedUserObject identifier=1 metadata=3)
 *   GraphDef            node=1 library=2 version=3 versions=4
 *   NodeDef             name=1 op=2 input=3 device=4 attr=5
 *   FunctionDefLibrary  function=1 gradient=2
 *   FunctionDef         signature=1 (OpDef name=1) node_def=3
 */

/** Nodes kept per file (graph and function bodies together). */
export const MAX_TF_NODES = 2_000_000;
/** Functions kept per file. A TF2 SavedModel holds one per traced concrete function, usually hundreds. */
export const MAX_TF_FUNCTIONS = 200_000;
/** Meta graphs per SavedModel; real ones hold one per tag set. */
export const MAX_META_GRAPHS = 1_000;
/** Bytes kept of an op, node or function name. */
export const MAX_TF_NAME_BYTES = 4096;
/** Top-level fields the sniffers walk before deciding. */
const SNIFF_MAX_FIELDS = 100_000;
/** Nodes of a frozen GraphDef the sniffer checks. */
const SNIFF_NODES = 16;
/** What an op name looks like (TensorFlow's op registry requires `[A-Z][a-zA-Z0-9>_]*`; namespaced ops add `>`). */
const OP_NAME = /^[A-Za-z_][\w>.]*$/;

/** One node: the op it runs, its name, and the function body or meta graph it is in. */
export interface TfNode {
  op: string;
  name: string;
  /** Function whose body holds the node, or null for the top-level graph. */
  function: string | null;
  /** Index of the meta graph (0 for a bare GraphDef). */
  metaGraph: number;
  offset: number;
  /** Inputs and attributes, decoded only for the ops the caller asked for (see readTensorflowGraph). */
  detail?: TfNodeDetail;
}

/** A function of a graph's library. */
export interface TfFunction {
  name: string;
  nodes: number;
  metaGraph: number;
  offset: number;
}

/** What the reader found. `stop` is set when the read ended early; everything before it is kept. */
export interface TensorflowGraphFile {
  kind: 'saved-model' | 'graph-def';
  schemaVersion: bigint | null;
  /** Tag sets of each meta graph (`serve`, `train`, ...). */
  metaGraphTags: string[][];
  nodes: TfNode[];
  functions: TfFunction[];
  /**
   * Keras metadata kept in the object graph (SavedUserObject.metadata of `_tf_keras_*` objects): where TF
   * before 2.5 stored what keras_metadata.pb holds now, and where Keras still looks when that file is absent.
   */
  kerasMetadata: KerasMetadataNode[];
  /**
   * For a bare GraphDef: whether its `versions` (or deprecated `version`) field is there. TensorFlow always
   * writes it, and last (fields go out in number order), so a frozen graph without it was most likely cut
   * short at a node boundary, which leaves a file that parses.
   */
  hasVersions: boolean;
  problems: ProtoProblem[];
  problemsOmitted: number;
  stop: ReadError | null;
}

/** True when `source` is a SavedModel: fields 1 (small varint) and 2 (meta graphs) only, parsing to the end. */
export function sniffSavedModel(source: ByteSource): boolean {
  if (source.size < 2) return false;
  const window = new ByteWindow(source);
  const walker = new FieldWalker(window, 0, source.size, fieldBudget(SNIFF_MAX_FIELDS));
  let first: WireField | null = null;
  for (let field = walker.next(); field; field = walker.next()) {
    if (field.number === 1) {
      if (field.wireType !== 0 || field.value > 16n) return false;
    } else if (field.number === 2) {
      if (field.wireType !== 2) return false;
      first ??= field;
    } else return false;
  }
  if (walker.error || walker.position !== source.size || first === null) return false;
  // The first meta graph's own fields are MetaGraphDef fields (1..9, all messages or maps).
  const inner = new FieldWalker(window, first.start, first.end, fieldBudget(SNIFF_MAX_FIELDS));
  let fields = 0;
  for (let field = inner.next(); field; field = inner.next()) {
    if (field.wireType !== 2 || field.number > 9) return false;
    fields++;
  }
  return !inner.error && inner.position === first.end && fields > 0;
}

/**
 * True when `source` is a bare GraphDef (a frozen graph): top-level fields node=1, library=2 (messages),
 * version=3 (varint), versions=4 (message), parsing to the end, with at least one node whose first nodes
 * carry an op name that looks like one.
 */
export function sniffGraphDef(source: ByteSource): boolean {
  if (source.size < 4) return false;
  const window = new ByteWindow(source);
  const walker = new FieldWalker(window, 0, source.size, fieldBudget(SNIFF_MAX_FIELDS));
  const nodes: WireField[] = [];
  for (let field = walker.next(); field; field = walker.next()) {
    if (field.number === 3 ? field.wireType !== 0 : field.number > 4 || field.wireType !== 2) return false;
    if (field.number === 1 && nodes.length < SNIFF_NODES) nodes.push(field);
  }
  if (walker.error || walker.position !== source.size || nodes.length === 0) return false;
  return nodes.every((node) => {
    const inner = new FieldWalker(window, node.start, node.end, fieldBudget(SNIFF_MAX_FIELDS));
    let op: string | null = null;
    for (let field = inner.next(); field; field = inner.next()) {
      if (field.number < 1 || field.number > 6 || field.wireType !== 2) return false;
      if (field.number === 2) op = readString(window, field, 256).text;
    }
    return !inner.error && inner.position === node.end && op !== null && OP_NAME.test(op);
  });
}

/**
 * Read a SavedModel (`kind: 'saved-model'`) or a bare GraphDef. Nodes whose op is in `detailOps` also get
 * their inputs and attributes decoded (up to MAX_TF_DETAILED_NODES), with the string constants that feed
 * them from Const nodes of the same graph or function body. Never throws.
 */
export function readTensorflowGraph(
  source: ByteSource,
  kind: TensorflowGraphFile['kind'],
  maxFields?: number,
  detailOps: ReadonlySet<string> = new Set(),
): ReadResult<TensorflowGraphFile> {
  const ctx = new MessageContext(source, maxFields);
  const file: TensorflowGraphFile = { kind, schemaVersion: null, metaGraphTags: [], nodes: [], functions: [], kerasMetadata: [], hasVersions: false, problems: [], problemsOmitted: 0, stop: null };
  const reader = new GraphReader(ctx, file, detailOps);
  if (kind === 'graph-def') {
    file.metaGraphTags.push([]);
    reader.readGraphDef(0, source.size, 0, 0);
  } else {
    ctx.fields(0, source.size, 0, (f) => {
      if (f.number === 1 && ctx.expect(f, 0, 'saved_model_schema_version')) file.schemaVersion = asInt64(f.value);
      else if (f.number === 2 && ctx.expect(f, 2, 'meta_graphs')) {
        if (ctx.overLimit(file.metaGraphTags.length, MAX_META_GRAPHS, 'maxMetaGraphs', 'meta graphs', f.offset)) return;
        reader.readMetaGraph(f, file.metaGraphTags.length);
      }
    });
  }
  reader.resolveConstInputs();
  file.problems = ctx.problems;
  file.problemsOmitted = ctx.problemsOmitted;
  file.stop = ctx.incomplete;
  if (file.stop && file.nodes.length === 0 && file.functions.length === 0) return fail(file.stop);
  return ok(file);
}

/** Scope of a node for input lookups: names are unique within one graph or one function body. */
function scopeKey(node: TfNode, name: string): string {
  return `${node.metaGraph}\u0000${node.function ?? ''}\u0000${name}`;
}

class GraphReader {
  /** JSON bytes of Keras metadata kept so far (MAX_KERAS_METADATA_TOTAL). */
  readonly kerasBytes = { bytes: 0 };
  /** Nodes given a detail, and Const nodes that may feed them (their byte ranges, for a second look). */
  private readonly detailed: TfNode[] = [];
  private readonly consts: { node: TfNode; start: number; end: number }[] = [];

  constructor(
    private readonly ctx: MessageContext,
    private readonly file: TensorflowGraphFile,
    private readonly detailOps: ReadonlySet<string>,
  ) {}

  /**
   * Attach the string constants feeding each detailed node: an input `name`, `name:0`, `^name` or, in a
   * function body, `name:output:0` names a node of the same graph or function; a Const with a DT_STRING
   * value there is the file name a ReadFile reads or the path a WriteFile writes.
   */
  resolveConstInputs(): void {
    if (this.detailed.length === 0 || this.consts.length === 0) return;
    const wanted = new Map<string, { node: TfNode; input: string }[]>();
    for (const node of this.detailed) {
      for (const input of node.detail?.inputs ?? []) {
        const name = input.replace(/^\^/, '').split(':')[0] ?? '';
        const key = scopeKey(node, name);
        wanted.set(key, [...(wanted.get(key) ?? []), { node, input }]);
      }
    }
    for (const c of this.consts) {
      const users = wanted.get(scopeKey(c.node, c.node.name));
      if (!users) continue;
      const values = readConstStrings(this.ctx, c.start, c.end);
      if (values === null) continue;
      for (const { node, input } of users) node.detail?.constInputs.push({ input, node: c.node.name, values });
    }
  }

  readMetaGraph(f: WireField, index: number): void {
    const { ctx, file } = this;
    const tags: string[] = [];
    file.metaGraphTags.push(tags);
    ctx.fields(f.start, f.end, 1, (g) => {
      if (g.number === 1 && ctx.expect(g, 2, 'meta_info_def')) {
        ctx.fields(g.start, g.end, 2, (h) => {
          if (h.number === 4 && tags.length < 64) tags.push(ctx.string(h, 'tag', MAX_TF_NAME_BYTES));
        });
      } else if (g.number === 2 && ctx.expect(g, 2, 'graph_def')) {
        this.readGraphDef(g.start, g.end, 2, index);
      } else if (g.number === 7 && ctx.expect(g, 2, 'object_graph_def')) {
        this.readObjectGraph(g);
      }
    });
  }

  /** Keras objects of a SavedObjectGraph: their metadata JSON is what Keras revives layers from. */
  private readObjectGraph(f: WireField): void {
    const { ctx, file } = this;
    let index = 0;
    ctx.fields(f.start, f.end, 2, (g) => {
      if (g.number !== 1 || !ctx.expect(g, 2, 'object graph node')) return;
      const nodeId = index++;
      ctx.fields(g.start, g.end, 3, (h) => {
        if (h.number !== 4 || !ctx.expect(h, 2, 'user_object')) return;
        if (ctx.overLimit(file.kerasMetadata.length, MAX_KERAS_METADATA_NODES, 'maxKerasMetadataNodes', 'Keras metadata nodes', h.offset)) return;
        const node = readSavedObject(ctx, h, 4, this.kerasBytes, { identifier: 1, metadata: 3 });
        // Keras only revives its own objects (KERAS_OBJECT_IDENTIFIERS); other user objects carry no config.
        if (!KERAS_IDENTIFIER.test(node.identifier) || node.metadataBytes === 0) {
          if (node.omitted === null) this.kerasBytes.bytes -= node.metadataBytes;
          return;
        }
        node.nodeId = nodeId;
        node.nodePath = `object_graph_def.nodes[${nodeId}]`;
        file.kerasMetadata.push(node);
      });
    });
  }

  readGraphDef(start: number, end: number, depth: number, metaGraph: number): void {
    const { ctx } = this;
    ctx.fields(start, end, depth, (g) => {
      if (g.number === 3 || g.number === 4) this.file.hasVersions ||= depth === 0;
      if (g.number === 1 && ctx.expect(g, 2, 'node')) this.readNode(g, depth + 1, null, metaGraph);
      else if (g.number === 2 && ctx.expect(g, 2, 'library')) {
        ctx.fields(g.start, g.end, depth + 1, (h) => {
          if (h.number === 1 && ctx.expect(h, 2, 'function')) this.readFunction(h, depth + 2, metaGraph);
        });
      }
    });
  }

  private readFunction(f: WireField, depth: number, metaGraph: number): void {
    const { ctx, file } = this;
    if (ctx.overLimit(file.functions.length, MAX_TF_FUNCTIONS, 'maxTfFunctions', 'functions', f.offset)) return;
    const fn: TfFunction = { name: '', nodes: 0, metaGraph, offset: f.offset };
    ctx.peek(f.start, f.end, (g) => {
      if (g.number === 1 && ctx.expect(g, 2, 'signature')) {
        ctx.peek(g.start, g.end, (h) => {
          if (h.number === 1) fn.name = ctx.string(h, 'function name', MAX_TF_NAME_BYTES);
        });
      }
    });
    file.functions.push(fn);
    ctx.fields(f.start, f.end, depth, (g) => {
      if (g.number === 3 && ctx.expect(g, 2, 'node_def')) {
        fn.nodes++;
        this.readNode(g, depth + 1, fn.name, metaGraph);
      }
    });
  }

  private readNode(f: WireField, depth: number, fn: string | null, metaGraph: number): void {
    const { ctx, file } = this;
    if (ctx.overLimit(file.nodes.length, MAX_TF_NODES, 'maxTfNodes', 'nodes', f.offset)) return;
    const node: TfNode = { op: '', name: '', function: fn, metaGraph, offset: f.offset };
    ctx.fields(f.start, f.end, depth, (g) => {
      if (g.number === 1) node.name = ctx.string(g, 'node name', MAX_TF_NAME_BYTES);
      else if (g.number === 2) node.op = ctx.string(g, 'op', MAX_TF_NAME_BYTES);
    });
    // A node cut before its op (the last one of a truncated file) names nothing to judge.
    if (f.clamped && node.op === '') return;
    file.nodes.push(node);
    if (this.detailOps.size === 0) return;
    if (this.detailOps.has(node.op) && this.detailed.length < MAX_TF_DETAILED_NODES) {
      node.detail = readNodeDetail(ctx, f.start, f.end);
      this.detailed.push(node);
    } else if (node.op === 'Const') {
      this.consts.push({ node, start: f.start, end: f.end });
    }
  }
}
