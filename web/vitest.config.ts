import { createRequire } from 'node:module';
import react from '@vitejs/plugin-react';
import { defineProject } from 'vitest/config';

const require = createRequire(import.meta.url);

// Component and library tests of the web page, in a simulated browser (jsdom). The root Vitest config lists
// this file as the "web" project; `npx vitest run --config web/vitest.config.ts` runs it alone.
export default defineProject({
  root: import.meta.dirname,
  plugins: [react()],
  // tus-js-client's browser build, as Vite's page build picks it (its `browser` field); Vitest would take the Node one.
  resolve: { alias: { 'tus-js-client': require.resolve('tus-js-client/lib.esm/browser/index.js') } },
  test: {
    name: 'web',
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
    restoreMocks: true,
    // jsdom renders of the whole page take seconds when the shared machine is loaded; 5 s cut them short.
    testTimeout: 20_000,
  },
});
