import { defineDetector } from '../../core/detector.js';
import type { ModelCardFacts } from '../../readers/model-card/index.js';

/** Input of the folder detector: the model files directly inside one directory and its model card. */
export interface FolderArtifact {
  /** Weight and model files directly in the folder: name and detected format. */
  files: { name: string; format: string }[];
  /** The folder's README.md facts, or null when there is no README.md. */
  modelCard: ModelCardFacts | null;
  hasConfig: boolean;
}

/** Formats whose loading runs a pickle (or a program): code execution is possible by design. */
export const UNSAFE_FORMATS = new Set(['pickle', 'pytorch-zip', 'pytorch-legacy', 'torchscript']);
/** Formats that hold data only (their readers validate headers; nothing in them runs on load). */
export const SAFE_FORMATS = new Set(['safetensors', 'gguf', 'onnx']);

export default defineDetector<FolderArtifact, { summary: string; unsafeBesideSafe: string; noCard: string; noProvenance: string }>({
  id: 'model/model-folder',
  title: 'Model folder: weight formats and provenance',
  description:
    'A Hugging Face-style model folder is judged as a whole. A pickle-based weight file shipped beside a ' +
    'safetensors one is the classic trap: users believe they load the safe format while a loader, an old ' +
    'library version or a flag (use_safetensors=False, from_tf, a custom script) picks the pickle. A model card ' +
    'that does not name its base model and training data leaves a reviewer nothing to check provenance against.',
  remediation:
    'Remove pickle-based weights from folders that ship safetensors (or load with use_safetensors=True and ' +
    'weights_only=True). Ask the publisher for a model card that names base_model and datasets, or pin the ' +
    'exact revision you reviewed.',
  defaultSeverity: 'medium',
  tags: ['OWASP-LLM03', 'OWASP-LLM04', 'AML.T0010'],
  messages: {
    summary: 'model folder ships {{formats}}',
    unsafeBesideSafe: 'pickle-based weights ({{unsafe}}) ship beside safe ones ({{safe}}): loaders can be made to pick the pickle',
    noCard: 'model folder has no README.md model card: base model and training data are not declared',
    noProvenance: 'model card does not declare {{missing}}',
  },
  requires: { network: false, unsafe: false },
  input: 'folder',
  run({ files, modelCard, hasConfig }, context) {
    const byFormat = new Map<string, string[]>();
    for (const f of files) byFormat.set(f.format, [...(byFormat.get(f.format) ?? []), f.name]);
    const formats = [...byFormat.entries()].map(([format, names]) => `${format} (${names.length})`).join(', ');
    context.report({ messageId: 'summary', data: { formats: formats || 'no weights' }, severity: 'info', evidence: { details: { formats, config: hasConfig } } });
    const unsafe = files.filter((f) => UNSAFE_FORMATS.has(f.format)).map((f) => f.name);
    const safe = files.filter((f) => SAFE_FORMATS.has(f.format)).map((f) => f.name);
    if (unsafe.length > 0 && safe.length > 0) {
      context.report({
        messageId: 'unsafeBesideSafe',
        data: { unsafe: unsafe.join(', '), safe: safe.join(', ') },
        evidence: { match: unsafe.join(','), details: { safe: safe.join(',') } },
      });
    }
    if (modelCard === null) {
      context.report({ messageId: 'noCard', severity: 'low', evidence: {} });
      return;
    }
    const missing = [modelCard.baseModel.length === 0 ? 'base_model' : '', modelCard.datasets.length === 0 ? 'datasets' : ''].filter(Boolean);
    if (missing.length > 0) {
      context.report({
        messageId: 'noProvenance',
        data: { missing: missing.join(' or ') },
        severity: 'low',
        evidence: { details: { frontMatter: modelCard.hasFrontMatter, baseModel: modelCard.baseModel.join(','), datasets: modelCard.datasets.join(','), license: modelCard.license ?? '' } },
      });
    }
  },
});
