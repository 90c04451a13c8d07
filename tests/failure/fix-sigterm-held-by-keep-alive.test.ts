// Regression: an API given SIGTERM while a keep-alive client had an upload in flight answered it,
// then waited for that client to close its idle connection, and only exited when
// IMGR_SHUTDOWN_TIMEOUT_MS (20 s) ran out. Found by the failure suite; fixed in cli/src/runtime.ts
// (responses sent while stopping carry `Connection: close`).
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { afterAll, expect, it } from 'vitest';
import { fileUpload } from '../support/multipart.mjs';
import { bucketFor, now, PHOTOS, processes, removeBucket, sleep } from './harness.js';

const bucket = bucketFor('keepalive');
const procs = processes();
const agent = new Agent({ keepAlive: true });

afterAll(async () => {
  agent.destroy();
  await procs.stopAll();
  await removeBucket(bucket);
});

it('an API stopped with a keep-alive upload in flight answers it and exits at once, not at the deadline', async () => {
  const api = await procs.start('api', bucket, { IMGR_SHUTDOWN_TIMEOUT_MS: '15000' });
  const { body, headers } = fileUpload((PHOTOS[0] as (typeof PHOTOS)[number]).bytes, 'photo.jpg');
  const exit = once(api.child, 'exit') as Promise<[number | null]>;

  // Half of the body is sent before SIGTERM and the rest after, so the upload is surely in flight.
  const upload = request(`${api.url}/image`, { method: 'POST', agent, headers });
  const answered = once(upload, 'response');
  upload.write(body.subarray(0, body.length >> 1));
  await sleep(300);
  const term = now();
  api.child.kill('SIGTERM');
  await sleep(200);
  upload.end(body.subarray(body.length >> 1));
  const [response] = (await answered) as [import('node:http').IncomingMessage];
  response.resume();

  const [code] = await exit;
  const exitMs = now() - term;
  expect(response.statusCode).toBe(201);
  expect(response.headers.connection).toBe('close');
  expect(code).toBe(0);
  expect(api.output()).not.toContain('shutdown deadline passed');
  expect(exitMs).toBeLessThan(5000);
});
