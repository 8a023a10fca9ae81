import type { MessageContext } from './message-context.js';
import { asInt64, readRepeatedVarint, readString, type WireField } from './wire.js';

/*
 * The arguments of one TensorFlow NodeDef, decoded for evidence: its inputs and attributes, rendered as short
 * text. Only nodes whose op the caller asks for are decoded (a graph has millions of nodes; the ones worth
 * showing are the few a detector flags), and every list and string is cut to a named bound. Field numbers:
 *
 *   NodeDef       name=1 op=2 input=3 device=4 attr=5 (map<string, AttrValue>: key=1 value=2)
 *   AttrValue     list=1 s=2 i=3 f=4 b=5 type=6 shape=7 tensor=8 placeholder=9 func=10
 *   ListValue     s=2 i=3 f=4 b=5 type=6 shape=7 tensor=8 func=9
 *   TensorProto   dtype=1 tensor_shape=2 string_val=8      TensorShapeProto dim=2 (size=1) unknown_rank=3
 *   NameAttrList  name=1
 */

/** Nodes decoded per file: a detector lists 25 nodes per op, so this covers every op it could show. */
export const MAX_TF_DETAILED_NODES = 1_000;
/** Attributes kept per node (real ops declare fewer than 20). */
export const MAX_TF_DETAIL_ATTRS = 32;
/** Inputs kept per node. */
export const MAX_TF_DETAIL_INPUTS = 16;
/** Bytes kept of one string value (an attribute, an input name, a string constant). */
export const MAX_TF_DETAIL_TEXT = 256;
/** Items shown of a list attribute and string constants kept of one Const tensor. */
export const MAX_TF_DETAIL_ITEMS = 8;

/** One attribute of a node, its value rendered as text (`"pyfunc_0"`, `DT_FLOAT`, `[DT_FLOAT, DT_INT32]`). */
export interface TfAttr {
  name: string;
  value: string;
  /** The string values the attribute holds (`s`, or the strings of a list), for the text checks. */
  strings: string[];
}

/** A string constant feeding a node: the input as written and the Const node's string values. */
export interface TfConstInput {
  input: string;
  /** Name of the Const node in the same graph or function body. */
  node: string;
  values: string[];
}

/** The decoded arguments of a node. */
export interface TfNodeDetail {
  inputs: string[];
  /** Inputs past MAX_TF_DETAIL_INPUTS, counted. */
  inputsOmitted: number;
  attrs: TfAttr[];
  attrsOmitted: number;
  /** String constants feeding the node, resolved after the whole graph was read. */
  constInputs: TfConstInput[];
}

/** TensorFlow DataType names (tensorflow/core/framework/types.proto) for the codes models use. */
const DATA_TYPES: Readonly<Record<number, string>> = {
  1: 'DT_FLOAT', 2: 'DT_DOUBLE', 3: 'DT_INT32', 4: 'DT_UINT8', 5: 'DT_INT16', 6: 'DT_INT8', 7: 'DT_STRING', 8: 'DT_COMPLEX64',
  9: 'DT_INT64', 10: 'DT_BOOL', 14: 'DT_BFLOAT16', 17: 'DT_UINT16', 18: 'DT_COMPLEX128', 19: 'DT_HALF', 20: 'DT_RESOURCE',
  21: 'DT_VARIANT', 22: 'DT_UINT32', 23: 'DT_UINT64',
};
const DT_STRING = 7;

/** Decode the inputs and attributes of the NodeDef `[start, end)`. Errors end the walk (the main read reports them). */
export function readNodeDetail(ctx: MessageContext, start: number, end: number): TfNodeDetail {
  const detail: TfNodeDetail = { inputs: [], inputsOmitted: 0, attrs: [], attrsOmitted: 0, constInputs: [] };
  ctx.peek(start, end, (g) => {
    if (g.number === 3 && g.wireType === 2) {
      if (detail.inputs.length < MAX_TF_DETAIL_INPUTS) detail.inputs.push(text(ctx, g));
      else detail.inputsOmitted++;
    } else if (g.number === 5 && g.wireType === 2) {
      if (detail.attrs.length >= MAX_TF_DETAIL_ATTRS) {
        detail.attrsOmitted++;
        return;
      }
      const entry: { name: string; value: WireField | null } = { name: '', value: null };
      ctx.peek(g.start, g.end, (h) => {
        if (h.number === 1 && h.wireType === 2) entry.name = text(ctx, h);
        else if (h.number === 2 && h.wireType === 2) entry.value = h;
      });
      const attr: TfAttr = { name: entry.name, value: '', strings: [] };
      if (entry.value) renderAttrValue(ctx, entry.value, attr);
      detail.attrs.push(attr);
    }
  });
  return detail;
}

