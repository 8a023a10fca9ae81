import { defineDetector } from '../../core/detector.js';
import type { Severity } from '../../core/severity.js';
import type { TensorflowGraphFile, TfNode, TfNodeDetail } from '../../readers/protobuf/index.js';

/** Input of the TensorFlow op detector: a decoded SavedModel or frozen GraphDef and its file size. */
export interface SavedModelArtifact {
  graph: TensorflowGraphFile;
  size: number;
}

/*
 * A TensorFlow graph is a program: loading a SavedModel and calling it runs its ops, and some ops leave the
 * tensor world. PyFunc, PyFuncStateless and EagerPyFunc call a Python function (tf.py_function/numpy_function);
 * ReadFile, WriteFile and MatchingFiles read, write and list files at paths computed in the graph, which is how
 * published proof-of-concept models leak files or drop payloads ("TensorAbuse", Zhu et al. 2024). The list
 * extends the ones public scanners use (protectai/modelscan `unsafe_tf_operators`: ReadFile, WriteFile;
 * promptfoo/modelaudit TENSORFLOW_DANGEROUS_OPS: PyFunc, PyCall, ShellExecute, ExecuteOp, SystemConfig,
 * MergeV2Checkpoints, Save, SaveV2) with the other file, dataset and network ops of the TensorFlow op set.
 * Every graph of every meta graph and every function body of the library is searched: TF2 models keep almost
 * all their ops in functions.
 */

/** Why an op is listed. */
type OpCategory = 'python' | 'process' | 'file-read' | 'file-write' | 'network' | 'checkpoint';

interface OpRule {
  category: OpCategory;
  severity: Severity;
}

const rule = (category: OpCategory, severity: Severity, ops: string[]): [string, OpRule][] => ops.map((op) => [op, { category, severity }]);

/** Listed ops by name. Checkpoint ops are low, and silent inside a saver (see isSaverNode). */
export const TF_OP_RULES: ReadonlyMap<string, OpRule> = new Map([
  ...rule('python', 'critical', ['PyFunc', 'PyFuncStateless', 'EagerPyFunc', 'PyCall']),
  // Not TensorFlow ops: names other scanners list; a graph using them needs a custom kernel library.
  ...rule('process', 'critical', ['ShellExecute', 'ExecuteOp', 'SystemConfig']),
  ...rule('file-read', 'high', [
    'ReadFile', 'MatchingFiles', 'WholeFileReader', 'WholeFileReaderV2', 'ImmutableConst',
    'InitializeTableFromTextFile', 'InitializeTableFromTextFileV2', 'TextLineReader', 'TextLineReaderV2',
    'TFRecordReader', 'TFRecordReaderV2', 'FixedLengthRecordReader', 'FixedLengthRecordReaderV2', 'LMDBReader',
    'TextLineDataset', 'TFRecordDataset', 'TFRecordDatasetV2', 'FixedLengthRecordDataset', 'FixedLengthRecordDatasetV2',
    'MatchingFilesDataset', 'ExperimentalMatchingFilesDataset', 'CSVDataset', 'CSVDatasetV2', 'ExperimentalCSVDataset',
    'SqlDataset', 'ExperimentalSqlDataset', 'LMDBDataset', 'ExperimentalLMDBDataset', 'LoadDataset',
  ]),
  ...rule('file-write', 'high', [
    'WriteFile', 'DatasetToTFRecord', 'ExperimentalDatasetToTFRecord', 'SaveDataset', 'SaveDatasetV2',
    'SnapshotDataset', 'SnapshotDatasetV2', 'CreateSummaryFileWriter', 'CreateSummaryDbWriter',
  ]),
  ...rule('network', 'high', ['Rpc', 'TryRpc', 'DataServiceDataset', 'DataServiceDatasetV2', 'DataServiceDatasetV3', 'DataServiceDatasetV4']),
  // Debug ops stream tensors to `debug_urls` (file:// or grpc://): exfiltration when a model ships them.
  ...rule('network', 'medium', ['DebugIdentity', 'DebugIdentityV2', 'DebugIdentityV3', 'DebugNanCount', 'DebugNumericSummary', 'DebugNumericSummaryV2']),
  ...rule('checkpoint', 'low', ['Save', 'SaveV2', 'SaveSlices', 'MergeV2Checkpoints', 'Restore', 'RestoreV2', 'RestoreSlice']),
]);

/** Ops whose inputs and attributes the engine asks the reader to decode, for the evidence of this detector. */
export const TF_DETAIL_OPS: ReadonlySet<string> = new Set(TF_OP_RULES.keys());

