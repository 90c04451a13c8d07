import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { storageFromConfig } from '@imgr/cli';
import { loadConfig, type ObjectStore } from '@imgr/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testStorage } from '../../core/src/storage/storage.contract.js';
import { type MinioServer, minioTools, startMinio } from '../support/minio.js';
import { freePort, repoRoot } from '../support/services.js';

// S3 the way providers run it, each case on a MinIO server of its own shaped for it: TLS with a private
// CA, a request limit, keys that change under a running process, a clock that is off, a slow link.
// Skipped when MinIO is not installed (scripts/services/minio.sh builds it; step 30 does).
const tools = minioTools();

/** The store exactly as imgr builds it from its environment: the config, then the composition root's choice of adapter. */
function storeFromEnv(env: Record<string, string | undefined>): ObjectStore {
  return storageFromConfig(loadConfig(env, 'all'));
}

const keysOf = (server: MinioServer) => ({ AWS_ACCESS_KEY_ID: server.rootUser, AWS_SECRET_ACCESS_KEY: server.rootSecret });

describe.skipIf(!tools)('S3 providers as they really behave (MinIO)', () => {
  describe('over HTTPS with a private CA (AWS_CA_BUNDLE)', () => {
    let server: MinioServer;
    beforeAll(async () => {
      server = await startMinio({ tls: true });
    }, 60_000);
    afterAll(() => server?.stop());

    testStorage('S3 (MinIO over HTTPS, CA from AWS_CA_BUNDLE)', () =>
      storeFromEnv({ S3_ENDPOINT_URL: server.endpoint, S3_BUCKET_NAME: 'imgr-tls', AWS_CA_BUNDLE: server.caPath, ...keysOf(server) }),
    );

    it('fails at once, naming the certificate, when the CA is not trusted: retrying never fixes it', async () => {
      const store = storeFromEnv({ S3_ENDPOINT_URL: server.endpoint, S3_BUCKET_NAME: 'imgr-tls-untrusted', ...keysOf(server) });
      const started = Date.now();
      const error = await store.init().then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toMatchObject({ retryable: false });
      expect(String((error as Error).message)).toMatch(/certificate/i);
      // One attempt, not a retry budget of 20 s spent on a refusal that cannot change.
      expect(Date.now() - started).toBeLessThan(5_000);
      await store.dispose();
    });
  });

  describe('refusals that name their reason (HEAD answers carry no body)', () => {
    let server: MinioServer;
    beforeAll(async () => {
      server = await startMinio({ env: { MINIO_SITE_REGION: 'eu-central-1' } });
    }, 60_000);
    afterAll(() => server?.stop());

    const refusal = async (env: Record<string, string>) => {
      const store = storeFromEnv({
        S3_ENDPOINT_URL: server.endpoint,
        S3_BUCKET_NAME: 'imgr-refusals',
        AWS_REGION_NAME: 'eu-central-1',
        ...env,
      });
      const error = await store.init().then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      await store.dispose();
      return String((error as Error | undefined)?.message);
    };

    it('a wrong secret', async () => {
      expect(await refusal({ AWS_ACCESS_KEY_ID: server.rootUser, AWS_SECRET_ACCESS_KEY: 'not-the-secret' })).toMatch(
        /SignatureDoesNotMatch/,
      );
    });
    it('an unknown key', async () => {
      expect(await refusal({ AWS_ACCESS_KEY_ID: 'nobody-knows-me', AWS_SECRET_ACCESS_KEY: 'whatever-secret' })).toMatch(
        /InvalidAccessKeyId/,
      );
    });
    it('a wrong region, with the region the server wants', async () => {
      expect(await refusal({ ...keysOf(server), AWS_REGION_NAME: 'us-west-2' })).toMatch(/eu-central-1/);
    });
  });

  describe('throttled (MINIO_API_REQUESTS_MAX)', () => {
    let server: MinioServer;
    beforeAll(async () => {
      // Two requests at a time; the others wait 50 ms at most, then get 503 SlowDown.
      server = await startMinio({ env: { MINIO_API_REQUESTS_MAX: '2', MINIO_API_REQUESTS_DEADLINE: '50ms' } });
    }, 60_000);
    afterAll(() => server?.stop());

    it('stores 200 objects written 16 at a time: throttling is waited out, not passed on', async () => {
      const store = storeFromEnv({ S3_ENDPOINT_URL: server.endpoint, S3_BUCKET_NAME: 'imgr-throttled', ...keysOf(server) });
      await store.init();
      const body = Buffer.alloc(64 * 1024, 7);
      const keys = Array.from({ length: 200 }, (_, index) => `original/Throttled${index}`);
      const failures: unknown[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < keys.length) {
            const key = keys[next++] as string;
            await store.put(key, body, { contentType: 'application/octet-stream' }).catch((error: unknown) => failures.push(error));
          }
        }),
      );
      expect(failures.map((error) => String(error))).toEqual([]);
      let listed = 0;
      for await (const _ of store.list('original/')) listed++;
      expect(listed).toBe(200);
      await store.dispose();
    }, 120_000);
  });

  describe('keys from a profile file, rewritten while imgr runs', () => {
    let server: MinioServer;
    beforeAll(async () => {
      server = await startMinio();
      for (const user of ['first', 'second']) {
        server.mc('admin', 'user', 'add', 't', `${user}-key`, `${user}-secret-value`);
        server.mc('admin', 'policy', 'attach', 't', 'readwrite', '--user', `${user}-key`);
      }
    }, 60_000);
    afterAll(() => server?.stop());

    it('picks up the new keys after the old ones are refused, without a restart', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'imgr-profile-'));
      const file = join(dir, 'credentials');
      const writeProfile = (user: string) =>
        writeFileSync(file, `[default]\naws_access_key_id = ${user}-key\naws_secret_access_key = ${user}-secret-value\n`);
      writeProfile('first');
      // The AWS default chain reads these from the process environment, as it does in production.
      const saved = { file: process.env.AWS_SHARED_CREDENTIALS_FILE, config: process.env.AWS_CONFIG_FILE };
      process.env.AWS_SHARED_CREDENTIALS_FILE = file;
      process.env.AWS_CONFIG_FILE = join(dir, 'none');
      try {
        const store = storeFromEnv({ S3_ENDPOINT_URL: server.endpoint, S3_BUCKET_NAME: 'imgr-profile' });
        await store.init();
        await store.put('original/Before', Buffer.from('first keys'), { contentType: 'text/plain' });
        // The operator rotates: the old user is removed and the file now holds the new keys.
        server.mc('admin', 'user', 'remove', 't', 'first-key');
        writeProfile('second');
        await store.put('original/After', Buffer.from('second keys'), { contentType: 'text/plain' });
        expect((await store.readBuffer('original/After'))?.body.toString()).toBe('second keys');
        await store.dispose();
      } finally {
        process.env.AWS_SHARED_CREDENTIALS_FILE = saved.file;
        process.env.AWS_CONFIG_FILE = saved.config;
        if (saved.file === undefined) delete process.env.AWS_SHARED_CREDENTIALS_FILE;
        if (saved.config === undefined) delete process.env.AWS_CONFIG_FILE;
      }
    }, 60_000);
  });

  describe('a clock 20 minutes off (faketime)', () => {
    let server: MinioServer;
    const faketime = '/usr/bin/faketime';
    beforeAll(async () => {
      server = await startMinio();
    }, 60_000);
    afterAll(() => server?.stop());

    it('corrects the skew from the server and works, where every signed request was refused', async () => {
      // A separate process whose clock alone is wrong; it writes and reads back through imgr's store.
      const script = [
        "import { createS3Storage } from '@imgr/core/adapters';",
        `const store = createS3Storage({ bucket: 'imgr-skew', endpoint: '${server.endpoint}', region: 'us-east-1', credentials: { accessKeyId: '${server.rootUser}', secretAccessKey: '${server.rootSecret}' } });`,
        'await store.init();',
        "await store.put('original/Skewed', Buffer.from('late clock'), { contentType: 'text/plain' });",
        "const read = await store.readBuffer('original/Skewed');",
        'console.log(JSON.stringify({ now: new Date().toISOString(), body: read?.body.toString() }));',
        'await store.dispose();',
      ].join('\n');
      const { stdout } = await promisify(execFile)(faketime, ['-f', '-20m', process.execPath, '--input-type=module', '-e', script], {
        cwd: join(repoRoot, 'cli'),
        timeout: 60_000,
      });
      const result = JSON.parse(stdout.trim().split('\n').pop() as string) as { now: string; body: string };
      // The child really ran 20 minutes behind (the skew is not a no-op), and still got its object back.
      expect(Date.now() - Date.parse(result.now)).toBeGreaterThan(15 * 60_000);
      expect(result.body).toBe('late clock');
    }, 90_000);
  });

  describe('a slow link (a proxy moving 256 KiB/s)', () => {
    let server: MinioServer;
    let proxy: Server;
    let proxyPort: number;
    beforeAll(async () => {
      server = await startMinio();
      proxyPort = await freePort();
      proxy = throttlingProxy(new URL(server.endpoint), 256 * 1024);
      await new Promise<void>((resolve) => proxy.listen(proxyPort, '127.0.0.1', resolve));
    }, 60_000);
    afterAll(async () => {
      proxy?.close();
      await server?.stop();
    });

    it('uploads 3 MiB in ~12 s: the response timeout bounds silence, not a moving transfer', async () => {
      const store = storeFromEnv({ S3_ENDPOINT_URL: `http://127.0.0.1:${proxyPort}`, S3_BUCKET_NAME: 'imgr-slow', ...keysOf(server) });
      await store.init();
      const body = Buffer.alloc(3 * 1024 * 1024, 9);
      await store.put('original/SlowLink', body, { contentType: 'application/octet-stream' });
      expect((await store.head('original/SlowLink'))?.contentLength).toBe(body.length);
      await store.dispose();
    }, 120_000);
  });
});

/** A TCP proxy that forwards the client's bytes at `bytesPerSecond` (answers flow freely). */
function throttlingProxy(target: URL, bytesPerSecond: number): Server {
  return createServer((client) => {
    const upstream = new Socket();
    upstream.connect(Number(target.port), target.hostname);
    const tickMs = 50;
    const perTick = Math.max(1, Math.floor((bytesPerSecond * tickMs) / 1000));
    const queue: Buffer[] = [];
    const timer = setInterval(() => {
      let budget = perTick;
      while (budget > 0 && queue.length > 0) {
        const head = queue[0] as Buffer;
        const piece = head.subarray(0, budget);
        upstream.write(piece);
        budget -= piece.length;
        if (piece.length === head.length) queue.shift();
        else queue[0] = head.subarray(piece.length);
      }
      // Back-pressure: read the client only while the queue is short.
      if (queue.length < 4) client.resume();
    }, tickMs);
    client.on('data', (data: Buffer) => {
      queue.push(data);
      if (queue.length >= 4) client.pause();
    });
    upstream.pipe(client);
    const close = () => {
      clearInterval(timer);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
  });
}
