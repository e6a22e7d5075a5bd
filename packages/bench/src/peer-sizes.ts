/**
 * `pnpm --filter @parley/bench peer-sizes`: what a page loads for chat widgets a site can install
 * from npm, beside Parley's widget. Each package is fetched with `npm pack` (its tarball) and
 * `npm install` (its dependencies, into a temporary folder), then its entry is bundled with esbuild
 * as a site's build would: minified, for the browser, with the package's peer dependencies (React)
 * left out and said so. Prints a Markdown table.
 *
 * Needs the npm registry: not part of `pnpm test`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { repoRoot } from './paths.js';

const run = promisify(execFile);

interface Candidate {
  name: string;
  /**
   * The package ships a built app instead of a module to bundle: its folder, the page of the app
   * (whose scripts and stylesheets are what loads first) and the script the host page itself loads.
   */
  prebuilt?: { dir: string; html: string; hostScript: string };
  /** What the numbers cannot show, from reading the package: where the real widget comes from. */
  note?: string;
}

const CANDIDATES: Candidate[] = [
  {
    name: '@papercups-io/chat-widget',
    note: 'a React component that renders an iframe (chat-widget.papercups.io); the chat UI inside it is served by Papercups and not counted',
  },
  {
    name: 'react-chat-widget',
    note: 'UI only, no backend connection (the site wires up its own); ships a prebuilt UMD bundle',
  },
  { name: '@livechat/widget-core' },
  { name: '@tawk.to/tawk-messenger-react', note: 'the script comes from embed.tawk.to' },
  { name: 'crisp-sdk-web' },
  { name: '@intercom/messenger-js-sdk' },
  {
    name: '@rocket.chat/livechat',
    prebuilt: { dir: 'build', html: 'index.html', hostScript: 'rocketchat-livechat.min.js' },
    note: 'the app a Rocket.Chat server serves into an iframe; route chunks loaded later are not counted',
  },
];

/** The few esbuild calls made here (esbuild is in the workspace as Vite's dependency). */
interface Esbuild {
  version: string;
  build(options: Record<string, unknown>): Promise<{ outputFiles: { path: string; contents: Uint8Array }[] }>;
}

async function loadEsbuild(): Promise<Esbuild> {
  const vite = createRequire(join(repoRoot, 'package.json')).resolve('vite/package.json');
  const path = createRequire(vite).resolve('esbuild');
  const mod = (await import(pathToFileURL(path).href)) as Esbuild & { default?: Esbuild };
  return mod.default ?? mod;
}

const gz = (b: Uint8Array) => gzipSync(b, { level: 9 }).length;

interface Row {
  name: string;
  version: string;
  tarball: number | null;
  measured: string;
  raw: number | null;
  gzip: number | null;
  notes: string[];
}

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
  return stdout;
}

/** Hosts of the https URLs in the code that the browser would load from (scripts, frames). */
function remoteHosts(code: string): string[] {
  const docs =
    /(^|\.)(github\.com|reactjs\.org|react\.dev|fb\.me|w3\.org|mozilla\.org|npmjs\.com|example\.com)$/;
  const hosts = new Set<string>();
  for (const m of code.matchAll(/https:\/\/([a-z0-9.-]+\.[a-z]{2,})/gi)) {
    const host = m[1]!.toLowerCase();
    if (!docs.test(host)) hosts.add(host);
  }
  return [...hosts].sort();
}

