export type { ZipAnomaly, ZipAnomalyKind, ZipArchive, ZipEntry } from './zip-archive.js';
export { readZip } from './read-zip.js';
export { LOCAL_HEADER_WINDOW } from './local-header.js';
export { openEntry, RATIO_CHECK_FLOOR, DECLARED_SIZE_SLACK } from './open-entry.js';
export { verifyCrc, crc32, crc32Portable, type Crc32 } from './crc32.js';
export { sniffZip, sniffZipTail } from './sniff-zip.js';
export { MAX_ANOMALIES_PER_KIND } from './anomaly-log.js';
