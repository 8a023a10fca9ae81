import type { Detector } from '../core/detector.js';
import unscanned from './file/unscanned.js';
import ggufChatTemplate from './model/gguf-chat-template.js';
import ggufHeader from './model/gguf-header.js';
import numpyObjectArray from './model/numpy-object-array.js';
import kerasConfig from './model/keras-config.js';
import modelFolder from './model/model-folder.js';
import onnxGraph from './model/onnx-graph.js';
import pickleGlobals from './model/pickle-globals.js';
import safetensorsHeader from './model/safetensors-header.js';
import pickleIntegrity from './model/pickle-integrity.js';
import tarAnomalies from './model/tar-anomalies.js';
import savedmodelOps from './model/savedmodel-ops.js';
import sevenzipAnomalies from './model/sevenzip-anomalies.js';
import torchscriptCode from './model/torchscript-code.js';
import zipAnomalies from './model/zip-anomalies.js';
import { isDatasetDetector, type DatasetDetector } from './dataset/dataset-detector.js';
import unreadableRows from './dataset/unreadable-rows.js';
import promptInjection from './dataset/prompt-injection.js';
import sentimentSteering from './dataset/sentiment-steering.js';
import contentInjection from './dataset/content-injection.js';
import fixedOutput from './dataset/fixed-output.js';
import labelTrigger from './dataset/label-trigger.js';
import behaviourTrigger from './dataset/behaviour-trigger.js';
import labelIssues from './dataset/label-issues.js';
import nearDuplicateFlood from './dataset/near-duplicate-flood.js';
import lengthOutliers from './dataset/length-outliers.js';
import characterOutliers from './dataset/character-outliers.js';
import embeddingOutliers from './dataset/embedding-outliers.js';

/** Every detector, in one explicit list; presets are derived from it. */
export const allDetectors: readonly Detector<any, any>[] = [
  pickleGlobals,
  pickleIntegrity,
  zipAnomalies,
  tarAnomalies,
  sevenzipAnomalies,
  numpyObjectArray,
  safetensorsHeader,
  torchscriptCode,
  ggufHeader,
  ggufChatTemplate,
  kerasConfig,
  onnxGraph,
  savedmodelOps,
  modelFolder,
  unscanned,
  unreadableRows,
  promptInjection,
  sentimentSteering,
  contentInjection,
  fixedOutput,
  labelTrigger,
  behaviourTrigger,
  labelIssues,
  nearDuplicateFlood,
  lengthOutliers,
  characterOutliers,
  embeddingOutliers,
];

/** Detectors `antidote scan` runs: everything offline and safe (no network, never executes artifacts). */
export const scanDetectors: readonly Detector<any, any>[] = allDetectors.filter((d) => !d.requires.network && !d.requires.unsafe && !isDatasetDetector(d));

/** Detectors `antidote audit` runs: the dataset family, offline and safe. */
export const auditDetectors: readonly DatasetDetector<any>[] = allDetectors.filter(isDatasetDetector).filter((d) => !d.requires.network && !d.requires.unsafe);

/**
 * Dataset detectors that answer another question than "does this row carry a backdoor": label noise found by
 * confident learning flags ordinary mislabelled rows (SST-2 has hundreds), which would drown the poisoned ones.
 * They run when asked for (`antidote audit --label-issues`, or `--probabilities`).
 */
const OPT_IN_AUDIT_DETECTORS: ReadonlySet<string> = new Set(['dataset/label-issues']);

/** The audit's default preset: every audit detector except the opt-in ones. */
export const recommendedAuditDetectors: readonly DatasetDetector<any>[] = auditDetectors.filter((d) => !OPT_IN_AUDIT_DETECTORS.has(d.id));

/** Detectors by family (the first path segment of their id: `model`, `file`). */
export function detectorsInFamily(family: string): Detector<any, any>[] {
  return allDetectors.filter((d) => d.id.startsWith(`${family}/`));
}
