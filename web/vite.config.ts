import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// The API the dev server forwards to (`npm run dev -w web`), so `{"endpoint": "/"}` works in development too.
const devApi = process.env.IMGR_DEV_API ?? 'http://127.0.0.1:8080';

/**
 * Writes `.gz` and `.br` copies of the hashed assets beside them, for static servers that send a
 * pre-compressed file when the browser accepts it (@fastify/static `preCompressed`, BusyBox httpd for
 * `.gz`): the script shrinks from about 250 KB to under 80 KB without compressing on each request.
 * Only under assets/: config.json is replaced at deploy time and a stale compressed copy would win.
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'imgr-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = join(config.root, config.build.outDir);
    },
    async closeBundle() {
      const assets = join(outDir, 'assets');
      const names = (await readdir(assets)).filter((name) => /\.(js|css|svg)$/.test(name));
      await Promise.all(
        names.map(async (name) => {
          const body = await readFile(join(assets, name));
          const [gz, br] = await Promise.all([
            promisify(gzip)(body, { level: 9 }),
            promisify(brotliCompress)(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
          ]);
          await writeFile(join(assets, `${name}.gz`), gz);
          await writeFile(join(assets, `${name}.br`), br);
        }),
      );
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  // Relative asset and config.json URLs, so the same build also works below a path prefix.
  base: './',
  plugins: [react(), precompress()],
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
