/**
 * The widget in Arabic (`data-locale="ar"` on the script tag): right to left, mirrored, launcher on
 * the left, every string translated, and a chat that works. The site's own language setting (ru)
 * loses to the tag's and wins over the browser's. Real server process, real Chromium, the operator
 * on a raw socket.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, formatViolations } from './support/axe.js';
import { launchBrowser, newContext } from './support/browser.js';
import { Cleanup } from './support/cleanup.js';
import { type DemoSite, type Parley, startDemoSite, startParley } from './support/processes.js';
import { ofType } from './support/sockets.js';
import { Admin, type OperatorSocket, operatorSocket, startDemoSiteIn } from './support/widget.js';

const cleanup = new Cleanup();
const log: string[] = [];
let parley: Parley;
let arabicShop: DemoSite;
let plainShop: DemoSite;
let browser: Browser;
let admin: Admin;
let operator: OperatorSocket;

beforeAll(async () => {
  parley = await startParley();
  cleanup.add('parley', () => parley.stop());
  arabicShop = await startDemoSiteIn(parley.url, parley.siteKey, 'ar');
  cleanup.add('arabic demo site', () => arabicShop.stop());
  plainShop = await startDemoSite(parley.url, parley.siteKey);
  cleanup.add('demo site', () => plainShop.stop());
  browser = await launchBrowser();
  cleanup.add('browser', () => browser.close());
  admin = await Admin.login(parley);
  // The site speaks Russian unless the tag says otherwise; the browser asks for English (newContext).
  await admin.settings({ locale: 'ru', offlineForm: false });
  operator = await operatorSocket(admin);
  cleanup.add('operator socket', () => operator.close());
});

afterAll(async () => {
  if (log.length > 0) console.log(`browser console:\n${log.join('\n')}`);
  await cleanup.run();
});

async function shows(locator: Locator, timeout = 15_000): Promise<Locator> {
  await locator.waitFor({ state: 'visible', timeout });
  return locator;
}

async function open(url: string): Promise<Page> {
  const page = await (await newContext(browser, log)).newPage();
  await page.goto(url);
  return page;
}

const VIEWPORT_WIDTH = 1100; // support/browser.ts

describe('the widget in Arabic', () => {
  it('draws the launcher on the left, opens a right-to-left panel in Arabic, and chats', async () => {
    const page = await open(arabicShop.url);
    // 1. The launcher sits bottom left (the tag says ar), before the chat chunk is even loaded.
    const launcher = await shows(page.locator('.parley-launcher'));
    const l = (await launcher.boundingBox())!;
    expect(l.x).toBeLessThan(100);
    expect(l.x + l.width).toBeLessThan(VIEWPORT_WIDTH / 2);
    await launcher.click();

    // 2. The panel: dir=rtl, lang=ar, on the left, every string of ours in Arabic.
    const panel = await shows(page.locator('.parley-panel'));
    expect(await panel.getAttribute('dir')).toBe('rtl');
    expect(await panel.getAttribute('lang')).toBe('ar');
    const p = (await panel.boundingBox())!;
    expect(p.x + p.width).toBeLessThan(VIEWPORT_WIDTH / 2);
    await expect.poll(() => launcher.getAttribute('aria-label')).toBe('فتح الدردشة');
    await shows(page.getByRole('button', { name: 'إغلاق الدردشة' }));
    await shows(page.getByRole('button', { name: 'كتم الصوت' }));
    await expect.poll(() => page.locator('.parley-status').textContent()).toBe('نحن متصلون الآن');
    const start = await shows(page.getByRole('button', { name: 'ابدأ الدردشة' }));
    // Mirrored: the text starts at the right edge of the panel.
    expect(await panel.evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');
    // The questionnaire's labels are the site's own; the checks speak Arabic.
    await start.click();
    await shows(page.locator('#parley-f-name-e', { hasText: 'هذا الحقل مطلوب' }));
    await page.getByRole('textbox', { name: /^Name/ }).fill('ليلى حسن');
    await page.getByRole('textbox', { name: /^E-mail/ }).fill('not-an-address');
    await start.click();
    await shows(page.locator('#parley-f-email-e', { hasText: 'أدخل بريدًا إلكترونيًا صالحًا' }));
    await page.getByRole('textbox', { name: /^E-mail/ }).fill('layla@example.com');
    const since = operator.mark();
    await start.click();

    // 3. The chat: the operator gets it, the visitor writes, the operator answers.
    const assigned = await operator.waitFor(
      'the contact assigned',
      ofType('contact', (f) => f.contact.visitorName === 'ليلى حسن' && f.contact.status === 'assigned'),
      { since },
    );
    await shows(page.locator('.parley-note', { hasText: 'إلى الدردشة' })); // "… joined the chat"
    const box = await shows(page.getByRole('textbox', { name: 'رسالة' }));
    await box.fill('هل إبريق النحاس متوفر؟');
    const heard = operator.mark();
    await page.getByRole('button', { name: 'إرسال' }).click();
    await operator.waitFor(
      'the visitor message',
      ofType('message', (f) => f.message.body === 'هل إبريق النحاس متوفر؟'),
      { since: heard },
    );
    operator.send({
      type: 'send',
      contactId: assigned.contact.id,
      clientId: 'ar-reply-1',
      body: 'نعم، لدينا ثلاثة.',
    });
    const mine = page.locator('.parley-msg[data-author="visitor"]');
    const theirs = await shows(
      page.locator('.parley-msg[data-author="operator"]', { hasText: 'نعم، لدينا ثلاثة.' }),
    );
    await shows(theirs.getByRole('button', { name: 'رد' }));
    // Mirrored bubbles: the visitor's on the left, the operator's on the right.
    const [a, b] = [(await mine.boundingBox())!, (await theirs.boundingBox())!];
    expect(a.x).toBeLessThan(b.x);
    expect(await mine.locator('time').textContent()).toMatch(/^\d{2}:\d{2}$/);
    const found = await axeViolations(page); // the right-to-left chat, in Arabic
    expect(found, formatViolations(found)).toEqual([]);
    operator.send({ type: 'close', contactId: assigned.contact.id });
    await shows(page.getByText('انتهت المحادثة'));
    await shows(page.getByText('كيف كانت المحادثة؟'));
    await shows(page.getByRole('button', { name: '5 من 5' }));
  });

  it('without data-locale speaks the site’s language (Russian) over the browser’s, launcher on the right', async () => {
    const page = await open(plainShop.url);
    const launcher = await shows(page.locator('.parley-launcher'));
    await launcher.click();
    await shows(page.getByRole('button', { name: 'Начать чат' }));
    const panel = page.locator('.parley-panel');
    expect(await panel.getAttribute('dir')).toBe('ltr');
    expect(await panel.getAttribute('lang')).toBe('ru');
    expect(await launcher.getAttribute('aria-label')).toBe('Открыть чат');
    const l = (await launcher.boundingBox())!;
    expect(l.x).toBeGreaterThan(VIEWPORT_WIDTH / 2);
    // The next page knows the site's language before the chunk loads: Russian name from the start.
    await page.reload();
    expect(await page.locator('.parley-launcher').getAttribute('aria-label')).toBe('Открыть чат');
  });
});
