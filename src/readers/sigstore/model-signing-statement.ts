import {
  asArray,
  asBoolean,
  asNonEmptyString,
  asObject,
  asString,
  at,
  FieldError,
  parseJsonText,
  readFields,
  type FieldReadResult,
} from './json-fields.js';

/*
 * The in-toto Statement v1 that OpenSSF model_signing (sigstore/model-transparency, v1.x) signs: one subject
 * named after the model whose sha256 is the "root digest" (sha256 over the raw bytes of every resource digest,
 * in the order of the resources list), and a predicate listing every file (or file shard) with its digest,
 * plus the serialization parameters needed to recompute them. Structure only: no hashing happens here.
 */

/** `_type` of an in-toto Statement v1. */
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
/** predicateType written by model_signing 1.x. */
export const MODEL_SIGNING_PREDICATE_V1 = 'https://model_signing/signature/v1.0';
/** predicateType of model_signing 0.2 (pre-1.0, subjects only; not read here). */
export const MODEL_SIGNING_PREDICATE_V0_2 = 'https://model_signing/Digests/v0.1';

/** Resources (files or shards) in one statement. */
export const MAX_RESOURCES = 1_000_000;
/** Entries of `ignore_paths`. */
export const MAX_IGNORE_PATHS = 10_000;

/** One signed resource: a file (`path`) or a shard (`path:start:end`) with its digest. */
export interface SignedResource {
  name: string;
  algorithm: string;
  /** Lower-case hex. */
  digest: string;
}

/** How the signer serialized the model (predicate.serialization). */
export interface SerializationParameters {
  method: 'files' | 'shards';
  hashType: string;
  allowSymlinks: boolean;
  /** Paths relative to the model root that were left out (model_signing 1.1+); absent in 1.0 signatures. */
  ignorePaths?: string[];
  /** Bytes per shard, for `method: 'shards'`. */
  shardSize?: number;
}

/** The statement, checked for shape. */
export interface ModelSigningStatement {
  modelName: string;
  /** subject[0].digest.sha256, lower-case hex. */
  rootDigest: string;
  predicateType: string;
  serialization: SerializationParameters;
  resources: SignedResource[];
}

/** Parse the DSSE payload of a model signature. Never throws; the failure names the field. */
export function parseModelSigningStatement(payload: Buffer): FieldReadResult<ModelSigningStatement> {
  return readFields(() => {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
    } catch {
      throw new FieldError('', 'the payload is not UTF-8');
    }
    const statement = asObject(parseJsonText(text, 'the payload'), '');
    const type = asString(statement._type, '_type');
    if (type !== IN_TOTO_STATEMENT_V1) throw new FieldError('_type', `'${type}' is not ${IN_TOTO_STATEMENT_V1}`);
    const predicateType = asString(statement.predicateType, 'predicateType');
    if (predicateType !== MODEL_SIGNING_PREDICATE_V1) {
      const hint = predicateType === MODEL_SIGNING_PREDICATE_V0_2 ? ' (a model_signing 0.2 signature: re-sign with model_signing 1.x or antidote)' : '';
      throw new FieldError('predicateType', `'${predicateType}' is not ${MODEL_SIGNING_PREDICATE_V1}${hint}`, 'unsupported');
    }
    const subjects = asArray(statement.subject, 'subject', 64, 'MAX_SUBJECTS');
    if (subjects.length !== 1) throw new FieldError('subject', `expected exactly one subject, found ${subjects.length}`);
    const subject = asObject(subjects[0], 'subject[0]');
    const modelName = asString(subject.name, 'subject[0].name');
    const rootDigest = hex(asString(asObject(subject.digest, 'subject[0].digest').sha256, 'subject[0].digest.sha256'), 'subject[0].digest.sha256', 32);

    const predicate = asObject(statement.predicate, 'predicate');
    const serialization = readSerialization(asObject(predicate.serialization, 'predicate.serialization'));
    const resources = asArray(predicate.resources, 'predicate.resources', MAX_RESOURCES, 'MAX_RESOURCES').map((item, i) =>
      readResource(asObject(item, at('predicate.resources', i)), at('predicate.resources', i), serialization),
    );
    const names = new Set<string>();
    resources.forEach((resource, i) => {
      // model_signing keeps the last of two equal names; refusing them leaves no doubt which digest is meant.
      if (names.has(resource.name)) throw new FieldError(at('predicate.resources', i), `resource '${resource.name}' is listed twice`);
      names.add(resource.name);
    });
    if (names.has('.') && resources.length !== 1) throw new FieldError('predicate.resources', "resource '.' (a single-file model) beside other resources");
    return { modelName, rootDigest, predicateType, serialization, resources };
  });
}

