/**
 * The widget on host pages as real sites make them: a hostile stylesheet, a strict
 * Content-Security-Policy, and the accessibility of what the widget draws (axe-core). Real server
 * process, real Chromium, the demo site's variants (examples/demo-site), the operator on a raw socket.
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OperatorInbound, OperatorOutbound, VisitorInbound, VisitorOutbound } from '@parley/protocol';
import { PROTOCOL_VERSION } from '@parley/protocol';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, formatViolations } from './support/axe.js';
import { launchBrowser, newContext } from './support/browser.js';
import { Cleanup, waitUntil } from './support/cleanup.js';
import { repoRoot } from './support/paths.js';
import { type DemoSite, type Parley, startDemoSite, startParley } from './support/processes.js';
import { FrameSocket, ofType } from './support/sockets.js';
import { storySteps } from './support/story.js';

const cleanup = new Cleanup();
const log: string[] = [];
let parley: Parley;
let shop: DemoSite;
let browser: Browser;
let operator: FrameSocket<OperatorOutbound, OperatorInbound>;

const VISITOR = { name: 'Grace Hopper', email: 'grace@example.com' };
const FIRST = 'Is the tea set dishwasher-safe?';
const REPLY = 'Hand wash only, I am afraid: the paint is on the glaze.';

let cookie: string;
let operatorId: string;

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
  expect(login.status).toBe(200);
  cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
  operator = await FrameSocket.open(`${parley.url.replace('http', 'ws')}/ws/operator`, {
    cookie,
    origin: parley.url,
  });
  cleanup.add('operator socket', () => operator.close());
  operatorId = (await operator.waitFor('ready', ofType('ready'))).user.id;
  operator.send({ type: 'status', status: 'online' });
  // The operator's one chat slot is taken by a visitor on a raw socket: every widget visitor below
  // waits in the queue until the test gives the operator one more slot (see chatWithReply).
  await setMaxChats(1);
  const placeholder = await FrameSocket.open<VisitorOutbound, VisitorInbound>(
    `${parley.url.replace('http', 'ws')}/ws/visitor?site=${parley.siteKey}`,
    { origin: shop.url },
  );
  cleanup.add('placeholder visitor', () => placeholder.close());
  placeholder.send({ type: 'hello', v: PROTOCOL_VERSION, page: { url: shop.url, title: 'Shop' } });
  await placeholder.waitFor('welcome', ofType('welcome'));
  placeholder.send({ type: 'start', answers: { name: 'Placeholder', email: 'placeholder@example.com' } });
  await placeholder.waitFor('assigned', ofType('assigned'));
});

afterAll(async () => {
  if (log.length > 0) console.log(`browser console:\n${log.join('\n')}`);
  await cleanup.run();
});

/** Changes the (only) site's widget settings, as the inbox's settings page does. */
async function setSiteSettings(settings: Record<string, unknown>): Promise<void> {
  const list = (await (await fetch(`${parley.url}/api/v1/sites`, { headers: { cookie } })).json()) as {
    sites: { id: string; key: string }[];
  };
  const site = list.sites.find((s) => s.key === parley.siteKey);
  expect(site, 'the site of the widget').toBeDefined();
  const res = await fetch(`${parley.url}/api/v1/sites/${site!.id}`, {
    method: 'PATCH',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ settings }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

let maxChats = 0;

/** The operator's chat limit; the server routes waiting chats at once when it rises. */
async function setMaxChats(n: number): Promise<void> {
  maxChats = n;
  const res = await fetch(`${parley.url}/api/v1/users/${operatorId}`, {
    method: 'PATCH',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ maxChats: n }),
  });
  expect(res.status).toBe(200);
}

// --- a visitor on one of the demo pages ------------------------------------------------------

async function visitorPage(path: string, context?: BrowserContext): Promise<Page> {
  const ctx = context ?? (await newContext(browser, log));
  if (!context) cleanup.add(`context for ${path}`, () => ctx.close());
  const page = await ctx.newPage();
  await page.goto(`${shop.url}${path}`);
  await page.getByRole('button', { name: 'Open chat' }).waitFor();
  return page;
}

async function openPanel(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Open chat' }).click();
  await page.getByRole('textbox', { name: /^Name/ }).waitFor();
}

let clientIds = 0;

/**
 * Fills the questionnaire, sends FIRST, and has the operator answer REPLY; resolves once the
 * visitor sees the reply and the widget's DOM has stopped changing.
 */
