/**
 * Size budget of the built inbox: every script the first load fetches (the entry, its modulepreloads
 * and their static imports), gzipped. Run after `vite build` (the root `pnpm test` builds first).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const LIMIT = 81_920; // 80 KiB, gzipped, all JavaScript on first load
const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../dist');
const BASE = '/app/';

/** Maps a URL in index.html to a file in dist (`/app/assets/x.js` → dist/assets/x.js). */
function toFile(url: string): string {
  const path = url.startsWith(BASE) ? url.slice(BASE.length) : url.replace(/^\.?\//, '');
  return join(dist, path);
}

/** Static imports of a built chunk: `import{a}from"./x.js"`, `import"./y.js"`, `export*from"./z.js"` — not `import("./lazy.js")`. */
function staticImports(code: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[;\s}])(?:import|export)\s*(?:[^"'();]*?from\s*)?["'](\.{1,2}\/[^"']+\.js)["']/g;
  for (const m of code.matchAll(re)) out.push(m[1]!);
  return out;
}

describe('inbox bundle size', () => {
  it(`loads at most ${LIMIT} gzipped bytes of JavaScript on first load`, () => {
    const html = join(dist, 'index.html');
    if (!existsSync(html)) {
      throw new Error(`${html} is missing: build the inbox first (cd packages/inbox && npx vite build)`);
    }
    const page = readFileSync(html, 'utf8');
    const entries = [
      ...page.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g),
      ...page.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*\bhref="([^"]+)"/g),
    ].map((m) => toFile(m[1]!));
    expect(entries.length, 'index.html loads no script').toBeGreaterThan(0);

    const seen = new Set<string>();
    const queue = [...entries];
    let total = 0;
    const rows: string[] = [];
    while (queue.length > 0) {
      const file = queue.shift()!;
      if (seen.has(file)) continue;
      seen.add(file);
      expect(existsSync(file), `${file} is referenced but missing`).toBe(true);
      const code = readFileSync(file);
      const gz = gzipSync(code, { level: 9 }).length;
      total += gz;
      rows.push(`${file.slice(dist.length + 1)}: ${code.length} B, ${gz} B gzipped`);
      for (const dep of staticImports(code.toString('utf8'))) queue.push(resolve(dirname(file), dep));
    }
    console.log(`inbox first-load JS: ${total} B gzipped (limit ${LIMIT})\n  ${rows.join('\n  ')}`);
    expect(
      total,
      `inbox first-load JS is ${total} B gzipped, above the ${LIMIT} B budget`,
    ).toBeLessThanOrEqual(LIMIT);
  });

  it('does not ship TypeBox (types only from @parley/protocol)', () => {
    const html = join(dist, 'index.html');
    if (!existsSync(html)) return; // reported by the test above
    const page = readFileSync(html, 'utf8');
    for (const m of page.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)) {
      expect(readFileSync(toFile(m[1]!), 'utf8')).not.toMatch(/TypeBox|sinclair/);
    }
  });
});
