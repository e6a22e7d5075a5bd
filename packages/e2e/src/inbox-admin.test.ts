/**
 * The admin's settings screens in a real Chromium against a real server process: a new site, its
 * script tag copied, its widget settings saved and seen by a visitor's `welcome`; a bad save naming
 * each problem at its field and saving nothing; users created, given a role, a new password and
 * deactivated.
 */
import type { OperatorProfile, SiteAdmin } from '@parley/protocol';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginStatus, welcomeOf } from './support/admin.js';
import { launchBrowser, newContext } from './support/browser.js';
import { Cleanup } from './support/cleanup.js';
import { logIntoInbox, ok, type Session, session, VISITOR_ORIGIN } from './support/inbox.js';
import { type Parley, startParley } from './support/processes.js';
import { storySteps } from './support/story.js';

const cleanup = new Cleanup();
const log: string[] = [];
let parley: Parley;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let admin: Session;
let site: SiteAdmin;

beforeAll(async () => {
  parley = await startParley();
  cleanup.add('parley', () => parley.stop());
  admin = await session(parley, parley.adminEmail, parley.adminPassword);
  browser = await launchBrowser();
  cleanup.add('browser', () => browser.close());
  context = await newContext(browser, log);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: parley.url });
  page = await context.newPage();
});

afterAll(async () => {
  if (log.length > 0) console.log(`browser console:\n${log.join('\n')}`);
  await cleanup.run();
});

const sites = async () => (await ok(admin.call<{ sites: SiteAdmin[] }>('GET', '/api/v1/sites'))).sites;
const users = async () => (await ok(admin.call<{ users: OperatorProfile[] }>('GET', '/api/v1/users'))).users;
const editor = () => page.locator('form.site-editor');
const fieldError = (field: string) => editor().locator(`[data-field="${field}"] .field-error`);

