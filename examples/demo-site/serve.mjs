#!/usr/bin/env node
// A customer's shop on ANOTHER origin than Parley, with the widget's one script tag.
//   PARLEY_URL=http://localhost:3000 SITE_KEY=site_xxx DEMO_PORT=8080 node examples/demo-site/serve.mjs
// SITE_KEY is printed by `pnpm start` (the widget line) and listed at /api/v1/sites.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const parleyUrl = (process.env.PARLEY_URL ?? 'http://localhost:3000').replace(/\/$/, '');
const siteKey = process.env.SITE_KEY ?? '';
const port = Number(process.env.DEMO_PORT ?? 8080);
const host = process.env.DEMO_HOST ?? '127.0.0.1';
if (!/^[A-Za-z0-9_-]+$/.test(siteKey)) {
  console.error('SITE_KEY must be set to the site key printed by `pnpm start` (letters, digits, _ and -).');
  process.exit(64);
}
const escapeHtml = (s) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const page = readFileSync(new URL('./index.html', import.meta.url), 'utf8')
  .replaceAll('{{PARLEY_URL}}', escapeHtml(parleyUrl))
  .replaceAll('{{SITE_KEY}}', siteKey)
  .replaceAll(
    '{{LOCALE_ATTR}}',
    process.env.DEMO_LOCALE ? ` data-locale="${escapeHtml(process.env.DEMO_LOCALE)}"` : '',
  );

const server = createServer((req, res) => {
  if (req.url === '/' || req.url?.startsWith('/?') || req.url === '/index.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(page);
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  }
});
server.listen(port, host, () => {
  const addr = server.address();
  console.log(
    `Demo shop on http://${host}:${typeof addr === 'object' && addr ? addr.port : port}/ (widget from ${parleyUrl})`,
  );
});
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => server.close(() => process.exit(0)));
