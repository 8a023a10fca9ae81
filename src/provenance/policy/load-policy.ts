import { createHash, createPublicKey } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, fstatSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { AntidoteError, errorMessage } from '../../core/errors.js';
import type { Severity } from '../../core/severity.js';
import { describeSchemaError, fieldName, relevantErrors } from './schema-messages.js';
import type { AllowedKey, Policy, PolicyPath, PolicyPosition } from './types.js';
import { positionOf } from './yaml-positions.js';

/*
 * antidote.yaml: read as YAML 1.2 (core schema, strict), validated against the bundled JSON schema, every
 * problem reported as `file:line:col: what is wrong` so an editor or a CI annotation can jump to it. Nothing
 * in the file is executed or fetched: the only other files read are the public keys it names.
 */

/** Largest policy file read: real ones are a few KB; the cap bounds YAML parsing time on a hostile file. */
export const MAX_POLICY_BYTES = 1024 * 1024;
/** Largest public key file read: a PEM key is well under 1 KB; a bigger file is not a key. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;
/**
 * Alias expansions allowed when turning the YAML into values: a few are handy for repeated lists; many are
 * the billion-laughs attack (CWE-776).
 */
export const MAX_POLICY_ALIASES = 100;
/** Problems listed in one error; the rest are counted, so a wrong file does not flood the terminal. */
const MAX_PROBLEMS_SHOWN = 20;

/** The bundled schema: schemas/ sits at the package root, three levels above src/ and dist/ modules. */
export const POLICY_SCHEMA_PATH = fileURLToPath(new URL('../../../schemas/antidote-policy.schema.json', import.meta.url));

/** The policy as the schema shapes it (kebab-case keys), before paths and keys are resolved. */
interface RawPolicy {
  version: 1;
  sources?: { huggingface?: string[]; urls?: string[] };
  signatures?: { require?: string[]; identities?: { identity: string; issuer: string }[]; keys?: ({ path: string } | { sha256: string })[] };
  lock?: { require: string[]; exclude?: string[] };
  scan?: { 'fail-on'?: Severity; strict?: boolean };
  audit?: { 'fail-on'?: Severity; 'max-flagged-ratio'?: number };
}

let validator: ValidateFunction | undefined;

function policyValidator(): ValidateFunction {
  if (validator) return validator;
  let schema: object;
  try {
    schema = JSON.parse(readFileSync(POLICY_SCHEMA_PATH, 'utf8')) as object;
  } catch (error) {
    throw new AntidoteError('INTERNAL', `the bundled policy schema ${POLICY_SCHEMA_PATH} cannot be read (${errorMessage(error)}); reinstall antidote`, { cause: error });
  }
  // strictRequired is off because the "at least one of these keys" anyOf branches name keys declared one level
  // up. strictNumbers: YAML's .nan and .inf are numbers to JavaScript but pass no `minimum`/`maximum` check.
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, strictNumbers: true });
  validator = ajv.compile(schema);
  return validator;
}

/** A problem at a place in the policy file. */
interface Problem {
  at: PolicyPosition;
  message: string;
}

function policyError(problems: Problem[]): AntidoteError {
  const sorted = [...problems].sort((a, b) => a.at.line - b.at.line || a.at.col - b.at.col);
  const unique = sorted.filter((p, i) => i === 0 || p.message !== sorted[i - 1]!.message || p.at.line !== sorted[i - 1]!.at.line);
  const lines = unique.slice(0, MAX_PROBLEMS_SHOWN).map((p) => `${p.at.file}:${p.at.line}:${p.at.col}: ${p.message}`);
  if (unique.length > MAX_PROBLEMS_SHOWN) lines.push(`... and ${unique.length - MAX_PROBLEMS_SHOWN} more problem(s)`);
  lines.push('Fix the policy file; its format is described in docs/policy.md.');
  return new AntidoteError('POLICY_INVALID', lines.join('\n'));
}

function readBounded(path: string, max: number): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > max) throw new AntidoteError('POLICY_INVALID', `${path}: ${size} bytes is larger than the ${max}-byte limit for this file`);
    const buffer = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, buffer, done, size - done, done);
      if (n <= 0) break;
      done += n;
    }
    return buffer.subarray(0, done).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Read, validate and type a policy file; throws AntidoteError POLICY_INVALID naming `file:line:col`. */
export function loadPolicy(path: string): Policy {
  let text: string;
  try {
    text = readBounded(path, MAX_POLICY_BYTES);
  } catch (error) {
    if (error instanceof AntidoteError) throw error;
    throw new AntidoteError('POLICY_INVALID', `${path}: cannot read the policy file (${errorMessage(error)})`, { cause: error });
  }
  return parsePolicy(text, path);
}

/**
 * Validate and type policy text; `file` names it in errors and anchors its relative paths. Throws
 * AntidoteError POLICY_INVALID for anything that is not a valid policy, never another error.
 */
