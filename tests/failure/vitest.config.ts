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
  },
});