async function chatWithReply(page: Page): Promise<void> {
  await page.getByRole('textbox', { name: /^Name/ }).fill(VISITOR.name);
  await page.getByRole('textbox', { name: /^E-mail/ }).fill(VISITOR.email);
  await page.getByRole('button', { name: 'Start chat' }).click();
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.waitFor();
  const since = operator.mark();
  await box.fill(FIRST);
  await box.press('Enter');
  // 1. The operator gets the waiting visitor's message (and with it the contact id) ...
  const got = await operator.waitFor(
    'the visitor message',
    ofType('message', (f) => f.message.author.kind === 'visitor' && f.message.body === FIRST),
    { since },
  );
  const contactId = got.message.contactId;
  // 2. ... gets one more chat slot, and with it this chat. (The chat starts queued on purpose:
  // started while an operator has a free slot, the server sends only `assigned`, and the widget
  // then stays on the questionnaire. Reported to the widget's owner; not this file's subject.)
  await setMaxChats(maxChats + 1);
  await operator.waitFor(
    'the chat assigned',
    ofType('contact', (f) => f.contact.id === contactId && f.contact.status === 'assigned'),
    { since },
  );
  // 3. ... answers ...
  operator.send({ type: 'send', contactId, clientId: `host-page-${++clientIds}`, body: REPLY });
  // 4. ... and the visitor sees the answer, and their own message acknowledged.
  await page.getByText(REPLY).waitFor();
  await page.locator('[data-seq]:not([data-pending])').getByText(FIRST).waitFor();
  await settled(page);
}

// --- the widget as computed styles -----------------------------------------------------------

interface Drawn {
  /** tag, id, classes and data-author of the element, with its index in the shadow root. */
  key: string;
  /** Border box: size, and distance from the viewport's right and bottom edges (where it is anchored). */
  box: { right: number; bottom: number; width: number; height: number };
  /** Every standard computed property (custom properties left out: they inherit by design). */
  style: Record<string, string>;
}

