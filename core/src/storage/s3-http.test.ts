import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createS3Http } from './s3-http.js';

// Real HTTP and HTTPS servers that record what a PUT carried; the S3 behaviour itself is tested against
// real servers in tests/integration.
const dir = mkdtempSync(join(tmpdir(), 'imgr-s3-http-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A self-signed certificate for 127.0.0.1, which is also the CA bundle the client is given. */
function certificate(): { key: string; cert: string; caPath: string } {
  writeFileSync(join(dir, 'san.cnf'), '[req]\ndistinguished_name=dn\n[dn]\n[ext]\nsubjectAltName=IP:127.0.0.1\n');
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'],
      ...['-config', join(dir, 'san.cnf'), '-extensions', 'ext', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
    ],
    { stdio: 'ignore' },
  );
  return {
    key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    caPath: join(dir, 'cert.pem'),
  };
}

interface Received {
  headers: IncomingMessage['headers'];
  bodyMd5: string;
}

async function recordingServer(tls: boolean): Promise<{ url: string; received: Received[]; server: Server; caPath?: string }> {
  const received: Received[] = [];
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    const hash = createHash('md5');
    request.on('data', (chunk: Buffer) => hash.update(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, bodyMd5: hash.digest('base64') });
      response.writeHead(200, { 'content-length': '0' }).end();
    });
  };
  const cert = tls ? certificate() : undefined;
  const server = cert ? createHttpsServer({ key: cert.key, cert: cert.cert }, handler) : createHttpServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, server, ...(cert ? { caPath: cert.caPath } : {}) };
}

const client = (endpoint: string, caBundlePath?: string) =>
  createS3Http({
    endpoint,
    region: 'us-east-1',
    credentials: async () => ({ accessKeyId: 'key', secretAccessKey: 'secret' }),
    connectTimeoutMs: 2_000,
    responseTimeoutMs: 5_000,
    idleTimeoutMs: 5_000,
    maxAttempts: 1,
    caBundlePath,
  });

describe('S3 request integrity', () => {
  const body = Buffer.from('an image body '.repeat(1000));

  it('over HTTPS, where the body is not signed, sends the MD5 of exactly the bytes sent', async () => {
    const { url, received, server, caPath } = await recordingServer(true);
    const s3 = client(url, caPath);
    const response = await s3.send('images', { method: 'PUT', key: 'original/AbCd1234', body });
    response.body.resume();
    expect(response.status).toBe(200);
    expect(received[0]?.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    expect(received[0]?.headers['content-md5']).toBe(received[0]?.bodyMd5);
    s3.dispose();
    server.close();
  });

  it('over plain HTTP signs the body hash instead', async () => {
    const { url, received, server } = await recordingServer(false);
    const s3 = client(url);
    const response = await s3.send('images', { method: 'PUT', key: 'original/AbCd1234', body });
    response.body.resume();
    expect(received[0]?.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
    expect(received[0]?.headers['content-md5']).toBeUndefined();
    s3.dispose();
    server.close();
  });
});
