import { cappedReporter, type CappedReport } from '../capped-reporter.js';
import { defineDetector, type Location } from '../../core/index.js';
import type { KerasDocument, KerasLambda, KerasModel, KerasReference } from '../../readers/keras/index.js';

/** Input of the Keras detector: the JSON documents of a `.keras` zip, a legacy `.h5` or a SavedModel's Keras metadata. */
export interface KerasArtifact {
  model: KerasModel;
  size: number;
}

/*
 * Keras rebuilds a model by walking its JSON config, and the config can ask for code: a Lambda layer carries
 * a marshalled Python code object that runs when the layer is called (CVE-2024-3660: even some safe_mode
 * paths ran it); any `module` field is imported and `class_name` (or, for `class_name: "function"`, `config`)
 * looked up in it, so `{"module": "os", "class_name": "function", "config": "system"}` calls os.system with
 * safe_mode=True (CVE-2025-1550); Keras's own helpers are gadgets too: `keras.config.enable_unsafe_deserialization`
 * switches safe mode off for the rest of the load, `keras.utils.get_file` downloads at load (CVE-2025-8747);
 * a TorchModuleWrapper layer unpickles a torch module. This detector reports each, with where it is and what
 * it names; references inside Keras and TensorFlow stay quiet.
 */

/** Findings per message id before the rest are only counted. */
const MAX_REPORTS_PER_MESSAGE = 25;
/** Strings of a lambda's code shown in a message. */
const SUMMARY_STRINGS = 12;

/** Packages whose classes and functions Keras deserializes as built-ins (`module` root, or registered package). */
const ALLOWED_ROOTS: readonly string[] = ['keras', 'keras_core', 'keras_nlp', 'keras_cv', 'keras_hub', 'tensorflow', 'tf_keras'];
/** Modules whose import and lookup is code execution, file or network access: critical rather than high. */
const DANGEROUS_MODULES = new Set([
  'os', 'posix', 'nt', 'subprocess', 'builtins', '__builtin__', 'sys', 'shutil', 'socket', 'pty', 'importlib', 'runpy',
  'ctypes', 'pickle', '_pickle', 'marshal', 'code', 'codeop', 'webbrowser', 'multiprocessing', 'commands', 'pdb', 'timeit',
  'requests', 'urllib', 'urllib2', 'http', 'ftplib', 'telnetlib', 'smtplib', 'asyncio', 'tempfile', 'pathlib', 'io', 'dill',
  'torch', 'numpy', 'operator', 'functools', 'types', 'inspect', 'gc', 'platform',
]);
/** Names that run code, touch files or the network, or escape a sandbox, wherever they are looked up. */
const DANGEROUS_NAMES = new Set([
  'system', 'popen', 'Popen', 'exec', 'eval', 'compile', '__import__', 'execfile', 'run', 'call', 'check_call', 'check_output',
  'getoutput', 'getstatusoutput', 'spawnl', 'spawnv', 'spawnve', 'spawnvp', 'execl', 'execle', 'execlp', 'execv', 'execve', 'execvp',
  'posix_spawn', 'posix_spawnp', 'fork', 'kill', 'open', 'remove', 'unlink', 'rmtree', 'getattr', 'setattr', 'delattr', 'globals',
  'locals', 'vars', '__builtins__', '__globals__', '__subclasses__', '__getattribute__', '__reduce__', 'import_module',
  'b64decode', 'loads', 'load', 'urlopen', 'urlretrieve', 'connect', 'os', 'subprocess', 'builtins', 'socket', 'pty', 'shutil',
  'importlib', 'ctypes', 'pickle', 'marshal', 'requests', 'urllib', 'webbrowser', 'sh', 'bash', 'curl', 'wget', 'attrgetter',
]);
/** Keras functions that are gadgets although they live in Keras. */
const UNSAFE_TOGGLES = new Set(['enable_unsafe_deserialization']);
const DOWNLOADERS = new Set(['get_file']);

