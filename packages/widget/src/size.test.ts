/**
 * Size ceilings of the shipped widget (the built files, not the source). Raise a ceiling only in
 * the commit that causes the growth, and say why in its message.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
/**
 * Lazy chunks (file name prefix → ceiling), each with the static imports it brings beyond chat.js:
 * the captcha (altcha-lib, the hCaptcha loader), the form, the queue extras and rating, a language.
 */
const LAZY_MAX: Record<string, number> = {
  captcha: 3072,
  form: 2048,
  extras: 3072,
  ru: 1024,
  ar: 1024,
  vi: 1024,
  az: 1024,
  hu: 1024,
};

/** Strings that would mean the wrong code got bundled. */
const MUST_NOT_APPEAR_ANYWHERE = ['@sinclair/typebox', 'TypeCompiler', 'TypeBox.Kind', 'process.env'];
/** The captcha and the other languages belong to their lazy chunks, never to what chat.js loads. */
const MUST_NOT_APPEAR_IN_CHAT = ['hcaptcha.com', 'keyPrefix', 'solveChallenge', 'Начать чат', 'ابدأ الدردشة'];
/** Preact (or anything that pulls it) in the loader would defeat the lazy chunk. */
const MUST_NOT_APPEAR_IN_LOADER = ['preact', '__H', '__k', 'import(".', "import('."];

const gz = (s: string) => gzipSync(s, { level: 9 }).length;

/**
 * A chunk plus every chunk it imports statically (dynamic import() chunks load on demand), leaving
 * out the files in `loaded` (chat.js, for the lazy chunks it loads).
 */
function closure(entry: string, loaded: ReadonlySet<string> = new Set()): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (file: string) => {
    if (files.has(file) || loaded.has(file)) return;
    const code = readFileSync(file, 'utf8');
    files.set(file, code);
    // Static imports: `import{a}from"./x.js"`, `import"./x.js"`, `export{a}from"./x.js"` — not `import("./x.js")`.
    for (const m of code.matchAll(/\b(?:import|from)\s*["'](\.\/[^"']+)["']/g))
      visit(join(dirname(file), m[1]!));
  };
  visit(entry);
  return files;
}
const chatClosure = () => closure(CHAT);
/** The chunks chat.js loads with import("./…"). */
const dynamicImports = (code: string) =>
  [...code.matchAll(/\bimport\(\s*["'](\.\/[^"']+)["']\s*\)/g)].map((m) => m[1]!);

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

  const chunks = readdirSync(join(dist, 'widget')).filter((f) => f !== 'chat.js' && f.endsWith('.js'));
  const lazyOf = (prefix: string) => chunks.filter((f) => f.startsWith(`${prefix}-`));

  it('no bundle carries the protocol schemas', () => {
    const all = chunks.map((f) => [f, readFileSync(join(dist, 'widget', f), 'utf8')] as const);
    for (const [file, code] of [[LOADER, loader] as const, ...chat, ...all])
      for (const s of MUST_NOT_APPEAR_ANYWHERE) expect(code, `${file} contains ${s}`).not.toContain(s);
  });

  it('the captcha, the form, the extras and each language are lazy chunks that chat.js imports on demand', () => {
    const chatCode = chat.get(CHAT)!;
    const lazy = dynamicImports(chatCode);
    for (const prefix of Object.keys(LAZY_MAX)) {
      const [file, ...more] = lazyOf(prefix);
      expect(file, `a ${prefix}-*.js chunk`).toBeDefined();
      expect(more, `one ${prefix}-*.js chunk`).toEqual([]);
      expect(lazy, `chat.js loads ${file} with import()`).toContain(`./${file}`);
      expect([...chat.keys()], `${file} is not a static import of chat.js`).not.toContain(
        join(dist, 'widget', file!),
      );
    }
    for (const s of MUST_NOT_APPEAR_IN_CHAT)
      for (const [file, code] of chat) expect(code, `${file} contains ${s}`).not.toContain(s);
    // Nothing else got split off by accident (a shared chunk chat.js would wait for).
    expect(chunks.filter((f) => !Object.keys(LAZY_MAX).some((p) => f.startsWith(`${p}-`)))).toEqual([]);
  });

  for (const [prefix, max] of Object.entries(LAZY_MAX)) {
    it(`the ${prefix} chunk and what it imports beyond chat.js stay under ${max} bytes gzipped`, () => {
      const [file] = lazyOf(prefix);
      expect(file, `a ${prefix}-*.js chunk`).toBeDefined();
      const files = closure(join(dist, 'widget', file!), new Set(chat.keys()));
      const size = [...files.values()].reduce((n, code) => n + gz(code), 0);
      console.log(`widget/${file} (+${files.size - 1} static chunks): ${size} B gzipped (ceiling ${max})`);
      expect(size).toBeLessThanOrEqual(max);
    });
  }

  it('the chat chunk exports mount', () => {
    expect(chat.get(CHAT)).toMatch(/export\s*\{[^}]*\bas mount\b[^}]*\}|export function mount\b/);
  });
});
