/** The sample shop page at /demo: what a customer's site with the widget looks like. */
export function demoPage(siteKey: string): string {
  const key = siteKey.replace(/[^A-Za-z0-9_-]/g, '');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo shop — Parley</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; color: #1f2937; background: #f9fafb; }
  header { background: #111827; color: #fff; padding: 1rem 2rem; }
  main { max-width: 56rem; margin: 2rem auto; padding: 0 1rem; display: grid; gap: 1rem;
         grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); }
  .card { background: #fff; border-radius: .5rem; padding: 1rem; box-shadow: 0 1px 3px #0002; }
  .price { font-weight: 700; }
</style>
</head>
<body>
<header><h1>Demo shop</h1><p>A sample page with the Parley widget of the default site. Open the chat at the bottom right.</p></header>
<main>
  <div class="card"><h2>Desk lamp</h2><p class="price">€39</p><p>Warm light, three levels.</p></div>
  <div class="card"><h2>Office chair</h2><p class="price">€249</p><p>Adjustable, breathable mesh.</p></div>
  <div class="card"><h2>Headset</h2><p class="price">€89</p><p>For long calls, noise cancelling.</p></div>
</main>
<script src="/widget.js" data-site="${key}" async></script>
</body>
</html>`;
}
