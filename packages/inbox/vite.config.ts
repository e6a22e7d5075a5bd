import { defaultClientConditions, defineConfig } from 'vite';

export default defineConfig({
  // The server serves the built app at /app/.
  base: '/app/',
  // Workspace packages resolve to their TypeScript source (types and constants only; no TypeBox).
  resolve: { conditions: ['@parley/source', ...defaultClientConditions] },
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  // `npx vite` serves the app at /app/ and forwards API and socket calls to a server on :3000.
  server: {
    proxy: {
      '/api': 'http://localhost:3000',
      '/ws': { target: 'ws://localhost:3000', ws: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Every browser that runs ES2022 supports modulepreload; the polyfill is dead weight.
    modulePreload: { polyfill: false },
  },
});
