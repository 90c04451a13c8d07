export * from './app.js';
export * from './contract.js';
export * from './http-errors.js';
export * from './image.errors.js';
export * from './image.service.js';
export * from './rate-limits.js';
export * from './request-id.js';
export * from './routes/health.route.js';
