import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SizeName, UploadResult } from '@imgr/api/contract';
import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { ApiError, createHttpApi, type ImgrApi, type Size, type UploadResponse } from './api.ts';

// A real HTTP server stands in for imgr, so requests, headers and bodies go over the wire as in a browser.
type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;
let handler: Handler;
let server: Server;
let base: string;
let api: ImgrApi;

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'Retry-After, Location, Upload-Offset, Upload-Length, Tus-Resumable');
    // Listening to upload progress makes the browser send a CORS preflight first, as imgr's CORS answers.
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, HEAD, POST, PATCH, DELETE',
        'Access-Control-Allow-Headers': String(req.headers['access-control-request-headers'] ?? ''),
      });
      res.end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(
  () =>
    new Promise<void>((resolve) => {
      // The resume test leaves a PATCH that is never answered, as a dropped link does.
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

beforeEach(() => {
  api = createHttpApi(base);
});

const uploadBody = (id: string) => ({
  id,
  original: `/image/${id}`,
  big: `/image/${id}/big`,
  medium: `/image/${id}/medium`,
  small: `/image/${id}/small`,
  tiny: `/image/${id}/tiny`,
  delete_token: 'secret',
});

async function uploadError(status: number, body: string, headers: Record<string, string> = {}) {
  handler = (_req, _body, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };
  const error = await api.upload(new Blob(['x'], { type: 'image/png' }), 'a.png', () => {}).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('upload', () => {
  it('posts the file as multipart field `file`, reports progress and returns the links', async () => {
    let received = '';
    handler = (req, body, res) => {
      received = `${req.method} ${req.url} ${req.headers['content-type']}\n${body.toString('latin1')}`;
      json(res, 201, uploadBody('AbCd1234'));
    };
    const bytes = new Uint8Array(300_000).fill(65);
    const progress: Array<[number, number]> = [];
    const result = await api.upload(new Blob([bytes], { type: 'image/jpeg' }), 'cat.jpg', (sent, total) => progress.push([sent, total]));
    expect(result.id).toBe('AbCd1234');
    expect(result.delete_token).toBe('secret');
    expect(received).toMatch(/^POST \/image multipart\/form-data; boundary=/);
    expect(received).toContain('name="file"; filename="cat.jpg"');
    expect(received).toContain('Content-Type: image/jpeg');
    expect(progress.length).toBeGreaterThan(0);
    const [sent, total] = progress.at(-1) ?? [0, 0];
    expect(sent).toBe(total);
    expect(total).toBeGreaterThan(bytes.length);
  });

  it("carries the server's message and kind for each refusal", async () => {
    const tooLarge = await uploadError(413, JSON.stringify({ error: 'too large', message: 'Images are limited to 25 MB.' }));
    expect([tooLarge.kind, tooLarge.title, tooLarge.message, tooLarge.status]).toEqual([
      'too-large',
      'Too large',
      'Images are limited to 25 MB.',
      413,
    ]);
    // The catalogue code, which the page's wording is chosen by.
    expect(tooLarge.code).toBe('too large');
    expect((await uploadError(415, JSON.stringify({ error: 'unsupported', message: 'Not an image.' }))).kind).toBe('unsupported-type');
    expect((await uploadError(422, JSON.stringify({ error: 'corrupt' }))).message).toBe('corrupt');
    // The original API's shape.
    expect((await uploadError(400, JSON.stringify({ error: 'missing file' }))).message).toBe('missing file');
  });

  it('reads Retry-After of a busy server and marks it retryable', async () => {
    const busy = await uploadError(503, JSON.stringify({ error: 'busy', message: 'Try again soon.' }), {
      'Retry-After': '7',
    });
    expect([busy.kind, busy.retryAfterSeconds, busy.retryable]).toEqual(['busy', 7, true]);
  });

  it("does not show a proxy's HTML page as a message", async () => {
    const error = await uploadError(502, '<html><body>Bad gateway</body></html>');
    expect(error.message).toBe('HTTP 502 Bad Gateway');
  });

  it('reports an unreachable server as offline', async () => {
    const closed = createHttpApi('http://127.0.0.1:9/');
    const error = await closed.upload(new Blob(['x']), 'a.png', () => {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'offline' });
  });

  it('rejects a 2xx body that is not an upload result', async () => {
    handler = (_req, _body, res) => json(res, 200, { hello: 'world' });
    await expect(api.upload(new Blob(['x']), 'a.png', () => {})).rejects.toMatchObject({ kind: 'server' });
  });

  it('aborts when its signal fires', async () => {
    handler = () => {
      // Never answers.
    };
    const controller = new AbortController();
    const pending = api.upload(new Blob(['x']), 'a.png', () => {}, controller.signal);
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
  });
});

describe('status', () => {
  it("parses imgr's status route", async () => {
    handler = (req, _body, res) =>
      json(res, 200, {
        id: req.url?.split('/')[2],
        sizes: {
          big: { state: 'ready' },
          medium: { state: 'pending' },
          small: { state: 'failed', reason: 'boom' },
          tiny: { state: 'ready' },
        },
      });
    expect(await api.status('AbCd1234')).toEqual({
      big: { state: 'ready' },
      medium: { state: 'pending' },
      small: { state: 'failed', reason: 'boom' },
      tiny: { state: 'ready' },
    });
  });

  it('returns null where the route does not exist, as on the original API', async () => {
    handler = (_req, _body, res) => json(res, 404, { error: 'not found' });
    expect(await api.status('AbCd1234')).toBeNull();
    handler = (_req, _body, res) => json(res, 200, { unexpected: true });
    expect(await api.status('AbCd1234')).toBeNull();
  });

  it('throws on a server fault so the watcher retries', async () => {
    handler = (_req, _body, res) => json(res, 503, { error: 'busy' }, { 'Retry-After': '2' });
    await expect(api.status('AbCd1234')).rejects.toMatchObject({ kind: 'busy', retryAfterSeconds: 2 });
  });
});

describe('probe', () => {
  it('asks with HEAD and reads the Retry-After of a missing variant', async () => {
    const methods: string[] = [];
    handler = (req, _body, res) => {
      methods.push(req.method ?? '');
      if (req.url?.endsWith('/big')) res.writeHead(200).end();
      else res.writeHead(404, { 'Retry-After': '1' }).end();
    };
    expect(await api.probe(`${base}image/AbCd1234/big`)).toEqual({ ready: true });
    expect(await api.probe(`${base}image/AbCd1234/tiny`)).toEqual({ ready: false, retryAfterSeconds: 1 });
    expect(methods).toEqual(['HEAD', 'HEAD']);
  });
});

describe('remove', () => {
  it('sends DELETE with the token header', async () => {
    let seen = '';
    handler = (req, _body, res) => {
      seen = `${req.method} ${req.url} ${req.headers['x-delete-token']}`;
      res.writeHead(204).end();
    };
    await api.remove('AbCd1234', 'secret');
    expect(seen).toBe('DELETE /image/AbCd1234 secret');
  });

  it("fails with the server's words on a wrong token", async () => {
    handler = (_req, _body, res) => json(res, 403, { error: 'forbidden', message: 'Wrong delete token.' });
    await expect(api.remove('AbCd1234', 'nope')).rejects.toMatchObject({
      kind: 'forbidden',
      message: 'Wrong delete token.',
    });
  });
});

describe('info', () => {
  it('reads the upload limits imgr adds to GET /', async () => {
    let accept = '';
    handler = (req, _body, res) => {
      accept = req.headers.accept ?? '';
      json(res, 200, {
        upload_url: '/image',
        max_upload_bytes: 26214400,
        accepted_types: ['image/jpeg', 'image/png'],
      });
    };
    expect(await api.info()).toEqual({ maxUploadBytes: 26214400, acceptedTypes: ['image/jpeg', 'image/png'] });
    expect(accept).toBe('application/json');
  });

  it('is empty for the original API and for anything unreadable', async () => {
    handler = (_req, _body, res) => json(res, 200, { upload_url: '/image' });
    expect(await api.info()).toEqual({});
    handler = (_req, _body, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html>');
    expect(await api.info()).toEqual({});
  });
});

describe('the API contract', () => {
  it("shows every size the API names, and reads the API's upload body (checked by the compiler)", () => {
    expectTypeOf<Size>().toEqualTypeOf<SizeName>();
    expectTypeOf<UploadResult>().toExtend<UploadResponse>();
  });
});

describe('resumable upload (tus)', () => {
  /** A tus server in a few lines: creation, HEAD, PATCH; `holdAfter` bytes, then a PATCH never answers (a dropped link). */
  function tusServer(options: { holdAfter?: number; finish?: (res: ServerResponse) => void; creation?: number } = {}) {
    const uploads = new Map<string, { length: number; bytes: Buffer; metadata: string }>();
    const log: string[] = [];
    handler = (req, body, res) => {
      const path = new URL(req.url ?? '/', base).pathname;
      log.push(`${req.method} ${path}${req.headers['upload-offset'] ? ` @${req.headers['upload-offset']}` : ''}`);
      if (req.method === 'GET' && path === '/')
        return json(res, 200, { max_upload_bytes: 1 << 20, resumable_upload_url: '/image/uploads' });
      if (req.method === 'POST' && path === '/image/uploads') {
        if (options.creation) return json(res, options.creation, { error: 'not found' });
        const id = `u${uploads.size + 1}`;
        uploads.set(id, {
          length: Number(req.headers['upload-length']),
          bytes: Buffer.alloc(0),
          metadata: String(req.headers['upload-metadata']),
        });
        res.writeHead(201, { Location: `/image/uploads/${id}`, 'Tus-Resumable': '1.0.0' });
        return res.end();
      }
      if (req.method === 'POST' && path === '/image') return json(res, 201, uploadBody('Post1234'));
      const upload = uploads.get(path.split('/').at(-1) ?? '');
      if (!upload) return json(res, 404, { error: 'upload-not-found', message: 'No such upload.' });
      if (req.method === 'HEAD') {
        res.writeHead(200, {
          'Upload-Offset': String(upload.bytes.length),
          'Upload-Length': String(upload.length),
          'Tus-Resumable': '1.0.0',
        });
        return res.end();
      }
      if (options.holdAfter !== undefined && upload.bytes.length === 0) {
        upload.bytes = body.subarray(0, options.holdAfter);
        return; // never answers
      }
      upload.bytes = Buffer.concat([upload.bytes, body]);
      if (upload.bytes.length < upload.length) {
        res.writeHead(204, { 'Upload-Offset': String(upload.bytes.length), 'Tus-Resumable': '1.0.0' });
        return res.end();
      }
      if (options.finish) return options.finish(res);
      return json(res, 200, uploadBody('Tus12345'), { 'Upload-Offset': String(upload.bytes.length), 'Tus-Resumable': '1.0.0' });
    };
    return { uploads, log };
  }

  const photo = () => new File([new Uint8Array(100_000).fill(7)], 'cat.jpg', { type: 'image/jpeg', lastModified: 1_700_000_000_000 });

  it('uses the tus endpoint GET / names, with the file name and expiry as metadata, and returns the upload result', async () => {
    const server = tusServer();
    await api.info();
    const progress: number[] = [];
    const result = await api.upload(photo(), 'cat.jpg', (sent) => progress.push(sent), undefined, '1h');
    expect(result.id).toBe('Tus12345');
    expect(server.log).toEqual(['GET /', 'POST /image/uploads', 'PATCH /image/uploads/u1 @0']);
    const metadata = server.uploads.get('u1')?.metadata ?? '';
    expect(metadata).toContain(`filename ${btoa('cat.jpg')}`);
    expect(metadata).toContain(`expires_in ${btoa('1h')}`);
    expect(progress.at(-1)).toBe(100_000);
  });

  it('goes on from what the server holds when the same file is picked again after a reload', async () => {
    const server = tusServer({ holdAfter: 40_000 });
    await api.info();
    void api.upload(photo(), 'cat.jpg', () => {});
    await new Promise<void>((resolve) => {
      const wait = () => ((server.uploads.get('u1')?.bytes.length ?? 0) > 0 ? resolve() : setTimeout(wait, 10));
      wait();
    });
    // A new page: a new API object, the same file picked again.
    const reloaded = createHttpApi(base);
    await reloaded.info();
    const resumes: Array<[number, number]> = [];
    const result = await reloaded.upload(
      photo(),
      'cat.jpg',
      () => {},
      undefined,
      undefined,
      (offset, total) => resumes.push([offset, total]),
    );
    expect(result.id).toBe('Tus12345');
    expect(resumes).toEqual([[40_000, 100_000]]);
    expect(server.log.slice(-2)).toEqual(['HEAD /image/uploads/u1', 'PATCH /image/uploads/u1 @40000']);
    expect(server.uploads.get('u1')?.bytes.length).toBe(100_000);
  });

  it("carries imgr's JSON refusal of the completed file, as POST /image's", async () => {
    tusServer({
      finish: (res) => json(res, 415, { error: 'unsupported-type', message: 'Only JPEG, PNG, GIF, WebP and AVIF images are accepted.' }),
    });
    await api.info();
    const error = await api.upload(photo(), 'cat.jpg', () => {}).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'unsupported-type', status: 415, code: 'unsupported-type', retryable: false });
  });

  it('falls back to POST /image when the server has no tus endpoint after all, or never named one', async () => {
    const server = tusServer({ creation: 404 });
    await api.info();
    expect((await api.upload(photo(), 'cat.jpg', () => {})).id).toBe('Post1234');
    expect(server.log).toEqual(['GET /', 'POST /image/uploads', 'POST /image']);
    // The original API's index has no resumable_upload_url: plain POST from the start.
    handler = (req, _body, res) => (req.method === 'GET' ? json(res, 200, {}) : json(res, 201, uploadBody('Orig1234')));
    const original = createHttpApi(base);
    expect(await original.info()).toEqual({});
    expect((await original.upload(photo(), 'cat.jpg', () => {})).id).toBe('Orig1234');
  });
});
