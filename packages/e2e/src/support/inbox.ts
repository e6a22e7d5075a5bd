/**
 * The operator inbox's tests: a server with demo operators, REST sessions, visitors on raw sockets,
 * and logging into /app/ in a browser page.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ContactSummary, OperatorStatus, User, VisitorInbound, VisitorOutbound } from '@parley/protocol';
import { PROTOCOL_VERSION } from '@parley/protocol';
import type { Locator, Page } from 'playwright-core';
import type { Cleanup } from './cleanup.js';
import { repoRoot } from './paths.js';
import { DEFAULT_ADMIN_PASSWORD, freePort, type Parley, startParley } from './processes.js';

const run = promisify(execFile);

import { FrameSocket, ofType } from './sockets.js';

/** The two operators `parley seed-demo` creates, with its fixed demo password. */
export const AMIRA = { email: 'operator1@parley.local', password: 'operator-demo', name: 'Amira Haddad' };
export const BENCE = { email: 'operator2@parley.local', password: 'operator-demo', name: 'Bence Kovács' };

/**
 * A server whose database already has the demo operators: `parley seed-demo` runs first on a fresh
 * PGlite folder (the CLI and the server cannot share one PGlite folder at the same time).
 */
export async function startParleyWithOperators(cleanup: Cleanup): Promise<Parley> {
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-e2e-inbox-'));
  cleanup.add('data folder', () => rm(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const env = {
    PORT: String(port),
    PUBLIC_URL: `http://localhost:${port}`,
    PARLEY_DATA_DIR: dataDir,
    ADMIN_PASSWORD: DEFAULT_ADMIN_PASSWORD,
    LOG_LEVEL: 'warn',
  };
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.DATABASE_URL; // PGlite in dataDir, whatever the test run uses
  try {
    await run(process.execPath, [join(repoRoot, 'packages/server/dist/cli.js'), 'seed-demo'], {
      cwd: repoRoot,
      env: childEnv,
      timeout: 60_000,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`parley seed-demo failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
  const parley = await startParley({ env, dataDir, databaseUrl: null });
  cleanup.add('parley', () => parley.stop());
  return parley;
}

/** A REST session: every call carries the session cookie. */
export interface Session {
  user: User;
  cookie: string;
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export async function session(parley: Parley, email: string, password: string): Promise<Session> {
  const login = await fetch(`${parley.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (login.status !== 200) throw new Error(`login of ${email}: HTTP ${login.status}`);
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
  const { user } = (await login.json()) as { user: User };
  return {
    user,
    cookie,
    async call<T>(method: string, path: string, body?: unknown) {
      const res = await fetch(`${parley.url}${path}`, {
        method,
        headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    },
  };
}

/** Fails with the response when the status is not the expected one. */
export async function ok<T>(
  p: Promise<{ status: number; body: T }>,
  status = 200,
  what = 'request',
): Promise<T> {
  const r = await p;
  if (r.status !== status) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export type VisitorSocket = FrameSocket<VisitorOutbound, VisitorInbound>;

export interface VisitorOptions {
  answers: Record<string, string>;
  page?: { url: string; title: string };
  referrer?: string;
  timeZone?: string;
  locale?: string;
  userAgent?: string;
  /** The visitor token of an earlier socket: the same visitor on another page. */
  token?: string;
}

/** A loopback origin the default site allows (http://127.0.0.1:*); nothing listens there. */
export const VISITOR_ORIGIN = 'http://127.0.0.1:9';

export interface Visitor {
  socket: VisitorSocket;
  token: string;
  contactId: string;
}

/** Opens a visitor socket and says hello; resolves with the socket and its welcome. */
export async function hello(
  parley: Parley,
  cleanup: Cleanup,
  o: Omit<VisitorOptions, 'answers'>,
): Promise<{ socket: VisitorSocket; welcome: Extract<VisitorOutbound, { type: 'welcome' }> }> {
  const socket = await FrameSocket.open<VisitorOutbound, VisitorInbound>(
    `${parley.url.replace('http', 'ws')}/ws/visitor?site=${parley.siteKey}`,
    { origin: VISITOR_ORIGIN, ...(o.userAgent ? { 'user-agent': o.userAgent } : {}) },
  );
  cleanup.add('visitor socket', () => socket.close());
  socket.send({
    type: 'hello',
    v: PROTOCOL_VERSION,
    page: o.page ?? { url: `${VISITOR_ORIGIN}/`, title: 'Shop' },
    ...(o.token ? { token: o.token } : {}),
    ...(o.referrer ? { referrer: o.referrer } : {}),
    ...(o.timeZone ? { timeZone: o.timeZone } : {}),
    ...(o.locale ? { locale: o.locale } : {}),
  });
  const welcome = await socket.waitFor('welcome', ofType('welcome'));
  return { socket, welcome };
}

/** A visitor on a raw socket who fills the questionnaire; resolves once the contact exists. */
export async function startChat(parley: Parley, cleanup: Cleanup, o: VisitorOptions): Promise<Visitor> {
  const { socket, welcome } = await hello(parley, cleanup, o);
  const mark = socket.mark();
  socket.send({ type: 'start', answers: o.answers });
  const f = await socket.waitFor(
    'queued or assigned',
    (x): x is Extract<VisitorOutbound, { type: 'queued' | 'assigned' }> =>
      x.type === 'queued' || x.type === 'assigned',
    { since: mark },
  );
  return { socket, token: welcome.token, contactId: f.contactId };
}

/** Sends a visitor message and resolves with its stored id and seq (from the ack). */
export async function visitorSays(v: Visitor, body: string): Promise<{ id: string; seq: number }> {
  const clientId = `c${Math.random().toString(36).slice(2, 12)}`;
  const mark = v.socket.mark();
  v.socket.send({ type: 'send', clientId, body });
  const ack = await v.socket.waitFor(
    `ack of "${body}"`,
    ofType('ack', (a) => a.clientId === clientId),
    { since: mark },
  );
  return { id: ack.id, seq: ack.seq };
}

/** Logs into the inbox at /app/ and waits for the queue. */
export async function logIntoInbox(
  page: Page,
  parley: Parley,
  email: string,
  password: string,
): Promise<void> {
  await page.goto(`${parley.url}/app/`);
  await page.locator('#login-email').fill(email);
  await page.locator('#login-password').fill(password);
  await page.locator('form.login button[type="submit"]').click();
  await page.locator('ul.queue').waitFor();
}

export async function setStatus(page: Page, status: OperatorStatus): Promise<void> {
  await page.locator('header.top select').first().selectOption(status);
}

/** The queue item of a contact, by id. */
export const queueItem = (page: Page, contactId: string): Locator =>
  page.locator(`ul.queue button[data-contact-id="${contactId}"]`);

/** Names in the queue, top to bottom. */
export const queueNames = (page: Page): Promise<string[]> =>
  page.locator('ul.queue .item .name').allTextContents();

/** A message in the open conversation, by its text (not pending). */
export const inboxMessage = (page: Page, text: string): Locator =>
  page.locator('section.conv .msg:not(.pending)').filter({ hasText: text });

/** The contact as the REST list shows it. */
export async function contactOf(s: Session, id: string): Promise<ContactSummary | undefined> {
  const { contacts } = await ok(s.call<{ contacts: ContactSummary[] }>('GET', '/api/v1/contacts'));
  return contacts.find((c) => c.id === id);
}
