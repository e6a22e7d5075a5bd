/**
 * The inbox as a team uses it: operator status, transferring a conversation to a colleague or to a
 * team with a note, closing it; the interface in English, Russian and Arabic (right-to-left), and the
 * keyboard help. Real server process with the demo operators; two operators in two real Chromium
 * contexts; visitors on raw sockets.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContactSummary, OperatorInbound, User } from '@parley/protocol';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext } from './support/browser.js';
import { Cleanup } from './support/cleanup.js';
import {
  AMIRA,
  BENCE,
  contactOf,
  logIntoInbox,
  ok,
  queueItem,
  queueNames,
  type Session,
  session,
  setStatus,
  startChat,
  startParleyWithOperators,
  type Visitor,
} from './support/inbox.js';
import { resultsDir } from './support/paths.js';
import type { Parley } from './support/processes.js';
import { ofType } from './support/sockets.js';
import { storySteps } from './support/story.js';

const cleanup = new Cleanup();
const log: string[] = [];
let parley: Parley;
let browser: Browser;
let boss: Page; // the admin
let amiraPage: Page;
let admin: Session;
let amira: Session;
let tom: Visitor;
/** Operator frames the admin's inbox sent, parsed. */
const sent: OperatorInbound[] = [];

beforeAll(async () => {
  parley = await startParleyWithOperators(cleanup);
  admin = await session(parley, parley.adminEmail, parley.adminPassword);
  amira = await session(parley, AMIRA.email, AMIRA.password);
  const bence = await session(parley, BENCE.email, BENCE.password);
  await ok(admin.call('PATCH', `/api/v1/users/${bence.user.id}`, { skills: ['billing'] }));
  browser = await launchBrowser();
  cleanup.add('browser', () => browser.close());
  boss = await (await newContext(browser, log)).newPage();
  boss.on('websocket', (ws) =>
    ws.on('framesent', (f) => {
      if (typeof f.payload === 'string') sent.push(JSON.parse(f.payload) as OperatorInbound);
    }),
  );
  amiraPage = await (await newContext(browser, log)).newPage();
});

afterAll(async () => {
  if (log.length > 0) console.log(`browser console:\n${log.join('\n')}`);
  await cleanup.run();
});

const me = async (s: Session) => (await ok(s.call<{ user: User }>('GET', '/api/v1/me'))).user;
const dialog = (page: Page) => page.getByRole('dialog', { name: 'Transfer the conversation' });

