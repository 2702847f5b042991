import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// The prober serves dist/ (packages/prober/src/server/static.ts): index.html for the app's
// routes and hashed, immutable files under assets/. Nothing may load from elsewhere (the
// monitor's CSP is 'self' only), so assets are never inlined as data: URIs.
export default defineConfig({
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
