/**
 * Tasks and attention: a client's contact given to the employee responsible for their order makes
 * a task; a new task or a new contact raises an in-app pop-up, a chime and a browser notification;
 * the chime can be muted (remembered); the tasks list completes tasks. Real server process with the
 * demo operators, real Chromium with the notification permission granted; notifications and
 * oscillators are counted by wrapping the browser's own constructors.
 */
import type { Client, Task } from '@parley/protocol';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newContext } from './support/browser.js';
import { Cleanup } from './support/cleanup.js';
import {
  AMIRA,
  logIntoInbox,
  ok,
  type Session,
  session,
  setStatus,
  startChat,
  startParleyWithOperators,
  type Visitor,
  visitorSays,
} from './support/inbox.js';
import type { Parley } from './support/processes.js';
import { storySteps } from './support/story.js';

const cleanup = new Cleanup();
const log: string[] = [];
let parley: Parley;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let admin: Session;
let amira: Session;
let linus: Visitor;

/** Runs before the inbox's own scripts: counts notifications and oscillators as the page makes them. */
function countAttention() {
  const w = window as unknown as { __notes: string[]; __oscillators: number };
  w.__notes = [];
  w.__oscillators = 0;
  const Real = window.Notification;
  if (Real) {
    const Counted = function (this: unknown, title: string, options?: NotificationOptions) {
      w.__notes.push(`${title}: ${options?.body ?? ''}`);
      return new Real(title, options);
    } as unknown as typeof Notification;
    Object.defineProperty(Counted, 'permission', { get: () => Real.permission });
    Counted.requestPermission = Real.requestPermission.bind(Real);
    window.Notification = Counted;
  }
  const create = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function (this: AudioContext) {
    w.__oscillators++;
    return create.call(this);
  };
}

const notes = () => page.evaluate(() => (window as unknown as { __notes: string[] }).__notes);
const oscillators = () => page.evaluate(() => (window as unknown as { __oscillators: number }).__oscillators);
const popup = (name: string) => page.locator('.popups').getByRole('alertdialog', { name });
const drawer = () => page.getByRole('region', { name: 'Tasks' });

beforeAll(async () => {
  parley = await startParleyWithOperators(cleanup);
  admin = await session(parley, parley.adminEmail, parley.adminPassword);
  amira = await session(parley, AMIRA.email, AMIRA.password);
  browser = await launchBrowser();
  cleanup.add('browser', () => browser.close());
  context = await newContext(browser, log);
  await context.grantPermissions(['notifications'], { origin: parley.url });
  await context.addInitScript(countAttention);
  page = await context.newPage();
});

afterAll(async () => {
  if (log.length > 0) console.log(`browser console:\n${log.join('\n')}`);
  await cleanup.run();
});

