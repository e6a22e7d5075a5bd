/**
 * The site owner's first worry: the widget must never hold up or break their page. The shop's page
 * is parsed and painted while widget.js is still on its way; the chat UI is not fetched until the
 * visitor asks for it; and when Parley is down, the page works and the launcher just tries again.
 * Real server process, real Chromium, the demo shop on another origin.
 */
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext } from './support/browser.js';
import { Cleanup } from './support/cleanup.js';
import { type DemoSite, type Parley, startDemoSite, startParley } from './support/processes.js';

const cleanup = new Cleanup();
const log: string[] = [];
let parley: Parley;
let shop: DemoSite;
let browser: Browser;

beforeAll(async () => {
  parley = await startParley();
  cleanup.add('parley', () => parley.stop());
  shop = await startDemoSite(parley.url, parley.siteKey);
  cleanup.add('demo site', () => shop.stop());
  browser = await launchBrowser();
  cleanup.add('browser', () => browser.close());
});

afterAll(async () => {
  if (log.length > 0) console.log(`browser console:\n${log.join('\n')}`);
  await cleanup.run();
});

async function freshPage(): Promise<{ page: Page; errors: Error[]; requested: string[] }> {
  const context = await newContext(browser, log);
  cleanup.add('context', () => context.close());
  const page = await context.newPage();
  const errors: Error[] = [];
  const requested: string[] = [];
  page.on('pageerror', (e) => errors.push(e));
  page.on('request', (r) => requested.push(r.url()));
  return { page, errors, requested };
}

describe('the host page comes first', () => {
  it('parses and paints the page while widget.js is still on its way, and gets the launcher when it arrives', async () => {
    const { page, errors } = await freshPage();
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let widgetAsked = false;
    await page.route(`${parley.url}/widget.js`, async (route: Route) => {
      widgetAsked = true;
      await held;
      await route.continue();
    });
    // The tag is async: the document is parsed, its own scripts run and it paints without waiting.
    // (An async script is part of the load event, as any is; that is the 1.7 KB loader only — the
    // chat UI and the socket come after, on demand.)
    await page.goto(shop.url, { waitUntil: 'domcontentloaded', timeout: 10_000 });
    // The route handler hears of the request a moment later than the page asks; it holds it until release().
    await expect.poll(() => widgetAsked).toBe(true);
    expect(await page.getByRole('heading', { name: 'Kettle & Co' }).isVisible()).toBe(true);
    expect(await page.evaluate(() => document.readyState)).not.toBe('loading');
    expect(await page.locator('#parley-widget').count()).toBe(0);
    release();
    await page.getByRole('button', { name: 'Open chat' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('fetches the chat UI only when the visitor opens it', async () => {
    const { page, requested } = await freshPage();
    await page.goto(shop.url);
    await page.getByRole('button', { name: 'Open chat' }).waitFor();
    await page.waitForTimeout(1500); // idle time: nothing more may load for a visitor who has no chat
    const chunks = () => requested.filter((u) => u.startsWith(`${parley.url}/widget/`));
    expect(chunks()).toEqual([]);
    await page.getByRole('button', { name: 'Open chat' }).click();
    await page.getByRole('button', { name: 'Start chat' }).waitFor();
    expect(chunks()).toContain(`${parley.url}/widget/chat.js`);
  });

  it('keeps the page working when Parley is unreachable, and the launcher tries again later', async () => {
    const { page, errors } = await freshPage();
    let down = true;
    await page.route(`${parley.url}/widget/**`, (route) =>
      down ? route.abort('connectionrefused') : route.continue(),
    );
    await page.goto(shop.url);
    const launcher = page.getByRole('button', { name: 'Open chat' });
    await launcher.click();
    // The page's own script still runs and its controls still work.
    expect(await page.evaluate(() => document.querySelectorAll('h1').length)).toBeGreaterThan(0);
    await expect.poll(() => log.some((l) => l.includes('parley: chat failed to load'))).toBe(true);
    expect(errors).toEqual([]);
    down = false;
    await launcher.click();
    await page.getByRole('button', { name: 'Start chat' }).waitFor();
  });
});
