import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ImportPolicy, ImportVerdict } from '../core/detector.js';
import { AntidoteError, errorMessage } from '../core/errors.js';

/*
 * The pickle import policy: an allow-list of globals that benign ML checkpoints import (checked first) and a
 * deny-list that is a superset of the public scanners' lists (picklescan, modelscan, fickling, ModelAudit).
 * Policies are data files (policies/pickle.json); users extend them with files of the same shape.
 */

/** One allow or deny entry as written in a policy file. */
export interface PolicyEntry {
  module: string;
  /** `"*"` = the module and every submodule; a list = exactly those attributes of exactly this module. */
  names: '*' | string[];
  source?: string;
  reason?: string;
}

/** A policy file: `{ version: 1, allow: [...], deny: [...] }`. */
export interface PicklePolicyFile {
  version: 1;
  description?: string;
  allow: PolicyEntry[];
  deny: PolicyEntry[];
}


/**
 * Python 2 module names that CPython's Unpickler maps to Python 3 ones (`fix_imports`,
 * Lib/_compat_pickle.py): a deny-list that only knows `builtins` misses `__builtin__.eval`.
 */
const MODULE_ALIASES: Readonly<Record<string, string>> = {
  __builtin__: 'builtins',
  __builtins__: 'builtins',
  exceptions: 'builtins',
  copy_reg: 'copyreg',
  cPickle: 'pickle',
  _pickle: 'pickle',
  commands: 'subprocess',
  Queue: 'queue',
  SocketServer: 'socketserver',
  urllib2: 'urllib.request',
  httplib: 'http.client',
  cStringIO: 'io',
  StringIO: 'io',
  thread: '_thread',
  dummy_thread: '_dummy_thread',
  __main__: '__main__',
};

/** Default policy shipped with the package (policies/pickle.json beside src/ and dist/). */
export const DEFAULT_PICKLE_POLICY_PATH = fileURLToPath(new URL('../../policies/pickle.json', import.meta.url));

/** A compiled policy: fast lookups for allow, deny-by-module and deny-by-name. */
export class PicklePolicy implements ImportPolicy {
  private readonly allow = new Map<string, string>();
  private readonly denyModules = new Map<string, PolicyEntry>();
  private readonly denyNames = new Map<string, Map<string, PolicyEntry>>();

  constructor(files: PicklePolicyFile[]) {
    for (const file of files) {
      for (const entry of file.allow) {
        const names = entry.names === '*' ? [] : entry.names;
        for (const name of names) this.allow.set(`${entry.module}\u0000${name}`, `${entry.module}.${name}`);
      }
      for (const entry of file.deny) {
        // Stored under the name the policy uses; aliases are applied to the judged global instead, so a
        // `commands` (Python 2) entry never shadows the `subprocess` entry it maps to.
        const module = entry.module;
        if (entry.names === '*') {
          this.denyModules.set(module, entry);
          continue;
        }
        let names = this.denyNames.get(module);
        if (!names) this.denyNames.set(module, (names = new Map()));
        for (const name of entry.names) names.set(name, entry);
      }
    }
  }

  /**
   * Judge `module.name` (docs/pickle-policy.md, section 1): a name-list deny first, then an exact allow
   * pair, then a module-wide deny. Deny rules also see every re-rooted tail of a dotted name
   * (`site` + `os.system` reaches `os.system`) with wrapper suffixes such as `.__call__` stripped.
   */
  judge(module: string, name: string): ImportVerdict {
    const canonical = canonicalModule(module);
    const nameParts = name.split('.');
    const modules = canonical === module ? [module] : [module, canonical];
    const candidates = modules.flatMap((m) => denyCandidates(`${m}.${name}`.split('.'), nameParts.length));

    for (const path of candidates) {
      const hit = this.matchNameDeny(path);
      if (hit) return hit;
    }
    for (const m of modules) {
      const allowed = this.allow.get(`${m}\u0000${name}`);
      if (allowed !== undefined) return { verdict: 'allow', rule: `allow:${allowed}` };
    }
    // TorchScript class names (`__torch__.Net`) are resolved by TorchScript's C++ unpickler from the archive's
    // own compiled code; Python has no `__torch__` module, so a plain unpickler cannot import anything here.
    if ((canonical === TORCHSCRIPT_NAMESPACE || canonical.startsWith(`${TORCHSCRIPT_NAMESPACE}.`)) && !name.includes('__')) {
      return { verdict: 'allow', rule: `allow:${TORCHSCRIPT_NAMESPACE}.*` };
    }
    for (const path of candidates) {
      const hit = this.matchModuleDeny(path);
      if (hit) return hit;
    }
    // Attribute chains that reach namespaces or evaluators are dangerous in any module (ModelAudit's
    // namespace rule; fickling flags any component named eval/exec/compile).
    const reached = nameParts.find((part) => NAMESPACE_ATTRIBUTES.has(part));
    if (reached) return { verdict: 'deny', rule: `deny:attribute-${reached}`, reason: 'attribute chain reaches a namespace of callables' };
    const last = nameParts[nameParts.length - 1]!;
    if (EVALUATORS.has(last)) return { verdict: 'deny', rule: `deny:attribute-${last}`, reason: 'evaluates code' };
    return { verdict: 'unknown', rule: 'none' };
  }

