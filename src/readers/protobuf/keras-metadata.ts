import type { ByteSource } from '../../core/byte-source.js';
import { fail, ok, type ReadError, type ReadResult } from '../../core/read-result.js';
import { MessageContext, type ProtoProblem } from './message-context.js';
import { asInt64, ByteWindow, fieldBudget, FieldWalker, readString, type WireField } from './wire.js';

/*
 * `keras_metadata.pb`: the Keras half of a TensorFlow SavedModel written by tf.keras (TF 2.5+), read by
 * `tf.keras.models.load_model(dir)` beside `saved_model.pb`. It is one protobuf (keras/protobuf/
 * saved_metadata.proto) whose nodes each carry a JSON string, and that JSON is a Keras layer or model config:
 * `class_name`, `config` (a Lambda layer's marshalled function code, `module` references), for the model
 * node the whole architecture. Keras revives objects from it (`_revive_from_config`), so it carries the same
 * code-on-load attacks as a `.keras` config.json or an `.h5` model_config. This reader only extracts the
 * strings; the Keras reader parses the JSON. Field numbers:
 *
 *   SavedMetadata  nodes=1
 *   SavedObject    version=1 (VersionDef, written by Keras before 2.7; reserved after) node_id=2
 *                  node_path=3 identifier=4 metadata=5 version=6 (VersionDef)
 *
 * Before keras_metadata.pb existed the same JSON sat in saved_model.pb itself (SavedUserObject.metadata);
 * saved-model.ts reads that copy, which Keras still falls back to when this file has no nodes.
 */

/** Nodes kept per file: one per Keras object (layer, metric, model); large models hold a few thousand. */
export const MAX_KERAS_METADATA_NODES = 100_000;
/** Bytes kept of one node's JSON: the model node holds the whole architecture, a few MiB for large models. */
export const MAX_KERAS_METADATA_BYTES = 64 * 1024 * 1024;
/** Bytes of JSON kept across the file, so that many large nodes cannot exhaust memory (CWE-770). */
export const MAX_KERAS_METADATA_TOTAL = 256 * 1024 * 1024;
/** Bytes kept of a node path or identifier. */
const MAX_KERAS_NAME_BYTES = 4096;
/** Top-level fields the sniffer walks before deciding. */
const SNIFF_MAX_FIELDS = 100_000;
/** The identifiers Keras writes (`_tf_keras_layer`, `_tf_keras_model`, ...): how the sniffer tells this file apart. */
export const KERAS_IDENTIFIER = /^_tf_keras_\w+$/;

/** One Keras object's metadata: where it sits in the object graph and its JSON. */
export interface KerasMetadataNode {
  /** node_id in the SavedModel object graph (0 when absent, as proto3 reads it). */
  nodeId: number;
  /** `root`, `root.layer-1`, `root.layer_with_weights-0`... */
  nodePath: string;
  /** `_tf_keras_layer`, `_tf_keras_model`, ... */
  identifier: string;
  /** The JSON text; '' when it was over a limit (see `omittedBytes`). */
  metadata: string;
  /** Bytes of the metadata field in the file. */
  metadataBytes: number;
  /** Set when the JSON was not kept because of a limit: the limit's name. */
  omitted: 'maxKerasMetadataBytes' | 'maxKerasMetadataTotal' | null;
  offset: number;
}

/** What the reader found. `stop` is set when the read ended early; every node before it is kept. */
export interface KerasSavedMetadata {
  nodes: KerasMetadataNode[];
  problems: ProtoProblem[];
  problemsOmitted: number;
  stop: ReadError | null;
}

/**
 * True when `source` is a SavedMetadata: every top-level field is `nodes` (field 1, a message), the walk ends
 * at the end of the source, and the first node parses as a SavedObject with a Keras identifier.
 */
export function sniffKerasMetadata(source: ByteSource): boolean {
  if (source.size < 4) return false;
  const window = new ByteWindow(source);
  const walker = new FieldWalker(window, 0, source.size, fieldBudget(SNIFF_MAX_FIELDS));
  let first: WireField | null = null;
  for (let field = walker.next(); field; field = walker.next()) {
    if (field.number !== 1 || field.wireType !== 2) return false;
    first ??= field;
  }
  if (walker.error || walker.position !== source.size || first === null) return false;
  return looksLikeSavedObject(window, first);
}

