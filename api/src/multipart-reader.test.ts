import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError } from './http-errors.js';
import { MAX_FILE_PARTS, readFileField } from './multipart-reader.js';
import { createUploadBufferPool } from './upload-buffers.js';

const LIMIT = 64 * 1024;

/** A multipart body serialized by the platform's own FormData encoder. */
async function formBody(parts: [name: string, value: string | Blob][]) {
  const form = new FormData();
  for (const [name, value] of parts) {
    if (typeof value === 'string') form.append(name, value);
    else form.append(name, value, `${name}.bin`);
  }
  const encoded = new Response(form);
  return { payload: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type') ?? '' };
}

const bytes = (length: number, fill: number) => new Blob([Buffer.alloc(length, fill)]);

/** The reader behind a bare route: what it returns, or the catalogue entry it refused with. */
async function reader(): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(multipart, { limits: { fileSize: LIMIT, files: 1, fields: 16, parts: 32, headerPairs: 200 } });
  const pool = createUploadBufferPool({ maxBuffers: 2, maxBufferBytes: LIMIT });
  app.post('/read', async (request) => {
    try {
      const { bytes: file } = await readFileField(request, LIMIT, pool);
      return { file: file === undefined ? null : { length: file.length, first: file[0], last: file.at(-1) } };
    } catch (error) {
      if (error instanceof HttpError) return { refused: error.code, message: error.message };
      return { raised: (error as { code?: string }).code ?? String(error) };
    }
  });
  opened.push(app);
  return app;
}

const opened: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});

async function send(payload: Buffer | Readable, contentType: string, headers: Record<string, string> = {}) {
  const app = await reader();
  const response = await app.inject({ method: 'POST', url: '/read', payload, headers: { 'content-type': contentType, ...headers } });
  return response.json() as Record<string, unknown>;
}

describe('readFileField', () => {
  it('returns the bytes of the field "file", reading past the fields and files around it', async () => {
    const body = await formBody([
      ['title', 'holiday'],
      ['thumbnail', bytes(500, 1)],
      ['file', bytes(3000, 7)],
      ['extra', bytes(200, 9)],
    ]);
    expect(await send(body.payload, body.contentType)).toEqual({ file: { length: 3000, first: 7, last: 7 } });
  });

  it('keeps the first of two "file" fields', async () => {
    const body = await formBody([
      ['file', bytes(100, 1)],
      ['file', bytes(200, 2)],
    ]);
    expect(await send(body.payload, body.contentType)).toEqual({ file: { length: 100, first: 1, last: 1 } });
  });

  it('returns nothing when no file field is named "file" (a text field of that name does not count)', async () => {
    const body = await formBody([
      ['file', 'not a file'],
      ['upload', bytes(100, 1)],
    ]);
    expect(await send(body.payload, body.contentType)).toEqual({ file: null });
  });

  it('reads a chunked body, which declares no length to size its buffer from', async () => {
    const body = await formBody([['file', bytes(40_000, 5)]]);
    const chunks = Array.from({ length: Math.ceil(body.payload.length / 1000) }, (_, i) => body.payload.subarray(i * 1000, (i + 1) * 1000));
    expect(await send(Readable.from(chunks), body.contentType)).toEqual({ file: { length: 40_000, first: 5, last: 5 } });
  });

  it('refuses a file over the limit with 413 too-large', async () => {
    const body = await formBody([['file', bytes(LIMIT + 1, 3)]]);
    expect(await send(body.payload, body.contentType)).toMatchObject({ refused: 'too-large' });
  });

  it('refuses a file over the limit even when it is not the field kept', async () => {
    const body = await formBody([
      ['other', bytes(LIMIT + 1, 3)],
      ['file', bytes(10, 1)],
    ]);
    expect(await send(body.payload, body.contentType)).toMatchObject({ refused: 'too-large' });
  });

  it('refuses more file parts than it reads past with 400, naming the field to use', async () => {
    const body = await formBody(Array.from({ length: MAX_FILE_PARTS + 1 }, (_, i): [string, Blob] => [`f${i}`, bytes(10, i)]));
    expect(await send(body.payload, body.contentType)).toEqual({
      refused: 'bad-request',
      message: 'The upload has too many parts; send one file in the field "file".',
    });
  });

  it('refuses a body cut off before its closing boundary with 400', async () => {
    // Over a real socket: inject()'s request never tells the parser that the body has ended.
    const app = await reader();
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const body = await formBody([['file', bytes(3000, 7)]]);
    const cut = body.payload.subarray(0, body.payload.length - 100);
    const response = await fetch(`${url}/read`, { method: 'POST', body: cut, headers: { 'content-type': body.contentType } });
    expect(await response.json()).toEqual({ refused: 'bad-request', message: 'The multipart body is malformed or incomplete.' });
  });

  it('refuses a content type without a boundary with 400', async () => {
    const body = await formBody([['file', bytes(10, 1)]]);
    expect(await send(body.payload, 'multipart/form-data')).toMatchObject({ refused: 'bad-request' });
  });
});
