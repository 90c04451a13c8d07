export * from './adapters.js';
export * from './runtime.js';
