// `imgr sweep` is bounded in time (IMGR_SWEEP_TIMEOUT_S, set by the Nomad periodic job): with the real
// broker and an S3 endpoint that accepts connections and never answers, the run exits with an error
// instead of hanging, so `prohibit_overlap` cannot let one hung run silence every later one.
import { execFile } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoRoot, services } from '../support/services.js';

const sockets = new Set<Socket>();
// Accepts every connection and never sends a byte.
const silent = createServer((socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});
let port = 0;

beforeAll(async () => {
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const address = silent.address();
  port = typeof address === 'object' && address ? address.port : 0;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

it('a sweep that cannot finish exits with an error after IMGR_SWEEP_TIMEOUT_S', async () => {
  const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      [join(repoRoot, 'cli/dist/main.js'), 'sweep'],
      {
        env: {
          PATH: process.env.PATH ?? '',
          CELERY_BROKER_URL: services.amqpUrl,
          S3_ENDPOINT_URL: `http://127.0.0.1:${port}`,
          AWS_ACCESS_KEY_ID: 'k',
          AWS_SECRET_ACCESS_KEY: 's',
          S3_BUCKET_NAME: 'sweep-timeout',
          IMGR_SWEEP_TIMEOUT_S: '2',
          LOG_LEVEL: 'info',
        },
        // Only a guard for the test run itself: the bound under test is the 2 s above.
        timeout: 60_000,
      },
      (_error, stdout, stderr) => resolve({ code: child.exitCode, output: `${stdout}${stderr}` }),
    );
  });
  expect(result.code).toBe(1);
  expect(result.output).toContain('sweep did not finish within IMGR_SWEEP_TIMEOUT_S');
});
