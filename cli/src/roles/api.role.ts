import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApi, createImageService, type ReadinessCheck } from '@imgr/api';
import { type Config, imageLimitsOf, type Logger, type Metrics } from '@imgr/core';
import { resumableStoreFromConfig } from '../adapters.js';
import type { Dependencies } from '../dependencies.js';
import { readinessHysteresisOf } from '../readiness.js';
import type { HttpServer } from './http-server.js';

/** The built web page beside the package (or IMGR_WEB_DIR), when there is one. */
function defaultWebDir(config: Config): string | undefined {
  const candidate = resolve(config.env.IMGR_WEB_DIR ?? fileURLToPath(new URL('../../../web/dist', import.meta.url)));
  return existsSync(`${candidate}/index.html`) ? candidate : undefined;
}

/** The API's HTTP server; in `all` mode it also serves the web page. */
export async function createApiServer(
  config: Config,
  dependencies: Dependencies,
  options: { logger: Logger; metrics: Metrics; readiness: ReadinessCheck[]; withWebPage: boolean },
): Promise<HttpServer> {
  const { logger, metrics } = options;
  const env = config.env;
  const images = createImageService({
    storage: dependencies.storage,
    queue: dependencies.queue,
    logger,
    metrics,
    limits: imageLimitsOf(env),
    keepOriginalMetadata: env.IMGR_KEEP_ORIGINAL_METADATA,
    expiry: { defaultSeconds: env.IMGR_DEFAULT_EXPIRES_IN_S, maxSeconds: env.IMGR_MAX_EXPIRES_IN_S },
  });
  const webDir = options.withWebPage ? defaultWebDir(config) : undefined;
  if (options.withWebPage && !webDir) logger.warn('web page not built (npm run build): serving the API only');
  const api = await buildApi({
    images,
    logger,
    metrics,
    readiness: options.readiness,
    readinessHysteresis: readinessHysteresisOf(env),
    webDir,
    tracer: dependencies.telemetry.tracer,
    maxUploadBytes: env.IMGR_MAX_UPLOAD_BYTES,
    maxConcurrentUploads: env.IMGR_MAX_CONCURRENT_UPLOADS,
    requestTimeoutMs: env.IMGR_REQUEST_TIMEOUT_MS,
    uploadTimeoutMs: env.IMGR_UPLOAD_TIMEOUT_MS,
    minUploadBytesPerSecond: env.IMGR_UPLOAD_MIN_BYTES_PER_S,
    rateLimits: { uploads: env.IMGR_RATE_LIMIT_UPLOADS, deletes: env.IMGR_RATE_LIMIT_DELETES, lookups: env.IMGR_RATE_LIMIT_LOOKUPS },
    trustedProxies: env.IMGR_TRUSTED_PROXIES,
    // Expired unfinished uploads are looked for ten times per expiry period, at most every hour.
    resumable: {
      store: resumableStoreFromConfig(config),
      cleanupIntervalMs: Math.min(3_600_000, (env.IMGR_RESUMABLE_EXPIRES_S * 1000) / 10),
    },
  });
  return { http: api.app, setDraining: api.setDraining };
}