const MESSAGES = {
  lambdaLayer: 'Lambda {{layer}} rebuilds Python code that runs on load ({{encoding}}): {{summary}}',
  moduleReference: 'config references {{reference}}, outside Keras and TensorFlow: Keras imports and calls it on load',
  customObject: 'config needs the custom object {{registered}} ({{reference}}), registered outside Keras: loading runs that code',
  unsafeToggle: 'config calls {{reference}}: safe mode is switched off for the rest of the load',
  torchModule: 'TorchModuleWrapper {{layer}} holds a {{kind}} of {{bytes}} bytes that loading unpickles (torch.load, weights_only=False)',
  download: 'config fetches from the network at load: {{what}}',
  unreadableConfig: 'Keras {{document}} could not be parsed ({{detail}}): Keras may still load it, so it was not checked',
  readProblem: 'part of the Keras model could not be read: {{detail}}',
  moreFindings: '{{count}} more {{messageId}} findings not listed',
} as const;

type MessageId = keyof typeof MESSAGES;

export default defineDetector<KerasArtifact, typeof MESSAGES>({
  id: 'model/keras-config',
  title: 'Keras model config runs code, imports arbitrary modules or downloads on load',
  description:
    'A Keras model (.keras zip, legacy .h5, or a TensorFlow SavedModel\'s keras_metadata.pb) is rebuilt from a ' +
    'JSON config, and that config can carry code: ' +
    'Lambda layers hold a marshalled Python function that runs when the model is used (CVE-2024-3660); any ' +
    '`module` it names is imported and the named class or function called, even with safe_mode=True in ' +
    'affected versions (CVE-2025-1550); Keras helpers such as enable_unsafe_deserialization and get_file ' +
    'switch safe mode off or download files (CVE-2025-8747); TorchModuleWrapper layers unpickle a torch module.',
  remediation:
    'Do not load the model. If you must, load it in an isolated environment with an up-to-date Keras and ' +
    'safe_mode=True, or rebuild the architecture in code and load only the weights (model.weights.h5). Ask the ' +
    'publisher to replace Lambda layers and custom modules with registered Keras layers.',
  defaultSeverity: 'high',
  tags: ['OWASP-LLM03', 'OWASP-LLM04', 'AML.T0010', 'AML.T0011.000', 'CVE-2024-3660', 'CVE-2025-1550', 'CVE-2025-8747', 'CWE-94', 'CWE-502'],
  messages: MESSAGES,
  requires: { network: false, unsafe: false },
  input: 'keras',
  run({ model }, context) {
    const capped = cappedReporter(context, MAX_REPORTS_PER_MESSAGE);
    const report: Report = capped.report;

    for (const problem of model.problems) {
      report('readProblem', 'medium', {
        data: { detail: problem.document ? `${problem.document}: ${problem.message}` : problem.message },
        location: { offset: problem.offset },
        evidence: { match: problem.kind, rule: problem.limit ?? problem.kind, details: { format: model.format } },
      });
    }
    for (const doc of model.documents) checkDocument(doc, model, report);

    capped.flush();
  },
});

type Report = CappedReport<MessageId>;

