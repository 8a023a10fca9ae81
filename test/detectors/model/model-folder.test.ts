import { describe, expect, it } from 'vitest';
import detector, { type FolderArtifact } from '../../../src/detectors/model/model-folder.js';
import { brief, runDetector } from '../detector-tester.js';

const card = { hasFrontMatter: true, baseModel: ['meta-llama/Llama-3.1-8B'], datasets: ['tatsu-lab/alpaca'], license: 'apache-2.0' };
const folder = (files: [string, string][], modelCard: FolderArtifact['modelCard'] = card): FolderArtifact => ({
  files: files.map(([name, format]) => ({ name, format })),
  modelCard,
  hasConfig: true,
});

describe('model/model-folder', () => {
  it('safetensors only, with provenance: just the summary', () => {
    expect(brief(runDetector(detector, folder([['model.safetensors', 'safetensors']])))).toEqual(['summary:info']);
  });
  it('the classic trap: pytorch_model.bin beside model.safetensors', () => {
    const out = runDetector(detector, folder([['model.safetensors', 'safetensors'], ['pytorch_model.bin', 'pytorch-zip']]));
    expect(brief(out)).toEqual(['summary:info', 'unsafeBesideSafe:medium']);
    expect(out[1]?.message).toContain('pytorch_model.bin');
  });
  it('no model card is low', () => {
    expect(brief(runDetector(detector, folder([['model.safetensors', 'safetensors']], null)))).toEqual(['summary:info', 'noCard:low']);
  });
  it('a card without base_model and datasets is low, naming what is missing', () => {
    const out = runDetector(detector, folder([['m.gguf', 'gguf']], { hasFrontMatter: true, baseModel: [], datasets: [], license: 'mit' }));
    expect(brief(out)).toEqual(['summary:info', 'noProvenance:low']);
    expect(out[1]?.message).toContain('base_model or datasets');
  });
});
