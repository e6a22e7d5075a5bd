/**
 * The operator's inbox at work: one queue for every channel with its filters and live waiting time,
 * several conversations with drafts and keyboard switching, timestamps, typing and read state,
 * replies quoting earlier messages, and deleting a reply the visitor has already seen. Real server
 * process, real Chromium for the operator; the visitors are raw sockets, so every frame they get is
 * checked as sent.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext } from './support/browser.js';
import { Cleanup } from './support/cleanup.js';
import {
  inboxMessage,
  logIntoInbox,
  queueItem,
  queueNames,
  startChat,
  type Visitor,
  visitorSays,
} from './support/inbox.js';
import { type Parley, startParley } from './support/processes.js';
import { ofType } from './support/sockets.js';
import { storySteps } from './support/story.js';

const cleanup = new Cleanup();
const log: string[] = [];
let parley: Parley;
let browser: Browser;
let page: Page;
let ada: Visitor;
let bob: Visitor;
let cleo: Visitor;

const HHMM = /^\d{2}:\d{2}$/;

beforeAll(async () => {
  parley = await startParley();
  cleanup.add('parley', () => parley.stop());
  browser = await launchBrowser();
  cleanup.add('browser', () => browser.close());
  const context = await newContext(browser, log);
  page = await context.newPage();
});

afterAll(async () => {
  if (log.length > 0) console.log(`browser console:\n${log.join('\n')}`);
  await cleanup.run();
});

const reply = () => page.getByRole('textbox', { name: 'Reply' });
const selectedName = () => page.locator('ul.queue .item[aria-current="true"] .name').textContent();

/** The local HH:MM of an ISO time, as the page's own clock shows it. */
const localClock = (iso: string) =>
  page.evaluate((t) => {
    const d = new Date(t);
    return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  }, iso);

