export * from './resize.service.js';
export * from './sweep.service.js';