describe('tasks, pop-ups, sounds and notifications', () => {
  storySteps();

  it('a client writes: their order’s responsible operator gets a task, with a pop-up, a chime and a notification', async () => {
    await logIntoInbox(page, parley, AMIRA.email, AMIRA.password);
    await setStatus(page, 'online');
    // Permission already granted: no button asking for it.
    expect(await page.getByRole('button', { name: 'Enable notifications' }).count()).toBe(0);
    expect(await page.evaluate(() => Notification.permission)).toBe('granted');

    // An admin records Linus, whose open order Amira is responsible for.
    const client = await ok(
      admin.call<Client>('POST', '/api/v1/clients', {
        name: 'Linus Torvalds',
        emails: ['linus@example.com'],
      }),
      201,
    );
    await ok(
      admin.call('POST', `/api/v1/clients/${client.id}/orders`, {
        title: 'Kernel support',
        stage: 'Negotiation',
        responsibleId: amira.user.id,
        amountDue: '990.00',
      }),
      201,
    );
    expect(await notes()).toEqual([]);
    expect(await oscillators()).toBe(0);

    linus = await startChat(parley, cleanup, { answers: { name: 'Linus', email: 'linus@example.com' } });

    const task = popup('New task');
    await task.waitFor();
    expect(await task.textContent()).toContain('Linus');
    await popup('New conversation').filter({ hasText: 'Linus' }).waitFor();
    await expect.poll(notes).toHaveLength(2);
    expect((await notes()).sort()).toEqual([
      'New conversation: Linus',
      expect.stringMatching(/^New task: .*Linus/),
    ]);
    // One chime per event: new contact, new task.
    await expect.poll(oscillators).toBeGreaterThanOrEqual(2);
    const { tasks } = await ok(amira.call<{ tasks: Task[] }>('GET', '/api/v1/tasks'));
    expect(tasks).toHaveLength(1);
    expect(tasks[0]!.contactId).toBe(linus.contactId);

    // The pop-up opens the conversation (and goes away with its twin).
    await task.getByRole('button', { name: 'Open' }).click();
    await page.locator('section.conv').getByRole('heading', { name: 'Linus' }).waitFor();
    await expect.poll(() => page.locator('.popups [role="alertdialog"]').count()).toBe(0);
  });

  it('lists the task with its conversation and completes it', async () => {
    const button = page.locator('header.top').getByRole('button', { name: /^Tasks/ });
    expect(await button.textContent()).toBe('Tasks 1');
    await button.click();
    const open = drawer().getByRole('list', { name: 'Open' }).locator('li');
    await expect.poll(() => open.count()).toBe(1);
    expect(await open.locator('.task-title').textContent()).toContain('Linus');
    // The task's conversation opens from the list, while another one is on screen.
    const margaret = await startChat(parley, cleanup, {
      answers: { name: 'Margaret', email: 'mh@example.com' },
    });
    await page.locator(`ul.queue button[data-contact-id="${margaret.contactId}"]`).click();
    await page.locator('section.conv').getByRole('heading', { name: 'Margaret' }).waitFor();
    await open.getByRole('button', { name: 'Open conversation' }).click();
    await page.locator('section.conv').getByRole('heading', { name: 'Linus' }).waitFor();

    await open.getByRole('button', { name: 'Done' }).click();
    const done = drawer().getByRole('list', { name: 'Done' }).locator('li');
    await expect.poll(() => done.count()).toBe(1);
    expect(await drawer().getByRole('list', { name: 'Open' }).count()).toBe(0);
    expect(await drawer().textContent()).toContain('No tasks');
    expect(await done.getAttribute('data-done')).toBe('true');
    expect(await done.locator('[data-field="done"] time').textContent()).toMatch(/^\d{2}:\d{2}$/);
    expect(await button.textContent()).toBe('Tasks');
    // The server agrees.
    const openNow = await ok(amira.call<{ tasks: Task[] }>('GET', '/api/v1/tasks'));
    expect(openNow.tasks).toEqual([]);
    const doneNow = await ok(amira.call<{ tasks: Task[] }>('GET', '/api/v1/tasks?open=false'));
    expect(doneNow.tasks.map((t) => t.contactId)).toEqual([linus.contactId]);
    expect(doneNow.tasks[0]!.doneAt).not.toBeNull();
    // Alt+T hides the list.
    await page.keyboard.press('Alt+KeyT');
    await drawer().waitFor({ state: 'detached' });
  });

  it('mutes the chime (remembered across a reload) while pop-ups and notifications go on', async () => {
    const mute = page.getByRole('button', { name: 'Mute sounds' });
    expect(await mute.getAttribute('aria-pressed')).toBe('false');
    await mute.click();
    expect(await mute.getAttribute('aria-pressed')).toBe('true');
    await page.reload(); // the counters start again from zero
    await page.locator('ul.queue').waitFor();
    expect(await page.getByRole('button', { name: 'Mute sounds' }).getAttribute('aria-pressed')).toBe('true');

    await startChat(parley, cleanup, { answers: { name: 'Quiet Quentin', email: 'quentin@example.com' } });
    await popup('New conversation').filter({ hasText: 'Quiet Quentin' }).waitFor();
    await expect.poll(notes).toEqual(['New conversation: Quiet Quentin']);
    await page.waitForTimeout(300); // a chime would have been made with the notification
    expect(await oscillators()).toBe(0);

    // Sound back on: the next contact chimes again.
    await page.getByRole('button', { name: 'Mute sounds' }).click();
    await startChat(parley, cleanup, { answers: { name: 'Loud Lola', email: 'lola@example.com' } });
    await popup('New conversation').filter({ hasText: 'Loud Lola' }).waitFor();
    await expect.poll(oscillators).toBeGreaterThan(0);
    await expect.poll(notes).toHaveLength(2);
  });

  it('a visitor’s new message chimes and notifies when its conversation is not on screen, not when it is', async () => {
    await page.locator(`ul.queue button[data-contact-id="${linus.contactId}"]`).click();
    await page.locator('section.conv').getByRole('heading', { name: 'Linus' }).waitFor();
    const [notesBefore, chimesBefore] = [(await notes()).length, await oscillators()];
    await visitorSays(linus, 'Are you still there?');
    await page.locator('section.conv').getByText('Are you still there?').waitFor();
    await page.waitForTimeout(300); // a chime or a notification would have come with the message
    expect((await notes()).length).toBe(notesBefore);
    expect(await oscillators()).toBe(chimesBefore);

    const other = await startChat(parley, cleanup, { answers: { name: 'Otto', email: 'otto@example.com' } });
    await popup('New conversation').filter({ hasText: 'Otto' }).waitFor();
    await page.locator(`ul.queue button[data-contact-id="${other.contactId}"]`).click();
    await page.locator('section.conv').getByRole('heading', { name: 'Otto' }).waitFor();
    const chimes = await oscillators();
    await visitorSays(linus, 'Hello?');
    await expect.poll(notes).toContain('New message: Linus: Hello?');
    await expect.poll(oscillators).toBeGreaterThan(chimes);
  });
});
