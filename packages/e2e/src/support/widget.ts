/**
 * What the widget's end-to-end tests share: a server whose site secret the test knows (to sign a
 * customer's identity), the admin's REST calls (site settings, clients), an operator on a raw
 * socket, the demo shop in a given language, and a look into the widget's shadow root.
 */
import { createHmac } from 'node:crypto';
import type { OperatorInbound, OperatorOutbound, SiteAdmin, SiteSettings } from '@parley/protocol';
import type { Page } from 'playwright-core';
import { GiveUp, waitUntil } from './cleanup.js';
import { demoSiteScript } from './paths.js';
import { type DemoSite, freePort, type Parley, spawnNode, startParley } from './processes.js';
import { FrameSocket, ofType } from './sockets.js';

/** Hex HMAC-SHA256 of the customer's id with the site secret: what `data-user-hash` carries. */
export const identityHash = (userId: string, secret: string): string =>
  createHmac('sha256', secret).update(userId, 'utf8').digest('hex');

/** Starts Parley; the site's identity secret comes from GET /api/v1/sites, as a site owner reads it. */
export async function startParleyWithSecret(): Promise<{ parley: Parley; secret: string }> {
  const parley = await startParley();
  try {
    const admin = await Admin.login(parley);
    return { parley, secret: admin.site.secret };
  } catch (err) {
    await parley.stop();
    throw err;
  }
}

/** The admin's side over REST, with a session cookie of its own. */
export class Admin {
  private constructor(
    readonly url: string,
    readonly cookie: string,
    readonly userId: string,
    readonly site: SiteAdmin,
  ) {}

  static async login(parley: Parley): Promise<Admin> {
    const login = await fetch(`${parley.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: parley.adminEmail, password: parley.adminPassword }),
    });
    if (login.status !== 200) throw new Error(`login: HTTP ${login.status} ${await login.text()}`);
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const me = (await (await fetch(`${parley.url}/api/v1/me`, { headers: { cookie } })).json()) as {
      user: { id: string };
    };
    const { sites } = (await (await fetch(`${parley.url}/api/v1/sites`, { headers: { cookie } })).json()) as {
      sites: SiteAdmin[];
    };
    const site = sites.find((s) => s.key === parley.siteKey);
    if (!site) throw new Error(`site ${parley.siteKey} not in GET /api/v1/sites`);
    return new Admin(parley.url, cookie, me.user.id, site);
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { cookie: this.cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** PATCH /api/v1/sites/:id: `settings` is merged field by field into what is stored. */
  settings(settings: Partial<SiteSettings>, hcaptchaSecret?: string | null): Promise<SiteAdmin> {
    return this.call('PATCH', `/api/v1/sites/${this.site.id}`, {
      settings,
      ...(hcaptchaSecret === undefined ? {} : { hcaptchaSecret }),
    });
  }
}

export type OperatorSocket = FrameSocket<OperatorOutbound, OperatorInbound>;

/** The admin as an operator on a raw socket, online (the router then assigns chats to them). */
export async function operatorSocket(admin: Admin): Promise<OperatorSocket> {
  const op = await FrameSocket.open<OperatorOutbound, OperatorInbound>(
    `${admin.url.replace('http', 'ws')}/ws/operator`,
    { cookie: admin.cookie, origin: admin.url },
  );
  await op.waitFor('ready', ofType('ready'));
  op.send({ type: 'status', status: 'online' });
  await waitUntil('the operator online', async () => {
    const { user } = await admin.call<{ user: { status: string } }>('GET', '/api/v1/me');
    return user.status === 'online';
  });
  return op;
}

/** The demo shop with `data-locale` on its script tag (startDemoSite has no such option). */
export async function startDemoSiteIn(parleyUrl: string, siteKey: string, locale: string): Promise<DemoSite> {
  const host = '127.0.0.1';
  const port = await freePort(host);
  const url = `http://${host}:${port}`;
  const proc = spawnNode(
    demoSiteScript,
    {
      PARLEY_URL: parleyUrl,
      SITE_KEY: siteKey,
      DEMO_PORT: String(port),
      DEMO_HOST: host,
      DEMO_LOCALE: locale,
    },
    `demo site ${url} (${locale})`,
  );
  try {
    await waitUntil(
      `${url}/`,
      async () => {
        if (!proc.running()) throw new GiveUp('the process exited');
        return (await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) })).status === 200;
      },
      { timeoutMs: 20_000, detail: proc.output },
    );
  } catch (err) {
    await proc.stop(2000);
    throw err;
  }
  return { url, port, stop: () => proc.stop() };
}

/** The `id` (or tag) of the focused element inside the widget's shadow root; null when focus is elsewhere. */
export const focusedInWidget = (page: Page): Promise<string | null> =>
  page.evaluate(() => {
    const a = document.getElementById('parley-widget')?.shadowRoot?.activeElement;
    return a ? a.id || a.getAttribute('aria-label') || a.className || a.tagName : null;
  });

/**
 * Counts the oscillators the page starts (the widget's chime is synthesized with WebAudio), from
 * before any script of the page runs. Read with `oscillators(page)`.
 */
export async function countOscillators(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __oscillators: number };
    w.__oscillators = 0;
    const proto = AudioContext.prototype;
    const original = proto.createOscillator;
    proto.createOscillator = function (this: AudioContext) {
      w.__oscillators++;
      return original.call(this);
    };
  });
}
export const oscillators = (page: Page): Promise<number> =>
  page.evaluate(() => (window as unknown as { __oscillators: number }).__oscillators);
