/**
 * The widget as a visitor lives it, with the site's settings as an admin saved them: greeting by
 * name, the questionnaire, the captchas, the queue with its messages and callback offer, quoting,
 * deleted messages, the chime, the unread badge, the rating, the offline form and `window.Parley`.
 * Real server process, real Chromium on the demo shop (another origin), the operator on a raw socket.
 */
import type { Message, SiteSettings } from '@parley/protocol';
import { DEFAULT_SITE_SETTINGS } from '@parley/protocol';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, formatViolations } from './support/axe.js';
import { launchBrowser, newContext } from './support/browser.js';
import { Cleanup, waitUntil } from './support/cleanup.js';
import { type DemoSite, type Parley, startDemoSite } from './support/processes.js';
import { ofType } from './support/sockets.js';
import {
  Admin,
  countOscillators,
  focusedInWidget,
  identityHash,
  type OperatorSocket,
  operatorSocket,
  oscillators,
  startParleyWithSecret,
} from './support/widget.js';

const cleanup = new Cleanup();
const log: string[] = [];
let parley: Parley;
let secret: string;
let shop: DemoSite;
let browser: Browser;
let admin: Admin;
let operator: OperatorSocket;
const contexts: BrowserContext[] = [];

/** What every test starts from; each test changes what it is about. */
const BASE: Partial<SiteSettings> = {
  greeting: DEFAULT_SITE_SETTINGS.greeting,
  greetingKnown: 'Hello, {name}! How can we help?',
  questionnaire: DEFAULT_SITE_SETTINGS.questionnaire,
  captcha: 'off',
  offlineForm: false,
  waitingMessages: [],
  callbackAfterSeconds: null,
  businessHours: null,
  avatarUrl: null,
  locale: null,
};

beforeAll(async () => {
  ({ parley, secret } = await startParleyWithSecret());
  cleanup.add('parley', () => parley.stop());
  shop = await startDemoSite(parley.url, parley.siteKey);
  cleanup.add('demo site', () => shop.stop());
  browser = await launchBrowser();
  cleanup.add('browser', () => browser.close());
  admin = await Admin.login(parley);
  await admin.call('PATCH', `/api/v1/users/${admin.userId}`, { maxChats: 20 });
  operator = await operatorSocket(admin);
  cleanup.add('operator socket', () => operator.close());
});

afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close().catch(() => {});
});

afterAll(async () => {
  if (log.length > 0) console.log(`browser console:\n${log.join('\n')}`);
  await cleanup.run();
});

interface Visitor {
  page: Page;
  /** Every frame the widget sent on its socket, parsed. */
  sent: { type: string; [k: string]: unknown }[];
  /** Every URL the page requested. */
  requests: string[];
  /** console.warn lines. */
  warnings: string[];
}

async function visitor({
  sound = false,
  before,
}: {
  sound?: boolean;
  before?: (p: Page) => Promise<unknown>;
} = {}) {
  const context = await newContext(browser, log);
  contexts.push(context);
  const page = await context.newPage();
  const v: Visitor = { page, sent: [], requests: [], warnings: [] };
  page.on('request', (r) => v.requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'warning') v.warnings.push(m.text());
  });
  page.on('websocket', (ws) =>
    ws.on('framesent', (f) => {
      if (typeof f.payload === 'string') v.sent.push(JSON.parse(f.payload));
    }),
  );
  if (sound) await countOscillators(page);
  await before?.(page);
  await page.goto(shop.url);
  return v;
}

const launcher = (page: Page, name = 'Open chat') => page.getByRole('button', { name });
const panel = (page: Page) => page.locator('.parley-panel');
const msg = (page: Page, author: 'visitor' | 'operator', text: string) =>
  page.locator(`.parley-msg[data-author="${author}"]`).filter({ hasText: text });

async function shows(locator: Locator, timeout = 15_000): Promise<Locator> {
  await locator.waitFor({ state: 'visible', timeout });
  return locator;
}