/** How the bundle gets the real widget, when it only loads it from the vendor's CDN. */
function loaderNotes(code: string): string[] {
  if (!/createElement\(\s*["'`]script["'`]\s*\)/.test(code)) return [];
  const hosts = remoteHosts(code);
  const list = hosts.length ? ` (${hosts.slice(0, 4).join(', ')}${hosts.length > 4 ? ', …' : ''})` : '';
  return [
    `loader only: adds a <script> from the vendor's CDN at run time${list}; the widget itself is bigger and not measurable offline`,
  ];
}

async function measurePackage(esbuild: Esbuild, c: Candidate, dir: string): Promise<Row> {
  const row: Row = {
    name: c.name,
    version: '',
    tarball: null,
    measured: '',
    raw: null,
    gzip: null,
    notes: [],
  };
  let meta: { version: string; peerDependencies?: Record<string, string> };
  try {
    meta = JSON.parse(await npm(['view', c.name, 'version', 'peerDependencies', '--json'], dir));
    if (typeof meta === 'string') meta = { version: meta };
  } catch {
    row.notes.push('not on the npm registry');
    return row;
  }
  row.version = meta.version;
  const packed = JSON.parse(await npm(['pack', `${c.name}@${meta.version}`, '--json'], dir)) as {
    filename: string;
    size: number;
  }[];
  row.tarball = packed[0]?.size ?? null;

  if (c.prebuilt) {
    const pkgDir = join(dir, 'unpacked');
    await mkdir(pkgDir, { recursive: true });
    await run('tar', ['-xzf', join(dir, packed[0]!.filename), '-C', pkgDir]);
    const root = join(pkgDir, 'package', c.prebuilt.dir);
    const html = readFileSync(join(root, c.prebuilt.html), 'utf8');
    const refs = [...html.matchAll(/<script[^>]+src="([^"]+)"|<link[^>]+href="([^"]+\.css)"/g)].map((m) =>
      basename(m[1] ?? m[2] ?? ''),
    );
    const files = [c.prebuilt.hostScript, ...refs].map((f) => join(root, f));
    const bufs = files.map((f) => readFileSync(f));
    row.measured = `${c.prebuilt.hostScript} (in the page) + the ${refs.length} files ${c.prebuilt.dir}/${c.prebuilt.html} loads (in the iframe)`;
    row.raw = bufs.reduce((n, b) => n + b.length, 0);
    row.gzip = bufs.reduce((n, b) => n + gz(b), 0);
  } else {
    const app = join(dir, 'app');
    await mkdir(app, { recursive: true });
    await writeFile(join(app, 'package.json'), '{"private":true}');
    // Peer dependencies are not installed: the site has its own React, so they are not counted.
    await npm(
      [
        'install',
        join(dir, packed[0]!.filename),
        '--ignore-scripts',
        '--legacy-peer-deps',
        '--no-audit',
        '--no-fund',
        '--no-package-lock',
      ],
      app,
    );
    const peers = Object.keys(meta.peerDependencies ?? {});
    row.measured = peers.length ? `whole entry, without peer deps ${peers.join(', ')}` : 'whole entry';
    try {
      const out = await esbuild.build({
        stdin: {
          // `import *` keeps every export: what a site gets that imports the package's main thing.
          contents: `import * as widget from ${JSON.stringify(c.name)}; globalThis.__widget = widget;`,
          resolveDir: app,
          loader: 'js',
        },
        bundle: true,
        minify: true,
        platform: 'browser',
        format: 'esm',
        target: 'es2020',
        outdir: join(dir, 'out'),
        write: false,
        logLevel: 'silent',
        external: peers.flatMap((p) => [p, `${p}/*`]),
        define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
        loader: Object.fromEntries(
          ['.png', '.jpg', '.jpeg', '.gif', '.svg', '.woff', '.woff2', '.ttf', '.eot', '.mp3'].map((e) => [
            e,
            'dataurl',
          ]),
        ),
      });
      const js = out.outputFiles.filter((f) => f.path.endsWith('.js'));
      const css = out.outputFiles.filter((f) => f.path.endsWith('.css'));
      row.raw = out.outputFiles.reduce((n, f) => n + f.contents.length, 0);
      row.gzip = out.outputFiles.reduce((n, f) => n + gz(f.contents), 0);
      if (css.length) row.measured += ', with its CSS';
      row.notes.push(...loaderNotes(js.map((f) => Buffer.from(f.contents).toString('utf8')).join('\n')));
    } catch (err) {
      const first = (err as { errors?: { text: string }[] }).errors?.[0]?.text ?? String(err);
      row.notes.push(`did not bundle: ${first.slice(0, 120)}`);
    }
  }
  if (c.note) row.notes.push(c.note);
  return row;
}

/** Parley's own widget from packages/widget/dist (`pnpm build` first). */
function parleyRows(): Row[] {
  const dist = join(repoRoot, 'packages/widget/dist');
  const loader = join(dist, 'widget.js');
  const chat = join(dist, 'widget/chat.js');
  if (!existsSync(loader) || !existsSync(chat)) return [];
  const chunks = readdirSync(join(dist, 'widget'))
    .filter((f) => f.endsWith('.js') && f !== 'chat.js')
    .map((f) => join(dist, 'widget', f));
  const version = (
    JSON.parse(readFileSync(join(repoRoot, 'packages/widget/package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const row = (measured: string, files: string[], notes: string[] = []): Row => {
    const bufs = files.map((f) => readFileSync(f));
    return {
      name: 'Parley widget (this repository)',
      version,
      tarball: null,
      measured,
      raw: bufs.reduce((n, b) => n + b.length, 0),
      gzip: bufs.reduce((n, b) => n + gz(b), 0),
      notes,
    };
  };
  return [
    row('loader only (widget.js): the page before the first click', [loader]),
    row(
      'loader + chat UI (widget/chat.js), Preact included',
      [loader, chat],
      ['lazy chunks (questionnaire, languages, captcha…) come on demand'],
    ),
    row(
      `everything: loader, chat UI and all ${chunks.length} lazy chunks`,
      [loader, chat, ...chunks],
      ['more than any one visitor loads'],
    ),
  ];
}

function formatRows(rows: Row[]): string {
  const kib = (n: number | null) => (n === null ? '—' : `${(n / 1024).toFixed(1)} KiB`);
  const lines = [
    '| package | version | npm tarball | measured | minified | gzipped | notes |',
    '| --- | --- | ---: | --- | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${r.version || '—'} | ${kib(r.tarball)} | ${r.measured || '—'} | ${kib(r.raw)} | ${kib(r.gzip)} | ${r.notes.join('; ') || ''} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const esbuild = await loadEsbuild();
  const work = await mkdtemp(join(tmpdir(), 'parley-peer-sizes-'));
  const rows: Row[] = [];
  try {
    for (const [i, c] of CANDIDATES.entries()) {
      process.stderr.write(`${c.name} …\n`);
      const dir = join(work, String(i));
      await mkdir(dir);
      try {
        rows.push(await measurePackage(esbuild, c, dir));
      } catch (err) {
        const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
        rows.push({
          name: c.name,
          version: '',
          tarball: null,
          measured: '',
          raw: null,
          gzip: null,
          notes: [`failed: ${msg}`],
        });
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  rows.push(...parleyRows());
  console.log(formatRows(rows));
  console.log(
    `\nBundled with esbuild ${esbuild.version} (minify, platform browser, ES2020, NODE_ENV=production), gzip level 9. ` +
      'Peer dependencies (React, React DOM) are external: a site using them has them already. ' +
      'A "loader" row is only what the npm package puts in the page; the vendor widget it fetches is not counted.',
  );
}

await main();
