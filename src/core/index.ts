export * from './severity.js';
export * from './finding.js';
export * from './result.js';
export * from './errors.js';
export * from './read-result.js';
export * from './limits.js';
export * from './byte-source.js';
export * from './detector.js';
