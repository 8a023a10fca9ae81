import type { PickleAnalysis } from '../../readers/pickle/disassemble.js';

/** Input of the pickle detectors: one disassembled pickle stream and what holds it. */
export interface PickleArtifact {
  analysis: PickleAnalysis;
  /** Format of the object the stream came from: `pickle`, `pytorch-zip`, `pytorch-legacy`, `numpy`, `joblib`... */
  container: string;
}
