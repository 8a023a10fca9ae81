import { createHash } from 'node:crypto';
import { IN_TOTO_STATEMENT_V1, MODEL_SIGNING_PREDICATE_V1 } from '../../readers/sigstore/index.js';

/*
 * Writes the in-toto statement the way model_signing 1.1 does (protobuf json_format.MessageToJson: Python's
 * json.dumps with indent=2 and ensure_ascii=True), with its keys in the order of the reference's own
 * v1.1.0 elliptic-key test vector. The reference's key order inside `predicate` comes from a protobuf Struct
 * and its `ignore_paths` order from a Python set, so neither is stable there; here both are fixed (the
 * ignore paths sorted), which every verifier accepts because the signature covers whatever bytes are sent.
 */

/** A JSON value whose objects keep their key order when written. */
export type OrderedJson = string | number | boolean | null | OrderedJson[] | { [key: string]: OrderedJson };

/** One resource line of the predicate. */
export interface StatementResource {
  name: string;
  algorithm: string;
  digest: string;
}

/** The serialization block: what a verifier needs to recompute the manifest. */
export interface StatementSerialization {
  method: 'files' | 'shards';
  hashType: string;
  allowSymlinks: boolean;
  ignorePaths: string[];
  shardSize?: number;
}

/** model_signing's root digest: sha256 over the raw bytes of every resource digest, in list order. */
export function rootDigestOf(resources: readonly { digest: string }[]): string {
  const hash = createHash('sha256');
  for (const resource of resources) hash.update(Buffer.from(resource.digest, 'hex'));
  return hash.digest('hex');
}

/** The statement bytes for a manifest (resources already in manifest order). */
export function buildStatementPayload(modelName: string, resources: readonly StatementResource[], serialization: StatementSerialization): Buffer {
  const block: { [key: string]: OrderedJson } = {
    allow_symlinks: serialization.allowSymlinks,
    method: serialization.method,
    hash_type: serialization.hashType,
  };
  if (serialization.shardSize !== undefined) block.shard_size = serialization.shardSize;
  block.ignore_paths = [...serialization.ignorePaths];
  const statement: OrderedJson = {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: modelName, digest: { sha256: rootDigestOf(resources) } }],
    predicateType: MODEL_SIGNING_PREDICATE_V1,
    predicate: {
      resources: resources.map((r) => ({ algorithm: r.algorithm, name: r.name, digest: r.digest })),
      serialization: block,
    },
  };
  return Buffer.from(pythonJson(statement), 'utf8');
}

/** `json.dumps(value, indent=2, ensure_ascii=True)` byte for byte, for the JSON types a statement uses. */
export function pythonJson(value: OrderedJson, indent = 2, level = 0): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pythonFloat(value);
  if (typeof value === 'string') return pythonString(value);
  const inner = ' '.repeat((level + 1) * indent);
  const outer = ' '.repeat(level * indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + pythonJson(v, indent, level + 1)).join(',\n')}\n${outer}]`;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return '{}';
  return `{\n${keys.map((k) => `${inner}${pythonString(k)}: ${pythonJson(value[k] as OrderedJson, indent, level + 1)}`).join(',\n')}\n${outer}}`;
}

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** Python's ASCII-only string encoding: everything outside space..~ as \uXXXX (UTF-16 units, lower-case hex). */
function pythonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const code = text.charCodeAt(i);
    const short = SHORT_ESCAPES[ch];
    if (short) out += short;
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function pythonFloat(value: number): string {
  // Statements carry no fractional numbers; repr()-compatible output would need Python's shortest float repr.
  return String(value);
}