/** The string values of a Const NodeDef's `value` tensor, or null when it is not a string tensor. */
export function readConstStrings(ctx: MessageContext, start: number, end: number): string[] | null {
  const found: { strings: string[] | null } = { strings: null };
  ctx.peek(start, end, (g) => {
    if (g.number !== 5 || g.wireType !== 2) return;
    const entry: { isValue: boolean; value: WireField | null } = { isValue: false, value: null };
    ctx.peek(g.start, g.end, (h) => {
      if (h.number === 1 && h.wireType === 2) entry.isValue = readString(ctx.window, h, 16).text === 'value';
      else if (h.number === 2 && h.wireType === 2) entry.value = h;
    });
    if (!entry.isValue || entry.value === null) return;
    // AttrValue.tensor (8) holds the constant; a DT_STRING tensor keeps its values in string_val.
    ctx.peek(entry.value.start, entry.value.end, (h) => {
      if (h.number === 8 && h.wireType === 2) {
        let dtype = 0n;
        ctx.peek(h.start, h.end, (t) => {
          if (t.number === 1 && t.wireType === 0) dtype = t.value;
        });
        if (dtype === BigInt(DT_STRING)) found.strings = tensorStrings(ctx, h);
      }
    });
    return found.strings === null;
  });
  return found.strings;
}

/** Fill `attr.value` (and `attr.strings`) from an AttrValue message. */
function renderAttrValue(ctx: MessageContext, f: WireField, attr: TfAttr): void {
  const parts: string[] = [];
  ctx.peek(f.start, f.end, (g) => {
    switch (g.number) {
      case 1:
        if (g.wireType === 2) parts.push(renderList(ctx, g, attr.strings));
        break;
      case 2:
      case 9:
        if (g.wireType === 2) {
          const s = text(ctx, g);
          if (g.number === 2) attr.strings.push(s);
          parts.push(g.number === 9 ? `placeholder ${s}` : JSON.stringify(s));
        }
        break;
      case 3:
        if (g.wireType === 0) parts.push(asInt64(g.value).toString());
        break;
      case 4:
        if (g.wireType === 5) parts.push(String(fixed32Float(g.value)));
        break;
      case 5:
        if (g.wireType === 0) parts.push(g.value !== 0n ? 'true' : 'false');
        break;
      case 6:
        if (g.wireType === 0) parts.push(dataType(g.value));
        break;
      case 7:
        if (g.wireType === 2) parts.push(renderShape(ctx, g));
        break;
      case 8:
        if (g.wireType === 2) parts.push(renderTensor(ctx, g, attr.strings));
        break;
      case 10:
        if (g.wireType === 2) parts.push(`func ${funcName(ctx, g)}`);
        break;
    }
  });
  attr.value = parts.join(' ');
}

