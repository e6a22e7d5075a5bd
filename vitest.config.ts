import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript source under this condition, so tests need no build.
// Vite 6+ reads server-side (SSR) conditions separately, and vitest runs node tests as SSR.
const conditions = ['@parley/source', 'module', 'node', 'development|production'];
const resolve = { conditions };
const ssr = { resolve: { conditions, externalConditions: ['@parley/source'] } };

export default defineConfig({
  test: {
    projects: [
      { resolve, ssr, test: { name: 'protocol', root: 'packages/protocol', include: ['src/**/*.test.ts'] } },
      {
        resolve,
        ssr,
        test: {
          name: 'server',
          root: 'packages/server',
          include: ['src/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      { resolve, ssr, test: { name: 'widget', root: 'packages/widget', include: ['src/**/*.test.ts'] } },
      { resolve, ssr, test: { name: 'inbox', root: 'packages/inbox', include: ['src/**/*.test.ts'] } },
      {
        resolve,
        ssr,
        test: {
          name: 'e2e',
          root: 'packages/e2e',
          include: ['src/**/*.test.ts'],
          testTimeout: 90_000,
          hookTimeout: 120_000,
          // Browsers and server processes are heavy on a 2-core machine: one file at a time.
          fileParallelism: false,
        },
      },
      {
        resolve,
        ssr,
        test: {
          name: 'bench',
          root: 'packages/bench',
          include: ['src/**/*.test.ts'],
          // Real server and generator processes, a few seconds each: one file at a time.
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