describe('settings: sites', () => {
  storySteps();

  it('opens Settings from the top bar, and a reload stays there', async () => {
    await logIntoInbox(page, parley, parley.adminEmail, parley.adminPassword);
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    expect(new URL(page.url()).hash).toBe('#/settings/sites');
    await page.reload();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    await editor().waitFor(); // the seeded site
  });

  it('creates a site and copies its script tag', async () => {
    await page.locator('#new-site-name').fill('Tea Shop');
    await page.locator('#new-site-origins').fill(VISITOR_ORIGIN);
    await page.getByRole('button', { name: 'Create site' }).click();
    await page.getByRole('heading', { name: 'Tea Shop', level: 2 }).waitFor();
    const created = (await sites()).find((s) => s.name === 'Tea Shop');
    expect(created?.allowedOrigins).toEqual([VISITOR_ORIGIN]);
    site = created!;
    const tag = `<script src="${parley.url}/widget.js" data-site="${site.key}" async></script>`;
    expect(await editor().locator('[data-field="script-tag"]').textContent()).toBe(tag);
    await page.getByRole('button', { name: 'Copy the script tag' }).click();
    await editor().getByRole('status').filter({ hasText: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(tag);
  });

  it('saves the widget, questionnaire, captcha, hours, waiting and routing settings', async () => {
    await page.locator('#f-color').fill('#ff5500');
    await page.locator('#f-greeting').fill('Welcome to the tea shop');
    await page.locator('#f-greetingKnown').fill('Good to see you, {name}!');
    // A required choice field, moved above the e-mail field.
    await page.getByRole('button', { name: 'Add a field' }).click();
    const row = editor().locator('li.q-field').nth(2);
    await row.getByLabel('Name', { exact: true }).fill('topic');
    await row.getByLabel('Label', { exact: true }).fill('Topic');
    await row.getByLabel('Kind').selectOption('choice');
    await row.getByLabel('Required').check();
    await row.getByLabel('Options').fill('Green tea\nBlack tea');
    await page.getByRole('button', { name: 'Move topic up' }).click();
    await page.locator('#f-captcha').selectOption('altcha');
    await page.locator('#f-hoursOn').check();
    await page.locator('#f-timeZone').selectOption('Europe/Budapest');
    await page.getByRole('button', { name: 'Add hours on Monday' }).click();
    await page.getByLabel('Monday: opens').fill('08:00');
    await page.getByLabel('Monday: closes').fill('16:30');
    await page.locator('#f-waitingMessages').fill('One moment, please\nStill looking for someone');
    await page.locator('#f-callbackAfterSeconds').fill('90');
    await page.locator('#f-routingStrategy').selectOption('round_robin');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await editor().locator('.save-row [role="status"]').filter({ hasText: 'Saved' }).waitFor();

    const saved = (await sites()).find((s) => s.id === site.id)!;
    const expected = {
      color: '#ff5500',
      greeting: 'Welcome to the tea shop',
      greetingKnown: 'Good to see you, {name}!',
      captcha: 'altcha',
      businessHours: { timeZone: 'Europe/Budapest', intervals: [{ day: 1, open: '08:00', close: '16:30' }] },
      waitingMessages: ['One moment, please', 'Still looking for someone'],
      callbackAfterSeconds: 90,
    };
    expect(saved.settings).toMatchObject(expected);
    expect(saved.settings.questionnaire).toEqual([
      { name: 'name', label: 'Name', kind: 'name', required: true },
      { name: 'topic', label: 'Topic', kind: 'choice', required: true, options: ['Green tea', 'Black tea'] },
      { name: 'email', label: 'E-mail', kind: 'email', required: true },
    ]);
    expect(saved.routingStrategy).toBe('round_robin');

    // What a visitor of the site is told.
    const welcome = await welcomeOf(parley, cleanup, site.key);
    expect(welcome.site).toMatchObject(expected);
    expect(welcome.site.questionnaire.map((f) => f.name)).toEqual(['name', 'topic', 'email']);
    expect(welcome.site.questionnaire[1]).toMatchObject({
      kind: 'choice',
      options: ['Green tea', 'Black tea'],
    });
  });

  it('shows each problem of a bad save at its field, keeps the form and saves nothing', async () => {
    const before = (await sites()).find((s) => s.id === site.id)!;
    await page.locator('#f-color').fill('#00aa00');
    await page.getByLabel('Monday: opens').fill('17:00');
    await page.getByLabel('Monday: closes').fill('09:00');
    await page.locator('#f-captcha').selectOption('hcaptcha');
    const answer = page.waitForResponse(
      (r) => r.request().method() === 'PATCH' && r.url().includes('/api/v1/sites/'),
    );
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    expect((await answer).status()).toBe(400);

    // The server's own words, each at its control.
    await expect
      .poll(() => fieldError('businessHours.intervals[0]').textContent())
      .toContain('closes (09:00) before it opens (17:00)');
    expect(await fieldError('hcaptchaSiteKey').textContent()).toContain('hCaptcha needs the site key');
    expect(await fieldError('hcaptchaSecret').textContent()).toContain('hCaptcha needs the secret key');
    expect(await fieldError('color').count()).toBe(0);
    expect(await editor().getByRole('alert').textContent()).toContain('Nothing was saved');
    // The form keeps what was typed.
    expect(await page.locator('#f-color').inputValue()).toBe('#00aa00');
    expect(await page.getByLabel('Monday: opens').inputValue()).toBe('17:00');
    expect(await page.locator('#f-captcha').inputValue()).toBe('hcaptcha');
    // Nothing was saved, not even the valid colour.
    expect((await sites()).find((s) => s.id === site.id)).toEqual(before);
  });
});

describe('settings: users', () => {
  storySteps();
  const email = 'nadia@parley.local';
  const row = () => page.locator(`tr[data-email="${email}"]`);
  let password = '';

  it('creates an operator and shows the password once; it logs in', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    expect(new URL(page.url()).hash).toBe('#/settings/users');
    await page.locator('#new-user-email').fill(email);
    await page.locator('#new-user-name').fill('Nadia Petrova');
    await page.locator('#new-user-role').selectOption('operator');
    await page.getByRole('button', { name: 'Create user' }).click();
    password = (await page.locator('[data-field="password-once"] code').textContent()) ?? '';
    expect(password.length).toBeGreaterThanOrEqual(10);
    await row().waitFor();
    expect((await users()).find((u) => u.email === email)?.role).toBe('operator');
    expect(await loginStatus(parley, email, password)).toBe(200);
    // The same e-mail again: the server's message at the e-mail field.
    await page.locator('#new-user-email').fill(email);
    await page.locator('#new-user-name').fill('Nadia again');
    await page.getByRole('button', { name: 'Create user' }).click();
    await expect
      .poll(() => page.locator('[data-field="new-email"] .field-error').textContent())
      .toContain('already has an account');
  });

  it('changes the role', async () => {
    await row().getByLabel('Role of Nadia Petrova').selectOption('supervisor');
    await row().getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect((await users()).find((u) => u.email === email)?.role).toBe('supervisor');
  });

  it('resets the password: the old one fails, the new one works', async () => {
    await row().getByRole('button', { name: 'Reset password' }).click();
    const fresh = (await row().locator('[data-field="password-once"] code').textContent()) ?? '';
    expect(fresh).not.toBe('');
    expect(fresh).not.toBe(password);
    expect(await loginStatus(parley, email, password)).toBe(401);
    expect(await loginStatus(parley, email, fresh)).toBe(200);
    password = fresh;
  });

  it('deactivates after a confirmation: the login then fails', async () => {
    await row().getByRole('button', { name: 'Deactivate' }).click();
    expect(await loginStatus(parley, email, password)).toBe(200); // asked, not done yet
    await row().getByRole('button', { name: 'Yes, deactivate' }).click();
    await row().waitFor({ state: 'detached' });
    expect(await loginStatus(parley, email, password)).toBe(401);
    expect((await users()).some((u) => u.email === email)).toBe(false);
  });

  it('lists the deactivated user and reactivates them: the same password works again', async () => {
    const item = page.locator(`section.deactivated li[data-email="${email}"]`);
    await item.waitFor();
    await item.getByRole('button', { name: 'Reactivate' }).click();
    await item.waitFor({ state: 'detached' });
    await row().waitFor();
    expect(await loginStatus(parley, email, password)).toBe(200);
    expect((await users()).some((u) => u.email === email)).toBe(true);
  });
});
