export * from './read-sevenzip.js';