describe('the operator inbox', () => {
  storySteps();

  it('one queue for chat and callback, newest activity first, filtered by channel, mine and unassigned; the unanswered are red and wait live', async () => {
    // 1. Three visitors while nobody is online: they wait, unassigned. Bob asks to be called back.
    ada = await startChat(parley, cleanup, { answers: { name: 'Ada', email: 'ada@example.com' } });
    bob = await startChat(parley, cleanup, { answers: { name: 'Bob', email: 'bob@example.com' } });
    const mark = bob.socket.mark();
    bob.socket.send({ type: 'callback', phone: '+36 20 123 4567' });
    await bob.socket.waitFor(
      'queued as callback',
      ofType('queued', (q) => q.channel === 'callback'),
      {
        since: mark,
      },
    );
    cleo = await startChat(parley, cleanup, { answers: { name: 'Cleo', email: 'cleo@example.com' } });

    // 2. The operator logs in: newest first, and a message moves its conversation to the top.
    await logIntoInbox(page, parley, parley.adminEmail, parley.adminPassword);
    await expect.poll(() => queueNames(page)).toEqual(['Cleo', 'Bob', 'Ada']);
    await visitorSays(ada, 'Hello, anyone there?');
    await expect.poll(() => queueNames(page)).toEqual(['Ada', 'Cleo', 'Bob']);
    await expect.poll(() => queueItem(page, ada.contactId).textContent()).toContain('Hello, anyone there?');

    // 3. Nobody answered yet: red, with a waiting time that counts up by itself.
    const item = queueItem(page, ada.contactId);
    expect(await item.getAttribute('class')).toContain('unanswered');
    expect(await item.evaluate((el) => getComputedStyle(el).borderInlineStartColor)).toBe('rgb(217, 45, 32)');
    expect(await item.locator('.name').evaluate((el) => getComputedStyle(el).color)).toBe('rgb(217, 45, 32)');
    const wait = item.locator('.wait');
    const first = await wait.textContent();
    expect(first).toMatch(/^waiting \d+:\d{2}$/);
    await expect.poll(() => wait.textContent(), { timeout: 5000 }).not.toBe(first);

    // 4. The channel filter: Bob is the callback, with his number on the conversation.
    const channel = page.getByRole('combobox', { name: 'Channel' });
    await channel.selectOption('callback');
    await expect.poll(() => queueNames(page)).toEqual(['Bob']);
    expect(await queueItem(page, bob.contactId).getAttribute('data-channel')).toBe('callback');
    expect(await queueItem(page, bob.contactId).textContent()).toContain('Callback');
    await channel.selectOption('chat');
    await expect.poll(() => queueNames(page)).toEqual(['Ada', 'Cleo']);
    await channel.selectOption('voice');
    await expect.poll(() => queueNames(page)).toEqual([]);
    await channel.selectOption('any');
    await expect.poll(() => queueNames(page)).toEqual(['Ada', 'Cleo', 'Bob']);

    // 5. Mine / unassigned, before and after taking Ada.
    const filter = (name: string) => page.locator('.filters').getByRole('button', { name, exact: true });
    await filter('Mine').click();
    await expect.poll(() => queueNames(page)).toEqual([]);
    await filter('Unassigned').click();
    await expect.poll(() => queueNames(page)).toEqual(['Ada', 'Cleo', 'Bob']);
    await queueItem(page, ada.contactId).click();
    await page.locator('section.conv').getByRole('button', { name: 'Accept' }).click();
    await expect.poll(() => queueNames(page)).toEqual(['Cleo', 'Bob']);
    await filter('Mine').click();
    await expect.poll(() => queueNames(page)).toEqual(['Ada']);
    // Taken but not answered: still red.
    expect(await queueItem(page, ada.contactId).getAttribute('class')).toContain('unanswered');
    await filter('All').click();
    await expect.poll(() => queueNames(page)).toEqual(['Ada', 'Cleo', 'Bob']);
  });

  it('works several conversations at once: keyboard switching, a draft per conversation that survives a reload', async () => {
    expect(await selectedName()).toBe('Ada');
    await reply().fill('Draft for Ada');
    // Alt+↓ from the reply box itself: the next conversation, with an empty composer.
    await page.keyboard.press('Alt+ArrowDown');
    await expect.poll(selectedName).toBe('Cleo');
    await expect.poll(() => reply().inputValue()).toBe('');
    await reply().fill('Draft for Cleo');
    await page.keyboard.press('Alt+Digit3');
    await expect.poll(selectedName).toBe('Bob');
    await expect.poll(() => reply().inputValue()).toBe('');
    await page.keyboard.press('Alt+ArrowUp');
    await expect.poll(selectedName).toBe('Cleo');
    await expect.poll(() => reply().inputValue()).toBe('Draft for Cleo');
    await page.keyboard.press('Alt+Digit1');
    await expect.poll(selectedName).toBe('Ada');
    await expect.poll(() => reply().inputValue()).toBe('Draft for Ada');
    // The queue marks conversations with a draft.
    expect(await queueItem(page, cleo.contactId).locator('.draft-mark').count()).toBe(1);
    expect(await queueItem(page, bob.contactId).locator('.draft-mark').count()).toBe(0);

    // A reload keeps the selection and both drafts (localStorage).
    await page.reload();
    await expect.poll(selectedName).toBe('Ada');
    await expect.poll(() => reply().inputValue()).toBe('Draft for Ada');
    await queueItem(page, cleo.contactId).click();
    await expect.poll(() => reply().inputValue()).toBe('Draft for Cleo');
    // Alt+R goes to the reply box from anywhere.
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Alt+KeyR');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('reply');
    // A message in a conversation not on screen is counted on its queue item until it is opened.
    await visitorSays(bob, 'Please call after five.');
    const unread = queueItem(page, bob.contactId).locator('.unread');
    await expect.poll(() => unread.textContent()).toBe('1 new');
    await queueItem(page, bob.contactId).click();
    await unread.waitFor({ state: 'detached' });
    await queueItem(page, ada.contactId).click();
    await reply().fill('');
  });

  it('shows times on every message, the last message and last seen, typing, and when the visitor read a reply', async () => {
    const hello = inboxMessage(page, 'Hello, anyone there?');
    const time = hello.locator('time');
    const at = (await time.getAttribute('datetime'))!;
    expect(await time.textContent()).toMatch(HHMM);
    expect(await time.textContent()).toBe(await localClock(at));
    const head = page.locator('section.conv header.conv-head');
    await expect
      .poll(() => head.locator('[data-field="last-message"] time').getAttribute('datetime'))
      .toBe(at);
    const seen = head.locator('[data-field="visitor-seen"] time');
    expect(await seen.textContent()).toMatch(HHMM);
    expect(Math.abs(Date.parse((await seen.getAttribute('datetime'))!) - Date.now())).toBeLessThan(
      5 * 60_000,
    );

    // Typing, on and off.
    ada.socket.send({ type: 'typing', on: true });
    await page.getByText('Visitor is typing…').waitFor();
    ada.socket.send({ type: 'typing', on: false });
    await page.getByText('Visitor is typing…').waitFor({ state: 'detached' });

    // A reply: sent, then read once the visitor says so.
    const mark = ada.socket.mark();
    await reply().fill('Hi Ada, how can I help?');
    await reply().press('Enter');
    const sent = inboxMessage(page, 'Hi Ada, how can I help?');
    await sent.locator('[data-state="sent"]').waitFor();
    expect(await sent.locator('time').textContent()).toMatch(HHMM);
    const got = await ada.socket.waitFor(
      'the reply',
      ofType('message', (m) => m.message.body === 'Hi Ada, how can I help?'),
      { since: mark },
    );
    ada.socket.send({ type: 'seen', seq: got.message.seq });
    await sent.locator('[data-state="read"]').waitFor();
    expect(await sent.locator('.state').textContent()).toContain('Read');
    // Answered: no longer red.
    await expect.poll(() => queueItem(page, ada.contactId).getAttribute('class')).not.toContain('unanswered');
  });

  it('answers two questions one by one, each reply quoting its question', async () => {
    const q1 = await visitorSays(ada, 'How much is the copper kettle?');
    const q2 = await visitorSays(ada, 'Do you ship to Szeged?');
    await inboxMessage(page, 'Do you ship to Szeged?').waitFor();
    const mark = ada.socket.mark();

    // 1. Quote the first question, answer it.
    await inboxMessage(page, 'How much is the copper kettle?').getByRole('button', { name: 'Quote' }).click();
    const quoting = page.locator('form.composer .quoting');
    await expect.poll(() => quoting.textContent()).toContain('How much is the copper kettle?');
    await reply().fill('It is 49 euros.');
    await reply().press('Enter');
    await inboxMessage(page, 'It is 49 euros.').waitFor();
    await quoting.waitFor({ state: 'detached' });

    // 2. Then the second.
    await inboxMessage(page, 'Do you ship to Szeged?').getByRole('button', { name: 'Quote' }).click();
    await expect.poll(() => quoting.textContent()).toContain('Do you ship to Szeged?');
    await reply().fill('Yes, within two days.');
    await reply().press('Enter');

    // Each reply shows its own quote.
    const a1 = inboxMessage(page, 'It is 49 euros.');
    const a2 = inboxMessage(page, 'Yes, within two days.');
    await a2.waitFor();
    expect(await a1.locator('blockquote').getAttribute('data-quote-id')).toBe(q1.id);
    expect(await a1.locator('blockquote').textContent()).toBe('How much is the copper kettle?');
    expect(await a2.locator('blockquote').getAttribute('data-quote-id')).toBe(q2.id);
    expect(await a2.locator('blockquote').textContent()).toBe('Do you ship to Szeged?');
    // And the visitor got each with its quote.
    const r1 = await ada.socket.waitFor(
      'reply 1',
      ofType('message', (m) => m.message.body === 'It is 49 euros.'),
      {
        since: mark,
      },
    );
    const r2 = await ada.socket.waitFor(
      'reply 2',
      ofType('message', (m) => m.message.body === 'Yes, within two days.'),
      { since: mark },
    );
    expect(r1.message.quoteId).toBe(q1.id);
    expect(r2.message.quoteId).toBe(q2.id);

    // Alt+Q quotes the last visitor message; Escape takes the quote back.
    await page.keyboard.press('Alt+KeyQ');
    await expect.poll(() => quoting.getAttribute('data-quote-id')).toBe(q2.id);
    await page.keyboard.press('Escape');
    await quoting.waitFor({ state: 'detached' });
  });

  it('deletes a reply sent by mistake after the visitor has seen it', async () => {
    const mark = ada.socket.mark();
    await reply().fill('Everything is free today!');
    await reply().press('Enter');
    const got = await ada.socket.waitFor(
      'the mistaken reply',
      ofType('message', (m) => m.message.body === 'Everything is free today!'),
      { since: mark },
    );
    ada.socket.send({ type: 'seen', seq: got.message.seq });
    const wrong = page.locator(`section.conv .msg[data-id="${got.message.id}"]`);
    await wrong.locator('[data-state="read"]').waitFor();

    // Visitor messages cannot be deleted; the operator's own reply can, after a confirmation.
    expect(
      await page
        .locator('section.conv .msg[data-author="visitor"]')
        .getByRole('button', { name: 'Delete' })
        .count(),
    ).toBe(0);
    await wrong.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => wrong.locator('.confirm').textContent()).toContain('Delete this reply?');
    await wrong.locator('.confirm').getByRole('button', { name: 'Delete' }).click();

    // The visitor's widget is told to remove it; the inbox shows that it was deleted, in its place.
    const deleted = await ada.socket.waitFor('deleted', ofType('deleted'), { since: mark });
    expect(deleted.messageId).toBe(got.message.id);
    await expect.poll(() => wrong.getAttribute('data-deleted')).toBe('true');
    expect(await wrong.textContent()).toContain('Message deleted');
    expect(await wrong.textContent()).not.toContain('Everything is free today!');
    // The other replies stay as they were.
    await inboxMessage(page, 'Yes, within two days.').waitFor();

    // After a reload the history from the server says the same.
    await page.reload();
    const again = page.locator(`section.conv .msg[data-id="${got.message.id}"]`);
    await expect.poll(() => again.getAttribute('data-deleted')).toBe('true');
    expect(await again.textContent()).toContain('Message deleted');
    expect(await again.textContent()).not.toContain('Everything is free today!');
  });
});
