import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as files from '../support/hostile-files.js';
import {
  type Answer,
  BOUNDARY,
  exchange,
  partHead as fileHead,
  multipart,
  type Part,
  requestHead,
  send,
  sendRaw,
  trickle,
} from '../support/raw-http.js';
import { listKeys, removeBucket, testS3Client } from '../support/s3-buckets.mjs';
import { fixtures, type ImgrProcess, imgrEnv, isolatedBroker, startImgr } from '../support/services.js';

// Hostile input against a real `imgr api` process on RabbitMQ and Ceph S3, started with small
// limits. Every case asserts the status, the JSON error code, that the process still answers
// /health, and that the bucket and the `celery` queue are exactly as before (or, for the few
// inputs that are rightly accepted, that exactly one original and four tasks were added).

const LIMITS = {
  IMGR_MAX_UPLOAD_BYTES: String(5 * 1024 * 1024),
  IMGR_MAX_PIXELS: String(25_000_000),
  IMGR_MAX_FRAMES: '50',
  IMGR_MAX_DECODE_PIXELS: String(50_000_000),
  IMGR_REQUEST_TIMEOUT_MS: '2000',
  // Uploads have their own deadline (15 min by default, for slow links); the cases below want 2 s.
  IMGR_UPLOAD_TIMEOUT_MS: '2000',
  IMGR_MAX_CONCURRENT_UPLOADS: '2',
};
const TIMEOUT_MS = Number(LIMITS.IMGR_REQUEST_TIMEOUT_MS);
const bucket = `imgr-hostile-${Date.now().toString(36)}`;
const photo = () => readFileSync(join(fixtures, 'photo-3mp.jpg'));

/** Expected outcome of a case: the answer's status and JSON `error` (null: no JSON body to check). */
interface Case {
  name: string;
  request: (api: string) => Promise<Answer>;
  status: number;
  error: string | null;
  /** Rightly accepted input: one original and four tasks are added (and the image is then deleted). */
  accepted?: boolean;
  check?: (answer: Answer, api: string) => void | Promise<void>;
}

const upload = (api: string, parts: Part[]) =>
  send(api, 'POST', '/image', { headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body: multipart(parts) });
const uploadFile = (api: string, body: Buffer, contentType: string | null = 'image/jpeg', filename = 'photo.jpg') =>
  upload(api, [{ name: 'file', filename, contentType, body }]);
const rawUpload = (api: string, body: Buffer | string, headers: Record<string, string | number> = {}) =>
  sendRaw(
    api,
    Buffer.concat([
      Buffer.from(
        requestHead('POST', '/image', {
          'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
          'Content-Length': Buffer.byteLength(body),
          ...headers,
        }),
      ),
      Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1'),
    ]),
  );

/** The head of a file part, the start of a multipart body that a slow client then trickles. */
const partHead = fileHead({ name: 'file', filename: 'slow.jpg', contentType: 'image/jpeg' });

const ID_ROUTES = (id: string) => [
  ['GET', `/image/${id}`],
  ['HEAD', `/image/${id}`],
  ['GET', `/image/${id}/big`],
  ['HEAD', `/image/${id}/small`],
  ['GET', `/image/${id}/status`],
  ['DELETE', `/image/${id}`],
];

/** Sends `id` to every route that takes one and checks each answer. */
async function everyIdRoute(api: string, id: string, status: number, error: string): Promise<Answer> {
  let last: Answer | undefined;
  for (const [method = 'GET', path = '/'] of ID_ROUTES(id)) {
    last = await send(api, method, path, { headers: { 'x-delete-token': 'some-token' } });
    expect(last.status, `${method} ${path}`).toBe(status);
    if (method !== 'HEAD') expect(last.json().error, `${method} ${path}`).toBe(error);
  }
  return last as Answer;
}

