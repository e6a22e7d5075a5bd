#!/usr/bin/env node
// A customer's shop on ANOTHER origin than Parley, with the widget's one script tag.
//   PARLEY_URL=http://localhost:3000 SITE_KEY=site_xxx DEMO_PORT=8080 node examples/demo-site/serve.mjs
// SITE_KEY is printed by `pnpm start` (the widget line) and listed at /api/v1/sites.
//
// Besides the shop at /, two variants for testing the widget under what real sites do:
//   /hostile.html       rich.html, a richer page (headings, a form, buttons, an svg) under a careless theme
//                       (hostile.css: `*` resets, !important everywhere); /plain.html is the same page
//                       without the theme; ?widget=off serves either without the script tag, to compare
//                       the page with and without the widget
//   /strict-csp.html    the shop with a strict Content-Security-Policy header: only 'self' and the Parley
//                       origin, no inline script or style, no eval (the policy is the one in docs/csp.md)
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
const localeAttr = process.env.DEMO_LOCALE ? ` data-locale="${escapeHtml(process.env.DEMO_LOCALE)}"` : '';
const widgetTag = `<script src="${escapeHtml(parleyUrl)}/widget.js" data-site="${siteKey}"${localeAttr} async></script>`;
const read = (file) => readFileSync(new URL(file, import.meta.url), 'utf8');
const fill = (html) =>
  html
    .replaceAll('{{PARLEY_URL}}', escapeHtml(parleyUrl))
    .replaceAll('{{SITE_KEY}}', siteKey)
    .replaceAll('{{LOCALE_ATTR}}', localeAttr);
const page = fill(read('./index.html'));
const rich = read('./rich.html');
const strictCsp = fill(read('./strict-csp.html'));
const css = { '/hostile.css': read('./hostile.css'), '/shop.css': read('./shop.css') };

// What the widget needs on a page that allows nothing else (docs/csp.md): its scripts from the Parley
// origin, its socket to the same host over ws(s). Its styles are constructable stylesheets, which
// style-src does not govern; 'self' here is for the shop's own shop.css.
// Query switches show what breaks without one of them: ?script-src=self drops the Parley origin from
// script-src, ?connect-src=http names the Parley origin as http(s):// instead of ws(s)://;
// ?img-src=data allows data: images (avatars uploaded as data: URLs), ?trusted-types adds Trusted
// Types enforcement on top.
const parleyOrigin = new URL(parleyUrl).origin;
const socketOrigin = parleyOrigin.replace(/^http/, 'ws');
const strictPolicy = (query) =>
  [
    "default-src 'none'",
    query.get('script-src') === 'self' ? "script-src 'self'" : `script-src 'self' ${parleyOrigin}`,
    `connect-src 'self' ${query.get('connect-src') === 'http' ? parleyOrigin : socketOrigin}`,
    "style-src 'self'",
    query.get('img-src') === 'data' ? "img-src 'self' data:" : "img-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(query.has('trusted-types') ? ["require-trusted-types-for 'script'", "trusted-types 'none'"] : []),
  ].join('; ');

const html = (res, body, headers = {}) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(body);
};

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://demo.invalid');
  if (req.url === '/' || req.url?.startsWith('/?') || req.url === '/index.html') {
    html(res, page);
  } else if (url.pathname === '/hostile.html' || url.pathname === '/plain.html') {
    const theme = url.pathname === '/hostile.html' ? '<link rel="stylesheet" href="/hostile.css">' : '';
    const widget = url.searchParams.get('widget') === 'off' ? '' : widgetTag;
    html(res, rich.replace('{{THEME}}', theme).replace('{{WIDGET}}', widget));
  } else if (url.pathname === '/strict-csp.html') {
    html(res, strictCsp, { 'content-security-policy': strictPolicy(url.searchParams) });
  } else if (Object.hasOwn(css, url.pathname)) {
    res.writeHead(200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-store' });
    res.end(css[url.pathname]);
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
