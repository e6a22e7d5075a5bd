// Two Vite builds: the loader as a self-contained IIFE (dist/widget.js) and the chat UI as an ES
// module (dist/widget/chat.js) that the loader import()s. One Vite config cannot emit both formats.
import { fileURLToPath } from 'node:url';
import { build, defaultClientConditions } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const common = {
  root,
  configFile: false,
  logLevel: 'info',
  // Workspace packages resolve to their TypeScript source (@parley/protocol has no dist in dev).
  resolve: { conditions: ['@parley/source', ...defaultClientConditions] },
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact', legalComments: 'none' },
  define: { 'process.env.NODE_ENV': '"production"' },
};

await build({
  ...common,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    minify: 'esbuild',
    modulePreload: false,
    copyPublicDir: false,
    lib: { entry: 'src/loader.ts', formats: ['iife'], name: 'parleyLoader', fileName: () => 'widget.js' },
  },
});

await build({
  ...common,
  build: {
    outDir: 'dist/widget',
    emptyOutDir: true,
    target: 'es2020',
    minify: 'esbuild',
    modulePreload: false,
    copyPublicDir: false,
    rollupOptions: {
      input: { chat: 'src/chat.tsx' },
      // Lazy chunks (captcha, languages, extras) may import Preact and helpers from chat.js itself
      // instead of a shared chunk that chat.js would have to fetch before it can run.
      preserveEntrySignatures: 'allow-extension',
      output: {
        format: 'es',
        entryFileNames: '[name].js',
        chunkFileNames: '[name]-[hash].js',
      },
    },
  },
});
