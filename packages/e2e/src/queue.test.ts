/**
 * The queue as a waiting visitor sees it in the widget: their place and an estimated wait, moving
 * live as the operator frees a slot. Real server process, real Chromium, the operator on a raw socket.
 */
import type { OperatorInbound, OperatorOutbound, VisitorInbound, VisitorOutbound } from '@parley/protocol';
import { PROTOCOL_VERSION } from '@parley/protocol';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext } from './support/browser.js';
import { Cleanup } from './support/cleanup.js';
import { type DemoSite, type Parley, startDemoSite, startParley } from './support/processes.js';
import { FrameSocket, ofType } from './support/sockets.js';

const cleanup = new Cleanup();
const log: string[] = [];
let parley: Parley;
let shop: DemoSite;
let browser: Browser;
let operator: FrameSocket<OperatorOutbound, OperatorInbound>;
let cookie: string;

beforeAll(async () => {
  parley = await startParley();
  cleanup.add('parley', () => parley.stop());
  shop = await startDemoSite(parley.url, parley.siteKey);
  cleanup.add('demo site', () => shop.stop());
  browser = await launchBrowser();
  cleanup.add('browser', () => browser.close());
  const login = await fetch(`${parley.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: parley.adminEmail, password: parley.adminPassword }),
  });
  cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
  const me = (await (await fetch(`${parley.url}/api/v1/me`, { headers: { cookie } })).json()) as {
    user: { id: string };
  };
  // One chat at a time, so that the next visitors wait.
  const patch = await fetch(`${parley.url}/api/v1/users/${me.user.id}`, {
    method: 'PATCH',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ maxChats: 1 }),
  });
  expect(patch.status).toBe(200);
  operator = await FrameSocket.open(`${parley.url.replace('http', 'ws')}/ws/operator`, {
    cookie,
    origin: parley.url,
  });
  cleanup.add('operator socket', () => operator.close());
  await operator.waitFor('ready', ofType('ready'));
  operator.send({ type: 'status', status: 'online' });
});

afterAll(async () => {
  if (log.length > 0) console.log(`browser console:\n${log.join('\n')}`);
  await cleanup.run();
});

/** A visitor on a raw socket who starts a chat; resolves with their contact id once assigned. */
async function rawChat(
  name: string,
): Promise<{ contactId: string; socket: FrameSocket<VisitorOutbound, VisitorInbound> }> {
  const socket = await FrameSocket.open<VisitorOutbound, VisitorInbound>(
    `${parley.url.replace('http', 'ws')}/ws/visitor?site=${parley.siteKey}`,
    { origin: shop.url.replace(/\/$/, '') },
  );
  cleanup.add(`raw visitor ${name}`, () => socket.close());
  socket.send({ type: 'hello', v: PROTOCOL_VERSION, page: { url: shop.url, title: 'Shop' } });
  await socket.waitFor('welcome', ofType('welcome'));
  socket.send({ type: 'start', answers: { name, email: `${name.toLowerCase()}@example.com` } });
  const assigned = await socket.waitFor('assigned', ofType('assigned'));
  return { contactId: assigned.contactId, socket };
}

async function widgetVisitor(name: string): Promise<Page> {
  const page = await (await newContext(browser, log)).newPage();
  await page.goto(shop.url);
  await page.getByRole('button', { name: 'Open chat' }).click();
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('E-mail').fill(`${name.toLowerCase()}@example.com`);
  await page.getByRole('button', { name: 'Start chat' }).click();
  return page;
}

const queueNote = (page: Page) => page.locator('.parley-note', { hasText: 'in the queue' });

describe('waiting in the queue', () => {
  it('shows each waiting visitor their place and an estimate, and moves them up live', async () => {
    // 1. History for the estimate: one chat handled and closed.
    const done = await rawChat('History');
    operator.send({ type: 'close', contactId: done.contactId });
    await done.socket.waitFor('closed', ofType('closed'));
    // 2. Another chat takes the operator's only slot.
    const busy = await rawChat('Busy');
    // 3. Two widget visitors wait: first and second in line, each with an estimate.
    const first = await widgetVisitor('Amira');
    await expect
      .poll(() => queueNote(first).textContent(), { timeout: 10_000 })
      .toMatch(/^You are number 1 in the queue · about \d+ min$/);
    const second = await widgetVisitor('Bence');
    await expect
      .poll(() => queueNote(second).textContent(), { timeout: 10_000 })
      .toMatch(/^You are number 2 in the queue/);
    // 4. The operator closes the busy chat: Amira gets the operator, Bence moves up without a reload.
    operator.send({ type: 'close', contactId: busy.contactId });
    await expect
      .poll(() => first.locator('.parley-note', { hasText: 'joined the chat' }).count(), { timeout: 10_000 })
      .toBe(1);
    await expect
      .poll(() => queueNote(second).textContent(), { timeout: 10_000 })
      .toMatch(/^You are number 1 in the queue/);
  });
});
