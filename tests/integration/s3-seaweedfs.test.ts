import { createS3Storage } from '@imgr/core/adapters';
import { describe } from 'vitest';
import { testStorage } from '../../core/src/storage/storage.contract.js';

// The storage contract on SeaweedFS's S3 gateway (scripts/services/seaweedfs.sh, or compose's seaweedfs
// service run by tests/docker/compose-seaweedfs.mjs with the stack's keys); skipped when it is not running.
const endpoint = process.env.IMGR_TEST_SEAWEED_ENDPOINT;
const accessKeyId = process.env.IMGR_TEST_SEAWEED_ACCESS_KEY ?? 'seaweedkey';
const secretAccessKey = process.env.IMGR_TEST_SEAWEED_SECRET_KEY ?? 'seaweedsecret';

describe.skipIf(!endpoint)('S3 storage on SeaweedFS', () => {
  testStorage('S3 (SeaweedFS)', () =>
    createS3Storage({
      bucket: 'imgr-seaweed-contract',
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId, secretAccessKey },
    }),
  );
});
