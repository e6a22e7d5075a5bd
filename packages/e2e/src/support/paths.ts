import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is packages/e2e/src/support/paths.ts). */
export const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
export const serverMain = join(repoRoot, 'packages/server/dist/main.js');
export const demoSiteScript = join(repoRoot, 'examples/demo-site/serve.mjs');
/** Screenshots and other artefacts (gitignored). */
export const resultsDir = join(repoRoot, 'packages/e2e/test-results');