/** Every element in the widget's shadow root, in document order, with its computed style and box. */
function widgetSnapshot(page: Page): Promise<Drawn[] | null> {
  return page.evaluate(() => {
    const root = document.getElementById('parley-widget')?.shadowRoot;
    if (!root) return null;
    const vw = document.documentElement.clientWidth;
    const vh = document.documentElement.clientHeight;
    const r2 = (n: number) => Math.round(n * 100) / 100;
    return Array.from(root.querySelectorAll('*')).map((el, i) => {
      const cs = getComputedStyle(el);
      const style: Record<string, string> = {};
      for (let j = 0; j < cs.length; j++) {
        const p = cs.item(j);
        if (!p.startsWith('--')) style[p] = cs.getPropertyValue(p);
      }
      const r = el.getBoundingClientRect();
      const author = el.getAttribute('data-author');
      return {
        key: `${i}:${el.localName}${el.id ? `#${el.id}` : ''}${Array.from(el.classList)
          .map((c) => `.${c}`)
          .join('')}${author ? `[${author}]` : ''}`,
        box: { right: r2(vw - r.right), bottom: r2(vh - r.bottom), width: r2(r.width), height: r2(r.height) },
        style,
      };
    });
  });
}

/** Waits until two snapshots 250 ms apart are equal (Preact renders, the socket settles). */
async function settled(page: Page): Promise<Drawn[]> {
  let last = '';
  return waitUntil('the widget to stop changing', async () => {
    const now = await widgetSnapshot(page);
    const json = JSON.stringify(now);
    const same = json === last;
    last = json;
    if (same && now) return now;
    await page.waitForTimeout(250);
    return undefined;
  });
}

/** Computed values that are the element's geometry, which only matters for something with area. */
const GEOMETRY = new Set([
  'width',
  'height',
  'inline-size',
  'block-size',
  'perspective-origin',
  'transform-origin',
]);
const noArea = (d: Drawn) => d.box.width === 0 || d.box.height === 0;

/**
 * What differs between two snapshots, one line per element and property. Where an element has no
 * area on either side (the chat chunk's empty mount <div>, which sits in the page's flow at the end
 * of <body>) its place and size are the page's business, not a look: they are left out.
 */
function differences(a: Drawn[], b: Drawn[]): string[] {
  const out: string[] = [];
  if (a.length !== b.length) out.push(`element count ${a.length} → ${b.length}`);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.key !== y.key) {
      out.push(`element ${x.key} → ${y.key}`);
      continue;
    }
    const shapeless = noArea(x) && noArea(y);
    if (!shapeless) {
      for (const k of Object.keys(x.box) as (keyof Drawn['box'])[]) {
        if (x.box[k] !== y.box[k]) out.push(`${x.key} box.${k}: ${x.box[k]} → ${y.box[k]}`);
      }
    }
    for (const p of new Set([...Object.keys(x.style), ...Object.keys(y.style)])) {
      if (shapeless && GEOMETRY.has(p)) continue;
      if (x.style[p] !== y.style[p]) out.push(`${x.key} ${p}: ${x.style[p]} → ${y.style[p]}`);
    }
  }
  return out;
}

/** The element list must contain what the state is about: a snapshot of nothing compares equal. */
function expectDrawn(snapshot: Drawn[] | null, ...needles: RegExp[]): Drawn[] {
  expect(snapshot, 'the widget has an open shadow root').not.toBeNull();
  for (const n of needles) {
    expect(
      snapshot!.some((d) => n.test(d.key)),
      `${n} among ${snapshot!.map((d) => d.key)}`,
    ).toBe(true);
  }
  return snapshot!;
}

// --- the page around the widget ---------------------------------------------------------------

interface PageDrawn {
  /** The page's own elements (not the widget's host, not scripts), with computed style and box. */
  elements: { key: string; box: Record<string, number>; style: Record<string, string> }[];
  /** The <style> and <link> elements in <head>, as markup. */
  headStyles: string[];
  styleSheets: number;
  adoptedStyleSheets: number;
  /** Elements in the document apart from scripts and the widget's host (and what it holds). */
  lightDomCount: number;
  /** How tall the document is: a host that draws something makes it taller. */
  scrollHeight: number;
}

function pageSnapshot(page: Page, withRoot: boolean): Promise<PageDrawn> {
  return page.evaluate((withRoot) => {
    const host = document.getElementById('parley-widget');
    const r2 = (n: number) => Math.round(n * 100) / 100;
    const all = [document.documentElement, document.body, ...Array.from(document.body.querySelectorAll('*'))];
    const own = all.filter(
      (el) =>
        !host?.contains(el) &&
        el.localName !== 'script' &&
        (withRoot || (el !== document.body && el !== document.documentElement)),
    );
    return {
      elements: own.map((el, i) => {
        const cs = getComputedStyle(el);
        const style: Record<string, string> = {};
        for (let j = 0; j < cs.length; j++) {
          const p = cs.item(j);
          style[p] = cs.getPropertyValue(p);
        }
        const r = el.getBoundingClientRect();
        return {
          key: `${i}:${el.localName}${el.id ? `#${el.id}` : ''}${Array.from(el.classList)
            .map((c) => `.${c}`)
            .join('')}`,
          box: { x: r2(r.x + scrollX), y: r2(r.y + scrollY), width: r2(r.width), height: r2(r.height) },
          style,
        };
      }),
      headStyles: Array.from(document.head.querySelectorAll('style, link')).map((e) => e.outerHTML),
      styleSheets: document.styleSheets.length,
      adoptedStyleSheets: document.adoptedStyleSheets.length,
      lightDomCount: Array.from(document.querySelectorAll('*:not(script)')).filter(
        (el) => !host?.contains(el),
      ).length,
      scrollHeight: document.documentElement.scrollHeight,
    };
  }, withRoot);
}

/** The page with the widget (closed, then open) against the same page without its script tag. */
async function pageWithAndWithout(path: string, withRoot: boolean) {
  const ctx = await newContext(browser, log);
  cleanup.add(`context for ${path}`, () => ctx.close());
  const bare = await ctx.newPage();
  await bare.goto(`${shop.url}${path}?widget=off`);
  const without = await pageSnapshot(bare, withRoot);
  expect(await bare.locator('#parley-widget').count()).toBe(0);
  const page = await visitorPage(path, ctx);
  const closed = await pageSnapshot(page, withRoot);
  // Open: the chat chunk has loaded and added its own styles.
  await openPanel(page);
  await settled(page);
  const open = await pageSnapshot(page, withRoot);
  return { without, closed, open };
}

function pageDifferences(a: PageDrawn, b: PageDrawn): string[] {
  const out = differences(a.elements as Drawn[], b.elements as Drawn[]);
  for (const k of ['headStyles', 'styleSheets', 'adoptedStyleSheets', 'lightDomCount'] as const) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) {
      out.push(`${k}: ${JSON.stringify(a[k])} → ${JSON.stringify(b[k])}`);
    }
  }
  return out;
}

describe('a hostile stylesheet on the host page', () => {
  storySteps();
  let plain: Page;
  let hostile: Page;
  const shot: Record<'closed' | 'form' | 'chat', { plain?: Drawn[]; hostile?: Drawn[] }> = {
    closed: {},
    form: {},
    chat: {},
  };
  const compare = (state: keyof typeof shot) => {
    const { plain: a, hostile: b } = shot[state];
    if (!a || !b) throw new Error(`no ${state} snapshots: an earlier step failed`);
    return differences(a, b);
  };

  it('the widget draws its launcher on the plain demo page and on the hostile page', async () => {
    plain = await visitorPage('/');
    hostile = await visitorPage('/hostile.html');
    shot.closed.plain = expectDrawn(await settled(plain), /button\.parley-launcher/, /svg/);
    shot.closed.hostile = expectDrawn(await settled(hostile), /button\.parley-launcher/, /svg/);
  });

  // The page's `:root { --parley-c: red }` and its `!important` rules on `*` would reach the
  // widget through the host element; `:host{all:initial!important;--parley-c:…}` keeps them out.
  it('the closed launcher looks as on the plain demo page', () => {
    expect(compare('closed')).toEqual([]);
  });

  it('the panel opens with the questionnaire on both pages', async () => {
    await openPanel(plain);
    await openPanel(hostile);
    const needles = [/\.parley-panel/, /input/, /button\.parley-btn/];
    shot.form.plain = expectDrawn(await settled(plain), ...needles);
    shot.form.hostile = expectDrawn(await settled(hostile), ...needles);
  });

  // Inherited properties the panel does not set itself (letter-spacing, word-spacing,
  // text-transform, text-indent, text-shadow, white-space, cursor, font) must not come through.
  it('the open panel with the questionnaire looks as on the plain demo page', () => {
    expect(compare('form')).toEqual([]);
  });

  it('a chat gets under way on both pages', async () => {
    await chatWithReply(plain);
    await chatWithReply(hostile);
    const needles = [/textarea/, /\[visitor\]/, /\[operator\]/, /\.parley-comp/];
    shot.chat.plain = expectDrawn(await settled(plain), ...needles);
    shot.chat.hostile = expectDrawn(await settled(hostile), ...needles);
  });

  it('a chat in progress looks as on the plain demo page', () => {
    expect(compare('chat')).toEqual([]);
  });

  it('the comparison itself sees a one-pixel change inside the shadow root (no vacuous pass)', async () => {
    const before = await settled(plain);
    await plain.evaluate(() => {
      const root = document.getElementById('parley-widget')!.shadowRoot!;
      const sheet = new CSSStyleSheet();
      sheet.replaceSync('.parley-comp textarea { border-top-width: 2px }');
      root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
    });
    const after = await settled(plain);
    expect(differences(before, after)).toContainEqual(
      expect.stringMatching(/textarea border-top-width: 1px → 2px/),
    );
    await plain.evaluate(() => {
      const root = document.getElementById('parley-widget')!.shadowRoot!;
      root.adoptedStyleSheets = root.adoptedStyleSheets.slice(0, -1);
    });
    expect(differences(before, await settled(plain))).toEqual([]);
  });

  it("the widget changes nothing on the plain page: every element's computed style and box, and the head", async () => {
    const { without, closed, open } = await pageWithAndWithout('/plain.html', true);
    expect(without.elements.length).toBeGreaterThan(20);
    expect(pageDifferences(without, closed)).toEqual([]);
    expect(pageDifferences(without, open)).toEqual([]);
    expect(open.scrollHeight).toBe(without.scrollHeight);
  });

  it("the widget changes nothing on the hostile page's own elements, nor its head", async () => {
    const { without, closed, open } = await pageWithAndWithout('/hostile.html', false);
    expect(without.elements.length).toBeGreaterThan(20);
    // The theme did apply (so the comparison is not between two unstyled pages).
    expect(without.elements.find((e) => /:h1$/.test(e.key))?.style['letter-spacing']).toBe('5px');
    expect(pageDifferences(without, closed)).toEqual([]);
    expect(pageDifferences(without, open)).toEqual([]);
  });

  // The page's `div { padding … !important }` and `* { background … !important }` must not turn
  // the host <div> into a visible box, even with `#parley-widget { display: block !important }`.
  it('the widget host itself draws nothing on the hostile page', async () => {
    const page = await visitorPage('/hostile.html');
    const host = await page.evaluate(() => {
      const r = document.getElementById('parley-widget')!.getBoundingClientRect();
      return { width: r.width, height: r.height };
    });
    expect(host).toEqual({ width: 0, height: 0 });
  });
});

// --- a strict Content-Security-Policy ---------------------------------------------------------

interface Violation {
  directive: string;
  blocked: string;
  sample: string;
}

/**
 * The strict-CSP demo page (`query` picks a variant, see examples/demo-site/serve.mjs), recording
 * every CSP violation (the `securitypolicyviolation` event, which also fires for what happens inside
 * shadow roots) and every console error or warning.
 */
async function cspPage(
  query = '',
): Promise<{ page: Page; policy: string; violations: () => Promise<Violation[]>; console: string[] }> {
  const ctx = await newContext(browser, log);
  cleanup.add(`csp context ${query}`, () => ctx.close());
  await ctx.addInitScript(() => {
    const seen: { directive: string; blocked: string; sample: string }[] = [];
    (window as unknown as { __csp: typeof seen }).__csp = seen;
    document.addEventListener(
      'securitypolicyviolation',
      (e) => seen.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample }),
      true,
    );
  });
  const page = await ctx.newPage();
  const messages: string[] = [];
  page.on('console', (m) => {
    // The browser asks every origin for /favicon.ico; the demo site has none.
    if (m.location().url.endsWith('/favicon.ico')) return;
    if (m.type() === 'error' || m.type() === 'warning') messages.push(`${m.type()}: ${m.text()}`);
  });
  const res = await page.goto(`${shop.url}/strict-csp.html${query}`);
  const policy = res?.headers()['content-security-policy'] ?? '';
  expect(policy).toMatch(/^default-src 'none'; /);
  return {
    page,
    policy,
    console: messages,
    violations: () => page.evaluate(() => (window as unknown as { __csp: Violation[] }).__csp),
  };
}

describe('a strict Content-Security-Policy on the host page', () => {
  let parleyOrigin: string;
  let socketOrigin: string;

  beforeAll(() => {
    parleyOrigin = new URL(parley.url).origin;
    socketOrigin = parleyOrigin.replace(/^http/, 'ws');
  });

  it('the demo page is served with only self and the Parley origin: no unsafe-inline, no unsafe-eval', async () => {
    const res = await fetch(`${shop.url}/strict-csp.html`);
    const policy = res.headers.get('content-security-policy') ?? '';
    const directives = new Map(
      policy.split(';').map((d) => {
        const [name = '', ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')] as const;
      }),
    );
    // The two the widget needs (docs/csp.md), and nothing else beyond 'self' and 'none'.
    expect(directives.get('default-src')).toBe("'none'");
    expect(directives.get('script-src')).toBe(`'self' ${parleyOrigin}`);
    expect(directives.get('connect-src')).toBe(`'self' ${socketOrigin}`);
    expect(directives.get('style-src')).toBe("'self'");
    expect(policy).not.toMatch(/unsafe-|nonce-|sha\d+-|\*|data:|blob:/);
    // docs/csp.md gives the same two lines to copy.
    const doc = await readFile(join(repoRoot, 'docs/csp.md'), 'utf8');
    expect(doc).toMatch(/^script-src +https:\/\/chat\.example\.com$/m);
    expect(doc).toMatch(/^connect-src +wss:\/\/chat\.example\.com$/m);
  });

  it('with only those, the widget styles itself, opens, and a message goes both ways, without a single violation', async () => {
    const { page, violations, console: messages } = await cspPage();
    await openPanel(page);
    await chatWithReply(page);
    // The styles apply (a refused stylesheet leaves an unstyled widget, not an error) and come as
    // constructable stylesheets, not <style> elements, which style-src would govern.
    const styled = await page.evaluate(() => {
      const root = document.getElementById('parley-widget')!.shadowRoot!;
      return {
        adopted: root.adoptedStyleSheets.length > 0,
        styleElements: root.querySelectorAll('style, link').length,
        launcher: getComputedStyle(root.querySelector('.parley-launcher')!).width,
        panel: getComputedStyle(root.querySelector('.parley-panel')!).position,
      };
    });
    expect(styled).toEqual({ adopted: true, styleElements: 0, launcher: '56px', panel: 'fixed' });
    expect(await violations()).toEqual([]);
    expect(messages).toEqual([]);
  });

  it('each is needed: without the Parley origin in script-src the widget never loads', async () => {
    const { page, policy, violations } = await cspPage('?script-src=self');
    expect(policy).toContain("script-src 'self';");
    await expect
      .poll(violations)
      .toContainEqual(
        expect.objectContaining({ directive: 'script-src-elem', blocked: `${parley.url}/widget.js` }),
      );
    expect(await page.locator('#parley-widget').count()).toBe(0);
  });

  it('… and with the http origin instead of the ws one in connect-src, the socket is refused', async () => {
    const { page, policy, violations } = await cspPage('?connect-src=http');
    expect(policy).toContain(`connect-src 'self' ${parleyOrigin};`);
    await page.getByRole('button', { name: 'Open chat' }).click();
    await expect.poll(violations).toContainEqual(
      expect.objectContaining({
        directive: 'connect-src',
        blocked: expect.stringMatching(new RegExp(`^${socketOrigin}/ws/visitor`)),
      }),
    );
  });

  it('an avatar given as a data: image needs img-src data: (without it, the widget hides it)', async () => {
    const png =
      'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    await setSiteSettings({ avatarUrl: png });
    try {
      const without = await cspPage();
      await openPanel(without.page);
      await expect
        .poll(without.violations)
        .toContainEqual({ directive: 'img-src', blocked: 'data', sample: '' });
      const withData = await cspPage('?img-src=data');
      expect(withData.policy).toContain("img-src 'self' data:;");
      await openPanel(withData.page);
      await expect
        .poll(() =>
          withData.page.evaluate(() =>
            Array.from(document.getElementById('parley-widget')!.shadowRoot!.querySelectorAll('img')).some(
              (i) => i.complete && i.naturalWidth > 0,
            ),
          ),
        )
        .toBe(true);
      expect(await withData.violations()).toEqual([]);
    } finally {
      await setSiteSettings({ avatarUrl: null });
    }
  });

  it('it works under Trusted Types too (require-trusted-types-for, no policy allowed)', async () => {
    const { page, policy, violations, console: messages } = await cspPage('?trusted-types');
    expect(policy).toContain("require-trusted-types-for 'script'; trusted-types 'none'");
    await openPanel(page);
    await chatWithReply(page);
    expect(await violations()).toEqual([]);
    expect(messages).toEqual([]);
  });
});

// --- accessibility ------------------------------------------------------------------------------

describe('accessibility of the widget (axe-core, serious and critical)', () => {
  storySteps();
  let page: Page;

  it('the helper looks inside the shadow root: it reports a nameless button planted there', async () => {
    page = await visitorPage('/');
    await page.evaluate(() => {
      const b = document.createElement('button');
      b.className = 'planted';
      document.getElementById('parley-widget')!.shadowRoot!.appendChild(b);
    });
    const found = await axeViolations(page);
    expect(found.map((v) => v.id)).toContain('button-name');
    expect(found.find((v) => v.id === 'button-name')?.nodes[0]?.target).toEqual([
      '#parley-widget',
      '.planted',
    ]);
    await page.evaluate(() =>
      document.getElementById('parley-widget')!.shadowRoot!.querySelector('.planted')!.remove(),
    );
  });

  it('the closed launcher', async () => {
    const found = await axeViolations(page);
    expect(found, formatViolations(found)).toEqual([]);
  });

  it('the open panel with the questionnaire', async () => {
    await openPanel(page);
    await settled(page);
    const found = await axeViolations(page);
    expect(found, formatViolations(found)).toEqual([]);
  });

  it('the questionnaire with errors (both fields left empty)', async () => {
    await page.getByRole('button', { name: 'Start chat' }).click();
    await page.locator('[aria-invalid="true"]').first().waitFor();
    const found = await axeViolations(page);
    expect(found, formatViolations(found)).toEqual([]);
  });

  it('a chat in progress', async () => {
    await chatWithReply(page);
    const found = await axeViolations(page);
    expect(found, formatViolations(found)).toEqual([]);
  });
});
