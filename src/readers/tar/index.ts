export * from './read-tar.js';
