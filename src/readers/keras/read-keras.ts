import { errorMessage, fail, ok, type ByteSource, type Limits, type ReadResult } from '../../core/index.js';
import { collectConfigFacts, type KerasConfigFacts } from './config-facts.js';
import { readHdf5RootAttributes, type Hdf5Attribute, type Hdf5Problem } from './hdf5-attributes.js';
import { parsePythonJson } from './python-json.js';

/*
 * The two Keras model formats. Keras 3 `.keras` files are zips holding `config.json` (the architecture, read
 * with json.loads and deserialized), `metadata.json` (keras_version, date) and `model.weights.h5`; the
 * loader opens members by name with Python's zipfile. Legacy `.h5` files (Keras 2, `save_format="h5"`) keep
 * the same kind of config as JSON in the root attributes `model_config` and `training_config`. Both come
 * down to JSON documents; this module finds them, parses them as Python would, and lists what they ask the
 * loader to import, rebuild or fetch.
 */

/** Largest JSON document parsed (also bounded by maxMemberBytes); real configs are KiB to a few MiB. */
export const MAX_CONFIG_BYTES = 256 * 1024 * 1024;
/** Zip members Keras reads as JSON. */
export const KERAS_CONFIG_MEMBER = 'config.json';
export const KERAS_METADATA_MEMBER = 'metadata.json';
/** Root attributes of a legacy .h5 model that hold JSON Keras deserializes. */
export const KERAS_H5_JSON_ATTRIBUTES: readonly string[] = ['model_config', 'training_config'];

/** One JSON document of a Keras model and what was read from it. */
export interface KerasDocument {
  /** `config.json`, `metadata.json`, `model_config`, `training_config`. */
  name: string;
  bytes: number;
  /** Parsed JSON, or null when it did not parse (see `parseError`). */
  value: unknown;
  parseError: string | null;
  /** What the config asks the loader to do; null for metadata and unparsed documents. */
  facts: KerasConfigFacts | null;
}

/** A part of the model antidote could not read; unknown is never clean. */
export interface KerasProblem {
  kind: 'malformed' | 'truncated' | 'unsupported' | 'limit' | 'io';
  message: string;
  /** Zip member or HDF5 attribute concerned. */
  document?: string;
  offset?: number;
  limit?: string;
}

/** A Keras model as read from a `.keras` zip or a legacy `.h5` file. */
export interface KerasModel {
  format: 'keras-zip' | 'keras-h5' | 'keras-savedmodel';
  /** `keras_version` from metadata.json or the root attribute, when present. */
  kerasVersion: string | null;
  /** `backend` attribute of a legacy .h5 file, or null. */
  backend: string | null;
  documents: KerasDocument[];
  problems: KerasProblem[];
}

/**
 * What this module needs of a zip member. A zip reader's entry satisfies it; readers do not import each
 * other (layer rule), so the caller opens members with its zip reader and passes `open`.
 */
export interface KerasArchiveMember {
  name: string;
  isDirectory: boolean;
  dataOffset: number;
}

/**
 * True when a zip is a Keras archive to Keras's loader: it has a member named exactly `config.json` (the
 * name zipfile looks up). Whether that JSON has Keras structure is checked by readKerasArchive.
 */
export function sniffKerasArchive(entries: readonly KerasArchiveMember[]): boolean {
  return entries.some((e) => e.name === KERAS_CONFIG_MEMBER && !e.isDirectory);
}

/**
 * Read the JSON members of a `.keras` zip. Every member named `config.json` is read (zipfile uses the last
 * of duplicated names, other tools the first: both are checked). Fails with `unsupported` when config.json
 * holds JSON without Keras structure (a Hugging Face config in a zip, say). `open` returns a member's bytes
 * (with the zip reader: `(e) => openEntry(source, archive, e, limits)`). Never throws.
 */
export function readKerasArchive<E extends KerasArchiveMember>(entries: readonly E[], open: (entry: E) => ReadResult<ByteSource>, limits: Limits): ReadResult<KerasModel> {
  try {
    const model: KerasModel = { format: 'keras-zip', kerasVersion: null, backend: null, documents: [], problems: [] };
    for (const entry of entries) {
      if ((entry.name !== KERAS_CONFIG_MEMBER && entry.name !== KERAS_METADATA_MEMBER) || entry.isDirectory) continue;
      const opened = open(entry);
      if (!opened.ok) {
        model.problems.push({ ...opened.error, document: entry.name });
        continue;
      }
      const member = opened.value;
      const max = Math.min(MAX_CONFIG_BYTES, limits.maxMemberBytes);
      if (member.size > max) {
        model.problems.push({ kind: 'limit', limit: 'maxConfigBytes', document: entry.name, offset: entry.dataOffset, message: `${entry.name} has ${member.size} bytes, over the ${max}-byte limit for a JSON document` });
        continue;
      }
      const text = member.read(0, member.size).toString('utf8');
      model.documents.push(parseDocument(entry.name, text, entry.name === KERAS_CONFIG_MEMBER, limits));
    }
    for (const doc of model.documents) {
      if (doc.name === KERAS_METADATA_MEMBER && isRecord(doc.value) && typeof doc.value.keras_version === 'string') model.kerasVersion = doc.value.keras_version;
    }
    const looksKeras = model.kerasVersion !== null || model.documents.some((d) => d.name === KERAS_CONFIG_MEMBER && (d.parseError !== null || hasKerasStructure(d.value)));
    if (!looksKeras && model.problems.length === 0) {
      return fail({ kind: 'unsupported', message: 'config.json is JSON without Keras structure (no class_name or module at its top)' });
    }
    return ok(model);
  } catch (error) {
    return fail({ kind: 'io', message: `reading the Keras archive failed: ${errorMessage(error)}` });
  }
}

