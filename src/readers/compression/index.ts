export {
  sniffCompression,
  isZlibHeader,
  COMPRESSION_SNIFF_BYTES,
  XZ_MAGIC,
  LZ4_FRAME_MAGIC,
  BZ2_BLOCK_MAGIC,
  BZ2_END_MAGIC,
  type CompressionKind,
} from './sniff-compression.js';
export { decompress, decompressBestEffort, type PartialDecompression } from './decompress.js';
export {
  createDecompressionBudget,
  outputCap,
  RATIO_GRACE_BYTES,
  type DecompressionBudget,
  type OutputCap,
  type OutputLimitName,
} from './output-cap.js';
export { parseZfHeader, ZF_PREFIX, ZF_LENGTH_FIELD_BYTES, type ZfHeader } from './joblib-zf.js';
export {
  parseLzmaAloneHeader,
  judgeLzmaAloneStart,
  LZMA_ALONE_HEADER_BYTES,
  MAX_LZMA_ALONE_KNOWN_SIZE,
  type LzmaAloneHeader,
} from './lzma-alone-header.js';
export { LZMA_SALVAGE_SIZES, MAX_LZMA_MATCH_BYTES } from './lzma-alone.js';
export { measureLzmaAlone, type LzmaAloneExtent } from './lzma-alone-extent.js';
export { MAX_LZMA_STREAMS } from './lzma-file.js';
export { walkXz, type XzLayout, type XzStreamLayout, type XzBlockLayout } from './xz-layout.js';
export { MAX_BZ2_SHORT_BLOCKS } from './bzip2.js';
export { MAX_GZIP_SEGMENTS } from './deflate.js';
export { MAX_GZIP_MEMBERS_WALKED } from './gzip-members.js';
export { DEFLATE_MAX_RATIO } from './zlib-run.js';
