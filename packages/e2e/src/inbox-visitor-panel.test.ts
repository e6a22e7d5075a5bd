/**
 * The visitor panel beside a conversation, as the operator uses it: who the visitor is (answers, IP,
 * pages, referrer, browser, OS, device, their local time), the client card the server matched, and
 * the panel's client actions (create a client from the visitor, link to an existing one, add the
 * visitor's e-mail and phone). Real server process with demo operators, real Chromium; visitors on
 * raw sockets so that their User-Agent, pages and time zone are exactly what the test says.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client, ContactDetails, Order, SiteAdmin } from '@parley/protocol';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext } from './support/browser.js';
import { Cleanup } from './support/cleanup.js';
import {
  AMIRA,
  hello,
  logIntoInbox,
  ok,
  queueItem,
  type Session,
  session,
  startChat,
  startParleyWithOperators,
  VISITOR_ORIGIN,
} from './support/inbox.js';
import { resultsDir } from './support/paths.js';
import type { Parley } from './support/processes.js';
import { storySteps } from './support/story.js';

const cleanup = new Cleanup();
const log: string[] = [];
let parley: Parley;
let browser: Browser;
let page: Page;
let admin: Session;
let amiraId: string;

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

beforeAll(async () => {
  parley = await startParleyWithOperators(cleanup);
  admin = await session(parley, parley.adminEmail, parley.adminPassword);
  const { users } = await ok(admin.call<{ users: { id: string; email: string }[] }>('GET', '/api/v1/users'));
  amiraId = users.find((u) => u.email === AMIRA.email)!.id;
  // The questionnaire asks for a phone too (optional), so the panel has one to offer a client.
  const { sites } = await ok(admin.call<{ sites: SiteAdmin[] }>('GET', '/api/v1/sites'));
  await ok(
    admin.call('PATCH', `/api/v1/sites/${sites[0]!.id}`, {
      settings: {
        questionnaire: [
          { name: 'name', label: 'Name', kind: 'name', required: true },
          { name: 'email', label: 'E-mail', kind: 'email', required: true },
          { name: 'phone', label: 'Phone', kind: 'phone', required: false },
        ],
      },
    }),
  );
  browser = await launchBrowser();
  cleanup.add('browser', () => browser.close());
  page = await (await newContext(browser, log)).newPage();
  await logIntoInbox(page, parley, parley.adminEmail, parley.adminPassword);
});

afterAll(async () => {
  // The panel as the story left it, for a human to look at.
  if (page && !page.isClosed()) {
    await mkdir(resultsDir, { recursive: true });
    await page.screenshot({ path: join(resultsDir, 'inbox-visitor-panel.png') }).catch(() => {});
  }
  if (log.length > 0) console.log(`browser console:\n${log.join('\n')}`);
  await cleanup.run();
});

const side = () => page.getByRole('complementary', { name: 'Visitor' });
const field = (scope: Locator, name: string) => scope.locator(`[data-field="${name}"] dd`);
const clientSide = () => page.getByRole('complementary', { name: 'Client' });
const card = () => clientSide().locator('section.client-card');

/** Opens a conversation and waits until its panel has the server's details. */
async function open(contactId: string): Promise<void> {
  await queueItem(page, contactId).click();
  await clientSide().locator('.client-section').waitFor();
}

async function createClient(body: Record<string, unknown>): Promise<Client> {
  return ok(admin.call<Client>('POST', '/api/v1/clients', body), 201, 'create client');
}

