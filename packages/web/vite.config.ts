import preact from '@preact/preset-vite';
import { defineConfig, type Plugin } from 'vite';
import { precompress } from './scripts/precompress.mjs';

/**
 * Each text file gets its .br and .gz next to it once the bundle is written, so the monitor
 * serves them as they are instead of compressing at every start (scripts/precompress.mjs).
 */
function precompressed(): Plugin {
  let outDir = 'dist';
  return {
    name: 'lifeline-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    async closeBundle() {
      await precompress(outDir);
    },
  };
}

// The prober serves dist/ (packages/prober/src/server/static.ts): index.html for the app's
// routes and hashed, immutable files under assets/. Nothing may load from elsewhere (the
// monitor's CSP is 'self' only), so assets are never inlined as data: URIs.
export default defineConfig({
  plugins: [preact(), precompressed()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
