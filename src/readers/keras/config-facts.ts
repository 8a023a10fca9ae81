import { isMarshalCode, marshalStrings } from './marshal-strings.js';

/*
 * What a Keras config asks the loader to do, read from the parsed JSON without judging it. Keras rebuilds a
 * model by walking the config: every object with a `class_name` is looked up (and, in Keras 3, its `module`
 * imported; `class_name: "function"` names the function `module.config`), a Lambda layer rebuilds a Python
 * code object, a TorchModuleWrapper unpickles a torch module, and some objects fetch files. This walk lists
 * each of those with its JSON path; the detector decides what is allowed.
 */

/** Objects visited per document; a config with more is a flood (a large real model has tens of thousands). */
export const MAX_CONFIG_NODES = 2_000_000;
/** Nesting followed; Python's recursion limit (1000) stops Keras deserialization deeper than this anyway. */
export const MAX_CONFIG_DEPTH = 1_000;
/** References, lambdas, URLs and embedded payloads kept per document; the rest are counted. */
export const MAX_FACTS = 1_000;
/** Strings kept from one lambda's code object. */
export const MAX_LAMBDA_STRINGS = 200;

/** A name the loader resolves: an import of `module` and a lookup of `name` in it. */
export interface KerasReference {
  document: string;
  jsonPath: string;
  /** The `module` field, or null when absent (Keras then looks in its own registry). */
  module: string | null;
  /** The class or function looked up: `class_name`, or `config` when `class_name` is `function`. */
  name: string;
  /** The `class_name` field as written (`function` for function references). */
  className: string;
  registeredName: string | null;
  /** How the reference was written. */
  via: 'class_name' | 'function' | 'fn' | 'lambda-function';
}

/** A Lambda layer (or a `__lambda__` object): Python code rebuilt and run on load. */
export interface KerasLambda {
  document: string;
  jsonPath: string;
  /** `config.name` of the layer, when present. */
  layerName: string | null;
  /** How the function is stored: a marshalled code object, source text, a function name, or nothing readable. */
  encoding: 'marshal' | 'source' | 'name' | 'none';
  /** Names and string constants found in the code (identifiers first-seen order), bounded and clipped. */
  strings: string[];
  /** Bytes of the marshalled code object, when there is one. */
  codeBytes: number;
}

/** A byte payload inside the config that the loader deserializes (TorchModuleWrapper's torch.save output). */
export interface KerasEmbeddedPayload {
  document: string;
  jsonPath: string;
  layerName: string | null;
  className: string;
  /** `torch-zip` (starts PK\x03\x04), `pickle` (starts with PROTO), or `unknown`. */
  kind: 'torch-zip' | 'pickle' | 'unknown';
  /** How the bytes were stored in the JSON string. */
  encoding: 'base64' | 'latin1';
  bytes: Buffer;
}

/** An http(s) URL in any string of the config. */
export interface KerasUrl {
  document: string;
  jsonPath: string;
  url: string;
}

/** Everything the walk found in one document. */
export interface KerasConfigFacts {
  references: KerasReference[];
  lambdas: KerasLambda[];
  embedded: KerasEmbeddedPayload[];
  urls: KerasUrl[];
  /** Facts past MAX_FACTS, counted not kept. */
  omitted: number;
  /** Objects and arrays visited. */
  nodes: number;
  /** Set when MAX_CONFIG_NODES or MAX_CONFIG_DEPTH stopped the walk. */
  stoppedBy: 'maxConfigNodes' | 'maxConfigDepth' | null;
}

const URL_PATTERN = /\bhttps?:\/\/[^\s"'<>\\]{1,2048}/gi;
const BASE64_TEXT = /^[A-Za-z0-9+/=\s]+$/;
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/g;

type Json = unknown;
type JsonObject = Record<string, Json>;

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: Json): string | null {
  return typeof value === 'string' ? value : null;
}

