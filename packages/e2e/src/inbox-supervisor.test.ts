/**
 * A supervisor in a real Chromium against a real server process: sets an operator's routing
 * attributes on the Team screen, watches a conversation assigned to another operator live, takes it
 * over, and reassigns another one. Operators are online on raw sockets; visitors on raw sockets.
 */
import type { OperatorProfile } from '@parley/protocol';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { online } from './support/admin.js';
import { launchBrowser, newContext } from './support/browser.js';
import { Cleanup, waitUntil } from './support/cleanup.js';
import {
  AMIRA,
  BENCE,
  contactOf,
  inboxMessage,
  logIntoInbox,
  ok,
  queueItem,
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
let page: Page;
let admin: Session;
let amira: Session;
let bence: Session;
let sara: Session;
let tom: Visitor;
let uma: Visitor;
const SARA = { email: 'sara@parley.local', password: 'supervisor-pass', name: 'Sara Sandoval' };

beforeAll(async () => {
  parley = await startParleyWithOperators(cleanup);
  admin = await session(parley, parley.adminEmail, parley.adminPassword);
  await ok(admin.call('POST', '/api/v1/users', { ...SARA, role: 'supervisor' }), 201, 'create supervisor');
  sara = await session(parley, SARA.email, SARA.password);
  amira = await session(parley, AMIRA.email, AMIRA.password);
  bence = await session(parley, BENCE.email, BENCE.password);
  browser = await launchBrowser();
  cleanup.add('browser', () => browser.close());
  page = await (await newContext(browser, log)).newPage();
});

afterAll(async () => {
  if (log.length > 0) console.log(`browser console:\n${log.join('\n')}`);
  await cleanup.run();
});

const users = async () => (await ok(admin.call<{ users: OperatorProfile[] }>('GET', '/api/v1/users'))).users;
const assigneeOf = async (v: Visitor) => (await contactOf(admin, v.contactId))?.assigneeId;

describe('the supervisor', () => {
  storySteps();

  it("sets an operator's max chats, skills, experience, cost tier and extension", async () => {
    await logIntoInbox(page, parley, SARA.email, SARA.password);
    // Supervisors get the Team screen, not the admins' settings.
    expect(await page.getByRole('link', { name: 'Settings' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Team' }).click();
    expect(new URL(page.url()).hash).toBe('#/team');
    const row = page.locator(`tr[data-email="${AMIRA.email}"]`);
    await row.getByLabel(`Max chats — ${AMIRA.name}`).fill('4');
    await row.getByLabel(`Skills — ${AMIRA.name}`).fill('en, billing');
    await row.getByLabel(`Experience — ${AMIRA.name}`).fill('7');
    await row.getByLabel(`Cost tier — ${AMIRA.name}`).fill('2');
    await row.getByLabel(`Extension — ${AMIRA.name}`).fill('201');
    await row.getByRole('button', { name: `Save ${AMIRA.name}` }).click();
    await row.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect((await users()).find((u) => u.email === AMIRA.email)).toMatchObject({
      maxChats: 4,
      skills: ['en', 'billing'],
      experience: 7,
      costTier: 2,
      extension: '201',
    });
    // A bad value: the server's message at the field, nothing saved.
    await row.getByLabel(`Max chats — ${AMIRA.name}`).fill('99');
    await row.getByRole('button', { name: `Save ${AMIRA.name}` }).click();
    await expect.poll(() => row.locator('[data-field="maxChats"] .field-error').count()).toBe(1);
    expect((await users()).find((u) => u.email === AMIRA.email)?.maxChats).toBe(4);
    // A reload stays on the Team screen.
    await page.reload();
    await page.getByRole('heading', { name: 'Team', level: 1 }).waitFor();
  });

  it("sees a conversation assigned to another operator under All, with the assignee's name", async () => {
    await online(parley, cleanup, amira);
    tom = await startChat(parley, cleanup, { answers: { name: 'Tom Visitor', email: 'tom@example.com' } });
    uma = await startChat(parley, cleanup, { answers: { name: 'Uma Visitor', email: 'uma@example.com' } });
    await waitUntil('both chats with Amira', async () => {
      return (await assigneeOf(tom)) === amira.user.id && (await assigneeOf(uma)) === amira.user.id;
    });
    await page.getByRole('link', { name: 'Queue' }).click();
    await page.locator('ul.queue').waitFor();
    await page.getByRole('button', { name: 'All', exact: true }).click();
    await expect
      .poll(() => queueItem(page, tom.contactId).locator('.badge.assignee').textContent())
      .toBe(`With ${AMIRA.name}`);
  });

  it('reads it live', async () => {
    await queueItem(page, tom.contactId).click();
    await page.locator('section.conv [data-field="assignee"]').filter({ hasText: AMIRA.name }).waitFor();
    await visitorSays(tom, 'Is the green tea in stock?');
    await inboxMessage(page, 'Is the green tea in stock?').waitFor();
  });

  it('takes it over', async () => {
    await setStatus(page, 'online');
    await page.getByRole('button', { name: 'Take over' }).click();
    await waitUntil('Tom with Sara', async () => (await assigneeOf(tom)) === sara.user.id);
    await page.getByRole('button', { name: 'Take over' }).waitFor({ state: 'detached' });
    expect(await page.locator('section.conv [data-field="assignee"]').count()).toBe(0);
  });

  it('reassigns another one to a colleague', async () => {
    await online(parley, cleanup, bence);
    await queueItem(page, uma.contactId).click();
    await page.getByRole('button', { name: 'Reassign' }).click();
    const dialog = page.getByRole('dialog', { name: 'Transfer the conversation' });
    await dialog.getByLabel('Operator', { exact: true }).selectOption(bence.user.id);
    await dialog.getByRole('button', { name: 'Transfer' }).click();
    await waitUntil('Uma with Bence', async () => (await assigneeOf(uma)) === bence.user.id);
    await expect
      .poll(() => queueItem(page, uma.contactId).locator('.badge.assignee').textContent())
      .toBe(`With ${BENCE.name}`);
  });
});