describe('the team', () => {
  storySteps();

  it('sets the status online, away and offline', async () => {
    await logIntoInbox(boss, parley, parley.adminEmail, parley.adminPassword);
    const status = boss.getByRole('combobox', { name: 'Status' });
    for (const s of ['away', 'offline', 'online'] as const) {
      await status.selectOption(s);
      await expect.poll(async () => (await me(admin)).status).toBe(s);
    }
    // Amira is in too, but away for now: the next visitor goes to the admin.
    await logIntoInbox(amiraPage, parley, AMIRA.email, AMIRA.password);
    await setStatus(amiraPage, 'away');
    await expect.poll(async () => (await me(amira)).status).toBe('away');
  });

  it('transfers a conversation to a colleague with a note', async () => {
    tom = await startChat(parley, cleanup, { answers: { name: 'Tom', email: 'tom@example.com' } });
    await expect.poll(async () => (await contactOf(admin, tom.contactId))?.assigneeId).toBe(admin.user.id);
    await setStatus(amiraPage, 'online');
    await expect.poll(async () => (await me(amira)).status).toBe('online');

    await queueItem(boss, tom.contactId).click();
    await boss.locator('section.conv header').getByRole('button', { name: 'Transfer' }).click();
    const d = dialog(boss);
    await d.getByRole('radio', { name: 'To an operator' }).check();
    // The team with each one's status, kept live by presence frames.
    const options = await d.getByRole('combobox', { name: 'Operator' }).locator('option').allTextContents();
    expect(options).toEqual(expect.arrayContaining([`${AMIRA.name} — Online`, `${BENCE.name} — Offline`]));
    await d.getByRole('combobox', { name: 'Operator' }).selectOption({ label: `${AMIRA.name} — Online` });
    await d.getByLabel('Note for the next operator').fill('Wants a refund; order 1042.');
    const mark = tom.socket.mark();
    await d.getByRole('button', { name: 'Transfer' }).click();
    await d.waitFor({ state: 'detached' });

    // The visitor is told who has them now; Amira has the conversation.
    const assigned = await tom.socket.waitFor('assigned to Amira', ofType('assigned'), { since: mark });
    expect(assigned.operator.name).toBe(AMIRA.name);
    await expect.poll(async () => (await contactOf(admin, tom.contactId))?.assigneeId).toBe(amira.user.id);
    expect(sent).toContainEqual({
      type: 'transfer',
      contactId: tom.contactId,
      to: { operatorId: amira.user.id },
      note: 'Wants a refund; order 1042.',
    });
    await amiraPage.locator('.filters').getByRole('button', { name: 'Mine', exact: true }).click();
    await expect.poll(() => queueNames(amiraPage)).toEqual(['Tom']);
    // Amira opens it and reads the note left for her.
    await queueItem(amiraPage, tom.contactId).click();
    await expect
      .poll(() => amiraPage.locator('[data-field="handoff-note"]').textContent())
      .toBe('Note from the previous operator: Wants a refund; order 1042.');
    // The admin's "mine" no longer has it.
    await boss.locator('.filters').getByRole('button', { name: 'Mine', exact: true }).click();
    await expect.poll(() => queueNames(boss)).toEqual([]);
    await boss.locator('.filters').getByRole('button', { name: 'All', exact: true }).click();
  });

  it('sees a colleague’s status change live', async () => {
    await setStatus(boss, 'away');
    await queueItem(amiraPage, tom.contactId).click();
    await amiraPage.locator('section.conv header').getByRole('button', { name: 'Transfer' }).click();
    const adminName = (await me(admin)).name;
    const select = dialog(amiraPage).getByRole('combobox', { name: 'Operator' });
    await expect.poll(() => select.locator('option').allTextContents()).toContain(`${adminName} — Away`);
    await setStatus(boss, 'online');
    await expect.poll(() => select.locator('option').allTextContents()).toContain(`${adminName} — Online`);
    await amiraPage.keyboard.press('Escape');
    await dialog(amiraPage).waitFor({ state: 'detached' });
  });

  it('transfers a conversation to a team with a note: it waits in the queue for that skill', async () => {
    const uma = await startChat(parley, cleanup, { answers: { name: 'Uma', email: 'uma@example.com' } });
    await expect.poll(async () => (await contactOf(admin, uma.contactId))?.assigneeId).toBe(admin.user.id);
    await queueItem(boss, uma.contactId).click();
    await boss.locator('section.conv header').getByRole('button', { name: 'Transfer' }).click();
    const d = dialog(boss);
    await d.getByRole('radio', { name: 'To a team' }).check();
    await d.getByRole('combobox', { name: 'Team' }).selectOption('billing');
    await d.getByLabel('Note for the next operator').fill('Invoice question.');
    await d.getByRole('button', { name: 'Transfer' }).click();

    await expect
      .poll(async () => {
        const c = (await contactOf(admin, uma.contactId)) as ContactSummary;
        return [c.status, c.assigneeId, c.requiredSkills];
      })
      .toEqual(['queued', null, ['billing']]);
    expect(sent).toContainEqual({
      type: 'transfer',
      contactId: uma.contactId,
      to: { skill: 'billing' },
      note: 'Invoice question.',
    });
    // Bence (billing) is offline: Uma waits, shown as queued to everyone.
    await expect.poll(() => queueItem(boss, uma.contactId).textContent()).toContain('Queued');
  });

  it('closes a conversation: the visitor is told, the queue lets it go, the text stays readable', async () => {
    const vera = await startChat(parley, cleanup, { answers: { name: 'Vera', email: 'vera@example.com' } });
    await queueItem(boss, vera.contactId).click();
    const mark = vera.socket.mark();
    await boss.locator('section.conv header').getByRole('button', { name: 'Close' }).click();
    await vera.socket.waitFor('closed', ofType('closed'), { since: mark });
    await queueItem(boss, vera.contactId).waitFor({ state: 'detached' });
    const conv = boss.locator('section.conv');
    await expect.poll(() => conv.locator('header .badge').first().textContent()).toBe('Closed');
    expect(await boss.getByRole('textbox', { name: 'Reply' }).isDisabled()).toBe(true);
    expect(await conv.locator('header').getByRole('button', { name: 'Close' }).count()).toBe(0);
    expect((await contactOf(admin, vera.contactId)) ?? null).toBeNull();
  });

  it('lists the keyboard shortcuts on `?`, but not while typing', async () => {
    await queueItem(boss, tom.contactId).click();
    await boss.getByRole('textbox', { name: 'Reply' }).press('?');
    expect(await boss.getByRole('textbox', { name: 'Reply' }).inputValue()).toBe('?');
    expect(await boss.getByRole('dialog', { name: 'Keyboard shortcuts' }).count()).toBe(0);
    await boss.getByRole('textbox', { name: 'Reply' }).fill('');
    await boss.locator('section.conv h2').click(); // out of the text box
    await boss.keyboard.press('?');
    const help = boss.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await help.waitFor();
    const text = await help.textContent();
    for (const line of [
      'Alt+↓',
      'Next conversation',
      'Alt+1…9',
      'Alt+Q',
      'Quote the last visitor message',
      'Esc',
    ]) {
      expect(text).toContain(line);
    }
    await boss.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
    // The top bar's button opens it too.
    await boss.getByRole('button', { name: 'Keyboard shortcuts' }).click();
    await help.waitFor();
    await help.getByRole('button', { name: 'Close' }).click();
    await help.waitFor({ state: 'detached' });
  });
});