/**
 * True when the SavedObject `field` has only SavedObject fields with their declared wire types and a Keras
 * identifier (every node Keras writes has one). Also used by the truncated-file sniffer on a complete node.
 */
export function looksLikeSavedObject(window: ByteWindow, field: WireField): boolean {
  const inner = new FieldWalker(window, field.start, field.end, fieldBudget(SNIFF_MAX_FIELDS));
  let identifier = false;
  for (let g = inner.next(); g; g = inner.next()) {
    const expected = g.number === 2 ? 0 : g.number >= 1 && g.number <= 6 ? 2 : -1;
    if (g.wireType !== expected) return false;
    if (g.number === 4) identifier = KERAS_IDENTIFIER.test(readString(window, g, 64).text);
  }
  return !inner.error && inner.position === field.end && identifier;
}

/** Read a `keras_metadata.pb`. Never throws; fails only when not one node could be read. */
export function readKerasMetadata(source: ByteSource, maxFields?: number): ReadResult<KerasSavedMetadata> {
  const ctx = new MessageContext(source, maxFields);
  const file: KerasSavedMetadata = { nodes: [], problems: [], problemsOmitted: 0, stop: null };
  const kept = { bytes: 0 };
  ctx.fields(0, source.size, 0, (f) => {
    if (f.number !== 1 || !ctx.expect(f, 2, 'nodes')) return;
    if (ctx.overLimit(file.nodes.length, MAX_KERAS_METADATA_NODES, 'maxKerasMetadataNodes', 'Keras metadata nodes', f.offset)) return;
    const node = readSavedObject(ctx, f, 1, kept);
    // A node the file ends inside before its identifier or JSON (the last of a cut file) holds nothing to judge.
    if (!f.clamped || node.identifier !== '' || node.metadataBytes > 0) file.nodes.push(node);
  });
  file.problems = ctx.problems;
  file.problemsOmitted = ctx.problemsOmitted;
  file.stop = ctx.incomplete;
  if (file.stop && file.nodes.length === 0) return fail(file.stop);
  return ok(file);
}

/**
 * One SavedObject (keras_metadata.pb) or SavedUserObject (saved_model.pb, where identifier=1 and metadata=3):
 * `fields` maps the message's field numbers. `kept` counts JSON bytes kept across the file.
 */
export function readSavedObject(
  ctx: MessageContext,
  f: WireField,
  depth: number,
  kept: { bytes: number },
  fields: { nodeId?: number; nodePath?: number; identifier: number; metadata: number } = { nodeId: 2, nodePath: 3, identifier: 4, metadata: 5 },
): KerasMetadataNode {
  const node: KerasMetadataNode = { nodeId: 0, nodePath: '', identifier: '', metadata: '', metadataBytes: 0, omitted: null, offset: f.offset };
  ctx.fields(f.start, f.end, depth, (g) => {
    if (g.number === fields.nodeId && ctx.expect(g, 0, 'node_id')) node.nodeId = Number(BigInt.asIntN(32, asInt64(g.value)));
    else if (g.number === fields.nodePath) node.nodePath = ctx.string(g, 'node_path', MAX_KERAS_NAME_BYTES);
    else if (g.number === fields.identifier) node.identifier = ctx.string(g, 'identifier', MAX_KERAS_NAME_BYTES);
    else if (g.number === fields.metadata && ctx.expect(g, 2, 'metadata')) {
      const bytes = g.end - g.start;
      node.metadataBytes = bytes;
      // Checked before the bytes are read: a JSON document cut short would parse as garbage, so an
      // over-limit document is not kept at all and the Keras reader reports it as unchecked.
      if (bytes > MAX_KERAS_METADATA_BYTES) node.omitted = 'maxKerasMetadataBytes';
      else if (kept.bytes + bytes > MAX_KERAS_METADATA_TOTAL) node.omitted = 'maxKerasMetadataTotal';
      else {
        kept.bytes += bytes;
        node.metadata = readString(ctx.window, g, bytes).text;
      }
    }
  });
  return node;
}