describe('the visitor panel', () => {
  storySteps();

  it('shows answers, IP, start and current page, referrer, browser, OS, device, language and local time', async () => {
    const dora = await startChat(parley, cleanup, {
      answers: { name: 'Dora', email: 'dora@example.com', phone: '+36 20 555 0101' },
      page: { url: `${VISITOR_ORIGIN}/kettles`, title: 'Copper kettles' },
      referrer: 'https://search.example/?q=copper+kettle',
      timeZone: 'Asia/Tokyo',
      locale: 'ja-JP',
      userAgent: IPHONE,
    });
    // She moves on to the checkout: a new page view says hello with her token.
    await dora.socket.close();
    await hello(parley, cleanup, {
      token: dora.token,
      page: { url: `${VISITOR_ORIGIN}/checkout`, title: 'Checkout' },
      userAgent: IPHONE,
    });

    await open(dora.contactId);
    const s = side();
    await expect.poll(() => s.locator('[data-answer="email"] dd').textContent()).toBe('dora@example.com');
    expect(await s.locator('[data-answer="phone"] dd').textContent()).toBe('+36 20 555 0101');
    // Said once in the visitor's part (the client card beside it may repeat it).
    expect(await s.getByText('dora@example.com').count()).toBe(1);
    expect(await field(s, 'ip').textContent()).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
    expect(await field(s, 'start-page').locator('.page-title').textContent()).toBe('Copper kettles');
    expect(await field(s, 'start-page').locator('a').getAttribute('href')).toBe(`${VISITOR_ORIGIN}/kettles`);
    expect(await field(s, 'current-page').locator('.page-title').textContent()).toBe('Checkout');
    expect(await field(s, 'current-page').locator('a').textContent()).toBe(`${VISITOR_ORIGIN}/checkout`);
    expect(await field(s, 'referrer').textContent()).toBe('https://search.example/?q=copper+kettle');
    // Parsed in the inbox from the raw User-Agent (its parser loads on demand).
    await expect.poll(() => field(s, 'browser').textContent()).toBe('Mobile Safari 17');
    expect(await field(s, 'os').textContent()).toBe('iOS 17.1');
    expect(await field(s, 'device').textContent()).toBe('Mobile · Apple iPhone');
    expect(await field(s, 'locale').textContent()).toBe('ja-JP');
    // Her local time, in Tokyo.
    const tokyo = () =>
      new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Asia/Tokyo',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(new Date());
    await expect.poll(() => field(s, 'local-time').locator('.clock').textContent()).toBe(tokyo());
    expect(await field(s, 'local-time').textContent()).toContain('(Asia/Tokyo)');
    // Nobody knew her: the server made a prospect from her answers, and the card says so.
    expect(await card().locator('.client-name').textContent()).toBe('Dora');
    expect(await card().locator('.cat').textContent()).toBe('Prospect');
    expect(await field(card(), 'emails').textContent()).toBe('dora@example.com');
  });

  it('her local time ticks on by itself', async () => {
    // A page of its own with a controllable clock: two minutes pass without any reload or click.
    const ctx = await newContext(browser, log);
    cleanup.add('clock context', () => ctx.close());
    const p = await ctx.newPage();
    await p.clock.install();
    await logIntoInbox(p, parley, parley.adminEmail, parley.adminPassword);
    await p.locator('ul.queue .item').filter({ hasText: 'Dora' }).click();
    const clock = p.locator('[data-field="local-time"] .clock');
    await clock.waitFor();
    const tokyoAt = (ms: number) =>
      new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Asia/Tokyo',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(ms);
    const before = await clock.textContent();
    await p.clock.fastForward('02:00');
    const now = await p.evaluate(() => Date.now());
    await expect.poll(() => clock.textContent()).toBe(tokyoAt(now));
    expect(await clock.textContent()).not.toBe(before);
  });

  it('shows the matched client: photo, category badge, note, location, open orders with stage, responsible and amount due, earlier conversations', async () => {
    const grace = await createClient({
      name: 'Grace Hopper',
      company: 'Navy Labs',
      category: 'vip',
      note: 'Prefers e-mail.',
      city: 'Arlington',
      country: 'US',
      emails: ['grace@example.com'],
    });
    await ok(
      admin.call<Order>('POST', `/api/v1/clients/${grace.id}/orders`, {
        title: 'Compiler licence',
        stage: 'Invoiced',
        responsibleId: amiraId,
        amountDue: '1234.50',
        currency: 'EUR',
      }),
      201,
    );
    await ok(
      admin.call<Order>('POST', `/api/v1/clients/${grace.id}/orders`, { title: 'Old manual', open: false }),
      201,
    );
    // 1. An earlier conversation, closed from the inbox.
    const first = await startChat(parley, cleanup, {
      answers: { name: 'Grace', email: 'grace@example.com' },
    });
    await open(first.contactId);
    await page.locator('section.conv header').getByRole('button', { name: 'Close' }).click();
    await first.socket.waitFor(
      'closed',
      (f): f is { type: 'closed'; contactId: string } => f.type === 'closed',
    );
    // 2. She writes again (another browser: another visitor), found by her e-mail.
    const second = await startChat(parley, cleanup, {
      answers: { name: 'Grace', email: 'grace@example.com', phone: '+1 202 555 0143' },
    });
    await open(second.contactId);
    const c = card();
    await c.waitFor();
    expect(await c.locator('.client-name').textContent()).toBe('Grace Hopper');
    expect(await c.locator('.company').textContent()).toBe('Navy Labs');
    const badge = c.locator('.cat');
    expect(await badge.textContent()).toBe('VIP');
    expect(await badge.getAttribute('data-category')).toBe('vip');
    expect(await badge.isVisible()).toBe(true);
    expect(await c.locator('.photo.no-photo').textContent()).toBe('GH');
    expect(await field(c, 'note').textContent()).toBe('Prefers e-mail.');
    expect(await field(c, 'location').textContent()).toBe('Arlington, US');
    const orders = c.getByRole('list', { name: 'Open orders' }).locator('li');
    expect(await orders.count()).toBe(1); // the closed order is not listed
    expect(await orders.locator('.order-title').textContent()).toBe('Compiler licence');
    expect(await orders.locator('[data-field="stage"]').textContent()).toBe('Stage: Invoiced');
    expect(await orders.locator('[data-field="responsible"]').textContent()).toBe(
      'Responsible: Amira Haddad',
    );
    expect(await orders.locator('[data-field="amount-due"]').textContent()).toBe('Amount due: €1,234.50');
    const earlier = clientSide().getByRole('list', { name: 'Earlier conversations' }).locator('li');
    expect(await earlier.count()).toBe(1);
    expect(await earlier.getAttribute('data-contact-id')).toBe(first.contactId);
    expect(await earlier.textContent()).toContain('Closed');

    // 3. A photo, once the client has one (a tiny inline SVG).
    const photo = `data:image/svg+xml,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')}`;
    await ok(admin.call('PATCH', `/api/v1/clients/${grace.id}`, { photoUrl: photo }));
    await page.reload(); // the selection comes back, and the panel with the card as it is now
    await card().locator('img.photo').waitFor();
    expect(await card().locator('img.photo').getAttribute('src')).toBe(photo);

    // 4. She gave a phone number the card does not have yet: one click adds it.
    await card().getByRole('button', { name: 'Add +1 202 555 0143 to the client' }).click();
    await expect.poll(() => field(card(), 'phones').textContent()).toBe('+12025550143');
    await page.getByRole('alert').filter({ hasText: '+1 202 555 0143 added to the client' }).waitFor();
    expect(await card().getByRole('button', { name: /^Add / }).count()).toBe(0);
    const saved = await ok(admin.call<Client>('GET', `/api/v1/clients/${grace.id}`));
    expect(saved.phones).toEqual(['+12025550143']);
  });

  it('adds the visitor’s e-mail to the client found by their phone', async () => {
    const barbara = await createClient({ name: 'Barbara Liskov', phones: ['+36 30 765 4321'] });
    const visitor = await startChat(parley, cleanup, {
      answers: { name: 'Barbara L.', email: 'barbara@new.example', phone: '+36 30 765 4321' },
    });
    await open(visitor.contactId);
    const c = card();
    await expect.poll(() => c.getAttribute('data-client-id')).toBe(barbara.id);
    expect(await c.getByRole('button', { name: /^Add / }).allTextContents()).toEqual([
      'Add barbara@new.example to the client',
    ]);
    await c.getByRole('button', { name: 'Add barbara@new.example to the client' }).click();
    await expect.poll(() => field(c, 'emails').textContent()).toBe('barbara@new.example');
    expect(await c.getByRole('button', { name: /^Add / }).count()).toBe(0);
    const saved = await ok(admin.call<Client>('GET', `/api/v1/clients/${barbara.id}`));
    expect(saved.emails).toEqual(['barbara@new.example']);
  });

  it('links the visitor to an existing client found by search', async () => {
    const alan = await createClient({ name: 'Alan Kay', company: 'Xerox PARC', category: 'regular' });
    // A new address: the server files the visitor under a fresh prospect, which the operator corrects.
    const visitor = await startChat(parley, cleanup, {
      answers: { name: 'A. Kay', email: 'kay@home.example' },
    });
    await open(visitor.contactId);
    await expect.poll(() => card().locator('.cat').textContent()).toBe('Prospect');
    await clientSide().getByRole('button', { name: 'Link to another client' }).click();
    await clientSide().getByRole('searchbox', { name: 'Search clients' }).fill('Xerox');
    const results = clientSide().getByRole('list', { name: 'Search clients' });
    await expect.poll(() => results.locator('li').count()).toBe(1);
    await results.locator(`li[data-client-id="${alan.id}"]`).getByRole('button', { name: 'Link' }).click();

    await expect.poll(() => card().getAttribute('data-client-id')).toBe(alan.id);
    expect(await card().locator('.client-name').textContent()).toBe('Alan Kay');
    expect(await card().locator('.cat').textContent()).toBe('Regular');
    await page.getByRole('alert').filter({ hasText: 'Linked to Alan Kay' }).waitFor();
    const details = await ok(
      admin.call<ContactDetails>('GET', `/api/v1/contacts/${visitor.contactId}/details`),
    );
    expect(details.client?.id).toBe(alan.id);
    expect(details.clientMatch).toBe('linked');
  });

  it('creates a client from the visitor’s answers and links the visitor to it', async () => {
    // Without automatic prospects a visitor nobody knows has no client until the operator makes one.
    const { sites } = await ok(admin.call<{ sites: SiteAdmin[] }>('GET', '/api/v1/sites'));
    const off = await admin.call('PATCH', `/api/v1/sites/${sites[0]!.id}`, { createProspects: false });
    expect(off.status).toBe(200);
    const edsger = await startChat(parley, cleanup, {
      answers: { name: 'Edsger Dijkstra', email: 'edsger@example.com', phone: '+36 20 123 4567' },
    });
    await open(edsger.contactId);
    expect(await clientSide().textContent()).toContain('No client found for this visitor.');
    await clientSide().getByRole('button', { name: 'Create client' }).click();
    const form = clientSide().getByRole('form', { name: 'Create client' });
    // Prefilled from the answers.
    expect(await form.getByLabel('Name').inputValue()).toBe('Edsger Dijkstra');
    expect(await form.getByLabel('E-mails').inputValue()).toBe('edsger@example.com');
    expect(await form.getByLabel('Phones').inputValue()).toBe('+36 20 123 4567');
    await form.getByLabel('Company').fill('Mathematisch Centrum');
    await form.getByLabel('Category').selectOption('regular');
    await form.getByRole('button', { name: 'Save' }).click();

    const c = card();
    await expect.poll(() => c.locator('.client-name').textContent()).toBe('Edsger Dijkstra');
    expect(await c.locator('.cat').textContent()).toBe('Regular');
    expect(await field(c, 'emails').textContent()).toBe('edsger@example.com');
    expect(await field(c, 'phones').textContent()).toBe('+36201234567');
    await page.getByRole('alert').filter({ hasText: 'Client created and linked' }).waitFor();
    // The server has the client and the link.
    const { clients } = await ok(admin.call<{ clients: Client[] }>('GET', '/api/v1/clients?q=Dijkstra'));
    expect(clients).toHaveLength(1);
    expect(clients[0]).toMatchObject({ company: 'Mathematisch Centrum', category: 'regular' });
    const details = await ok(
      admin.call<ContactDetails>('GET', `/api/v1/contacts/${edsger.contactId}/details`),
    );
    expect(details.client?.id).toBe(clients[0]!.id);
  });
});
