import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The API the dev server forwards to (`npm run dev -w web`), so `{"endpoint": "/"}` works in development too.
const devApi = process.env.IMGR_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: import.meta.dirname,
  // Relative asset and config.json URLs, so the same build also works below a path prefix.
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One small bundle with hashed names, which a static server may cache for good; index.html and
    // config.json are the only files to serve uncached.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      '/image': devApi,
      '/health': devApi,
    },
  },
});