/**
 * Attributes every op carries (types, shapes, placement): shown in the evidence details but not in the
 * message, which names what the op acts on (a PyFunc `token`, a debug op's `debug_urls`, a file constant).
 */
const ROUTINE_ATTRS = new Set(['T', 'Tin', 'Tout', 'dtype', 'dtypes', 'out_type', 'output_types', 'output_shapes', '_output_shapes', '_class', 'shape', 'container', 'shared_name', '_has_manual_control_dependencies']);
/** Characters of argument text in a message and in the evidence details. */
const MAX_ARGS_IN_MESSAGE = 200;
const MAX_ARGS_IN_DETAILS = 600;

/**
 * Where savers put checkpoint ops: TF2's traced save/restore functions (`__inference__traced_save_45`) and
 * TF1's `save/` name scope. Checkpoint ops there are how every SavedModel stores variables, so they are not
 * reported; elsewhere they are low (a graph that writes checkpoints while serving is odd, not an exploit).
 */
const SAVER_FUNCTION = /_traced_(?:save|restore)(?:_\d+)?$/;
const SAVER_SCOPE = /^save(?:_\d+)?\//;

function isSaverNode(node: TfNode): boolean {
  return node.function !== null ? SAVER_FUNCTION.test(node.function) : SAVER_SCOPE.test(node.name);
}

/** Findings per op before the rest are only counted. */
const MAX_REPORTS_PER_OP = 25;

const CATEGORY_WORDS: Readonly<Record<OpCategory, string>> = {
  python: 'calls a Python function',
  process: 'runs a process or system call',
  'file-read': 'reads files',
  'file-write': 'writes files',
  network: 'sends data over the network or to a debug URL',
  checkpoint: 'reads or writes checkpoint files (expected in the saver function)',
};

const MESSAGES = {
  dangerousOp: 'op {{op}} {{what}}: node {{node}} in {{where}}{{args}}',
  moreOps: '{{count}} more {{op}} nodes not listed',
  graphSummary: 'TensorFlow {{kind}} with {{nodes}} nodes in {{functions}} functions and {{metaGraphs}} meta graphs; no file, process or Python ops',
  malformed: 'protobuf anomaly: {{detail}}',
  incomplete: 'graph not fully read: {{detail}}',
  noVersions: 'frozen GraphDef has no versions field, which TensorFlow always writes last: the file was most likely cut short between nodes',
} as const;

