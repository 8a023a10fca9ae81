import type { ByteSource } from '../../core/byte-source.js';
import { KERAS_IDENTIFIER } from './keras-metadata.js';
import { MAX_IR_VERSION } from './onnx-model.js';
import { ByteWindow, fieldBudget, FieldWalker, readString, readVarint, type WireField } from './wire.js';

/*
 * Recognising a protobuf model whose file was cut short. The full sniffers (sniffOnnx, sniffSavedModel,
 * sniffGraphDef, sniffKerasMetadata) require the top-level walk to end exactly at the end of the file, so a
 * truncated download or a deliberately cut file fails them and would pass as "unknown": never scanned, never
 * reported. This sniffer walks the same top-level fields, accepts a walk that runs off the end of the file,
 * and checks that everything before the cut agrees with one schema. A protobuf reader refuses such a file,
 * so a loader cannot run it as it is, but what it holds is unknown and unknown is not clean: the engine then
 * reads what is there (the readers keep everything before the cut) and reports the file as partial.
 *
 * Two strengths. From content alone the prefix must carry enough structure that random bytes do not match:
 * ONNX needs a complete ir_version (3 or more: IR v3 is onnx 1.0; the SavedModel schema version is 1) and
 * what onnx writes next (printable producer text, a model_version or the opening of a graph), SavedModel its
 * schema version and the start of a MetaGraphDef, a frozen GraphDef a first node with a name and an op,
 * Keras metadata a node with a Keras identifier. On 200,000 random buffers of up to 4 KiB none matched. When the file name
 * already says what the file is (`model.onnx`, `saved_model.pb`), a prefix that merely contradicts nothing
 * is enough, down to a single byte: the name only raises concern here, it never clears a file.
 */

/** The protobuf models this sniffer recognises from a prefix. */
export type TruncatedModelKind = 'onnx' | 'saved-model' | 'graph-def' | 'keras-metadata';

/** Top-level fields walked before deciding (a cut file's top level is short: its last field is the cut one). */
const SNIFF_MAX_FIELDS = 10_000;
/** Inner fields of the first message checked against its schema. */
const SNIFF_INNER_FIELDS = 64;
/** ModelProto fields and wire types (as in sniffOnnx); string fields are checked for printable text. */
const ONNX_WIRE_TYPES: Readonly<Record<number, number>> = { 1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2 };
const ONNX_TEXT_FIELDS = new Set([2, 3, 4]);
/** GraphProto fields a graph can open with (as in sniffOnnx): node, name, initializer, doc_string, inputs... */
const GRAPH_FIELDS = new Set([1, 2, 5, 10, 11, 12, 13, 14, 15, 16]);
/** Lowest ir_version accepted from content alone. */
const MIN_CONTENT_IR_VERSION = 3n;
/** What an op name looks like (as in sniffGraphDef). */
const OP_NAME = /^[A-Za-z_][\w>.]*$/;
/** Text a writer puts in a name field: no control characters other than whitespace, no U+FFFD from bad UTF-8. */
// eslint-disable-next-line no-control-regex
const PRINTABLE = /^[^\x00-\x08\x0e-\x1f\x7f\ufffd]*$/;

/** The top-level fields of a prefix: the complete ones and, when its tag could be read, the cut one. */
interface Prefix {
  window: ByteWindow;
  complete: WireField[];
  /** The field the file ends inside: its tag, with `start` at its payload and `end` at the end of the file. */
  cut: WireField | null;
}

/**
 * What kind of protobuf model `source` is the cut-short start of, or null. `hinted` lists kinds the file name
 * suggests (accepted on a prefix that contradicts nothing); `contentOnly` allows the stronger content checks
 * for files without a hint (the engine turns it off for archive members it only probes).
 */
export function sniffTruncatedModel(source: ByteSource, hinted: ReadonlySet<TruncatedModelKind>, contentOnly: boolean): TruncatedModelKind | null {
  if (source.size === 0 || (hinted.size === 0 && !contentOnly)) return null;
  const prefix = readPrefix(source);
  if (!prefix) return null;
  const order: TruncatedModelKind[] = ['saved-model', 'onnx', 'graph-def', 'keras-metadata'];
  for (const kind of order) {
    const verdict = CHECKS[kind](prefix);
    if (verdict === 'strong' && (contentOnly || hinted.has(kind))) return kind;
    if (verdict === 'consistent' && hinted.has(kind)) return kind;
  }
  return null;
}

/** The top-level walk; null unless it ran off the end of the file (a clean end is the full sniffers' case). */
function readPrefix(source: ByteSource): Prefix | null {
  const window = new ByteWindow(source);
  const walker = new FieldWalker(window, 0, source.size, fieldBudget(SNIFF_MAX_FIELDS));
  const complete: WireField[] = [];
  for (let field = walker.next(); field; field = walker.next()) complete.push(field);
  const error = walker.error;
  if (error === null) return walker.position === source.size ? { window, complete, cut: null } : null;
  if (error.kind !== 'truncated') return null;
  // The walker reports the offset of the field it could not finish: read its tag again, if that much exists.
  const at = error.offset ?? walker.position;
  const tag = readVarint(window, at, source.size);
  if (!tag.ok) return { window, complete, cut: null };
  const number = Number(tag.value >> 3n);
  const wireType = Number(tag.value & 7n);
  if (number === 0 || ![0, 1, 2, 5].includes(wireType)) return null;
  let start = tag.next;
  if (wireType === 2) {
    const length = readVarint(window, tag.next, source.size);
    start = length.ok ? length.next : source.size;
  }
  const cut: WireField = { number, wireType: wireType as WireField['wireType'], offset: at, value: 0n, start, end: source.size, clamped: true };
  return { window, complete, cut };
}