export function parsePolicy(text: string, file: string): Policy {
  const lines = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true, version: '1.2', schema: 'core' });
  const at = (offset: number): PolicyPosition => ({ file, ...lines.linePos(offset) });
  // Warnings (an unknown tag, for one) are errors here: a policy must mean exactly what it says.
  const yamlProblems = [...doc.errors, ...doc.warnings].map((e) => ({ at: at(e.pos[0]), message: `YAML: ${e.message}` }));
  if (yamlProblems.length > 0) throw policyError(yamlProblems);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_POLICY_ALIASES });
  } catch (error) {
    throw policyError([{ at: { file, line: 1, col: 1 }, message: `YAML: ${errorMessage(error)}` }]);
  }
  if (data === null || data === undefined) {
    throw policyError([{ at: { file, line: 1, col: 1 }, message: "the policy is empty; it needs at least 'version: 1'" }]);
  }
  const validate = policyValidator();
  if (!validate(data)) {
    const problems = relevantErrors(validate.errors ?? []).map((e) => {
      const problem = describeSchemaError(e);
      return { at: { file, ...positionOf(doc, lines, problem.segments, { key: problem.atKey }) }, message: problem.message };
    });
    throw policyError(problems);
  }
  return typePolicy(data as RawPolicy, doc, lines, file);
}

function typePolicy(raw: RawPolicy, doc: Document, lines: LineCounter, file: string): Policy {
  const base = dirname(resolve(file));
  const at = (...segments: (string | number)[]): PolicyPosition => ({ file, ...positionOf(doc, lines, segments) });
  const paths = (section: string, list: string[] | undefined): PolicyPath[] =>
    (list ?? []).map((written, i) => ({ written, path: resolve(base, written), at: at(section, 'require', i) }));
  const policy: Policy = { file: resolve(file), version: 1, scan: {}, audit: {} };
  if (raw.sources) {
    policy.sources = {
      huggingface: (raw.sources.huggingface ?? []).map((org, i) => ({ org, at: at('sources', 'huggingface', i) })),
      urls: (raw.sources.urls ?? []).map((prefix, i) => ({ prefix, at: at('sources', 'urls', i) })),
      at: at('sources'),
    };
  }
  if (raw.signatures) {
    const problems: Problem[] = [];
    const keys = (raw.signatures.keys ?? []).flatMap((key, i): AllowedKey[] => {
      if ('sha256' in key) return [{ sha256: key.sha256.toLowerCase(), at: at('signatures', 'keys', i) }];
      const where = at('signatures', 'keys', i, 'path');
      try {
        return [{ ...publicKeyFingerprint(resolve(base, key.path)), at: where }];
      } catch (error) {
        problems.push({ at: where, message: `${fieldName(['signatures', 'keys', i, 'path'])}: ${errorMessage(error)}` });
        return [];
      }
    });
    if (problems.length > 0) throw policyError(problems);
    policy.signatures = {
      require: paths('signatures', raw.signatures.require),
      identities: (raw.signatures.identities ?? []).map((id, i) => ({ identity: id.identity, issuer: id.issuer, at: at('signatures', 'identities', i) })),
      keys,
      at: at('signatures'),
    };
  }
  if (raw.lock) policy.lock = { require: paths('lock', raw.lock.require), exclude: raw.lock.exclude ?? [], at: at('lock') };
  if (raw.scan?.['fail-on'] !== undefined) policy.scan.failOn = raw.scan['fail-on'];
  if (raw.scan?.strict !== undefined) policy.scan.strict = raw.scan.strict;
  if (raw.audit?.['fail-on'] !== undefined) policy.audit.failOn = raw.audit['fail-on'];
  if (raw.audit?.['max-flagged-ratio'] !== undefined) policy.audit.maxFlaggedRatio = raw.audit['max-flagged-ratio'];
  return policy;
}

/** The SPKI sha256 of a PEM public key file: the identity a verifier compares, whatever the PEM wrapping. */
function publicKeyFingerprint(path: string): { sha256: string; path: string } {
  let pem: string;
  try {
    pem = readBounded(path, MAX_KEY_FILE_BYTES);
  } catch (error) {
    throw new AntidoteError('POLICY_INVALID', `cannot read the public key ${path} (${errorMessage(error)}); give the PEM file's path relative to the policy file, or its sha256 fingerprint`);
  }
  // A private key would yield its public half, but a policy file pointing at a private key is a leak waiting
  // to be committed: refuse it.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw new AntidoteError('POLICY_INVALID', `${path} holds a private key; name the public key file instead and keep the private key out of the repository`);
  let der: Buffer;
  try {
    der = createPublicKey(pem).export({ type: 'spki', format: 'der' });
  } catch (error) {
    throw new AntidoteError('POLICY_INVALID', `${path} is not a PEM public key (${errorMessage(error)})`);
  }
  return { sha256: createHash('sha256').update(der).digest('hex'), path };
}
