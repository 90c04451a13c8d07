import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from './config.ts';

function serve(status: number, body: string) {
  const fetchMock = vi.fn(async () => new Response(body, { status, headers: { 'Content-Type': 'application/json' } }));
  vi.stubGlobal('fetch', fetchMock);
  return fetchMock;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('loadConfig', () => {
  it('reads the endpoint from config.json beside the page, never from cache', async () => {
    const fetchMock = serve(200, '{"endpoint": "http://api-host:8080/"}');
    expect(await loadConfig()).toEqual({ config: { endpoint: 'http://api-host:8080/' } });
    expect(fetchMock).toHaveBeenCalledWith('config.json', { cache: 'no-store' });
  });

  it('falls back to this site and says why when config.json is missing or wrong', async () => {
    serve(404, 'not found');
    expect(await loadConfig()).toEqual({
      config: { endpoint: '/' },
      warning: 'config.json is unusable (HTTP 404); using this site as the API.',
    });
    serve(200, '{"api": "elsewhere"}');
    expect((await loadConfig()).warning).toBe('config.json is unusable (no "endpoint" string); using this site as the API.');
    serve(200, '{oops');
    expect((await loadConfig()).config).toEqual({ endpoint: '/' });
  });

  it('says the server does not answer, not that config.json is wrong, when the request fails', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        throw new TypeError('Failed to fetch');
      }),
    );
    expect(await loadConfig()).toEqual({
      config: { endpoint: '/' },
      warning: 'The server does not answer: it may be down or restarting. Reload this page in a moment.',
    });
  });
});
