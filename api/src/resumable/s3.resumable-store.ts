import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { S3, type S3ClientConfig } from '@aws-sdk/client-s3';
import { type MetadataValue, S3Store } from '@tus/s3-store';
import type { KvStore } from '@tus/server';
import { type ResumableStore, readAll } from './resumable-store.port.js';

const NO_CACHE: KvStore<MetadataValue> = {
  get: async () => undefined,
  set: async () => undefined,
  delete: async () => undefined,
};

/** Prefix of the staged objects in imgr's bucket; no read route maps a URL to it. */
export const RESUMABLE_PREFIX = 'uploads-in-progress/';

export interface S3ResumableStoreOptions {
  bucket: string;
  /** `http://ceph-rgw:8000`; unset: AWS. */
  endpoint?: string | undefined;
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  /** Extra CAs to trust (AWS_CA_BUNDLE). */
  caBundlePath?: string | undefined;
  /** An unfinished upload older than this is refused and removed by the cleanup (IMGR_RESUMABLE_EXPIRES_S). */
  expirationMs: number;
}

/**
 * Resumable uploads staged in imgr's own bucket through `@tus/s3-store`, chosen over an adapter on
 * imgr's storage port because that port has no append: the tus store keeps each upload as an S3
 * multipart upload plus an `.info` record, so any API instance behind the ingress can take the next
 * PATCH of an upload another one started, and S3 itself concatenates the parts at the end.
 */
export function createS3ResumableStore(options: S3ResumableStoreOptions): ResumableStore {
  const config: S3ClientConfig = {
    region: options.region,
    // MinIO and Ceph RGW are addressed by path, as imgr's own S3 adapter does.
    forcePathStyle: true,
    // Checksums only where S3 requires them: Ceph 16 does not know the SDK's newer default ones.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.caBundlePath ? { requestHandler: { httpsAgent: new Agent({ ca: readFileSync(options.caBundlePath) }) } } : {}),
  };
  const datastore = new S3Store({
    // Object tags are not needed: expiry is judged from each multipart upload's start.
    useTags: false,
    // No per-instance copy of an upload's record: another instance may finish or remove it meanwhile,
    // and one GET of the record per request is cheap beside the bytes.
    cache: NO_CACHE,
    expirationPeriodInMilliseconds: options.expirationMs,
    s3ClientConfig: { ...config, bucket: options.bucket },
  });
  const client = new S3(config);
  return {
    datastore,
    idPrefix: RESUMABLE_PREFIX,
    async readFinished(id) {
      const object = await client.getObject({ Bucket: options.bucket, Key: id });
      if (!object.Body) throw new Error(`staged upload ${id} has no body`);
      return readAll(object.Body as AsyncIterable<Uint8Array>);
    },
    async discard(id) {
      // The store's own remove() gives up on a completed multipart upload; unfinished ones are aborted first.
      await datastore.remove(id).catch(() => undefined);
      // One DeleteObject each: Ceph 16 wants a Content-MD5 on the batch call that the SDK no longer sends.
      await Promise.all([id, `${id}.info`, `${id}.part`].map((key) => client.deleteObject({ Bucket: options.bucket, Key: key })));
    },
    dispose: () => client.destroy(),
  };
}
