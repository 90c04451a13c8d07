import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Tests import workspace packages from their TypeScript sources (the "source" export condition).
const resolve = { conditions: ['source', 'import', 'node', 'default'] };
const ssr = { resolve: { conditions: ['source', 'import', 'node', 'default'], externalConditions: ['source'] } };

export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        ssr,
        test: { name: 'unit', include: ['{core,api,worker,cli}/src/**/*.test.ts'], testTimeout: 20_000 },
      },
      {
        resolve,
        ssr,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Suites start real imgr processes on a 2-core machine: one file at a time, in one fork.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
      ...(existsSync('web/vitest.config.ts') ? ['web/vitest.config.ts'] : []),
    ],
  },
});
