import { SAFE_FORMATS, UNSAFE_FORMATS } from '../../detectors/model/model-folder.js';

/**
 * Formats (as the scan detects them from the bytes) that hold model weights or graphs: a folder holding one
 * is a model. The folder detector's safe and unsafe weight formats, plus Keras and TensorFlow graphs.
 * NumPy and bare HDF5 files are left out: they are as often data as weights.
 */
export const MODEL_FORMATS: ReadonlySet<string> = new Set([...UNSAFE_FORMATS, ...SAFE_FORMATS, 'keras', 'keras-h5', 'tf-savedmodel', 'tf-graphdef']);