/** Opens the panel and starts a chat through the default questionnaire. */
async function startChat(page: Page, name: string): Promise<void> {
  await launcher(page).click();
  await (await shows(page.getByRole('textbox', { name: /^Name/ }))).fill(name);
  await page
    .getByRole('textbox', { name: /^E-mail/ })
    .fill(`${name.split(' ')[0]!.toLowerCase()}@example.com`);
  await page.getByRole('button', { name: 'Start chat' }).click();
  await shows(page.getByRole('textbox', { name: 'Message' }));
}

/** The operator's view of the widget visitor's contact once the router gave it to them. */
async function assignedContact(name: string, since = 0) {
  const f = await operator.waitFor(
    `${name}'s contact assigned`,
    ofType('contact', (f) => f.contact.visitorName === name && f.contact.status === 'assigned'),
    { since, timeoutMs: 15_000 },
  );
  return f.contact;
}

let clientSeq = 0;
/** The operator writes; resolves with the stored message's id. */
async function operatorSays(contactId: string, body: string, quoteId?: string): Promise<string> {
  const clientId = `op-${++clientSeq}`;
  const since = operator.mark();
  operator.send({ type: 'send', contactId, clientId, body, ...(quoteId ? { quoteId } : {}) });
  return (
    await operator.waitFor(
      `ack of ${clientId}`,
      ofType('ack', (a) => a.clientId === clientId),
      { since },
    )
  ).id;
}

async function visitorSays(page: Page, text: string): Promise<Message> {
  const since = operator.mark();
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('textbox', { name: 'Message' }).press('Enter');
  return (
    await operator.waitFor(
      `visitor message "${text}"`,
      ofType('message', (f) => f.message.author.kind === 'visitor' && f.message.body === text),
      { since },
    )
  ).message;
}

/** Ends a conversation as the operator and waits until the server has closed it. */
async function closeChat(contactId: string) {
  const since = operator.mark();
  operator.send({ type: 'close', contactId });
  await operator.waitFor(
    'the contact closed',
    ofType('contact', (f) => f.contact.id === contactId && f.contact.status === 'closed'),
    { since },
  );
}

/**
 * Back online after a test that needed nobody online: the visitor left waiting then comes to the
 * operator, who ends that conversation (a callback would take them whole, and no chat would come).
 */
async function backOnline(name: string) {
  const since = operator.mark();
  await setOperator('online');
  await closeChat((await assignedContact(name, since)).id);
}

async function setOperator(status: 'online' | 'away') {
  operator.send({ type: 'status', status });
  await waitUntil(`the operator ${status}`, async () => {
    const { user } = await admin.call<{ user: { status: string } }>('GET', '/api/v1/me');
    return user.status === status;
  });
}

