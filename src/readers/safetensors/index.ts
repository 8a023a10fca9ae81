export {
  readSafetensorsHeader,
  sniffSafetensors,
  DEFAULT_SAFETENSORS_LIMITS,
  SAFETENSORS_LENGTH_BYTES,
  MAX_HEADER_BYTES,
  MAX_TENSORS,
  MAX_SHAPE_RANK,
  MAX_METADATA_ENTRIES,
  MAX_JSON_DEPTH,
  MAX_PROBLEMS,
  MAX_EXCERPT_BYTES,
  type SafetensorsLimits,
} from './read-header.js';
export { SAFETENSORS_DTYPE_BITS, dtypeBits } from './dtypes.js';
export type {
  SafetensorsHeader,
  SafetensorsTensor,
  SafetensorsMetadataEntry,
  SafetensorsProblem,
  SafetensorsProblemKind,
} from './header-types.js';
