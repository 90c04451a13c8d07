import { createServer, type Server } from 'node:http';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testStorage } from '../../core/src/storage/storage.contract.js';
import { removeBucket } from '../support/s3-buckets.mjs';
import { s3Storage, services } from '../support/services.js';

testStorage('S3 (Ceph RADOS Gateway)', () => s3Storage('imgr-contract'));

describe('S3 storage on a real server', () => {
  it('creates its bucket at start when missing', async () => {
    const bucket = `imgr-new-${Date.now()}`;
    const store = s3Storage(bucket);
    await store.init();
    const client = new S3Client({
      endpoint: services.s3Endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: services.s3AccessKey, secretAccessKey: services.s3SecretKey },
    });
    const head = await client.send(new HeadBucketCommand({ Bucket: bucket }));
    expect(head.$metadata.httpStatusCode).toBe(200);
    client.destroy();
    await store.dispose();
    await removeBucket(bucket);
  });

  it('round-trips a 15 MB binary object byte for byte', async () => {
    const store = s3Storage('imgr-contract');
    await store.init();
    const body = Buffer.alloc(15 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE((i * 2654435761) >>> 0, i);
    await store.put('original/Big15MBx', body, { contentType: 'application/octet-stream' });
    expect((await store.readBuffer('original/Big15MBx'))?.body.equals(body)).toBe(true);
    await store.delete('original/Big15MBx');
    await store.dispose();
  });

  it('reports a retryable error, not a hang, when the server does not answer', async () => {
    const { createS3Storage } = await import('@imgr/core/adapters');
    const store = createS3Storage({ bucket: 'x', endpoint: 'http://127.0.0.1:9', region: 'us-east-1', requestTimeoutMs: 1000 });
    const started = Date.now();
    await expect(store.check()).rejects.toMatchObject({ name: 'DependencyError', retryable: true });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('lists every key across pages, keys with URL-unsafe characters included', async () => {
    const store = s3Storage('imgr-contract', { listPageSize: 2 });
    await store.init();
    const keys = ['paged/a+b=c', 'paged/x y', 'paged/1', 'paged/2', 'paged/3'];
    for (const key of keys) await store.put(key, Buffer.from(key), { contentType: 'text/plain' });
    const listed: string[] = [];
    for await (const object of store.list('paged/')) listed.push(object.key);
    expect(listed.sort()).toEqual([...keys].sort());
    expect((await store.readBuffer('paged/a+b=c'))?.body.toString()).toBe('paged/a+b=c');
    for (const key of keys) await store.delete(key);
    await store.dispose();
  });

  it('refuses wrong keys with a permanent error naming the server error code', async () => {
    const store = s3Storage('imgr-contract', { credentials: { accessKeyId: services.s3AccessKey, secretAccessKey: 'wrong-secret' } });
    await expect(store.put('original/WrongKey', Buffer.from('x'), { contentType: 'image/png' })).rejects.toMatchObject({
      name: 'DependencyError',
      retryable: false,
      message: expect.stringMatching(/SignatureDoesNotMatch.*HTTP 403/),
    });
    await store.dispose();
  });

  describe('against a server that misbehaves', () => {
    let server: Server;
    let requests = 0;
    let behaviour: 'unavailable' | 'silent' = 'unavailable';
    const endpoint = () => `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    beforeAll(async () => {
      server = createServer((req, res) => {
        requests++;
        req.resume();
        if (behaviour === 'silent') return; // headers never come
        res.writeHead(503, { 'content-type': 'application/xml' }).end('<Error><Code>SlowDown</Code></Error>');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('retries a 503 with backoff up to six attempts, then reports a retryable error with its code', async () => {
      behaviour = 'unavailable';
      requests = 0;
      const store = s3Storage('imgr-any', { endpoint: endpoint() });
      await expect(store.head('original/Abcdefgh')).rejects.toMatchObject({ retryable: true, message: expect.stringMatching(/HTTP 503/) });
      await expect(store.readBuffer('original/Abcdefgh')).rejects.toMatchObject({
        retryable: true,
        message: expect.stringMatching(/SlowDown/),
      });
      expect(requests).toBe(12);
      await store.dispose();
    });

    it('gives up on a server that accepts the request but never answers', async () => {
      behaviour = 'silent';
      const store = s3Storage('imgr-any', { endpoint: endpoint(), requestTimeoutMs: 300 });
      const started = Date.now();
      await expect(store.put('original/Abcdefgh', Buffer.alloc(1000), { contentType: 'image/png' })).rejects.toMatchObject({
        retryable: true,
        message: expect.stringMatching(/no answer within 3\d\d ms/),
      });
      // Six attempts of 300 ms plus backoff: bounded, not a hang.
      expect(Date.now() - started).toBeLessThan(10_000);
      await store.dispose();
    });
  });
});