describe('the widget with the site’s settings', () => {
  it('greets a verified customer by name (Parley.identify queued before the script ran) and warns about a wrong hash', async () => {
    await admin.settings(BASE);
    await admin.call('POST', '/api/v1/clients', { name: 'Aynur Məmmədova', externalId: 'cust-77' });
    const hash = identityHash('cust-77', secret);
    // 1. The page queues identify() before widget.js runs; the widget replays it.
    const known = await visitor({
      before: (p) =>
        p.addInitScript(
          ([id, h]) => {
            (window as unknown as { Parley: unknown[] }).Parley = [['identify', id, h]];
          },
          ['cust-77', hash] as const,
        ),
    });
    await launcher(known.page).click();
    await shows(known.page.getByText('Hello, Aynur Məmmədova! How can we help?'));
    expect(known.sent.find((f) => f.type === 'hello')).toMatchObject({
      identity: { userId: 'cust-77', hash },
    });
    expect(known.warnings.filter((w) => w.includes('parley'))).toEqual([]);

    // 2. A hash made with another secret: one clear console line, and the chat stays anonymous.
    const forged = await visitor({
      before: (p) =>
        p.addInitScript(
          ([id, h]) => {
            (window as unknown as { Parley: unknown[] }).Parley = [['identify', id, h]];
          },
          ['cust-77', identityHash('cust-77', 'guessed')] as const,
        ),
    });
    await launcher(forged.page).click();
    await shows(forged.page.getByText(DEFAULT_SITE_SETTINGS.greeting));
    await expect
      .poll(() => forged.warnings.filter((w) => w.includes('data-user-hash does not match')))
      .toHaveLength(1);
    await expect(forged.page.getByText('Aynur').count()).resolves.toBe(0);
  });

  it('asks the questionnaire with a choice field, refuses a missing answer field by field, keyboard only', async () => {
    await admin.settings({
      ...BASE,
      questionnaire: [
        { name: 'name', label: 'Name', kind: 'name', required: true },
        { name: 'topic', label: 'Topic', kind: 'choice', required: true, options: ['Orders', 'Returns'] },
        { name: 'phone', label: 'Phone', kind: 'phone', required: false },
      ],
    });
    const { page, requests } = await visitor();
    // 1. Tab reaches the launcher, Enter opens the panel and puts focus on the first field.
    await page.keyboard.press('Tab');
    await expect.poll(() => focusedInWidget(page)).toBe('Open chat');
    await page.keyboard.press('Enter');
    await shows(panel(page));
    await expect.poll(() => focusedInWidget(page)).toBe('parley-f-name');
    // 2. Submitting empty: an error under each required field, focus on the first bad one.
    await page.keyboard.press('Enter');
    const nameField = page.getByRole('textbox', { name: /^Name/ });
    await expect.poll(() => nameField.getAttribute('aria-invalid')).toBe('true');
    await expect(page.locator('#parley-f-name-e').textContent()).resolves.toBe('This field is required');
    await expect(page.locator('#parley-f-topic-e').textContent()).resolves.toBe('This field is required');
    await expect.poll(() => focusedInWidget(page)).toBe('parley-f-name');
    // 3. A name, a phone that is not one: the phone is refused; the choice is a select of its options.
    await page.keyboard.type('Bence Kovács');
    const topic = page.getByRole('combobox', { name: /^Topic/ });
    expect(await topic.locator('option').allTextContents()).toEqual(['Choose…', 'Orders', 'Returns']);
    await page.getByRole('textbox', { name: /^Phone/ }).fill('call me');
    await page.getByRole('button', { name: 'Start chat' }).click();
    await expect.poll(() => focusedInWidget(page)).toBe('parley-f-topic');
    await expect(page.locator('#parley-f-phone-e').textContent()).resolves.toBe('Enter a valid phone number');
    // 4. Fixed: the chat starts with the answers as given.
    await topic.selectOption('Returns');
    await page.getByRole('textbox', { name: /^Phone/ }).fill('+36 20 123 4567');
    const since = operator.mark();
    await page.getByRole('button', { name: 'Start chat' }).click();
    const contact = await assignedContact('Bence Kovács', since);
    expect(contact.answers).toMatchObject({
      name: 'Bence Kovács',
      topic: 'Returns',
      phone: '+36 20 123 4567',
    });
    // 5. The form is gone: the composer has the focus. Escape closes the panel and returns focus to the launcher.
    await shows(page.getByRole('textbox', { name: 'Message' }));
    await expect.poll(() => focusedInWidget(page)).toBe('Message');
    await page.keyboard.press('Escape');
    await expect.poll(() => panel(page).isHidden()).toBe(true);
    await expect.poll(() => focusedInWidget(page)).toBe('Open chat');
    // No captcha asked, none loaded.
    expect(requests.filter((u) => u.includes('/widget/captcha-') || u.includes('hcaptcha.com'))).toEqual([]);
    await closeChat(contact.id);
  });

  it('solves the altcha challenge in the background, and asks a new one after the server refused an answer', async () => {
    await admin.settings({ ...BASE, captcha: 'altcha' });
    const { page, sent, requests } = await visitor({
      // Fault injection at the socket: the first `start` carries a spoiled answer, as a replayed
      // or tampered one would; the server must refuse it and the widget must recover.
      before: (p) =>
        p.routeWebSocket(/\/ws\/visitor/, (ws) => {
          const server = ws.connectToServer();
          let spoiled = false;
          ws.onMessage((m) => {
            const f = JSON.parse(String(m));
            if (f.type === 'start' && !spoiled) {
              spoiled = true;
              f.captcha = btoa('{"challenge":{},"solution":{}}');
            }
            server.send(JSON.stringify(f));
          });
        }),
    });
    await launcher(page).click();
    await (await shows(page.getByRole('textbox', { name: /^Name/ }))).fill('Chioma Okafor');
    await page.getByRole('textbox', { name: /^E-mail/ }).fill('chioma@example.com');
    await expect.poll(() => sent.filter((f) => f.type === 'challenge').length).toBe(1);
    expect(requests.some((u) => /\/widget\/captcha-[\w-]+\.js$/.test(u))).toBe(true);
    await page.getByRole('button', { name: 'Start chat' }).click();
    // 1. The spoiled answer: the error is shown, a new challenge is asked and solved.
    await shows(page.getByText('The human check failed. Please try again.'));
    await expect.poll(() => sent.filter((f) => f.type === 'challenge').length).toBe(2);
    await expect.poll(() => page.getByText('Checking you are human…').count(), { timeout: 20_000 }).toBe(0);
    // 2. The visitor tries again: the real server verifies the solved challenge and the chat starts.
    const since = operator.mark();
    await page.getByRole('button', { name: 'Start chat' }).click();
    const contact = await assignedContact('Chioma Okafor', since);
    const starts = sent.filter((f) => f.type === 'start');
    expect(starts).toHaveLength(2);
    const payload = JSON.parse(atob(String(starts[1]!.captcha))) as {
      challenge: { parameters: { data: { site: string } } };
      solution: { counter: number };
    };
    expect(payload.challenge.parameters.data.site).toBe(parley.siteKey);
    expect(typeof payload.solution.counter).toBe('number');
    await shows(page.getByRole('textbox', { name: 'Message' }));
    expect(requests.filter((u) => u.includes('hcaptcha.com'))).toEqual([]);
    await closeChat(contact.id);
  });

  it('loads hCaptcha only for a site that asks for it, renders it in the panel and sends its token', async () => {
    await admin.settings(
      { ...BASE, captcha: 'hcaptcha', hcaptchaSiteKey: '10000000-ffff-ffff-ffff-000000000001' },
      '0x0000000000000000000000000000000000000000',
    );
    const { page, sent, requests } = await visitor({
      // hCaptcha's script is a third party at the network edge: a small stand-in with its API.
      before: (p) =>
        p.route('https://js.hcaptcha.com/**', (route) =>
          route.fulfill({
            contentType: 'text/javascript',
            body: `window.hcaptcha = {
              render(el, o) {
                const b = document.createElement('button');
                b.type = 'button';
                b.textContent = 'I am human';
                b.onclick = () => o.callback('fake-token-for-' + o.sitekey);
                el.appendChild(b);
                return 'w1';
              },
              reset() { window.__hcaptchaReset = (window.__hcaptchaReset || 0) + 1; },
            };`,
          }),
        ),
    });
    await launcher(page).click();
    await (await shows(page.getByRole('textbox', { name: /^Name/ }))).fill('Dara Nguyen');
    await page.getByRole('textbox', { name: /^E-mail/ }).fill('dara@example.com');
    const human = await shows(page.getByRole('button', { name: 'I am human' }));
    expect(requests.filter((u) => u.startsWith('https://js.hcaptcha.com/'))).toEqual([
      'https://js.hcaptcha.com/1/api.js?render=explicit',
    ]);
    // Drawn where the panel shows it: inside the panel's box, above the start button.
    const [box, inPanel, start] = await Promise.all([
      human.boundingBox(),
      panel(page).boundingBox(),
      page.getByRole('button', { name: 'Start chat' }).boundingBox(),
    ]);
    expect(box!.x).toBeGreaterThanOrEqual(inPanel!.x);
    expect(box!.x + box!.width).toBeLessThanOrEqual(inPanel!.x + inPanel!.width);
    expect(box!.y).toBeGreaterThan(inPanel!.y);
    expect(box!.y).toBeLessThan(start!.y);
    // 1. Start before the check: the widget asks for it and sends nothing.
    await page.getByRole('button', { name: 'Start chat' }).click();
    await shows(page.getByText('Please confirm you are human'));
    expect(sent.filter((f) => f.type === 'start')).toEqual([]);
    // 2. Checked: the token goes with start. This server cannot reach hCaptcha to verify it, so it
    // refuses, and the widget says so and asks for a new check.
    await human.click();
    await page.getByRole('button', { name: 'Start chat' }).click();
    await expect.poll(() => sent.filter((f) => f.type === 'start')).toHaveLength(1);
    expect(sent.find((f) => f.type === 'start')).toMatchObject({
      captcha: 'fake-token-for-10000000-ffff-ffff-ffff-000000000001',
    });
    await shows(page.getByText('The human check failed. Please try again.'), 30_000);
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { __hcaptchaReset?: number }).__hcaptchaReset))
      .toBe(1);
  });

  it('shows the waiting messages one after another and offers a callback, keeping the place in the queue', async () => {
    await admin.settings({
      ...BASE,
      waitingMessages: ['Free delivery on orders over €50.', 'Every kettle has a two-year warranty.'],
      callbackAfterSeconds: 2,
    });
    await setOperator('away');
    try {
      const { page, sent } = await visitor();
      await startChat(page, 'Emese Tóth');
      await shows(page.locator('.parley-note', { hasText: 'You are number 1 in the queue' }));
      const waiting = page.locator('.parley-wmsg');
      await expect.poll(() => waiting.textContent()).toBe('Free delivery on orders over €50.');
      expect(await waiting.getAttribute('aria-live')).toBe('polite');
      // 1. After the configured wait, the callback offer; a number that is not one is refused here.
      const phone = await shows(page.getByRole('textbox', { name: 'Phone number' }), 10_000);
      await noSeriousA11yProblem(page); // the queue with its waiting message and the callback offer
      await phone.fill('no phone');
      await page.getByRole('button', { name: 'Call me back' }).click();
      await shows(page.getByText('Enter a valid phone number'));
      expect(sent.filter((f) => f.type === 'callback')).toEqual([]);
      // 2. The second waiting message about 6 s after the first.
      await expect
        .poll(() => waiting.textContent(), { timeout: 10_000 })
        .toBe('Every kettle has a two-year warranty.');
      // 3. A real number: the server normalizes it, the visitor keeps their place.
      await phone.fill('+36 20 123 4567');
      await page.getByRole('button', { name: 'Call me back' }).click();
      await shows(page.locator('.parley-cbdone', { hasText: "We'll call you at +36 20 123 4567" }));
      await shows(page.locator('.parley-note', { hasText: 'You are number 1 in the queue' }));
      const { contacts } = await admin.call<{
        contacts: { visitorName: string; channel: string; callbackPhone: string | null; status: string }[];
      }>('GET', '/api/v1/contacts');
      expect(contacts.find((c) => c.visitorName === 'Emese Tóth')).toMatchObject({
        channel: 'callback',
        callbackPhone: '+36201234567',
        status: 'queued',
      });
    } finally {
      await backOnline('Emese Tóth');
    }
  });

  it('quotes, removes deleted messages live and on reload, chimes unless muted, counts unread messages', async () => {
    await admin.settings(BASE);
    const avatar =
      'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    await admin.call('PATCH', `/api/v1/users/${admin.userId}`, { avatarUrl: avatar });
    const { page } = await visitor({ sound: true });
    const since = operator.mark();
    await startChat(page, 'Farida Aliyeva');
    const { id: contactId } = await assignedContact('Farida Aliyeva', since);
    // 1. The operator's photo in the header once assigned; their reply with name, photo and a chime.
    await expect.poll(() => page.locator('.parley-head img.parley-av').getAttribute('src')).toBe(avatar);
    const first = await operatorSays(contactId, 'Which kettle are you after?');
    const reply = await shows(msg(page, 'operator', 'Which kettle are you after?'));
    await expect(reply.locator('.parley-name').textContent()).resolves.toMatch(/\S/);
    expect(await reply.locator('img.parley-av').getAttribute('src')).toBe(avatar);
    await expect.poll(() => oscillators(page)).toBe(1);
    // 2. The visitor replies to it: the quote goes with the message and shows above it.
    await reply.getByRole('button', { name: 'Reply' }).click();
    await expect.poll(() => focusedInWidget(page)).toBe('Message');
    await shows(page.locator('.parley-qbar', { hasText: 'Which kettle are you after?' }));
    const mine = await visitorSays(page, 'The copper one, please.');
    expect(mine.quoteId).toBe(first);
    const sentMine = await shows(msg(page, 'visitor', 'The copper one, please.'));
    await expect(sentMine.locator('.parley-quote').textContent()).resolves.toBe(
      'Which kettle are you after?',
    );
    expect(await page.locator('.parley-qbar').count()).toBe(0);
    // 3. The operator quotes the visitor, then deletes a message sent by mistake: gone live.
    await operatorSays(contactId, 'Copper it is.', mine.id);
    const quoted = await shows(msg(page, 'operator', 'Copper it is.'));
    await expect(quoted.locator('.parley-quote').textContent()).resolves.toBe('The copper one, please.');
    const oops = await operatorSays(contactId, 'Wrong chat, sorry!');
    await shows(msg(page, 'operator', 'Wrong chat, sorry!'));
    operator.send({ type: 'delete', contactId, messageId: oops });
    await expect.poll(() => msg(page, 'operator', 'Wrong chat, sorry!').count()).toBe(0);
    await expect.poll(() => oscillators(page)).toBe(3);
    // 4. Muted: no chime; the choice survives a reload, and the deleted message stays gone.
    const mute = page.getByRole('button', { name: 'Mute sound' });
    expect(await mute.getAttribute('aria-pressed')).toBe('false');
    await mute.click();
    expect(await mute.getAttribute('aria-pressed')).toBe('true');
    await operatorSays(contactId, 'Anything else?');
    await shows(msg(page, 'operator', 'Anything else?'));
    await page.reload();
    await shows(msg(page, 'operator', 'Anything else?'));
    await shows(msg(page, 'operator', 'Copper it is.'));
    expect(await msg(page, 'operator', 'Wrong chat, sorry!').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Mute sound' }).getAttribute('aria-pressed')).toBe('true');
    await operatorSays(contactId, 'Still there?');
    await shows(msg(page, 'operator', 'Still there?'));
    expect(await oscillators(page)).toBe(0); // a fresh page, and muted
    // 5. Closed panel: new replies count on the launcher; opening clears the badge.
    await page.getByRole('button', { name: 'Close chat' }).click();
    await expect.poll(() => panel(page).isHidden()).toBe(true);
    await operatorSays(contactId, 'One more thing:');
    await operatorSays(contactId, 'it ships tomorrow.');
    await expect.poll(() => page.locator('.parley-launcher .parley-badge').textContent()).toBe('2');
    await page.locator('.parley-launcher').click();
    await shows(msg(page, 'operator', 'it ships tomorrow.'));
    await expect.poll(() => page.locator('.parley-badge').count()).toBe(0);
    await closeChat(contactId);
    await admin.call('PATCH', `/api/v1/users/${admin.userId}`, { avatarUrl: null });
  });

  it('asks for a rating when the chat ends and stores it; a reload keeps the ended chat until a new one starts', async () => {
    await admin.settings(BASE);
    const { page, sent } = await visitor();
    const since = operator.mark();
    await startChat(page, 'Gábor Szabó');
    const { id: contactId } = await assignedContact('Gábor Szabó', since);
    await visitorSays(page, 'Thanks, that was all.');
    operator.send({ type: 'close', contactId });
    await shows(page.getByText('The conversation has ended'));
    await shows(page.getByText('How was the conversation?'));
    // A reload before rating: the ended conversation is still there, its notice last, and the rating.
    await page.reload();
    await shows(msg(page, 'visitor', 'Thanks, that was all.'));
    await shows(page.getByText('How was the conversation?'));
    const log = page.locator('.parley-log > *');
    await expect.poll(() => log.last().textContent()).toContain('The conversation has ended');
    expect(await page.getByRole('button', { name: 'Start chat' }).count()).toBe(0);
    await noSeriousA11yProblem(page); // the rating
    await page.getByRole('button', { name: '4 out of 5' }).click();
    expect(await page.getByRole('button', { name: '4 out of 5' }).getAttribute('aria-pressed')).toBe('true');
    await page.getByRole('textbox', { name: 'Comment (optional)' }).fill('Quick and kind.');
    await page.getByRole('button', { name: 'Send rating' }).click();
    await shows(page.locator('.parley-done', { hasText: 'Thank you for your feedback!' }));
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Thank you for your feedback!' }).count())
      .toBe(1);
    expect(sent.find((f) => f.type === 'rate')).toEqual({
      type: 'rate',
      contactId,
      score: 4,
      comment: 'Quick and kind.',
    });
    const details = await admin.call<{ csat: { score: number; comment: string | null } | null }>(
      'GET',
      `/api/v1/contacts/${contactId}/details`,
    );
    expect(details.csat).toMatchObject({ score: 4, comment: 'Quick and kind.' });
    // Rated, then reloaded: the conversation and the thanks, no second rating form.
    await page.reload();
    await shows(msg(page, 'visitor', 'Thanks, that was all.'));
    await shows(page.locator('.parley-done', { hasText: 'Thank you for your feedback!' }));
    expect(await page.getByText('How was the conversation?').count()).toBe(0);
    // A new conversation can start from here, and a reload then shows the questionnaire, not the old chat.
    await page.getByRole('button', { name: 'Start a new conversation' }).click();
    await shows(page.getByRole('button', { name: 'Start chat' }));
    await page.reload();
    await page.locator('.parley-launcher').click();
    await shows(page.getByRole('button', { name: 'Start chat' }));
    expect(await msg(page, 'visitor', 'Thanks, that was all.').count()).toBe(0);
  });

  it('takes a message through the offline form when nobody is online, and says when the team is back', async () => {
    await admin.settings({ ...BASE, offlineForm: true });
    await setOperator('away');
    // A second visitor keeps the panel open meanwhile: the `online` frame changes it live below.
    const other = (await visitor()).page;
    try {
      await launcher(other).click();
      await shows(other.getByRole('button', { name: 'Send message' }));
      const { page, sent } = await visitor();
      await launcher(page).click();
      await shows(page.getByText("Nobody is here right now. Leave a message and we'll reply by e-mail."));
      await expect(page.locator('.parley-status').textContent()).resolves.toBe(
        "We'll reply as soon as we can",
      );
      await page.getByRole('textbox', { name: /^Name/ }).fill('Hanna Varga');
      await page.getByRole('textbox', { name: /^E-mail/ }).fill('hanna@example.com');
      await page.getByRole('button', { name: 'Send message' }).click();
      await shows(page.locator('#parley-body-e', { hasText: 'This field is required' }));
      await noSeriousA11yProblem(page); // the offline form, showing its errors
      await expect.poll(() => focusedInWidget(page)).toBe('parley-body');
      await page.getByRole('textbox', { name: /^Message/ }).fill('Do you ship kettles to Szeged?');
      await page.getByRole('button', { name: 'Send message' }).click();
      await shows(page.locator('.parley-done', { hasText: "We got your message; we'll reply by e-mail." }));
      expect(sent.find((f) => f.type === 'offline')).toEqual({
        type: 'offline',
        answers: { name: 'Hanna Varga', email: 'hanna@example.com' },
        body: 'Do you ship kettles to Szeged?',
      });
      expect(sent.filter((f) => f.type === 'start')).toEqual([]);
      const { contacts } = await admin.call<{
        contacts: { visitorName: string; lastMessage: string | null }[];
      }>('GET', '/api/v1/contacts');
      expect(contacts.find((c) => c.visitorName === 'Hanna Varga')).toMatchObject({
        lastMessage: 'Do you ship kettles to Szeged?',
      });
    } finally {
      await backOnline('Hanna Varga');
    }
    await expect.poll(() => other.locator('.parley-status').textContent()).toBe("We're online");
    await shows(other.getByRole('button', { name: 'Start chat' }));
    // Outside business hours the header says when the team answers, and the offline form stands in
    // even with an operator online.
    const day = (new Date().getUTCDay() + 2) % 7;
    await admin.settings({
      ...BASE,
      offlineForm: true,
      businessHours: { timeZone: 'UTC', intervals: [{ day, open: '09:00', close: '17:00' }] },
    });
    const { page } = await visitor();
    await launcher(page).click();
    const weekday = new Intl.DateTimeFormat('en-US', { weekday: 'long', timeZone: 'UTC' }).format(
      new Date(Date.UTC(2025, 0, 5 + day)), // 2025-01-05 was a Sunday
    );
    await expect
      .poll(() => page.locator('.parley-status').textContent())
      .toMatch(new RegExp(`^We answer again from ${weekday} \\d{2}:00\\s[AP]M$`));
    await shows(page.getByRole('button', { name: 'Send message' }));
    await admin.settings({ businessHours: null });
  });

  it('window.Parley opens, closes, switches language, tells listeners and can be unsubscribed', async () => {
    await admin.settings(BASE);
    const { page } = await visitor();
    await page.waitForFunction(() => typeof (window as unknown as { Parley?: object }).Parley === 'object');
    await page.evaluate(() => {
      const w = window as unknown as {
        Parley: { on(e: string, f: (d?: unknown) => void): () => void };
        events: unknown[];
        off: () => void;
      };
      w.events = [];
      w.Parley.on('open', () => w.events.push('open'));
      w.Parley.on('close', () => w.events.push('close'));
      w.Parley.on('message', (d) => w.events.push(d));
      w.off = w.Parley.on('open', () => w.events.push('open again'));
    });
    const events = () => page.evaluate(() => (window as unknown as { events: unknown[] }).events);
    type Api = { Parley: Record<string, (...a: string[]) => void>; off: () => void };
    // 1. open() before the chunk is loaded: it loads, opens, and focus moves into the panel.
    await page.evaluate(() => (window as unknown as Api).Parley.open!());
    await shows(panel(page));
    await expect.poll(() => focusedInWidget(page)).toBe('parley-f-name');
    await expect.poll(events).toEqual(['open', 'open again']);
    await page.evaluate(() => (window as unknown as Api).Parley.close!());
    await expect.poll(() => panel(page).isHidden()).toBe(true);
    await page.evaluate(() => (window as unknown as Api).off());
    await page.evaluate(() => (window as unknown as Api).Parley.open!());
    await expect.poll(events).toEqual(['open', 'open again', 'close', 'open']);
    // 2. setLocale: the panel and the launcher speak Hungarian at once.
    await page.evaluate(() => (window as unknown as Api).Parley.setLocale!('hu'));
    await shows(page.getByRole('button', { name: 'Csevegés indítása' }));
    expect(await page.locator('.parley-launcher').getAttribute('aria-label')).toBe('Csevegés megnyitása');
    // push() (the queue's form) is a call once the script has run.
    await page.evaluate(() =>
      (window as unknown as { Parley: { push(c: string[]): void } }).Parley.push(['setLocale', 'en']),
    );
    await shows(page.getByRole('button', { name: 'Start chat' }));
    // 3. 'message' hears the conversation's new messages, the visitor's and the operator's.
    const since = operator.mark();
    await page.getByRole('textbox', { name: /^Name/ }).fill('Ilona Kiss');
    await page.getByRole('textbox', { name: /^E-mail/ }).fill('ilona@example.com');
    await page.getByRole('button', { name: 'Start chat' }).click();
    const { id: contactId } = await assignedContact('Ilona Kiss', since);
    await visitorSays(page, 'Hello from the API test');
    const opId = await operatorSays(contactId, 'Hello back');
    await expect
      .poll(async () => (await events()).filter((e) => typeof e === 'object'))
      .toEqual([
        expect.objectContaining({ author: 'visitor', body: 'Hello from the API test' }),
        expect.objectContaining({ id: opId, author: 'operator', body: 'Hello back' }),
      ]);
    await closeChat(contactId);
  });
});

/** axe-core in Chromium: no serious or critical violation in the widget as it is now. */
async function noSeriousA11yProblem(page: Page): Promise<void> {
  const found = await axeViolations(page);
  expect(found, formatViolations(found)).toEqual([]);
}
