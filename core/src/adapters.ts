/**
 * The adapters, each a `(options) => Port` factory that talks to one outside system. Only the
 * composition root (cli/src/adapters.ts) imports this entry point, and tests that need a real or
 * in-memory store or queue; the rest of imgr sees the ports of `@imgr/core`. The AMQP adapter moves
 * behind an entry point of its own (`@imgr/core/amqp`), held to the same rule.
 */
export * from './queue/memory.queue.js';
export * from './storage/fs.storage.js';
export * from './storage/memory.storage.js';
export * from './storage/s3.storage.js';
