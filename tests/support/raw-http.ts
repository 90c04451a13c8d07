import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';

/** What came back over one connection: `status` 0 when the server closed without answering. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** From the first byte written to the full answer (or the close). */
  elapsedMs: number;
  json(): Record<string, unknown>;
}

function answer(status: number, headers: Record<string, string>, body: Buffer, elapsedMs: number): Answer {
  return {
    status,
    headers,
    body,
    elapsedMs,
    json: () => JSON.parse(body.toString('utf8')) as Record<string, unknown>,
  };
}

/**
 * A well-formed request through node:http, which (unlike fetch) sends the path exactly as given:
 * no normalisation of `..`, no re-encoding.
 */
export function send(
  baseUrl: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string | string[]>; body?: Buffer | string; timeoutMs?: number } = {},
): Promise<Answer> {
  const { hostname, port } = new URL(baseUrl);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: hostname, port, method, path, headers: options.headers, timeout: options.timeoutMs ?? 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));
          resolve(answer(res.statusCode ?? 0, headers, Buffer.concat(chunks), Date.now() - started));
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Parses an HTTP/1.1 answer from raw bytes; `undefined` until it is complete. */
function parse(bytes: Buffer, closed: boolean): { status: number; headers: Record<string, string>; body: Buffer } | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return closed ? { status: 0, headers: {}, body: Buffer.alloc(0) } : undefined;
  const [statusLine = '', ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = bytes.subarray(end + 4);
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  if (!closed && (length === undefined || body.length < length)) return undefined;
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: length === undefined ? body : body.subarray(0, length) };
}

/**
 * Opens a TCP connection and lets `writer` send whatever it likes, well-formed or not, fast or
 * slow; resolves with the server's answer as soon as it is complete, or when the server closes
 * the connection, or after `timeoutMs` (then `status` is -1: the server neither answered nor hung up).
 */
export function exchange(baseUrl: string, writer: (socket: Socket, done: () => boolean) => void, timeoutMs = 15_000): Promise<Answer> {
  const { hostname, port } = new URL(baseUrl);
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    const received: Buffer[] = [];
    let finished = false;
    const finish = (result: Answer) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(answer(-1, {}, Buffer.concat(received), Date.now() - started)), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      const parsed = parse(Buffer.concat(received), false);
      if (parsed) finish(answer(parsed.status, parsed.headers, parsed.body, Date.now() - started));
    });
    socket.on('close', () => {
      const parsed = parse(Buffer.concat(received), true);
      finish(answer(parsed?.status ?? 0, parsed?.headers ?? {}, parsed?.body ?? Buffer.alloc(0), Date.now() - started));
    });
    // Writes after the server hung up fail with EPIPE or ECONNRESET: expected, the answer is what counts.
    socket.on('error', () => undefined);
    socket.once('connect', () => writer(socket, () => finished || socket.destroyed));
  });
}

/** Sends `bytes` at once. */
export function sendRaw(baseUrl: string, bytes: Buffer | string, timeoutMs?: number): Promise<Answer> {
  return exchange(baseUrl, (socket) => socket.write(bytes), timeoutMs);
}

/** Sends `head`, then one byte of `rest` every `everyMs` for as long as the connection is open. */
export function trickle(baseUrl: string, head: Buffer | string, rest: Buffer, everyMs: number, timeoutMs?: number): Promise<Answer> {
  return exchange(
    baseUrl,
    (socket, done) => {
      socket.write(head);
      let offset = 0;
      const timer = setInterval(() => {
        if (done() || offset >= rest.length) return clearInterval(timer);
        socket.write(rest.subarray(offset, offset + 1));
        offset++;
      }, everyMs);
    },
    timeoutMs,
  );
}

export { BOUNDARY, multipart, type Part, partHead } from './multipart.mjs';

/** The head of a request (request line and headers, blank line included). */
export function requestHead(method: string, path: string, headers: Record<string, string | number>): string {
  const lines = Object.entries({ Host: '127.0.0.1', Connection: 'close', ...headers }).map(([name, value]) => `${name}: ${value}`);
  return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}
