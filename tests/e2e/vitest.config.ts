import { defineConfig } from 'vitest/config';

// Browser tests of the web page: a real Chromium (Debian's package, driven by playwright-core) against a
// running `imgr all`. Started by scripts/test.d/40-e2e-browser.sh, which sets IMGR_E2E_URL and IMGR_FIXTURES.
export default defineConfig({
  root: import.meta.dirname,
  test: {
    name: 'e2e',
    environment: 'node',
    include: ['**/*.e2e.ts'],
    // One browser, one server: the scenarios build on each other and run in file order.
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 90_000,
    hookTimeout: 60_000,
  },
});
