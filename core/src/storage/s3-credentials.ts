import type { CredentialSource, S3Credentials } from './s3-http.js';

/** Static keys, with `sessionToken` for temporary (STS) ones. */
export interface S3StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** Keys this close to their expiry are refreshed before the next request. */
const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

/** Static keys as given, or the AWS default chain, loaded only when needed and refreshed before expiry. */
export function credentialSource(credentials: S3StaticCredentials | undefined): CredentialSource {
  if (credentials) {
    const fixed: S3Credentials = { ...credentials };
    return async () => fixed;
  }
  let cached: Promise<S3Credentials> | undefined;
  // ignoreCache: a refresh re-reads the profile files, so rewritten keys are picked up without a restart.
  let provider: ((options?: { forceRefresh?: boolean }) => Promise<S3Credentials>) | undefined;
  return async (request) => {
    provider ??= (await import('@aws-sdk/credential-provider-node')).defaultProvider({ ignoreCache: true });
    if (request?.refresh) {
      cached = provider({ forceRefresh: true });
      return cached;
    }
    const current = await cached?.catch(() => undefined);
    if (current && (!current.expiration || current.expiration.getTime() - Date.now() > REFRESH_BEFORE_EXPIRY_MS)) return current;
    cached = provider();
    return cached;
  };
}