/** Walk one parsed document. `maxPayloadBytes` bounds each decoded embedded payload. Never throws. */
export function collectConfigFacts(document: string, root: Json, maxPayloadBytes: number): KerasConfigFacts {
  const facts: KerasConfigFacts = { references: [], lambdas: [], embedded: [], urls: [], omitted: 0, nodes: 0, stoppedBy: null };
  const push = <T>(list: T[], item: T) => {
    if (list.length < MAX_FACTS) list.push(item);
    else facts.omitted++;
  };
  /** `__lambda__` objects already reported as the function of a Lambda layer. */
  const handled = new Set<JsonObject>();
  const stack: { value: Json; path: string; depth: number }[] = [{ value: root, path: '$', depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      for (const match of value.matchAll(URL_PATTERN)) push(facts.urls, { document, jsonPath: path, url: match[0] });
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (++facts.nodes > MAX_CONFIG_NODES) {
      facts.stoppedBy = 'maxConfigNodes';
      break;
    }
    if (depth >= MAX_CONFIG_DEPTH) {
      facts.stoppedBy = 'maxConfigDepth';
      continue;
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    inspectObject(document, value as JsonObject, path, facts, push, handled, maxPayloadBytes);
    const keys = Object.keys(value);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      stack.push({ value: (value as JsonObject)[key], path: `${path}${memberPath(key)}`, depth: depth + 1 });
    }
  }
  return facts;
}

function memberPath(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function inspectObject(
  document: string,
  o: JsonObject,
  path: string,
  facts: KerasConfigFacts,
  push: <T>(list: T[], item: T) => void,
  handled: Set<JsonObject>,
  maxPayloadBytes: number,
): void {
  const className = str(o.class_name);
  const config = isObject(o.config) ? o.config : null;
  const layerName = config ? str(config.name) : null;
  if (className !== null) {
    const isFunction = className === 'function' && typeof o.config === 'string';
    push(facts.references, {
      document,
      jsonPath: path,
      module: str(o.module),
      name: isFunction ? (o.config as string) : className,
      className,
      registeredName: str(o.registered_name),
      via: isFunction ? 'function' : 'class_name',
    });
  }
  const fn = str(o.fn);
  if (fn !== null && fn.includes('.')) {
    const dot = fn.lastIndexOf('.');
    push(facts.references, { document, jsonPath: `${path}.fn`, module: fn.slice(0, dot), name: fn.slice(dot + 1), className: 'fn', registeredName: null, via: 'fn' });
  }
  if (className === 'Lambda' && config) {
    const fnValue = config.function;
    if (isObject(fnValue)) handled.add(fnValue);
    push(facts.lambdas, { document, jsonPath: `${path}.config.function`, layerName, ...lambdaCode(fnValue) });
    // tf.keras: `function_type: "function"` looks `function` up in sys.modules[module] (os.system, say).
    const module = str(config.module);
    const name = str(fnValue);
    if (config.function_type === 'function' && module !== null && name !== null) {
      push(facts.references, { document, jsonPath: `${path}.config.function`, module, name, className: 'Lambda', registeredName: null, via: 'lambda-function' });
    }
  } else if (className === '__lambda__' && !handled.has(o)) {
    push(facts.lambdas, { document, jsonPath: path, layerName: null, ...lambdaCode(o.config) });
  }
  if (className === 'TorchModuleWrapper' && config && typeof config.module === 'string') {
    const payload = decodePayload(config.module, maxPayloadBytes);
    push(facts.embedded, { document, jsonPath: `${path}.config.module`, layerName, className, ...payload });
  }
}

/** Where the function's code is and what it names: every string under `value`, decoded where it is marshal. */
function lambdaCode(value: Json): Pick<KerasLambda, 'encoding' | 'strings' | 'codeBytes'> {
  const texts: string[] = [];
  const stack: Json[] = [value];
  let visited = 0;
  while (stack.length > 0 && visited++ < 1000) {
    const v = stack.pop();
    if (typeof v === 'string') texts.push(v);
    else if (Array.isArray(v)) stack.push(...v.slice(0, 100));
    else if (isObject(v)) stack.push(...Object.values(v).slice(0, 100));
  }
  for (const text of texts) {
    if (text.length >= 16 && BASE64_TEXT.test(text)) {
      const bytes = Buffer.from(text, 'base64');
      if (isMarshalCode(bytes)) return { encoding: 'marshal', strings: marshalStrings(bytes, MAX_LAMBDA_STRINGS), codeBytes: bytes.length };
    }
  }
  const source = texts.find((t) => /\blambda\b|[(:=]/.test(t));
  if (source !== undefined) {
    const names = new Set<string>();
    for (const match of source.matchAll(IDENTIFIER)) {
      if (names.size >= MAX_LAMBDA_STRINGS) break;
      names.add(match[0]);
    }
    for (const literal of source.matchAll(/(["'])([^"'\n]{1,200})\1/g)) if (names.size < MAX_LAMBDA_STRINGS) names.add(literal[2]!);
    return { encoding: 'source', strings: [...names], codeBytes: 0 };
  }
  const name = texts.find((t) => t.length > 0 && t.length <= 200);
  if (name !== undefined) return { encoding: 'name', strings: [name], codeBytes: 0 };
  return { encoding: 'none', strings: [], codeBytes: 0 };
}

/** TorchModuleWrapper stores torch.save output as base64 (Keras 3.x) or, in early versions, as latin-1 text. */
function decodePayload(text: string, maxBytes: number): Pick<KerasEmbeddedPayload, 'kind' | 'encoding' | 'bytes'> {
  const limit = Math.max(0, maxBytes);
  if (BASE64_TEXT.test(text.slice(0, 4096))) {
    const bytes = Buffer.from(text.slice(0, Math.ceil(limit / 3) * 4), 'base64');
    return { kind: payloadKind(bytes), encoding: 'base64', bytes };
  }
  const bytes = Buffer.from(text.slice(0, limit), 'latin1');
  return { kind: payloadKind(bytes), encoding: 'latin1', bytes };
}

function payloadKind(bytes: Buffer): KerasEmbeddedPayload['kind'] {
  if (bytes.length >= 4 && bytes.readUInt32LE(0) === 0x04034b50) return 'torch-zip';
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1]! >= 2 && bytes[1]! <= 5) return 'pickle';
  return 'unknown';
}