const cases: Case[] = [
  // --- What the file is -------------------------------------------------------------------
  {
    name: 'non-image bytes (a shell script)',
    request: (api) => uploadFile(api, files.SHELL_SCRIPT),
    status: 415,
    error: 'unsupported-type',
    check: (answer) => expect(answer.json().accepted_types).toEqual(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif']),
  },
  { name: 'zero bytes', request: (api) => uploadFile(api, Buffer.alloc(0)), status: 400, error: 'missing file' },
  { name: 'truncated JPEG', request: async (api) => uploadFile(api, files.truncated(photo())), status: 422, error: 'corrupt-image' },
  {
    name: 'truncated PNG',
    request: async (api) => uploadFile(api, files.truncated(readFileSync(join(fixtures, 'photo.png')))),
    status: 422,
    error: 'corrupt-image',
  },
  {
    name: 'truncated GIF',
    request: async (api) => uploadFile(api, files.truncated(readFileSync(join(fixtures, 'animated.gif')))),
    status: 422,
    error: 'corrupt-image',
  },
  {
    name: 'truncated WebP',
    request: async (api) => uploadFile(api, files.truncated(readFileSync(join(fixtures, 'photo.webp')))),
    status: 422,
    error: 'corrupt-image',
  },
  {
    name: 'truncated AVIF',
    request: async (api) => uploadFile(api, files.truncated(readFileSync(join(fixtures, 'photo.avif')))),
    status: 422,
    error: 'corrupt-image',
  },
  {
    name: 'JPEG magic and nothing else',
    request: (api) => uploadFile(api, Buffer.from([0xff, 0xd8, 0xff, 0xd9])),
    status: 422,
    error: 'corrupt-image',
  },
  {
    name: 'pixel bomb: PNG header claims 100000 x 100000',
    request: (api) => uploadFile(api, files.pngClaiming(100_000, 100_000)),
    status: 422,
    error: 'too-many-pixels',
    check: (answer) => expect(answer.json().max_pixels).toBe(25_000_000),
  },
  {
    name: 'pixel bomb: JPEG frame header claims 60000 x 60000',
    request: async (api) => uploadFile(api, await files.jpegClaiming(60_000, 60_000)),
    status: 422,
    error: 'too-many-pixels',
  },
  {
    name: 'pixel bomb: GIF screen and frame claim 65535 x 65535',
    request: async (api) => uploadFile(api, await files.gifClaiming(65_535, 65_535)),
    status: 422,
    error: 'too-many-pixels',
  },
  {
    name: 'pixel bomb: WebP frame header claims 16383 x 16383',
    request: async (api) => uploadFile(api, await files.webpClaiming(16_383, 16_383)),
    status: 422,
    error: 'too-many-pixels',
  },
  {
    name: 'decompression bomb: a real 20000 x 20000 PNG of zeros (400 MP in ~400 KB)',
    request: async (api) => {
      const bomb = await files.decompressionBombPng(20_000, 20_000);
      expect(bomb.length).toBeLessThan(1024 * 1024);
      return uploadFile(api, bomb, 'image/png');
    },
    status: 422,
    error: 'too-many-pixels',
  },
  {
    name: 'huge frame count: a GIF of 1000 frames',
    request: async (api) => uploadFile(api, await files.manyFrames(1000, 'gif'), 'image/gif'),
    status: 422,
    error: 'too-many-frames',
    check: (answer) => expect(answer.json().max_frames).toBe(50),
  },
  {
    name: 'huge frame count: an animated WebP of 500 frames',
    request: async (api) => uploadFile(api, await files.manyFrames(500, 'webp'), 'image/webp'),
    status: 422,
    error: 'too-many-frames',
  },
  {
    name: 'animated canvas bomb: a 284-byte WebP, 7000 x 7000 canvas, 5 frames of 1 x 1',
    request: async (api) => {
      const bomb = await files.webpCanvasBomb(7000, 5);
      expect(bomb.length).toBe(284);
      return uploadFile(api, bomb, 'image/webp');
    },
    status: 422,
    error: 'animation-too-large',
    check: (answer) => {
      expect(answer.json().max_animation_pixels).toBe(16_777_216);
      expect(answer.json().message).toMatch(/49 megapixels/);
    },
  },
  {
    name: 'animated canvas bomb: a 10-frame WebP, 7000 x 7000 canvas',
    request: async (api) => uploadFile(api, await files.webpCanvasBomb(7000, 10), 'image/webp'),
    status: 422,
    error: 'animation-too-large',
  },
  {
    name: 'animated screen bomb: a GIF with a 7000 x 7000 screen and 300 frames',
    request: async (api) => uploadFile(api, await files.gifScreenBomb(7000, 300), 'image/gif'),
    status: 422,
    error: 'too-many-frames',
  },
  {
    name: 'decode budget: a GIF of 2000 x 2000 x 20 frames (80 megapixels to decode)',
    request: async (api) => uploadFile(api, await files.gifScreenBomb(2000, 20), 'image/gif'),
    status: 422,
    error: 'too-many-decoded-pixels',
    check: (answer) => expect(answer.json().max_decode_pixels).toBe(50_000_000),
  },
  {
    name: 'undecodable PNG: a valid header and end with broken pixel data is refused, not stored',
    request: async (api) => uploadFile(api, await files.undecodablePng(), 'image/png'),
    status: 422,
    error: 'corrupt-image',
    check: (answer) => {
      expect(Object.keys(answer.json()).sort()).toEqual(['error', 'message']);
      expect(answer.json().message).not.toMatch(/vips|png|inflate|zlib/i);
    },
  },
  {
    name: 'SVG with a script',
    request: (api) => uploadFile(api, files.SVG, 'image/svg+xml', 'a.svg'),
    status: 415,
    error: 'unsupported-type',
  },
  { name: 'HTML page', request: (api) => uploadFile(api, files.HTML, 'image/png', 'a.png'), status: 415, error: 'unsupported-type' },
  { name: 'PDF document', request: (api) => uploadFile(api, files.PDF, 'image/jpeg'), status: 415, error: 'unsupported-type' },
  {
    name: 'polyglot: GIF magic followed by JavaScript',
    request: (api) => uploadFile(api, files.GIF_JS_POLYGLOT, 'image/gif', 'a.gif'),
    status: 422,
    error: 'corrupt-image',
  },
  {
    name: 'polyglot: PDF header followed by a whole JPEG',
    request: async (api) => uploadFile(api, await files.pdfThenJpeg()),
    status: 415,
    error: 'unsupported-type',
  },
  {
    name: 'polyglot: JPEG with an HTML page after its end marker is stored as a JPEG and never sniffed',
    request: async (api) => uploadFile(api, await files.jpegHtmlPolyglot(), 'text/html', 'page.html'),
    status: 201,
    error: null,
    accepted: true,
    check: async (answer, api) => {
      const served = await send(api, 'GET', String(answer.json().original));
      expect(served.headers['content-type']).toBe('image/jpeg');
      expect(served.headers['x-content-type-options']).toBe('nosniff');
    },
  },
  {
    name: 'wrong part Content-Type (text/plain) on a real photo is ignored: accepted, stored as image/jpeg',
    request: (api) => uploadFile(api, photo(), 'text/plain', 'notes.txt'),
    status: 201,
    error: null,
    accepted: true,
    check: async (answer, api) => {
      const served = await send(api, 'HEAD', String(answer.json().original));
      expect(served.headers['content-type']).toBe('image/jpeg');
    },
  },
  {
    name: 'absent part Content-Type and a path-traversal filename on a real PNG: accepted, stored as image/png',
    request: async (api) => uploadFile(api, await files.smallPng(), null, '../../../etc/passwd'),
    status: 201,
    error: null,
    accepted: true,
    check: async (answer, api) => {
      expect(answer.json().id).toMatch(/^[a-zA-Z0-9]{8}$/);
      expect((await send(api, 'HEAD', String(answer.json().original))).headers['content-type']).toBe('image/png');
    },
  },

  // --- How the request is framed ----------------------------------------------------------
  {
    name: 'two files in the field "file": the first is stored, the second ignored',
    request: async (api) =>
      upload(api, [
        { name: 'file', filename: 'first.jpg', body: await files.smallJpeg() },
        { name: 'file', filename: 'second.svg', contentType: 'image/svg+xml', body: files.SVG },
      ]),
    status: 201,
    error: null,
    accepted: true,
    check: async (answer, api) => {
      const stored = await send(api, 'GET', String(answer.json().original));
      expect(stored.body.equals(await files.smallJpeg())).toBe(true);
    },
  },
  {
    name: 'no file field (the image sent as "picture")',
    request: async (api) => upload(api, [{ name: 'picture', filename: 'a.jpg', body: await files.smallJpeg() }]),
    status: 400,
    error: 'missing file',
  },
  {
    name: 'the field "file" sent as a text field, not a file',
    request: (api) => upload(api, [{ name: 'file', body: 'hello' }]),
    status: 400,
    error: 'missing file',
  },
  {
    name: 'too many parts (100 fields)',
    request: (api) =>
      upload(
        api,
        Array.from({ length: 100 }, (_, i) => ({ name: `f${i}`, body: 'x' })),
      ),
    status: 400,
    error: 'bad-request',
  },
  {
    name: 'malformed multipart: the body uses another boundary',
    request: async (api) =>
      rawUpload(api, multipart([{ name: 'file', filename: 'a.jpg', body: await files.smallJpeg() }], { boundary: 'other' })),
    status: 400,
    error: 'bad-request',
  },
  {
    name: 'malformed multipart: unterminated (no closing boundary)',
    request: async (api) =>
      rawUpload(api, multipart([{ name: 'file', filename: 'a.jpg', body: await files.smallJpeg() }], { terminate: false })),
    status: 400,
    error: 'bad-request',
  },
  {
    name: 'malformed multipart: no boundary parameter',
    request: (api) => rawUpload(api, 'whatever', { 'Content-Type': 'multipart/form-data' }),
    status: 400,
    error: 'bad-request',
  },
  {
    name: 'malformed multipart: garbage instead of parts',
    request: (api) => rawUpload(api, 'this is not multipart at all, just words'),
    status: 400,
    error: 'bad-request',
  },
  {
    name: 'non-multipart body: a raw JPEG as application/octet-stream',
    request: async (api) => send(api, 'POST', '/image', { headers: { 'content-type': 'application/octet-stream' }, body: photo() }),
    status: 400,
    error: 'missing file',
  },
  {
    name: 'non-multipart body: JSON',
    request: (api) => send(api, 'POST', '/image', { headers: { 'content-type': 'application/json' }, body: '{"file": "aGVsbG8="}' }),
    status: 400,
    error: 'missing file',
  },
  {
    name: 'oversized body declared by Content-Length is refused before it is sent',
    // Only the head goes out: the answer must come without the server waiting for 50 MB.
    request: (api) =>
      sendRaw(
        api,
        requestHead('POST', '/image', { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Content-Length': 50 * 1024 * 1024 }),
      ),
    status: 413,
    error: 'too-large',
    check: (answer) => {
      expect(answer.headers.connection).toBe('close');
      expect(answer.elapsedMs).toBeLessThan(1000);
    },
  },
  {
    name: 'oversized chunked body (no Content-Length) is cut off once past the limit',
    request: (api) =>
      exchange(api, (socket, done) => {
        socket.write(
          requestHead('POST', '/image', { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Transfer-Encoding': 'chunked' }),
        );
        const chunk = (data: Buffer | string) => socket.write(`${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`);
        chunk(partHead);
        const block = Buffer.alloc(256 * 1024, 0x41);
        let sent = 0;
        const pump = () => {
          // Up to 4x the limit; the server must answer long before.
          while (!done() && sent < 20 * 1024 * 1024) {
            sent += block.length;
            socket.write(`${block.length.toString(16)}\r\n`);
            socket.write(block);
            if (!socket.write('\r\n')) {
              socket.once('drain', pump);
              return;
            }
          }
        };
        pump();
      }),
    status: 413,
    error: 'too-large',
    // Answered as soon as the file passes the limit, not when the body ends or the timeout strikes.
    check: (answer) => expect(answer.elapsedMs).toBeLessThan(TIMEOUT_MS),
  },
  {
    name: 'slow body: headers, then one byte every 100 ms, is cut off with 408 within the request timeout',
    request: (api) => {
      const body = Buffer.from(`${partHead}${'x'.repeat(1000)}`);
      const head = requestHead('POST', '/image', {
        'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
        'Content-Length': body.length,
      });
      return trickle(api, head, body, 100, TIMEOUT_MS * 4);
    },
    status: 408,
    error: 'request-timeout',
    check: (answer) => {
      expect(answer.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
      expect(answer.elapsedMs).toBeLessThan(TIMEOUT_MS + 1500);
    },
  },
  {
    name: 'stalled body: part of the body, then silence, is cut off within the request timeout',
    request: (api) =>
      sendRaw(
        api,
        `${requestHead('POST', '/image', { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`, 'Content-Length': 100_000 })}${partHead}`,
        TIMEOUT_MS * 4,
      ),
    status: 408,
    error: 'request-timeout',
    check: (answer) => expect(answer.elapsedMs).toBeLessThan(TIMEOUT_MS + 1500),
  },
  {
    name: 'uploads beyond IMGR_MAX_CONCURRENT_UPLOADS are refused with 503 busy and Retry-After',
    request: async (api) => {
      const body = Buffer.from(`${partHead}${'x'.repeat(1000)}`);
      const head = requestHead('POST', '/image', {
        'Content-Type': `multipart/form-data; boundary=${BOUNDARY}`,
        'Content-Length': body.length,
      });
      // Two slow uploads hold both slots until the request timeout cuts them off.
      const holders = [trickle(api, head, body, 100, TIMEOUT_MS * 4), trickle(api, head, body, 100, TIMEOUT_MS * 4)];
      await new Promise((resolve) => setTimeout(resolve, 500));
      const refused = await uploadFile(api, await files.smallJpeg());
      for (const holder of await Promise.all(holders)) expect(holder.status).toBe(408);
      return refused;
    },
    status: 503,
    error: 'busy',
    check: (answer) => expect(answer.headers['retry-after']).toMatch(/^\d+$/),
  },
  {
    name: 'invalid chunked framing is refused by the HTTP parser',
    request: (api) =>
      sendRaw(
        api,
        `${requestHead('POST', '/image', { 'Content-Type': 'multipart/form-data; boundary=x', 'Transfer-Encoding': 'chunked' })}zz\r\nabc\r\n0\r\n\r\n`,
      ),
    status: 400,
    error: 'bad-request',
  },
  {
    name: 'both Content-Length and chunked (request smuggling shape) is refused by the HTTP parser',
    request: (api) =>
      sendRaw(
        api,
        `${requestHead('POST', '/image', { 'Content-Type': 'multipart/form-data; boundary=x', 'Content-Length': 5, 'Transfer-Encoding': 'chunked' })}0\r\n\r\n`,
      ),
    status: 400,
    error: 'bad-request',
  },
  {
    name: 'a 64 KiB header block is refused with 431',
    request: (api) => sendRaw(api, requestHead('GET', '/image/AbCd1234', { 'X-Padding': 'a'.repeat(64 * 1024) })),
    status: 431,
    error: 'headers-too-large',
  },

  // --- Ids on every route -----------------------------------------------------------------
  {
    name: 'path traversal id, percent-encoded (..%2F..%2Fetc%2Fpasswd), on every route',
    request: (api) => everyIdRoute(api, '..%2F..%2Fetc%2Fpasswd', 400, 'invalid id'),
    status: 400,
    error: 'invalid id',
  },
  {
    name: 'path traversal id, double-encoded (%252e%252e%252f), on every route',
    request: (api) => everyIdRoute(api, '%252e%252e%252f', 400, 'invalid id'),
    status: 400,
    error: 'invalid id',
  },
  {
    name: 'path traversal in the raw path (/image/../../etc/passwd) never reaches a route',
    request: (api) => send(api, 'GET', '/image/../../etc/passwd'),
    status: 404,
    error: 'not found',
  },
  {
    name: 'unicode id of 8 characters (Cyrillic look-alikes), on every route',
    request: (api) => everyIdRoute(api, encodeURIComponent('АВСDЕFGН'), 400, 'invalid id'),
    status: 400,
    error: 'invalid id',
  },
  {
    name: 'emoji id, on every route',
    request: (api) => everyIdRoute(api, encodeURIComponent('😀😀😀😀'), 400, 'invalid id'),
    status: 400,
    error: 'invalid id',
  },
  {
    name: 'id with a NUL byte, on every route',
    request: (api) => everyIdRoute(api, 'AbCd%00234', 400, 'invalid id'),
    status: 400,
    error: 'invalid id',
  },
  {
    name: 'id of 9 and of 100 characters, on every route',
    request: async (api) => {
      await everyIdRoute(api, 'AbCd12345', 400, 'invalid id');
      return everyIdRoute(api, 'a'.repeat(100), 400, 'invalid id');
    },
    status: 400,
    error: 'invalid id',
  },
  {
    name: 'over-long id (5000 characters), on every route, is an invalid id',
    request: async (api) => {
      let last: Answer | undefined;
      for (const [method = 'GET', path = '/'] of ID_ROUTES('a'.repeat(5000))) {
        last = await send(api, method, path);
        expect(last.status, `${method} ${path.slice(0, 20)}`).toBe(400);
      }
      return last as Answer;
    },
    status: 400,
    error: 'invalid id',
  },
  {
    name: 'id that is not valid percent-encoding (%ff%fe)',
    request: (api) => send(api, 'GET', '/image/%ff%fe%fd%fc'),
    status: 400,
    error: 'bad-request',
  },
  { name: 'unknown size name', request: (api) => send(api, 'GET', '/image/AbCd1234/huge'), status: 404, error: 'not found' },
  {
    name: 'unknown method on an image (PUT)',
    request: (api) => send(api, 'PUT', '/image/AbCd1234', { body: 'x' }),
    status: 404,
    error: 'not found',
  },

  // --- Delete and ranges on a real image ----------------------------------------------------
  {
    name: 'DELETE with a wrong token leaves the image in place',
    request: (api) =>
      withImage(api, (image) => send(api, 'DELETE', `/image/${image.id}`, { headers: { 'x-delete-token': `${image.token}x` } })),
    status: 403,
    error: 'forbidden',
  },
  {
    name: 'DELETE without a token',
    request: (api) => withImage(api, (image) => send(api, 'DELETE', `/image/${image.id}`)),
    status: 401,
    error: 'missing token',
  },
  {
    name: 'DELETE with an empty token',
    request: (api) => withImage(api, (image) => send(api, 'DELETE', `/image/${image.id}`, { headers: { 'x-delete-token': '' } })),
    status: 401,
    error: 'missing token',
  },
  {
    name: 'DELETE with an 8 KiB token',
    request: (api) =>
      withImage(api, (image) => send(api, 'DELETE', `/image/${image.id}`, { headers: { 'x-delete-token': 'A'.repeat(8192) } })),
    status: 403,
    error: 'forbidden',
  },
  {
    name: 'DELETE with the right token sent twice (two headers) does not match',
    request: (api) =>
      withImage(api, (image) => send(api, 'DELETE', `/image/${image.id}`, { headers: { 'x-delete-token': [image.token, image.token] } })),
    status: 403,
    error: 'forbidden',
  },
  {
    name: 'DELETE of an image that does not exist',
    request: (api) => send(api, 'DELETE', '/image/Zz9Zz9Zz', { headers: { 'x-delete-token': 'x' } }),
    status: 404,
    error: 'not found',
  },
  {
    name: 'Range starting past the end answers 416 with the size',
    request: (api) => withImage(api, (image) => send(api, 'GET', `/image/${image.id}`, { headers: { range: 'bytes=99999999999-' } })),
    status: 416,
    error: null,
    check: (answer) => expect(answer.headers['content-range']).toMatch(/^bytes \*\/\d+$/),
  },
  {
    name: 'Range with 500 ranges is ignored: the whole image, 200',
    request: (api) =>
      withImage(api, (image) =>
        send(api, 'GET', `/image/${image.id}`, {
          headers: { range: `bytes=${Array.from({ length: 500 }, (_, i) => `${i * 2}-${i * 2}`).join(',')}` },
        }),
      ),
    status: 200,
    error: null,
    check: (answer) => expect(answer.body.length).toBe(Number(answer.headers['content-length'])),
  },
  {
    name: 'Range reversed, hexadecimal, or with 30-digit numbers is ignored or clamped, never an error',
    request: (api) =>
      withImage(api, async (image) => {
        for (const range of ['bytes=50-10', 'bytes=0x10-0x20', 'items=0-5', 'bytes=-']) {
          expect((await send(api, 'GET', `/image/${image.id}`, { headers: { range } })).status, range).toBe(200);
        }
        const huge = await send(api, 'GET', `/image/${image.id}`, { headers: { range: `bytes=0-${'9'.repeat(30)}` } });
        expect(huge.status).toBe(206);
        expect(huge.headers['content-range']).toMatch(/^bytes 0-\d+\/\d+$/);
        return send(api, 'GET', `/image/${image.id}`, { headers: { range: `bytes=-${'9'.repeat(30)}` } });
      }),
    status: 206,
    error: null,
  },
];

/**
 * Runs `action` against a freshly uploaded image and deletes it afterwards, so the case leaves
 * storage as it found it (the four tasks stay queued: no worker runs here).
 */
let uploadedTasks = 0;
async function withImage(api: string, action: (image: { id: string; token: string }) => Promise<Answer>): Promise<Answer> {
  const created = await uploadFile(api, await files.smallJpeg());
  expect(created.status).toBe(201);
  uploadedTasks += 4;
  const image = { id: String(created.json().id), token: String(created.json().delete_token) };
  try {
    return await action(image);
  } finally {
    const removed = await send(api, 'DELETE', `/image/${image.id}`, { headers: { 'x-delete-token': image.token } });
    expect(removed.status).toBe(204);
  }
}

describe('hostile input against a real imgr api on RabbitMQ and S3', () => {
  let api: ImgrProcess;
  let connection: ChannelModel;
  let channel: Channel;
  // A broker vhost of its own, so nothing else publishing to `celery` can disturb the counts.
  const broker = isolatedBroker('hostile');
  const s3 = testS3Client();
  // Images, not the tombstones their deletes leave behind (a few bytes each, kept on purpose).
  const objectCount = async () => (await listKeys(s3, bucket)).filter((key) => !key.startsWith('deleted/')).length;
  const queued = async () => (await channel.checkQueue('celery')).messageCount;

  beforeAll(async () => {
    api = await startImgr('api', imgrEnv(bucket, { CELERY_BROKER_URL: broker.url, ...LIMITS }));
    connection = await amqp.connect(broker.url);
    channel = await connection.createChannel();
    await channel.assertQueue('celery', { durable: true });
  });

  afterAll(async () => {
    await connection?.close();
    await api?.stop();
    s3.destroy();
    broker.dispose();
    await removeBucket(bucket);
  });

  it('has at least 30 named cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, testCase) => {
    const objectsBefore = await objectCount();
    const tasksBefore = await queued();
    uploadedTasks = 0;

    const answer = await testCase.request(api.url);
    expect(answer.status, answer.body.toString('utf8').slice(0, 300)).toBe(testCase.status);
    if (testCase.error !== null) {
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      const body = answer.json();
      expect(body).toMatchObject({ error: testCase.error, message: expect.any(String) });
    }
    await testCase.check?.(answer, api.url);

    // The process keeps serving.
    expect(api.child.exitCode).toBeNull();
    const health = await send(api.url, 'GET', '/health');
    expect([health.status, health.body.toString()]).toEqual([200, 'ok']);

    if (testCase.accepted) {
      expect(await objectCount()).toBe(objectsBefore + 1);
      expect(await queued()).toBe(tasksBefore + 4);
      const { id, delete_token: token } = answer.json() as { id: string; delete_token: string };
      expect((await send(api.url, 'DELETE', `/image/${id}`, { headers: { 'x-delete-token': token } })).status).toBe(204);
      uploadedTasks += 4;
    }
    // Storage exactly as before; the queue too, but for the tasks of images the case rightly accepted.
    expect(await objectCount()).toBe(objectsBefore);
    expect(await queued()).toBe(tasksBefore + uploadedTasks);
  });

  it('slow headers (one header line every 300 ms) are cut off, not held forever', async () => {
    // The API runs with a 2 s request timeout, checked every 0.5 s.
    const started = Date.now();
    const answer = await exchange(
      api.url,
      (socket, done) => {
        socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
        let line = 0;
        const timer = setInterval(() => (done() ? clearInterval(timer) : socket.write(`X-Slow-${line++}: a\r\n`)), 300);
      },
      40_000,
    );
    expect(answer.status).toBe(408);
    expect(Date.now() - started).toBeLessThan(6_000);
    const health = await send(api.url, 'GET', '/health');
    expect(health.status).toBe(200);
  }, 60_000);
});
