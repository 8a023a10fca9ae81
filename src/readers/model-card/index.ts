export * from './read-model-card.js';