  private matchNameDeny(path: string[]): ImportVerdict | undefined {
    // Every split point: `a.b.c` is module `a` attribute `b`, or module `a.b` attribute `c`.
    for (let i = 1; i < path.length; i++) {
      const entry = this.denyNames.get(path.slice(0, i).join('.'))?.get(path[i]!);
      if (entry) return denied(`deny:${entry.module}.${path[i]}`, entry);
    }
    return undefined;
  }

  private matchModuleDeny(path: string[]): ImportVerdict | undefined {
    for (let i = 1; i <= path.length; i++) {
      const entry = this.denyModules.get(path.slice(0, i).join('.'));
      if (entry) return denied(`deny:${entry.module}`, entry);
    }
    return undefined;
  }

  /** Number of entries, for reports and tests. */
  get size(): { allow: number; denyModules: number; denyNames: number } {
    let denyNames = 0;
    for (const names of this.denyNames.values()) denyNames += names.size;
    return { allow: this.allow.size, denyModules: this.denyModules.size, denyNames };
  }
}

/** The module prefix TorchScript gives compiled classes in its pickles. */
const TORCHSCRIPT_NAMESPACE = '__torch__';
/** Components that hand out arbitrary callables from any object they are reached on. */
const NAMESPACE_ATTRIBUTES = new Set(['__dict__', '__globals__', '__builtins__', '__getattribute__', '__subclasses__']);
/** Last components that evaluate code whatever module they hang off. */
const EVALUATORS = new Set(['eval', 'exec', 'compile']);
/** Wrapper tails that still reach the wrapped callable (ModelAudit strips them the same way). */
const WRAPPER_SUFFIXES = new Set(['__call__', '__get__', '__self__', '__func__']);

/**
 * Paths the deny rules are checked against: the full path without wrapper tails, and every re-rooted tail
 * that starts inside the dotted name (an attribute chain can walk into any module its host imported).
 */
function denyCandidates(full: string[], nameLength: number): string[][] {
  let path = full;
  while (path.length > 2 && WRAPPER_SUFFIXES.has(path[path.length - 1]!)) path = path.slice(0, -1);
  const candidates = [path];
  const firstNameIndex = full.length - nameLength;
  for (let start = firstNameIndex; start < path.length - 1; start++) candidates.push(path.slice(start));
  return candidates;
}

function denied(rule: string, entry: PolicyEntry): ImportVerdict {
  const verdict: ImportVerdict = { verdict: 'deny', rule };
  if (entry.reason) verdict.reason = entry.reason;
  return verdict;
}

function canonicalModule(module: string): string {
  const dot = module.indexOf('.');
  const head = dot < 0 ? module : module.slice(0, dot);
  const alias = MODULE_ALIASES[head];
  if (alias === undefined) return module;
  return dot < 0 ? alias : alias + module.slice(dot);
}

/** Validate a parsed policy file; errors name the file and the field. */
export function validatePolicyFile(data: unknown, source: string): PicklePolicyFile {
  const problem = (field: string, what: string): AntidoteError =>
    new AntidoteError('POLICY_INVALID', `${source}: ${field} ${what}`);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw problem('(top level)', 'must be a JSON object');
  const record = data as Record<string, unknown>;
  if (record.version !== 1) throw problem('version', 'must be 1');
  const entries = (key: 'allow' | 'deny'): PolicyEntry[] => {
    const list = record[key] ?? [];
    if (!Array.isArray(list)) throw problem(key, 'must be an array');
    return list.map((raw, i) => {
      const at = `${key}[${i}]`;
      if (typeof raw !== 'object' || raw === null) throw problem(at, 'must be an object');
      const entry = raw as Record<string, unknown>;
      if (typeof entry.module !== 'string' || entry.module === '') throw problem(`${at}.module`, 'must be a non-empty string');
      const names = entry.names;
      if (names !== '*' && !(Array.isArray(names) && names.every((n) => typeof n === 'string' && n !== ''))) {
        throw problem(`${at}.names`, 'must be "*" or an array of non-empty strings');
      }
      if (key === 'allow' && names === '*') throw problem(`${at}.names`, 'allow entries must list names ("*" is only for deny)');
      const out: PolicyEntry = { module: entry.module, names: names as PolicyEntry['names'] };
      if (typeof entry.source === 'string') out.source = entry.source;
      if (typeof entry.reason === 'string') out.reason = entry.reason;
      return out;
    });
  };
  const file: PicklePolicyFile = { version: 1, allow: entries('allow'), deny: entries('deny') };
  if (typeof record.description === 'string') file.description = record.description;
  return file;
}

/** Read and validate a policy file from disk. */
export function readPolicyFile(path: string): PicklePolicyFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AntidoteError('POLICY_INVALID', `${path}: cannot read policy file (${errorMessage(error)})`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new AntidoteError('POLICY_INVALID', `${path}: not valid JSON (${errorMessage(error)})`, { cause: error });
  }
  return validatePolicyFile(data, path);
}

let defaultPolicyFile: PicklePolicyFile | undefined;

/** The shipped policy plus any user files (later files extend earlier ones). */
export function loadPicklePolicy(extraPaths: string[] = []): PicklePolicy {
  defaultPolicyFile ??= readPolicyFile(DEFAULT_PICKLE_POLICY_PATH);
  return new PicklePolicy([defaultPolicyFile, ...extraPaths.map(readPolicyFile)]);
}