describe('languages', () => {
  it('speaks the browser’s Russian, switches to Arabic right-to-left, and remembers the choice', async () => {
    const ctx = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1100, height: 760 } });
    cleanup.add('russian context', () => ctx.close());
    const page = await ctx.newPage();
    await page.goto(`${parley.url}/app/`);
    await page.getByRole('button', { name: 'Войти' }).waitFor();
    expect(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir])).toEqual([
      'ru',
      'ltr',
    ]);
    await page.getByLabel('Пароль').fill(parley.adminPassword);
    await page.getByLabel('E-mail').fill(parley.adminEmail);
    await page.getByRole('button', { name: 'Войти' }).click();
    await page.getByRole('button', { name: 'Выйти' }).waitFor();
    expect(await page.locator('.filters').getByRole('button').allTextContents()).toEqual([
      'Все',
      'Мои',
      'Без оператора',
    ]);
    expect(await page.getByRole('combobox', { name: 'Статус' }).locator('option').allTextContents()).toEqual([
      'В сети',
      'Отошёл',
      'Не в сети',
    ]);

    // Arabic, chosen in the menu: right to left, the queue on the right.
    await page.getByRole('combobox', { name: 'Язык' }).selectOption('ar');
    await page.getByRole('button', { name: 'تسجيل الخروج' }).waitFor();
    expect(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir])).toEqual([
      'ar',
      'rtl',
    ]);
    await page.locator('ul.queue .item').first().click();
    const queueBox = (await page.locator('.queue-pane').boundingBox())!;
    const convBox = (await page.locator('section.conv').boundingBox())!;
    expect(queueBox.x).toBeGreaterThan(convBox.x);
    expect(queueBox.x + queueBox.width).toBeCloseTo(1100, -1);
    // Inside the conversation too: the visitor panel is on the left.
    const sideBox = (await page.getByRole('complementary', { name: 'الزائر' }).boundingBox())!;
    expect(sideBox.x).toBeLessThan(convBox.x + convBox.width / 2);

    await mkdir(resultsDir, { recursive: true });
    await page.screenshot({ path: join(resultsDir, 'inbox-arabic.png') });

    // Remembered over the browser's own language.
    await page.reload();
    await page.getByRole('button', { name: 'تسجيل الخروج' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    await page.getByRole('combobox', { name: 'اللغة' }).selectOption('en');
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dir)).toBe('ltr');
  });
});
