import { randomBytes } from 'node:crypto';
import type { OperatorOutbound, VisitorOutbound } from '@parley/protocol';
import { PROTOCOL_VERSION } from '@parley/protocol';
import { eq } from 'drizzle-orm';
import { WebSocket } from 'ws';
import { buildApp, type ParleyApp } from '../app.js';
import { createUser } from '../auth/repo.js';
import { type BootstrapResult, bootstrap } from '../bootstrap.js';
import { loadConfig } from '../config.js';
import type { Database } from '../db/client.js';
import { users } from '../db/schema/index.js';
import { openTestDatabase } from './db.js';

export interface Harness extends ParleyApp {
  database: Database & { url: string | null };
  boot: BootstrapResult;
  /** http://127.0.0.1:PORT */
  base: string;
  siteKey: string;
  origin: string;
  adminPassword: string;
  login(email: string, password: string): Promise<string>;
  createOperator(
    name: string,
    opts?: { maxChats?: number },
  ): Promise<{ id: string; email: string; cookie: string }>;
  visitor(opts?: { origin?: string; site?: string }): Promise<TestSocket<VisitorOutbound>>;
  operator(cookie: string | null, opts?: { origin?: string }): Promise<TestSocket<OperatorOutbound>>;
  close(): Promise<void>;
}

/** A real app on port 0 over a fresh database, with helpers to open real sockets. */
export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const database = await openTestDatabase();
  const adminPassword = 'admin-password-1';
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    ADMIN_PASSWORD: adminPassword,
    PUBLIC_URL: 'http://127.0.0.1:1',
    ...env,
  });
  const boot = await bootstrap(database.db, config);
  const built = await buildApp({ config, database });
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const address = built.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const base = `http://127.0.0.1:${port}`;
  const sockets: { ws: WebSocket }[] = [];

  const login = async (email: string, password: string) => {
    const res = await built.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password },
    });
    if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`);
    const cookie = res.cookies.find((c) => c.name === 'parley_session');
    return `parley_session=${cookie!.value}`;
  };

  return {
    ...built,
    database,
    boot,
    base,
    siteKey: boot.siteKey,
    origin: 'http://localhost:5555',
    adminPassword,
    login,
    async createOperator(name, opts = {}) {
      const email = `${name.toLowerCase().replace(/\W+/g, '.')}.${randomBytes(3).toString('hex')}@example.com`;
      const user = await createUser(database.db, {
        workspaceId: boot.workspaceId,
        email,
        name,
        role: 'operator',
        password: 'operator-password',
      });
      if (opts.maxChats !== undefined) {
        await database.db.update(users).set({ maxChats: opts.maxChats }).where(eq(users.id, user.id));
      }
      return { id: user.id, email, cookie: await login(email, 'operator-password') };
    },
    async visitor(opts = {}) {
      const url = `${base.replace('http', 'ws')}/ws/visitor?site=${encodeURIComponent(opts.site ?? boot.siteKey)}`;
      const s = await TestSocket.open<VisitorOutbound>(url, {
        origin: opts.origin ?? 'http://localhost:5555',
      });
      sockets.push(s);
      return s;
    },
    async operator(cookie, opts = {}) {
      const headers: Record<string, string> = {};
      if (cookie) headers.cookie = cookie;
      const s = await TestSocket.open<OperatorOutbound>(`${base.replace('http', 'ws')}/ws/operator`, {
        headers,
        origin: opts.origin ?? base,
      });
      sockets.push(s);
      return s;
    },
    async close() {
      for (const s of sockets) s.ws.terminate();
      await built.app.close();
      await database.close();
    },
  };
}

type Framed = { type: string };

/** A real `ws` client that records every frame and lets a test wait for the next one of a type. */
export class TestSocket<F> {
  readonly frames: F[] = [];
  private waiters: { pred: (f: F) => boolean; resolve: (f: F) => void }[] = [];
  closed: { code: number; reason: string } | null = null;
  private closeWaiters: ((c: { code: number; reason: string }) => void)[] = [];
  private taken = new Set<number>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as F;
      this.frames.push(frame);
      const i = this.waiters.findIndex((w) => w.pred(frame));
      if (i >= 0) {
        this.taken.add(this.frames.length - 1);
        const [w] = this.waiters.splice(i, 1);
        w!.resolve(frame);
      }
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.closeWaiters.splice(0)) w(this.closed);
    });
  }

  static open<F>(
    url: string,
    opts: { origin?: string; headers?: Record<string, string> },
  ): Promise<TestSocket<F>> {
    const ws = new WebSocket(url, { origin: opts.origin, headers: opts.headers });
    const s = new TestSocket<F>(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(s));
      ws.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Resolves with the first frame (seen or future) of this type matching `pred` not taken before. */
  next<T extends F & Framed, K extends T['type']>(
    type: K,
    pred: (f: Extract<T, { type: K }>) => boolean = () => true,
    // Generous: test files run side by side on two cores, each with its own embedded database.
    timeoutMs = 15_000,
  ): Promise<Extract<T, { type: K }>> {
    const match = (f: F) => (f as Framed).type === type && pred(f as Extract<T, { type: K }>);
    for (let i = 0; i < this.frames.length; i++) {
      if (!this.taken.has(i) && match(this.frames[i]!)) {
        this.taken.add(i);
        return Promise.resolve(this.frames[i] as Extract<T, { type: K }>);
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no "${type}" frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        pred: match,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f as Extract<T, { type: K }>);
        },
      });
    });
  }

  waitClose(timeoutMs = 15_000): Promise<{ code: number; reason: string }> {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
      this.closeWaiters.push((c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
  }

  /** hello with an optional token; resolves with the welcome frame. */
  hello(this: TestSocket<VisitorOutbound>, token?: string) {
    this.send({
      type: 'hello',
      v: PROTOCOL_VERSION,
      ...(token ? { token } : {}),
      page: { url: 'http://localhost:5555/pricing', title: 'Pricing' },
      locale: 'en-GB',
      timeZone: 'Europe/Budapest',
    });
    return this.next('welcome');
  }
}
