/** The runtime configuration, `config.json` beside index.html, so one build serves every environment. */
export interface RuntimeConfig {
  /** API root: "http://api-host:8080/" when the API is elsewhere, "/" behind the ingress or in `imgr all`. */
  endpoint: string;
}

export interface LoadedConfig {
  config: RuntimeConfig;
  /** Set when config.json could not be used and the page fell back to its own origin. */
  warning?: string;
}

const FALLBACK: RuntimeConfig = { endpoint: '/' };

export async function loadConfig(url = 'config.json'): Promise<LoadedConfig> {
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-store' });
  } catch {
    // fetch rejects only when no answer came at all: the site is down or this device is offline.
    const warning =
      navigator.onLine === false
        ? 'This device is offline: images cannot be uploaded until it is connected again.'
        : 'The server does not answer: it may be down or restarting. Reload this page in a moment.';
    return { config: FALLBACK, warning };
  }
  try {
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const body: unknown = await response.json();
    const endpoint = (body as { endpoint?: unknown } | null)?.endpoint;
    if (typeof endpoint !== 'string' || endpoint.trim() === '') throw new Error('no "endpoint" string');
    return { config: { endpoint } };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { config: FALLBACK, warning: `config.json is unusable (${reason}); using this site as the API.` };
  }
}
