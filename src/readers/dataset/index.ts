export * from './types.js';
export { DEFAULT_DATASET_LIMITS, resolveDatasetLimits, MAX_ROW_BYTES, MAX_NESTING_DEPTH, MAX_COLUMNS, MAX_FOOTER_BYTES, MAX_BLOCK_BYTES, MAX_BLOCK_ROWS } from './dataset-limits.js';
export { openDataset, openDatasetStream, readDatasetRows, collectDataset, MAX_COLLECTED_EVENTS, type DatasetRows, type TextDatasetFormat } from './open-dataset.js';
export { detectDatasetFormat, isDatasetPath, formatFromExtension } from './detect-format.js';
export { findDatasetFiles, compareNatural, MAX_WALK_FILES, MAX_WALK_DEPTH } from './find-dataset-files.js';
export { EXCERPT_CHARS } from './read-state.js';
export { detectShape, resolveShape, rowParts, chatParts, valueText, type DatasetShape, type ShapeFields, type ShapeMapping, type RowParts } from './shape.js';
