import { defineConfig } from 'vitest/config';

// The failure suite (scripts/test.d/50-failure.sh): real imgr processes against a private RabbitMQ
// node and S3 gateway that the scenarios stop and start. Apart from the root config's projects so
// that `npx vitest run` never restarts a broker under another suite.
const conditions = ['source', 'import', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['source'] } },
  test: {
    name: 'failure',
    root: `${import.meta.dirname}/../..`,
    include: ['tests/failure/**/*.test.ts'],
    // One scenario at a time: they share the broker and the machine's two cores.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
    // Figures go straight to stdout as the scenarios print them.
    disableConsoleIntercept: true,
    // The private broker and gateway 50-failure.sh starts (their default ports when run by hand).
    env: {
      IMGR_TEST_AMQP_URL:
        process.env.IMGR_TEST_AMQP_URL ?? `amqp://guest:guest@127.0.0.1:${process.env.IMGR_FAILURE_RABBIT_PORT ?? 5679}/%2F`,
      IMGR_TEST_S3_ENDPOINT: process.env.IMGR_TEST_S3_ENDPOINT ?? `http://127.0.0.1:${process.env.IMGR_FAILURE_RGW_PORT ?? 7489}`,
    },
  },
});
