import { readFileSync } from 'node:fs';

/**
 * What is running: the version from the root package.json (the one place it is written, also in
 * the Docker image at /app/package.json) and the git revision the build was made from. The
 * revision is build metadata, not configuration: the image sets IMGR_REVISION from its REVISION
 * build argument; a checkout without it says "unknown".
 */
export interface BuildInfo {
  version: string;
  revision: string;
}

function readVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export const BUILD: BuildInfo = Object.freeze({
  version: readVersion(),
  revision: process.env.IMGR_REVISION?.trim() || 'unknown',
});
