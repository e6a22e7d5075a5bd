/**
 * What visitors' and operators' browsers download: the built widget and inbox files, raw and
 * gzipped, beside their budgets. Read from the dist folders (`pnpm build` first); no network.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface SizeRow {
  what: string;
  files: string[];
  raw: number;
  gzip: number;
  /** Gzipped budget, when the product has one. */
  budget: number | null;
}

const gz = (b: Buffer) => gzipSync(b, { level: 9 }).length;

function measure(what: string, files: string[], budget: number | null): SizeRow {
  const bufs = files.map((f) => readFileSync(f));
  return {
    what,
    files: files.map((f) => f.split('/packages/')[1] ?? f),
    raw: bufs.reduce((n, b) => n + b.length, 0),
    gzip: bufs.reduce((n, b) => n + gz(b), 0),
    budget,
  };
}

/** Sizes of the shipped bundles under `root` (the repository). Missing builds are skipped, and said. */
export function bundleSizes(root: string): { rows: SizeRow[]; missing: string[] } {
  const rows: SizeRow[] = [];
  const missing: string[] = [];
  const widget = join(root, 'packages/widget/dist');
  const loader = join(widget, 'widget.js');
  const chatDir = join(widget, 'widget');
  if (existsSync(loader)) rows.push(measure('widget loader (widget.js)', [loader], 2048));
  else missing.push(loader);
  if (existsSync(join(chatDir, 'chat.js'))) {
    const chunks = readdirSync(chatDir).filter((f) => f.endsWith('.js'));
    rows.push(measure('widget chat UI (chat.js)', [join(chatDir, 'chat.js')], 16384));
    for (const f of chunks.filter((c) => c !== 'chat.js').sort()) {
      rows.push(
        measure(`widget lazy chunk (${f.replace(/-[\w-]{8}\.js$/, '.js')})`, [join(chatDir, f)], null),
      );
    }
  } else missing.push(join(chatDir, 'chat.js'));
  const inboxDist = join(root, 'packages/inbox/dist');
  const inboxHtml = join(inboxDist, 'index.html');
  if (existsSync(inboxHtml)) {
    // First load: the scripts index.html names (entry and modulepreloads); the rest loads on demand.
    const html = readFileSync(inboxHtml, 'utf8');
    const first = [
      ...html.matchAll(/<script\b[^>]*\bsrc="\/app\/([^"]+\.js)"/g),
      ...html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*\bhref="\/app\/([^"]+\.js)"/g),
    ].map((m) => join(inboxDist, m[1]!));
    const all = readdirSync(join(inboxDist, 'assets'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => join(inboxDist, 'assets', f));
    rows.push(measure('inbox first load (entry + preloads)', first, 81920));
    const lazy = all.filter((f) => !first.includes(f));
    if (lazy.length > 0) rows.push(measure('inbox lazy chunks (settings, UA parser)', lazy, null));
  } else missing.push(inboxHtml);
  return { rows, missing };
}

export function formatSizes(rows: SizeRow[]): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const lines = [
    '| bundle | raw | gzipped | budget (gzipped) | used |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const used = r.budget ? `${Math.round((100 * r.gzip) / r.budget)} %` : '—';
    lines.push(
      `| ${r.what} | ${kb(r.raw)} | ${kb(r.gzip)} (${r.gzip} B) | ${r.budget ? kb(r.budget) : '—'} | ${used} |`,
    );
  }
  return lines.join('\n');
}
