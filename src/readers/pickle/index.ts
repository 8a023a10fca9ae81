export * from './opcodes.js';
export * from './disassemble.js';
export * from './sniff.js';