export default defineDetector<SavedModelArtifact, typeof MESSAGES>({
  id: 'model/savedmodel-ops',
  title: 'TensorFlow graph calls Python or touches files',
  description:
    'Loading a TensorFlow SavedModel or frozen graph runs its ops. PyFunc, PyFuncStateless and EagerPyFunc call ' +
    'Python; ReadFile, WriteFile, MatchingFiles and the file-backed dataset and reader ops read or write files at ' +
    'paths computed inside the graph; RPC and debug ops send tensors elsewhere. A model that only predicts needs ' +
    'none of them, so their presence in the graph or its function library is how a model leaks files or drops a payload.',
  remediation:
    'Do not load the model outside a sandbox. Check which node and function use the listed op and why; re-export ' +
    'the model from source without py_function/numpy_function and file I/O in the serving graph.',
  defaultSeverity: 'high',
  tags: ['OWASP-LLM03', 'OWASP-LLM05', 'AML.T0010', 'AML.T0011', 'CWE-94', 'CWE-73'],
  messages: MESSAGES,
  requires: { network: false, unsafe: false },
  input: 'savedmodel',
  run({ graph }, context) {
    const perOp = new Map<string, { reported: number; omitted: number; rule: OpRule }>();
    let flagged = false;
    for (const node of graph.nodes) {
      const opRule = TF_OP_RULES.get(node.op);
      if (!opRule || (opRule.category === 'checkpoint' && isSaverNode(node))) continue;
      flagged = true;
      const state = perOp.get(node.op) ?? { reported: 0, omitted: 0, rule: opRule };
      perOp.set(node.op, state);
      if (state.reported >= MAX_REPORTS_PER_OP) {
        state.omitted++;
        continue;
      }
      state.reported++;
      const args = node.detail ? describeArguments(node.detail) : null;
      context.report({
        messageId: 'dangerousOp',
        severity: opRule.severity,
        data: { op: node.op, what: CATEGORY_WORDS[opRule.category], node: JSON.stringify(clip(node.name)), where: whereOf(node), args: args?.message ? `; ${args.message}` : '' },
        location: { offset: node.offset },
        evidence: {
          match: node.op,
          rule: opRule.category,
          ...(args?.excerpt ? { excerpt: args.excerpt } : {}),
          details: {
            op: node.op,
            node: node.name,
            function: node.function ?? '',
            metaGraph: node.metaGraph,
            tags: (graph.metaGraphTags[node.metaGraph] ?? []).join(','),
            ...(args ? args.details : {}),
          },
        },
      });
    }
    for (const [op, state] of perOp) {
      if (state.omitted > 0) context.report({ messageId: 'moreOps', severity: state.rule.severity, data: { count: state.omitted, op }, evidence: { match: op, details: { omitted: state.omitted } } });
    }
    for (const problem of graph.problems) {
      flagged = true;
      context.report({ messageId: 'malformed', severity: 'medium', data: { detail: problem.message }, location: { offset: problem.offset }, evidence: { rule: problem.kind } });
    }
    if (graph.kind === 'graph-def' && !graph.hasVersions && !graph.stop) {
      flagged = true;
      context.report({ messageId: 'noVersions', severity: 'medium', evidence: { rule: 'missing-versions', details: { nodes: graph.nodes.length, functions: graph.functions.length } } });
    }
    if (graph.stop) {
      flagged = true;
      context.report({ messageId: 'incomplete', severity: 'medium', data: { detail: graph.stop.message }, location: { offset: graph.stop.offset }, evidence: { rule: graph.stop.kind } });
    }
    if (!flagged) {
      const ops = new Set(graph.nodes.map((n) => n.op));
      context.report({
        messageId: 'graphSummary',
        severity: 'info',
        data: { kind: graph.kind === 'saved-model' ? 'SavedModel' : 'GraphDef', nodes: graph.nodes.length, functions: graph.functions.length, metaGraphs: graph.metaGraphTags.length },
        evidence: { details: { nodes: graph.nodes.length, functions: graph.functions.length, metaGraphs: graph.metaGraphTags.length, distinctOps: ops.size, schemaVersion: graph.schemaVersion === null ? -1 : Number(graph.schemaVersion) } },
      });
    }
  },
});

/**
 * What a flagged node acts on, from its decoded arguments: string attributes other than the routine ones
 * (`token="pyfunc_0"`, `debug_urls=["grpc://..."]`) and string constants feeding its inputs (the path a
 * ReadFile reads), for the message; every attribute and input for the details.
 */
function describeArguments(detail: TfNodeDetail): { message: string; excerpt: string; details: Record<string, string> } {
  const notable = [
    ...detail.attrs.filter((a) => a.strings.length > 0 && !ROUTINE_ATTRS.has(a.name)).map((a) => `${a.name}=${a.value}`),
    ...detail.constInputs.map((c) => `input ${JSON.stringify(c.input)} is the constant ${c.values.map((v) => JSON.stringify(v)).join(', ')}`),
  ];
  const attrs = detail.attrs.map((a) => `${a.name}=${a.value}`).join('; ') + (detail.attrsOmitted > 0 ? `; ... ${detail.attrsOmitted} more` : '');
  const inputs = detail.inputs.join(', ') + (detail.inputsOmitted > 0 ? `, ... ${detail.inputsOmitted} more` : '');
  const details: Record<string, string> = {};
  if (attrs) details.attrs = clipTo(attrs, MAX_ARGS_IN_DETAILS);
  if (inputs) details.inputs = clipTo(inputs, MAX_ARGS_IN_DETAILS);
  if (detail.constInputs.length > 0) details.constInputs = clipTo(detail.constInputs.map((c) => `${c.node}=${JSON.stringify(c.values)}`).join('; '), MAX_ARGS_IN_DETAILS);
  const strings = [...detail.constInputs.flatMap((c) => c.values), ...detail.attrs.filter((a) => !ROUTINE_ATTRS.has(a.name)).flatMap((a) => a.strings)];
  return { message: clipTo(notable.join(', '), MAX_ARGS_IN_MESSAGE), excerpt: clipTo(strings.join(' '), MAX_ARGS_IN_MESSAGE), details };
}

function clipTo(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

function whereOf(node: TfNode): string {
  const graph = `meta graph ${node.metaGraph}`;
  return node.function !== null ? `function ${JSON.stringify(clip(node.function))} (${graph})` : `the top-level graph (${graph})`;
}

function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}
