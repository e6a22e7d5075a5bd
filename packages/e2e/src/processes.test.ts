/**
 * The start line with real processes: `node packages/server/dist/main.js` as an operator runs it.
 * On PGlite by default; with DATABASE_URL set, every instance gets a fresh PostgreSQL database.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cleanup } from './support/cleanup.js';
import { freshDatabase, testDatabaseUrl } from './support/postgres.js';
import { type Parley, runParleyToExit, startParley } from './support/processes.js';

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

const onPostgres = testDatabaseUrl() !== null;

async function start(options: Parameters<typeof startParley>[0]): Promise<Parley> {
  const p = await startParley(options);
  cleanup.add(`parley :${p.port}`, () => p.stop());
  return p;
}

async function logIn(p: Parley, email: string, password: string) {
  const res = await fetch(`${p.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const cookie = res.headers.get('set-cookie')?.split(';')[0] ?? '';
  return { status: res.status, body: (await res.json()) as { user?: { email: string } }, cookie };
}

async function get(url: string) {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

describe('the start line', () => {
  it('runs two instances side by side, each with its own port, data and site key', async () => {
    // The printed admin password (no ADMIN_PASSWORD) is the one an operator would copy.
    const [a, b] = await Promise.all([start({ adminPassword: null }), start({ adminPassword: null })]);
    expect(a.port).not.toBe(b.port);
    expect(a.dataDir).not.toBe(b.dataDir);
    expect(a.siteKey).toMatch(/^site_[A-Za-z0-9_-]+$/);
    expect(b.siteKey).toMatch(/^site_[A-Za-z0-9_-]+$/);
    expect(a.siteKey).not.toBe(b.siteKey);

    for (const p of [a, b]) {
      const banner = p.stdout();
      expect(banner).toContain(
        onPostgres ? 'Parley is running on PostgreSQL' : `PGlite (embedded, ${p.dataDir})`,
      );
      expect(banner).toContain(`inbox:    ${p.url}/app/`);
      expect(banner).toContain(`<script src="${p.url}/widget.js" data-site="${p.siteKey}" async></script>`);
      expect(p.adminEmail).toBe('admin@parley.local');
      expect(p.adminPassword.length).toBeGreaterThanOrEqual(12);
      expect(banner).toContain(
        '(shown only this once: keep it, or set ADMIN_PASSWORD before the first start)',
      );

      const health = await get(`${p.url}/healthz`);
      expect(health.status).toBe(200);
      expect(JSON.parse(health.text)).toEqual({ status: 'ok' });

      const widget = await get(`${p.url}/widget.js`);
      expect(widget.status).toBe(200);
      expect(widget.type).toMatch(/^(application|text)\/javascript/);
      expect(widget.text).toContain('parley-widget');

      const inbox = await get(`${p.url}/app/`);
      expect(inbox.status).toBe(200);
      expect(inbox.type).toMatch(/^text\/html/);
      expect(inbox.text).toMatch(/<script[^>]+src="[^"]+\.js"/);

      const demo = await get(`${p.url}/demo`);
      expect(demo.status).toBe(200);
      expect(demo.type).toMatch(/^text\/html/);
      expect(demo.text).toContain(`<script src="/widget.js" data-site="${p.siteKey}" async></script>`);

      const login = await logIn(p, p.adminEmail, p.adminPassword);
      expect(login.status).toBe(200);
      expect(login.body.user?.email).toBe(p.adminEmail);
      expect(login.cookie).toMatch(/^parley_session=./);
      const me = await fetch(`${p.url}/api/v1/me`, { headers: { cookie: login.cookie } });
      expect(me.status).toBe(200);

      // A wrong password is refused (the login check above is not vacuous).
      expect((await logIn(p, p.adminEmail, `${p.adminPassword}x`)).status).toBe(401);
    }
    // Each instance has its own accounts: A's password does not open B.
    expect((await logIn(b, a.adminEmail, a.adminPassword)).status).toBe(401);
  });

  it('keeps its data across a restart on the same data folder or database', async () => {
    const base = testDatabaseUrl();
    const db = base ? await freshDatabase(base) : null;
    if (db) cleanup.add(`drop ${db.name}`, () => db.drop());
    const databaseUrl = db?.url ?? null;

    // Our own folder: an instance deletes only the temporary folder it made itself.
    const dataDir = await mkdtemp(join(tmpdir(), 'parley-e2e-restart-'));
    cleanup.add('data folder', () => rm(dataDir, { recursive: true, force: true }));

    const first = await start({ adminPassword: null, databaseUrl, dataDir });
    const login = await logIn(first, first.adminEmail, first.adminPassword);
    expect(login.status).toBe(200);
    const stopped = await first.stop();
    expect(stopped.code).toBe(0); // SIGTERM is a clean shutdown

    const again = await start({ adminPassword: null, databaseUrl, dataDir });
    expect(again.siteKey).toBe(first.siteKey);
    expect(again.stdout()).toContain(`admin:    ${first.adminEmail} (created earlier)`);
    expect(again.stdout()).not.toContain(first.adminPassword);
    expect(again.stdout()).not.toContain('shown only this once');
    // No new password was printed: the helper falls back to the unset ADMIN_PASSWORD.
    expect(again.adminPassword).toBe('');

    const relogin = await logIn(again, first.adminEmail, first.adminPassword);
    expect(relogin.status).toBe(200);
    // The session made before the restart is still valid too.
    const me = await fetch(`${again.url}/api/v1/me`, { headers: { cookie: login.cookie } });
    expect(me.status).toBe(200);
  });

  it('refuses bad configuration with exit code 78 and names the variable', async () => {
    const cases: { env: Record<string, string>; names: string }[] = [
      { env: { PORT: 'eighty' }, names: 'PORT' },
      { env: { DATABASE_URL: 'mysql://x' }, names: 'DATABASE_URL' },
      { env: { ADMIN_PASSWORD: 'short' }, names: 'ADMIN_PASSWORD' },
      { env: { PUBLIC_URL: 'ftp://example.com' }, names: 'PUBLIC_URL' },
      { env: { LOG_LEVEL: 'loud' }, names: 'LOG_LEVEL' },
    ];
    const results = await Promise.all(
      cases.map((c) => runParleyToExit({ PARLEY_DATA_DIR: '/nonexistent', ...c.env })),
    );
    results.forEach((r, i) => {
      const { names, env } = cases[i]!;
      expect(r.code, `${JSON.stringify(env)}\n${r.stdout}\n${r.stderr}`).toBe(78);
      expect(r.stderr).toContain(names);
      expect(r.stderr).toContain('Invalid configuration');
      // It stops before listening or touching a database: no banner.
      expect(r.stdout).not.toContain('Parley is running');
    });
    // Several problems are reported at once.
    const both = await runParleyToExit({ PORT: 'eighty', DATABASE_URL: 'mysql://x' });
    expect(both.code).toBe(78);
    expect(both.stderr).toMatch(/PORT[\s\S]*DATABASE_URL/);
  });
});

describe("V8's collector, as the start line sets it", () => {
  /** The growing factor V8 used at each full collection, from `--trace-gc-verbose`, in order. */
  const factors = (out: string) =>
    [...out.matchAll(/\[HeapController\] Limit: old size: \d+ KB, new limit: \d+ KB \(([\d.]+)\)/g)].map(
      (m) => m[1],
    );

  it('lets the old generation grow 4 times between full collections, unless the command line says otherwise', async () => {
    // `--optimize-for-size` makes V8's own factor 1.1-1.3 (its "conservative" mode): without
    // collector.ts the server would print those. The lines before the first 4.0 are the collections
    // made while the modules loaded, before main.ts had applied the flags.
    const trace = ['--optimize-for-size', '--trace-gc-verbose'];
    const [tuned, own] = await Promise.all([
      startParley({ databaseUrl: null, nodeArgs: trace }),
      startParley({ databaseUrl: null, nodeArgs: [...trace, '--heap-growing-percent=50'] }),
    ]);
    // V8 prints through its own buffered stdout: what it holds is flushed when the process exits.
    await Promise.all([tuned.stop(), own.stop()]);

    const seen = factors(tuned.stdout());
    const from = seen.indexOf('4.0');
    expect(from, tuned.stdout().slice(-2000)).toBeGreaterThanOrEqual(0);
    expect(
      seen.slice(from).every((f) => f === '4.0'),
      seen.join(' '),
    ).toBe(true);
    expect(seen.slice(0, from).every((f) => f !== '4.0')).toBe(true);

    // The operator's own flag is left as given: 1 + 50 % from the first collection on.
    const theirs = factors(own.stdout());
    expect(theirs.length).toBeGreaterThan(0);
    expect(new Set(theirs)).toEqual(new Set(['1.5']));
  });
});
