/**
 * The walking skeleton, as the two people in it live it: a visitor on a shop's own origin chats
 * through the widget, an operator answers from the inbox, both in a real Chromium against the real
 * server process. One browser, two contexts (no shared cookies or storage), two origins.
 */
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { launchBrowser, newContext } from './support/browser.js';
import { Cleanup } from './support/cleanup.js';
import { resultsDir } from './support/paths.js';
import { type DemoSite, type Parley, startDemoSite, startParley } from './support/processes.js';
import { storySteps } from './support/story.js';

const cleanup = new Cleanup();
const log: string[] = [];
let parley: Parley;
let shop: DemoSite;
let browser: Browser;
let visitorCtx: BrowserContext;
let operatorCtx: BrowserContext;
let visitor: Page;
let operator: Page;

const VISITOR = { name: 'Ada Lovelace', email: 'ada@example.com' };
const FIRST = 'Hello, is the copper kettle in stock?';
const REPLY = 'Yes, we have three left. Shall I reserve one?';
const SECOND = 'Please do, thank you!';

beforeAll(async () => {
  parley = await startParley();
  cleanup.add('parley', () => parley.stop());
  shop = await startDemoSite(parley.url, parley.siteKey);
  cleanup.add('demo site', () => shop.stop());
  browser = await launchBrowser();
  cleanup.add('browser', () => browser.close());
  visitorCtx = await newContext(browser, log);
  operatorCtx = await newContext(browser, log);
  visitor = await visitorCtx.newPage();
  operator = await operatorCtx.newPage();
});

afterAll(async () => {
  // Screenshots of both sides as the story left them, for a human to look at.
  await mkdir(resultsDir, { recursive: true });
  for (const [name, page] of [
    ['visitor', visitor],
    ['operator', operator],
  ] as const) {
    if (page && !page.isClosed()) {
      await page.screenshot({ path: join(resultsDir, `walking-skeleton-${name}.png`) }).catch(() => {});
    }
  }
  if (log.length > 0) console.log(`browser console:\n${log.join('\n')}`);
  await cleanup.run();
});

/** Waits for `locator` to show (and returns it); the failure names what was awaited. */
async function shows(locator: Locator, timeout = 15_000): Promise<Locator> {
  await locator.waitFor({ state: 'visible', timeout });
  return locator;
}

/** Marks the page's current document; `stillSameDocument` is false after any reload or navigation. */
const markDocument = (page: Page) =>
  page.evaluate(() => {
    (window as unknown as { __e2eMark: boolean }).__e2eMark = true;
  });
const stillSameDocument = (page: Page) =>
  page.evaluate(() => (window as unknown as { __e2eMark?: boolean }).__e2eMark === true);

const HHMM = /^\d{2}:\d{2}$/;

/** The `<time>` of a message: its text is the local HH:MM of its datetime, which is about now. */
async function checkTime(message: Locator): Promise<void> {
  const time = message.locator('time');
  await shows(time);
  const [text, dateTime] = await Promise.all([time.textContent(), time.getAttribute('datetime')]);
  expect(text?.trim()).toMatch(HHMM);
  expect(dateTime).toBeTruthy();
  const at = Date.parse(dateTime ?? '');
  expect(Math.abs(Date.now() - at)).toBeLessThan(5 * 60_000);
  // HH:MM in the page's own time zone.
  const local = await time.evaluate((el) => {
    const d = new Date(el.getAttribute('datetime') ?? '');
    return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  });
  expect(text?.trim()).toBe(local);
}

// --- visitor side ---------------------------------------------------------------------------
const launcher = () => visitor.getByRole('button', { name: 'Open chat' });
const panel = () => visitor.locator('.parley-panel');
const widgetMsg = (author: 'visitor' | 'operator', text: string) =>
  visitor.locator(`.parley-msg[data-author="${author}"]`).filter({ hasText: text });

async function visitorSends(text: string): Promise<Locator> {
  const box = await shows(visitor.getByRole('textbox', { name: 'Message' }));
  await box.fill(text);
  await visitor.locator('.parley-comp').getByRole('button', { name: 'Send' }).click();
  const sent = widgetMsg('visitor', text);
  await shows(sent);
  // Acknowledged by the server: no longer pending, a seq assigned.
  await sent.and(visitor.locator('[data-seq]:not([data-pending])')).waitFor();
  return sent;
}

// --- operator side --------------------------------------------------------------------------
const queue = (page: Page) => page.locator('ul[aria-label="Queue"]');
const queueItem = (page: Page) => queue(page).locator('li').filter({ hasText: VISITOR.name });
const inboxMsg = (page: Page, author: 'visitor' | 'operator', text: string) =>
  page.locator(`section.conv .msg[data-author="${author}"]:not(.pending)`).filter({ hasText: text });

type ContactRow = { id: string; visitorName: string; pageUrl: string | null };

