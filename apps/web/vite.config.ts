import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The page's sources are in page/; the build goes to dist/public, beside the compiled server
 * (dist/main.js), which serves it. There is no Vite server at run time. `npm run build` builds
 * through build-page.mjs, which takes turns with other builds and swaps the result in whole.
 */
export default defineConfig({
  root: fileURLToPath(new URL('./page', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: '../dist/public',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
});
