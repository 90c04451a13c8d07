export * from './adapters.js';
export * from './runtime.js';
export * from './sweep.js';