/** How well a prefix fits a schema: enough to say so from content, merely not contradicted, or contradicted. */
type Verdict = 'strong' | 'consistent' | 'no';

const CHECKS: Readonly<Record<TruncatedModelKind, (prefix: Prefix) => Verdict>> = {
  onnx: checkOnnx,
  'saved-model': checkSavedModel,
  'graph-def': checkGraphDef,
  'keras-metadata': checkKerasMetadata,
};

function fields(prefix: Prefix): WireField[] {
  return prefix.cut ? [...prefix.complete, prefix.cut] : prefix.complete;
}

function checkOnnx(prefix: Prefix): Verdict {
  const all = fields(prefix);
  const first = all[0];
  // onnx writes ir_version first (fields in number order); a cut real model starts with it.
  if (!first || first.number !== 1 || first.wireType !== 0) return 'no';
  let unknown = 0;
  for (const f of all) {
    const expected = ONNX_WIRE_TYPES[f.number];
    if (expected === undefined) {
      if (++unknown > 4 || f.number > 64) return 'no';
      continue;
    }
    if (f.wireType !== expected) return 'no';
    if (ONNX_TEXT_FIELDS.has(f.number) && !PRINTABLE.test(readString(prefix.window, f, 256).text)) return 'no';
  }
  const irComplete = first !== prefix.cut;
  if (irComplete && (first.value < 1n || first.value > BigInt(MAX_IR_VERSION))) return 'no';
  const second = all[1];
  const strong = irComplete && first.value >= MIN_CONTENT_IR_VERSION && second !== undefined && onnxSecondField(prefix.window, second);
  return strong ? 'strong' : 'consistent';
}

/**
 * What onnx writes after ir_version (fields go out in number order): a producer or domain string, a
 * model_version, a doc string or the graph. From content alone, a string must show printable text and a
 * graph must open with a GraphProto field, so that a float array starting 08 xx is not taken for a model.
 */
function onnxSecondField(window: ByteWindow, f: WireField): boolean {
  if (f.number === 5) return f.wireType === 0;
  if ([2, 3, 4, 6].includes(f.number)) {
    const text = readString(window, f, 256).text;
    return text.length > 0 && PRINTABLE.test(text);
  }
  if (f.number !== 7) return false;
  const inner = innerFields(window, f);
  const head = inner?.[0];
  return head !== undefined && head.wireType === 2 && GRAPH_FIELDS.has(head.number);
}

function checkSavedModel(prefix: Prefix): Verdict {
  const all = fields(prefix);
  const first = all[0];
  if (!first || first.number !== 1 || first.wireType !== 0) return 'no';
  if (first !== prefix.cut && first.value > 16n) return 'no';
  let metaGraph: WireField | null = null;
  for (const f of all.slice(1)) {
    if (f.number !== 2 || f.wireType !== 2) return 'no';
    metaGraph ??= f;
  }
  if (metaGraph === null) return 'consistent';
  // MetaGraphDef fields are all messages or maps, numbered 1 to 9.
  const inner = innerFields(prefix.window, metaGraph);
  if (inner === null || inner.some((g) => g.wireType !== 2 || g.number > 9)) return 'no';
  return first !== prefix.cut && inner.length > 0 ? 'strong' : 'consistent';
}

function checkGraphDef(prefix: Prefix): Verdict {
  const all = fields(prefix);
  const first = all[0];
  if (!first || first.number !== 1 || first.wireType !== 2) return 'no';
  for (const f of all) if (f.number === 3 ? f.wireType !== 0 : f.number > 4 || f.wireType !== 2) return 'no';
  // The first NodeDef: name=1, op=2, input=3, device=4, attr=5, experimental fields 6 (all messages or strings).
  const inner = innerFields(prefix.window, first);
  if (inner === null || inner.some((g) => g.number > 6 || g.wireType !== 2)) return 'no';
  const name = inner.find((g) => g.number === 1 && !g.clamped);
  const op = inner.find((g) => g.number === 2 && !g.clamped);
  const named = name !== undefined && PRINTABLE.test(readString(prefix.window, name, 256).text);
  return named && op !== undefined && OP_NAME.test(readString(prefix.window, op, 256).text) ? 'strong' : 'consistent';
}

function checkKerasMetadata(prefix: Prefix): Verdict {
  const all = fields(prefix);
  const first = all[0];
  if (!first || all.some((f) => f.number !== 1 || f.wireType !== 2)) return 'no';
  const inner = innerFields(prefix.window, first);
  if (inner === null || inner.some((g) => (g.number === 2 ? g.wireType !== 0 : g.number < 1 || g.number > 6 || g.wireType !== 2))) return 'no';
  const identifier = inner.find((g) => g.number === 4 && !g.clamped);
  return identifier !== undefined && KERAS_IDENTIFIER.test(readString(prefix.window, identifier, 64).text) ? 'strong' : 'consistent';
}

/**
 * The fields inside a message, as far as the file holds them (the cut message is clamped to the end of the
 * file); null when they contradict the wire format before that point.
 */
function innerFields(window: ByteWindow, f: WireField): WireField[] | null {
  const walker = new FieldWalker(window, f.start, f.end, fieldBudget(SNIFF_INNER_FIELDS), true);
  const found: WireField[] = [];
  for (let g = walker.next(); g && found.length < SNIFF_INNER_FIELDS; g = walker.next()) found.push(g);
  const error = walker.error;
  // Running off the end is the cut itself only in the message the file ends inside; in a complete message
  // it is a length that lies about its parent.
  if (error && error.kind !== 'limit' && !(error.kind === 'truncated' && f.end === window.size)) return null;
  return found;
}
