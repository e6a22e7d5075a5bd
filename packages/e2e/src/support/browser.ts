import { type Browser, type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium, headless; playwright gives every launch a fresh temporary profile. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
}

/** A context with English UI strings and a fixed viewport, logging page errors for the failure message. */
export async function newContext(browser: Browser, log: string[]): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 760 } });
  context.setDefaultTimeout(15_000);
  context.on('page', (page) => {
    page.on('pageerror', (e) => log.push(`[pageerror ${page.url()}] ${e.message}`));
    page.on('response', (r) => {
      if (r.status() >= 400)
        log.push(`[http ${r.status()} on ${page.url()}] ${r.request().method()} ${r.url()}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning')
        log.push(`[console.${m.type()} ${page.url()}] ${m.text()}`);
    });
  });
  return context;
}