function checkDocument(doc: KerasDocument, model: KerasModel, report: Report): void {
  const where = (jsonPath: string): Partial<Location> => ({ jsonPath: `${doc.name}:${jsonPath}` });
  if (doc.parseError !== null) {
    report('unreadableConfig', 'medium', { data: { document: doc.name, detail: clip(doc.parseError) }, evidence: { match: 'json', details: { bytes: doc.bytes } } });
    return;
  }
  const facts = doc.facts;
  if (!facts) return;
  if (facts.stoppedBy) {
    report('readProblem', 'medium', {
      data: { detail: `${doc.name}: the walk stopped at ${facts.stoppedBy} after ${facts.nodes} objects; the rest of the config was not checked` },
      evidence: { match: 'limit', rule: facts.stoppedBy },
    });
  }
  if (facts.omitted > 0) {
    report('readProblem', 'medium', { data: { detail: `${doc.name}: ${facts.omitted} further references, lambdas or URLs were not kept` }, evidence: { match: 'limit', rule: 'maxFacts' } });
  }

  for (const lambda of facts.lambdas) {
    const dangerous = dangerousStrings(lambda);
    const shown = [...dangerous, ...lambda.strings.filter((s) => !dangerous.includes(s))].slice(0, SUMMARY_STRINGS);
    report('lambdaLayer', dangerous.length > 0 ? 'critical' : 'high', {
      data: {
        layer: lambda.layerName !== null ? JSON.stringify(clip(lambda.layerName)) : 'function',
        encoding: lambda.encoding === 'marshal' ? `marshalled code object, ${lambda.codeBytes} bytes` : lambda.encoding,
        summary: shown.length > 0 ? `names and constants ${shown.map((s) => JSON.stringify(clip(s, 60))).join(', ')}` : 'no readable names',
      },
      location: where(lambda.jsonPath),
      evidence: {
        match: dangerous.length > 0 ? `code names ${dangerous.join(', ')}` : 'Lambda layer',
        rule: 'CVE-2024-3660',
        excerpt: clip(shown.join(' '), 300),
        details: { encoding: lambda.encoding, codeBytes: lambda.codeBytes, strings: lambda.strings.length, dangerous: dangerous.join(',') },
      },
    });
  }

  for (const ref of facts.references) checkReference(ref, where, report);

  for (const payload of facts.embedded) {
    report('torchModule', 'high', {
      data: { layer: payload.layerName !== null ? JSON.stringify(clip(payload.layerName)) : '-', kind: payload.kind === 'unknown' ? 'payload' : `${payload.kind} payload`, bytes: payload.bytes.length },
      location: where(payload.jsonPath),
      evidence: {
        match: payload.className,
        rule: 'torch-module-wrapper',
        excerpt: payload.bytes.subarray(0, 48).toString('latin1').replace(/[^\x20-\x7e]/g, '.'),
        details: { kind: payload.kind, encoding: payload.encoding, bytes: payload.bytes.length },
      },
    });
  }

  const seen = new Set<string>();
  for (const url of facts.urls) {
    if (seen.has(url.url)) continue;
    seen.add(url.url);
    report('download', 'medium', { data: { what: clip(url.url) }, location: where(url.jsonPath), evidence: { match: clip(url.url), rule: 'url', details: { format: model.format } } });
  }
}

function checkReference(ref: KerasReference, where: (jsonPath: string) => Partial<Location>, report: Report): void {
  let module = ref.module;
  let name = ref.name;
  // A dotted class name without a module ("os.system") is resolved by some loaders as module.attribute.
  if (module === null && name.includes('.')) {
    const dot = name.lastIndexOf('.');
    module = name.slice(0, dot);
    name = name.slice(dot + 1);
  }
  const reference = module !== null ? `${module}.${name}` : name;
  const location = where(ref.jsonPath);
  const details = { via: ref.via, className: ref.className, module: module ?? '', name };
  if (UNSAFE_TOGGLES.has(name)) {
    report('unsafeToggle', 'high', { data: { reference }, location, evidence: { match: reference, rule: 'enable-unsafe-deserialization', details } });
    return;
  }
  if (DOWNLOADERS.has(name) && (module === null || isAllowed(module))) {
    report('download', 'medium', { data: { what: reference }, location, evidence: { match: reference, rule: 'CVE-2025-8747', details } });
    return;
  }
  if (module !== null && !isAllowed(module)) {
    const root = module.split('.')[0] ?? module;
    const critical = DANGEROUS_MODULES.has(root) || DANGEROUS_NAMES.has(name);
    report('moduleReference', critical ? 'critical' : 'high', {
      data: { reference: JSON.stringify(clip(reference)) },
      location,
      evidence: { match: reference, rule: 'CVE-2025-1550', details },
    });
    return;
  }
  const registered = ref.registeredName;
  if (registered !== null && registered.includes('>')) {
    const pkg = registered.slice(0, registered.indexOf('>'));
    // A registered name only resolves to classes the loading program registered itself (no import), so it
    // is custom code the user must supply rather than code the file chooses: medium, not high.
    if (!isAllowed(pkg)) {
      report('customObject', 'medium', { data: { registered: JSON.stringify(clip(registered)), reference: JSON.stringify(clip(reference)) }, location, evidence: { match: registered, rule: 'registered-name', details } });
    }
  }
}

function isAllowed(module: string): boolean {
  return ALLOWED_ROOTS.some((root) => module === root || module.startsWith(`${root}.`));
}

/** Strings of the lambda's code (or identifier tokens inside them) that are dangerous names. */
function dangerousStrings(lambda: KerasLambda): string[] {
  const found = new Set<string>();
  for (const s of lambda.strings) {
    if (DANGEROUS_NAMES.has(s)) found.add(s);
    else for (const token of s.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []) if (DANGEROUS_NAMES.has(token)) found.add(token);
  }
  return [...found];
}

function clip(text: string, max = 100): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