function renderList(ctx: MessageContext, f: WireField, strings: string[]): string {
  const items: string[] = [];
  let more = 0;
  const add = (item: string) => {
    if (items.length < MAX_TF_DETAIL_ITEMS) items.push(item);
    else more++;
  };
  ctx.peek(f.start, f.end, (g) => {
    switch (g.number) {
      case 2:
        if (g.wireType === 2) {
          const s = text(ctx, g);
          if (strings.length < MAX_TF_DETAIL_ITEMS) strings.push(s);
          add(JSON.stringify(s));
        }
        break;
      case 3:
      case 5:
      case 6: {
        // Packed or not; the count is bounded so that a long packed run costs nothing.
        const values: bigint[] = [];
        readRepeatedVarint(ctx.window, g, values, MAX_TF_DETAIL_ITEMS + 1);
        for (const v of values) add(g.number === 3 ? asInt64(v).toString() : g.number === 5 ? String(v !== 0n) : dataType(v));
        break;
      }
      case 4:
        if (g.wireType === 2) {
          const count = Math.floor((g.end - g.start) / 4);
          const bytes = ctx.window.bytes(g.start, Math.min(count, MAX_TF_DETAIL_ITEMS + 1) * 4);
          for (let i = 0; i + 4 <= bytes.length; i += 4) add(String(bytes.readFloatLE(i)));
        } else if (g.wireType === 5) add(String(fixed32Float(g.value)));
        break;
      case 7:
        if (g.wireType === 2) add(renderShape(ctx, g));
        break;
      case 8:
        if (g.wireType === 2) add(renderTensor(ctx, g, strings));
        break;
      case 9:
        if (g.wireType === 2) add(`func ${funcName(ctx, g)}`);
        break;
    }
  });
  return `[${items.join(', ')}${more > 0 ? `, ... ${more} more` : ''}]`;
}

function renderShape(ctx: MessageContext, f: WireField): string {
  const dims: string[] = [];
  let unknown = false;
  ctx.peek(f.start, f.end, (g) => {
    if (g.number === 3 && g.wireType === 0) unknown = g.value !== 0n;
    else if (g.number === 2 && g.wireType === 2 && dims.length <= MAX_TF_DETAIL_ITEMS) {
      let size = '?';
      ctx.peek(g.start, g.end, (h) => {
        if (h.number === 1 && h.wireType === 0) size = asInt64(h.value).toString();
      });
      dims.push(size);
    }
  });
  return unknown ? 'shape <unknown rank>' : `shape [${dims.slice(0, MAX_TF_DETAIL_ITEMS).join(', ')}${dims.length > MAX_TF_DETAIL_ITEMS ? ', ...' : ''}]`;
}

function renderTensor(ctx: MessageContext, f: WireField, strings: string[]): string {
  let dtype = 0n;
  ctx.peek(f.start, f.end, (g) => {
    if (g.number === 1 && g.wireType === 0) dtype = g.value;
  });
  const values = dtype === BigInt(DT_STRING) ? tensorStrings(ctx, f) : [];
  for (const v of values) if (strings.length < MAX_TF_DETAIL_ITEMS) strings.push(v);
  return `tensor ${dataType(dtype)}${values.length > 0 ? ` ${JSON.stringify(values)}` : ''}`;
}

/** string_val entries of a TensorProto, at most MAX_TF_DETAIL_ITEMS. */
function tensorStrings(ctx: MessageContext, f: WireField): string[] {
  const values: string[] = [];
  ctx.peek(f.start, f.end, (g) => {
    if (g.number === 8 && g.wireType === 2) values.push(text(ctx, g));
    return values.length < MAX_TF_DETAIL_ITEMS;
  });
  return values;
}

function funcName(ctx: MessageContext, f: WireField): string {
  let name = '';
  ctx.peek(f.start, f.end, (g) => {
    if (g.number === 1 && g.wireType === 2) name = text(ctx, g);
  });
  return JSON.stringify(name);
}

/** A string field cut to MAX_TF_DETAIL_TEXT bytes, control characters shown as spaces. */
function text(ctx: MessageContext, f: WireField): string {
  const s = readString(ctx.window, f, MAX_TF_DETAIL_TEXT);
  // eslint-disable-next-line no-control-regex
  const shown = s.text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, ' ');
  return s.truncated ? `${shown}...` : shown;
}

function dataType(code: bigint): string {
  const n = Number(BigInt.asIntN(32, code));
  return DATA_TYPES[n] ?? (n > 100 && DATA_TYPES[n - 100] ? `${DATA_TYPES[n - 100]}_REF` : `type ${n}`);
}

function fixed32Float(value: bigint): number {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(Number(value));
  return b.readFloatLE(0);
}
