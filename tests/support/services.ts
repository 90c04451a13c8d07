import { type ChildProcess, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createLogger } from '@imgr/core';
import { createS3Storage } from '@imgr/core/adapters';
import { type ImgrProcess, repoRoot, startImgr as startImgrProcess } from './imgr-process.mjs';
import { testS3 } from './s3-buckets.mjs';

export type { ImgrProcess } from './imgr-process.mjs';
export { freePort } from './ports.mjs';
export { repoRoot };

/** Where the test services are, as scripts/test.d/30-integration.sh starts them. */
export const services = {
  amqpUrl: process.env.IMGR_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/%2F',
  s3Endpoint: testS3.endpoint,
  s3AccessKey: testS3.accessKey,
  s3SecretKey: testS3.secretKey,
};

export const fixtures = process.env.IMGR_FIXTURES ?? join(repoRoot, 'tests/fixtures/.cache');
export const silentLogger = createLogger('silent');

export function s3Storage(bucket: string, options: Partial<Parameters<typeof createS3Storage>[0]> = {}) {
  return createS3Storage({
    bucket,
    endpoint: services.s3Endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: services.s3AccessKey, secretAccessKey: services.s3SecretKey },
    ...options,
  });
}

/**
 * A RabbitMQ virtual host of the test file's own, so its `celery` queue sees no message of another
 * suite running at the same time (another suite's worker would dead-letter tasks for images it
 * cannot find in its own bucket). Falls back to the default vhost without rabbitmqctl.
 */
export function isolatedBroker(label: string): { url: string; dispose(): void } {
  const vhost = `imgr-${label}-${Date.now().toString(36)}`;
  try {
    execFileSync('rabbitmqctl', ['add_vhost', vhost], { stdio: 'ignore' });
    execFileSync('rabbitmqctl', ['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*'], { stdio: 'ignore' });
  } catch {
    return { url: services.amqpUrl, dispose() {} };
  }
  const url = new URL(services.amqpUrl);
  url.pathname = `/${encodeURIComponent(vhost)}`;
  return {
    url: url.toString(),
    dispose() {
      execFileSync('rabbitmqctl', ['delete_vhost', vhost], { stdio: 'ignore' });
    },
  };
}

/** The environment of the original application, pointed at the test services. */
export function imgrEnv(bucket: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CELERY_BROKER_URL: services.amqpUrl,
    S3_ENDPOINT_URL: services.s3Endpoint,
    AWS_ACCESS_KEY_ID: services.s3AccessKey,
    AWS_SECRET_ACCESS_KEY: services.s3SecretKey,
    S3_BUCKET_NAME: bucket,
    LOG_LEVEL: 'warn',
    // Suites load the API from one address, faster than one person would: the per-client limits
    // are off unless a suite sets them (tests/integration/hostile-clients.test.ts does).
    IMGR_RATE_LIMIT_UPLOADS: '0',
    IMGR_RATE_LIMIT_DELETES: '0',
    IMGR_RATE_LIMIT_LOOKUPS: '0',
    ...extra,
  };
}

export async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 30_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Runs the built `imgr <role>` as a real process and waits until it is ready (storage and broker
 * reachable). `onLine` sees each line it writes to stdout from the very first one, before readiness.
 */
export function startImgr(
  role: 'all' | 'api' | 'worker',
  env: Record<string, string>,
  onLine?: (line: string, child: ChildProcess) => void,
): Promise<ImgrProcess> {
  return startImgrProcess(role, env, onLine ? { onLine } : {});
}

export async function uploadFile(baseUrl: string, bytes: Buffer, filename = 'photo.jpg', type = 'application/octet-stream') {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type }), filename);
  return fetch(`${baseUrl}/image`, { method: 'POST', body: form });
}
