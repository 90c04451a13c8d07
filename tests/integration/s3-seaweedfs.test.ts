import { createS3Storage } from '@imgr/core/adapters';
import { describe } from 'vitest';
import { testStorage } from '../../core/src/storage/storage.contract.js';

// The storage contract on SeaweedFS's S3 gateway (scripts/services/seaweedfs.sh); skipped when it is not running.
const endpoint = process.env.IMGR_TEST_SEAWEED_ENDPOINT;

describe.skipIf(!endpoint)('S3 storage on SeaweedFS', () => {
  testStorage('S3 (SeaweedFS)', () =>
    createS3Storage({
      bucket: 'imgr-seaweed-contract',
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'seaweedkey', secretAccessKey: 'seaweedsecret' },
    }),
  );
});
