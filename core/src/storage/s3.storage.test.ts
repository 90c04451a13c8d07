import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DependencyError } from '../errors.js';
import { createS3Storage } from './s3.storage.js';

// A real HTTP server that plays an S3 gateway dying in the middle of an answer. The S3 contract
// itself runs against real servers in tests/integration.
let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function gatewayCuttingBodies(bytesBeforeCut: number): Promise<string> {
  server = createServer((request, response) => {
    request.resume();
    response.writeHead(200, {
      'content-type': 'image/jpeg',
      'content-length': '1000',
      etag: '"abc"',
      'last-modified': new Date().toUTCString(),
    });
    if (bytesBeforeCut > 0) response.write(Buffer.alloc(bytesBeforeCut));
    else response.flushHeaders();
    // The process is gone: the connection closes before the body is whole.
    setTimeout(() => response.socket?.destroy(), 20);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('S3 storage reads', () => {
  for (const bytesBeforeCut of [0, 100]) {
    it(`names a body cut after ${bytesBeforeCut} bytes as a storage failure, not an unknown error`, async () => {
      const store = createS3Storage({
        bucket: 'images',
        endpoint: await gatewayCuttingBodies(bytesBeforeCut),
        region: 'us-east-1',
        credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
      });
      const result = await store.read('original/AbCd1234');
      expect(result?.status).toBe('found');
      if (result?.status !== 'found') return;
      const failure = await (async () => {
        for await (const _ of result.body) {
          // drained until the cut
        }
      })().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(DependencyError);
      expect((failure as DependencyError).dependency).toBe('storage');
      expect((failure as Error).message).toMatch(/get original\/AbCd1234: body cut short/);
      await store.dispose();
    });
  }
});
