/**
 * Size ceilings of the shipped widget (the built files, not the source). Raise a ceiling only in
 * the commit that causes the growth, and say why in its message.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const LOADER = join(dist, 'widget.js');
const CHAT = join(dist, 'widget', 'chat.js');

/** Gzipped bytes. */
const LOADER_MAX = 2048;
const CHAT_MAX = 16384;

/** Strings that would mean the wrong code got bundled. */
const MUST_NOT_APPEAR_ANYWHERE = ['@sinclair/typebox', 'TypeCompiler', 'TypeBox.Kind', 'process.env'];
/** Preact (or anything that pulls it) in the loader would defeat the lazy chunk. */
const MUST_NOT_APPEAR_IN_LOADER = ['preact', '__H', '__k', 'import(".', "import('."];

const gz = (s: string) => gzipSync(s, { level: 9 }).length;

/** chat.js plus every chunk it imports statically (dynamic import() chunks load on demand). */
function chatClosure(): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    const code = readFileSync(file, 'utf8');
    files.set(file, code);
    for (const m of code.matchAll(/\b(?:import|from)\s*["'](\.\/[^"']+)["']/g))
      visit(join(dirname(file), m[1]!));
  };
  visit(CHAT);
  return files;
}

describe('widget bundle size', () => {
  if (!existsSync(LOADER) || !existsSync(CHAT)) {
    it('has a build to measure', () => {
      throw new Error(
        `packages/widget/dist is missing (${LOADER}, ${CHAT}): run \`pnpm --filter @parley/widget build\` first ` +
          '(the root `pnpm test` builds before testing).',
      );
    });
    return;
  }
  const loader = readFileSync(LOADER, 'utf8');
  const chat = chatClosure();
  const chatGz = [...chat.values()].reduce((n, code) => n + gz(code), 0);

  it(`loader stays under ${LOADER_MAX} bytes gzipped`, () => {
    console.log(`widget.js: ${Buffer.byteLength(loader)} B, ${gz(loader)} B gzipped (ceiling ${LOADER_MAX})`);
    expect(gz(loader)).toBeLessThanOrEqual(LOADER_MAX);
  });

  it(`chat chunk and its static imports stay under ${CHAT_MAX} bytes gzipped`, () => {
    const raw = [...chat.values()].reduce((n, code) => n + Buffer.byteLength(code), 0);
    console.log(
      `widget/chat.js (+${chat.size - 1} static chunks): ${raw} B, ${chatGz} B gzipped (ceiling ${CHAT_MAX})`,
    );
    expect(chatGz).toBeLessThanOrEqual(CHAT_MAX);
  });

  it('the loader is a classic script without Preact', () => {
    for (const s of MUST_NOT_APPEAR_IN_LOADER) expect(loader, s).not.toContain(s);
    expect(loader).not.toMatch(/^\s*(import|export)\b/m);
    expect(loader).toContain('widget/chat.js');
  });

  it('no bundle carries the protocol schemas', () => {
    for (const [file, code] of [[LOADER, loader] as const, ...chat])
      for (const s of MUST_NOT_APPEAR_ANYWHERE) expect(code, `${file} contains ${s}`).not.toContain(s);
  });

  it('the chat chunk exports mount', () => {
    expect(chat.get(CHAT)).toMatch(/export\s*\{[^}]*\bas mount\b[^}]*\}|export function mount\b/);
  });
});