/** GET /api/v1/contacts with the operator context's own session cookie, as the inbox sends it. */
async function contactsOfOperator(): Promise<ContactRow[]> {
  const res = await operatorCtx.request.get(`${parley.url}/api/v1/contacts`);
  expect(res.status()).toBe(200);
  return ((await res.json()) as { contacts: ContactRow[] }).contacts;
}

/** GET /api/v1/contacts with a session of its own (independent of the story's browser state). */
async function contactsViaRest(): Promise<ContactRow[]> {
  const login = await fetch(`${parley.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: parley.adminEmail, password: parley.adminPassword }),
  });
  expect(login.status).toBe(200);
  const cookie = login.headers.get('set-cookie')?.split(';')[0] ?? '';
  const res = await fetch(`${parley.url}/api/v1/contacts`, { headers: { cookie } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { contacts: ContactRow[] }).contacts;
}

describe('walking skeleton: a visitor on a shop chats with an operator', () => {
  // The steps are one story: after a failed step the rest are skipped instead of each timing out.
  storySteps();

  it('the shop and Parley are on different origins; the widget and its chunk load cross-origin', async () => {
    expect(new URL(shop.url).origin).not.toBe(new URL(parley.url).origin);
    expect(new URL(shop.url).hostname).toBe('127.0.0.1');
    expect(new URL(parley.url).hostname).toBe('localhost');
    // The loader imports widget/chat.js relative to its own src; a cross-origin module import
    // needs CORS. Checked here first so a broken path reads plainly instead of as a timeout.
    for (const path of ['/widget.js', '/widget/chat.js']) {
      const res = await fetch(`${parley.url}${path}`, { headers: { origin: shop.url } });
      expect(res.status, `GET ${path}`).toBe(200);
      expect(res.headers.get('content-type'), `GET ${path}`).toMatch(/javascript/);
      expect(res.headers.get('access-control-allow-origin'), `GET ${path}`).toMatch(
        /^(\*|http:\/\/127\.0\.0\.1:\d+)$/,
      );
    }
  });

  it('the visitor opens the widget, fills the questionnaire and writes', async () => {
    await visitor.goto(`${shop.url}/`);
    await shows(visitor.getByRole('heading', { name: 'Kettle & Co' }));
    await (await shows(launcher())).click();
    await shows(panel());
    await (await shows(visitor.getByRole('textbox', { name: /^Name/ }))).fill(VISITOR.name);
    await visitor.getByRole('textbox', { name: /^E-mail/ }).fill(VISITOR.email);
    await visitor.getByRole('button', { name: 'Start chat' }).click();
    const sent = await visitorSends(FIRST);
    await checkTime(sent);
  });

  it('the operator logs in, goes online, finds the chat in the queue and answers', async () => {
    await operator.goto(`${parley.url}/app/`);
    await (await shows(operator.getByLabel('E-mail'))).fill(parley.adminEmail);
    await operator.getByLabel('Password').fill(parley.adminPassword);
    await operator.getByRole('button', { name: 'Log in' }).click();

    const status = await shows(operator.getByRole('combobox', { name: 'Status' }));
    await status.selectOption('online');
    await expect.poll(() => status.inputValue()).toBe('online');
    // The server took the status (a reload would show it); the REST view of the user says so.
    await expect
      .poll(async () => {
        const res = await operatorCtx.request.get(`${parley.url}/api/v1/me`);
        return ((await res.json()) as { user: { status: string } }).user.status;
      })
      .toBe('online');

    const item = await shows(queueItem(operator));
    await expect.poll(() => item.textContent()).toContain(FIRST); // the preview
    await item.getByRole('button').click();
    await shows(operator.locator('section.conv').getByRole('heading', { name: VISITOR.name }));
    await checkTime(await shows(inboxMsg(operator, 'visitor', FIRST)));
    // The questionnaire answers and the page are in the side panel.
    const side = operator.getByRole('complementary', { name: 'Visitor' });
    await shows(side.getByText(VISITOR.email));
    await shows(side.getByText(`${shop.url}/`));

    await markDocument(visitor);
    const reply = await shows(operator.getByRole('textbox', { name: 'Reply' }));
    await reply.fill(REPLY);
    await operator.locator('form.composer').getByRole('button', { name: 'Send' }).click();
    await shows(inboxMsg(operator, 'operator', REPLY));
    await expect.poll(() => reply.inputValue()).toBe('');
  });

  it('the visitor sees the reply live, with its time', async () => {
    const got = await shows(widgetMsg('operator', REPLY));
    await checkTime(got);
    // Live: the same page view, no reload happened.
    expect(await stillSameDocument(visitor)).toBe(true);
    // Both messages in order in the log.
    const bodies = await visitor.locator('.parley-msg .parley-text').allTextContents();
    expect(bodies).toEqual([FIRST, REPLY]);
  });

  it('a reload of the shop page restores the conversation', async () => {
    await visitor.reload();
    await shows(visitor.getByRole('heading', { name: 'Kettle & Co' }));
    // With a conversation open, the loader fetches the chat chunk by itself at idle and the panel
    // that was open before the reload is open again, without any click.
    await shows(panel());
    // A restored panel does not pull focus away from the host page.
    expect(await visitor.evaluate(() => document.activeElement === document.body)).toBe(true);
    await shows(widgetMsg('visitor', FIRST));
    await shows(widgetMsg('operator', REPLY));
    expect(await visitor.locator('.parley-msg .parley-text').allTextContents()).toEqual([FIRST, REPLY]);
    // The questionnaire is not asked again.
    expect(await visitor.getByRole('button', { name: 'Start chat' }).count()).toBe(0);
  });

  it('the operator closes the tab and comes back still logged in', async () => {
    await operator.close();
    operator = await operatorCtx.newPage();
    await operator.goto(`${parley.url}/app/`);
    const item = await shows(queueItem(operator));
    expect(await operator.getByRole('button', { name: 'Log in' }).count()).toBe(0);
    await item.getByRole('button').click();
    await shows(inboxMsg(operator, 'visitor', FIRST));
    await shows(inboxMsg(operator, 'operator', REPLY));
    await expect
      .poll(() => operator.locator('section.conv .msg .body').allTextContents())
      .toEqual([FIRST, REPLY]);
  });

  it('a second visitor message after the reload reaches the operator live', async () => {
    await markDocument(operator);
    await visitorSends(SECOND);
    await checkTime(await shows(inboxMsg(operator, 'visitor', SECOND)));
    expect(await stillSameDocument(operator)).toBe(true);
    await expect
      .poll(() => operator.locator('section.conv .msg .body').allTextContents())
      .toEqual([FIRST, REPLY, SECOND]);
    // And the queue preview follows.
    await expect.poll(() => queueItem(operator).textContent()).toContain(SECOND);
    // Exactly one contact for this visitor: the reload resumed it rather than starting another.
    const mine = (await contactsOfOperator()).filter((c) => c.visitorName === VISITOR.name);
    expect(mine).toHaveLength(1);
  });
});

describe('an origin the site does not allow', () => {
  it('the widget there shows an error and nothing reaches the queue', async () => {
    // 127.0.0.2 is loopback too, but only http://127.0.0.1:* and http://localhost:* are allowed.
    const stranger = await startDemoSite(parley.url, parley.siteKey, { host: '127.0.0.2' });
    cleanup.add('stranger demo site', () => stranger.stop());
    const before = await contactsViaRest();

    const ctx = await newContext(browser, log);
    cleanup.add('stranger context', () => ctx.close());
    const page = await ctx.newPage();
    const sockets: { url: string; closed: boolean }[] = [];
    page.on('websocket', (ws) => {
      const entry = { url: ws.url(), closed: false };
      sockets.push(entry);
      ws.on('close', () => {
        entry.closed = true;
      });
    });
    await page.goto(`${stranger.url}/`);
    await (await shows(page.getByRole('button', { name: 'Open chat' }))).click();
    const alert = page.locator('.parley-panel .parley-err[role="alert"]');
    // The chat chunk loads on the click and draws the panel; its socket is then refused.
    await alert.waitFor({ state: 'attached' });
    await expect
      .poll(() => alert.textContent({ timeout: 1000 }), { timeout: 15_000 })
      .toMatch(/unavailable/i);
    expect(await alert.textContent()).toContain('4001');
    // Said once, not in the header as well.
    expect(await page.getByText(/unavailable/i).count()).toBe(1);
    // No questionnaire, no composer: nothing to start a chat with.
    expect(await page.getByRole('button', { name: 'Start chat' }).count()).toBe(0);
    expect(await page.getByRole('textbox', { name: 'Message' }).count()).toBe(0);
    // The socket was tried and refused.
    expect(sockets.length).toBeGreaterThanOrEqual(1);
    expect(sockets[0]?.url).toContain(`/ws/visitor?site=${parley.siteKey}`);
    await expect.poll(() => sockets.every((s) => s.closed)).toBe(true);

    // A client that ignores the refusal fares no better: the server closes with 4001 before
    // reading anything, whatever is sent.
    const raw = new WebSocket(`${parley.url.replace(/^http/, 'ws')}/ws/visitor?site=${parley.siteKey}`, {
      origin: stranger.url,
    });
    raw.on('open', () => raw.send(JSON.stringify({ type: 'hello' })));
    const [code] = (await once(raw, 'close')) as [number, Buffer];
    expect(code).toBe(4001);

    // Nothing reached the operator: the REST list and the inbox queue are unchanged.
    const after = await contactsViaRest();
    expect(after.map((c) => c.id).sort()).toEqual(before.map((c) => c.id).sort());
    expect(after.some((c) => c.pageUrl?.startsWith(stranger.url))).toBe(false);
    // If the story left the inbox open, its queue did not grow either.
    if (!operator.isClosed() && (await queue(operator).count()) > 0) {
      expect(await queue(operator).locator('li').count()).toBe(before.length);
    }
    await mkdir(resultsDir, { recursive: true });
    await page.screenshot({ path: join(resultsDir, 'walking-skeleton-bad-origin.png') });
  });
});