function readSerialization(serialization: Record<string, unknown>): SerializationParameters {
  const path = 'predicate.serialization';
  const method = asString(serialization.method, at(path, 'method'));
  if (method !== 'files' && method !== 'shards') throw new FieldError(at(path, 'method'), `unknown serialization method '${method}'`, 'unsupported');
  const result: SerializationParameters = {
    method,
    hashType: asNonEmptyString(serialization.hash_type, at(path, 'hash_type')),
    allowSymlinks: asBoolean(serialization.allow_symlinks, at(path, 'allow_symlinks')),
  };
  if (serialization.ignore_paths !== undefined && serialization.ignore_paths !== null) {
    result.ignorePaths = asArray(serialization.ignore_paths, at(path, 'ignore_paths'), MAX_IGNORE_PATHS, 'MAX_IGNORE_PATHS').map((item, i) =>
      asString(item, at(at(path, 'ignore_paths'), i)),
    );
  }
  if (method === 'shards') {
    const size = serialization.shard_size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) throw new FieldError(at(path, 'shard_size'), 'expected a positive integer');
    result.shardSize = size;
  }
  return result;
}

function readResource(resource: Record<string, unknown>, path: string, serialization: SerializationParameters): SignedResource {
  const name = asNonEmptyString(resource.name, at(path, 'name'));
  const algorithm = asNonEmptyString(resource.algorithm, at(path, 'algorithm'));
  const digest = hex(asString(resource.digest, at(path, 'digest')), at(path, 'digest'));
  const file = serialization.method === 'shards' ? shardPath(name, at(path, 'name')) : name;
  checkRelativePath(file, at(path, 'name'));
  return { name, algorithm, digest };
}

/** The file part of a shard name `path:start:end`, after checking the offsets. */
function shardPath(name: string, path: string): string {
  const parts = name.split(':');
  if (parts.length !== 3) throw new FieldError(path, `shard name '${name}' is not path:start:end`);
  const [file, start, end] = parts as [string, string, string];
  if (!/^(0|[1-9]\d*)$/.test(start) || !/^(0|[1-9]\d*)$/.test(end) || Number(end) <= Number(start)) {
    throw new FieldError(path, `shard '${name}' needs offsets start < end`);
  }
  return file;
}

/**
 * A model-relative POSIX path: never absolute, never `..`, no NUL. Resource names are only ever compared with
 * the names antidote computes from the files it finds, never opened, but a name that cannot be a file inside
 * the model is a forged or broken statement.
 */
function checkRelativePath(name: string, path: string): void {
  if (name === '.') return;
  if (name.startsWith('/') || name.includes('\0')) throw new FieldError(path, `'${name}' is not a path relative to the model`);
  const parts = name.split('/');
  if (parts.some((part) => part === '..' || part === '' || part === '.')) throw new FieldError(path, `'${name}' is not a normalized path inside the model`);
}

function hex(value: string, path: string, bytes?: number): string {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(value)) throw new FieldError(path, 'expected a hex digest');
  if (bytes !== undefined && value.length !== bytes * 2) throw new FieldError(path, `expected ${bytes} bytes of hex`);
  return value.toLowerCase();
}