/**
 * Read a legacy Keras `.h5` model: the HDF5 root attributes, of which `model_config` and `training_config`
 * are parsed. Fails with `unsupported` for an HDF5 file that has neither `model_config` nor `keras_version`
 * (not a Keras model), and with the HDF5 reader's error when the root group cannot be read. Never throws.
 */
export function readKerasH5(source: ByteSource, limits: Limits): ReadResult<KerasModel> {
  try {
    return readH5(source, limits);
  } catch (error) {
    return fail({ kind: 'io', message: `reading the Keras .h5 model failed: ${errorMessage(error)}` });
  }
}

function readH5(source: ByteSource, limits: Limits): ReadResult<KerasModel> {
  const root = readHdf5RootAttributes(source, limits);
  if (!root.ok) return root;
  const attributes = root.value.attributes;
  const byName = new Map<string, Hdf5Attribute>();
  for (const a of attributes) if (!byName.has(a.name)) byName.set(a.name, a);
  const keras = byName.has('model_config') || byName.has('keras_version');
  if (!keras) {
    const unread = root.value.problems[0];
    return fail({
      kind: 'unsupported',
      message: `HDF5 file without a model_config or keras_version root attribute: not a Keras model${unread ? ` (as far as could be read: ${unread.message})` : ''}`,
    });
  }
  const model: KerasModel = {
    format: 'keras-h5',
    kerasVersion: firstString(byName.get('keras_version')),
    backend: firstString(byName.get('backend')),
    documents: [],
    problems: root.value.problems.map((p: Hdf5Problem) => ({ ...p })),
  };
  if (root.value.problemsOmitted > 0) model.problems.push({ kind: 'limit', limit: 'maxProblems', message: `${root.value.problemsOmitted} further HDF5 problems not listed` });
  for (const name of KERAS_H5_JSON_ATTRIBUTES) {
    const attribute = byName.get(name);
    if (!attribute) continue;
    const text = attribute.strings?.[0];
    if (text === undefined) {
      model.problems.push({ kind: 'unsupported', document: name, offset: attribute.offset, message: `attribute ${name} is not a string antidote can decode (${attribute.type}); Keras may still read it` });
      continue;
    }
    if (attributes.filter((a) => a.name === name).length > 1) {
      model.problems.push({ kind: 'malformed', document: name, offset: attribute.offset, message: `the root group has attribute ${name} more than once: readers may disagree on which one counts` });
    }
    model.documents.push(parseDocument(name, text, true, limits));
  }
  return ok(model);
}

/**
 * One Keras object's metadata in a TensorFlow SavedModel (`keras_metadata.pb`, or the object graph of an
 * older `saved_model.pb`), as the protobuf reader extracts it. Structural, so that readers stay independent.
 */
export interface KerasSavedMetadataNode {
  nodeId: number;
  nodePath: string;
  identifier: string;
  /** The JSON text; '' when a limit kept it out (then `omitted` names the limit). */
  metadata: string;
  metadataBytes: number;
  omitted: string | null;
  offset: number;
}

/**
 * The Keras model a SavedModel's metadata describes: every node's JSON (a layer, metric or model config that
 * Keras revives with `_revive_from_config`) parsed as a config document named by its node path, so that
 * the checks of `.keras` and `.h5` configs apply unchanged. `problems` are the protobuf reader's, passed on.
 * Never throws.
 */
export function readKerasSavedMetadata(nodes: readonly KerasSavedMetadataNode[], problems: readonly KerasProblem[], limits: Limits): KerasModel {
  const model: KerasModel = { format: 'keras-savedmodel', kerasVersion: null, backend: null, documents: [], problems: [...problems] };
  try {
    for (const node of nodes) {
      const name = node.nodePath || `node ${node.nodeId}`;
      if (node.omitted !== null) {
        model.problems.push({ kind: 'limit', limit: node.omitted, document: name, offset: node.offset, message: `metadata of ${name} has ${node.metadataBytes} bytes, over ${node.omitted}: not checked` });
        continue;
      }
      if (node.metadata.length === 0) continue;
      const doc = parseDocument(name, node.metadata, true, limits);
      model.documents.push(doc);
      if (model.kerasVersion === null && isRecord(doc.value) && typeof doc.value.keras_version === 'string') model.kerasVersion = doc.value.keras_version;
      if (model.backend === null && isRecord(doc.value) && typeof doc.value.backend === 'string') model.backend = doc.value.backend;
    }
  } catch (error) {
    model.problems.push({ kind: 'io', message: `reading the Keras metadata failed: ${errorMessage(error)}` });
  }
  return model;
}

function parseDocument(name: string, text: string, isConfig: boolean, limits: Limits): KerasDocument {
  const parsed = parsePythonJson(text);
  const bytes = Buffer.byteLength(text);
  if (!parsed.ok) return { name, bytes, value: null, parseError: parsed.message, facts: null };
  return { name, bytes, value: parsed.value, parseError: null, facts: isConfig ? collectConfigFacts(name, parsed.value, limits.maxMemberBytes) : null };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasKerasStructure(value: unknown): boolean {
  return isRecord(value) && (typeof value.class_name === 'string' || typeof value.module === 'string');
}

function firstString(attribute: Hdf5Attribute | undefined): string | null {
  return attribute?.strings?.[0] ?? null;
}
