import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrap, openDatabase, START_NODE_FLAGS } from '@parley/server';
import { repoRoot } from './paths.js';
import { driver } from './pg.js';
import { type Child, freePort, settledWithin, spawnNode } from './proc.js';

export const benchDist = join(repoRoot, 'packages/bench/dist');
const serverMain = join(repoRoot, 'packages/server/dist/main.js');

const ADMIN_EMAIL = 'admin@bench.local';
/** Every operator shares the admin's password (one scrypt hash, copied by SQL). */
export const PASSWORD = 'bench-password-not-secret';

export interface Target {
  name: string;
  url: string;
  siteKey: string;
  pid: number;
  operators: { email: string; password: string }[];
  /** PostgreSQL runs beside the server: its processes' CPU is measured too. */
  postgres: boolean;
  /** The server's PostgreSQL database (its WAL is measured too); null on PGlite and the relay. */
  databaseUrl: string | null;
  /** Where its data lives: the PostgreSQL database's name or the PGlite folder (null: the relay). */
  database: string | null;
  /** What the server printed (stdout and stderr together; the last 500 KB at least). */
  output(): string;
  stop(): Promise<void>;
}

export interface TargetOptions {
  operators: number;
  /** Extra flags for the server's `node` (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Extra environment for the server (e.g. where `--timeline`'s preload writes). */
  env?: Record<string, string>;
}

/**
 * What the targets started so far leave behind (a `parley_bench_*` database, a PGlite folder) and
 * have not cleaned up yet: a Ctrl-C cleans these up before the bench exits (`releaseAll`).
 */
const unreleased = new Set<() => Promise<void>>();

/** Drops every database and folder a target still holds; gives up after `timeoutMs`. */
export function releaseAll(timeoutMs: number): Promise<void> {
  const all = [...unreleased].map((release) => release().catch(() => {}));
  return settledWithin(Promise.all(all), timeoutMs);
}

const operatorList = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ email: `bench-op-${i + 1}@bench.local`, password: PASSWORD }));

/** The bare `ws` relay as its own process. */
export async function startRelay(opts: TargetOptions): Promise<Target> {
  const port = await freePort();
  const proc = spawnNode(
    [...(opts.nodeArgs ?? []), join(benchDist, 'relay.js')],
    { PORT: String(port), ...opts.env },
    repoRoot,
  );
  await proc.waitFor(/relay listening on \d+/, 10_000).catch(async (err: unknown) => {
    await proc.stop(1000);
    throw err;
  });
  return {
    name: 'bare ws relay',
    url: `http://127.0.0.1:${port}`,
    siteKey: 'relay',
    pid: proc.pid,
    operators: operatorList(opts.operators),
    postgres: false,
    databaseUrl: null,
    database: null,
    output: proc.output,
    async stop() {
      await proc.stop(5000);
    },
  };
}

// --- PostgreSQL -------------------------------------------------------------------------------

/** True when PostgreSQL answers at `url` within a few seconds. */
export async function postgresReachable(url: string): Promise<boolean> {
  const sql = (await driver())(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql.unsafe('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** A new database `parley_bench_<random>` beside the one `baseUrl` names; `drop()` removes it. */
async function freshDatabase(baseUrl: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const admin = (await driver())(baseUrl, { max: 1, onnotice: () => {} });
  const name = `parley_bench_${randomBytes(6).toString('hex')}`;
  await admin.unsafe(`create database ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.href,
    async drop() {
      try {
        await admin.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end({ timeout: 2 });
      }
    },
  };
}

// --- Parley -----------------------------------------------------------------------------------

/**
 * `node packages/server/dist/main.js` on a free loopback port, on a fresh PGlite folder or a fresh
 * PostgreSQL database. Before it starts, the database is migrated and bootstrapped here and the
 * operators are inserted with SQL (max 50 chats each, the most a supervisor may set), so no login
 * or scrypt hash per operator is spent on seeding.
 */
export async function startParley(opts: TargetOptions & { postgresUrl: string | null }): Promise<Target> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-bench-'));
  const fresh = opts.postgresUrl ? await freshDatabase(opts.postgresUrl) : null;
  // Once only, whoever asks first (the target's stop, a failed start, a Ctrl-C); all wait for it.
  let releasing: Promise<void> | null = null;
  const release = () => {
    releasing ??= (async () => {
      try {
        await fresh?.drop();
        await rm(dataDir, { recursive: true, force: true });
      } finally {
        unreleased.delete(release);
      }
    })();
    return releasing;
  };
  unreleased.add(release);
  let proc: Child | null = null;
  try {
    const database = await openDatabase({ databaseUrl: fresh?.url ?? null, dataDir });
    try {
      await database.migrate();
      await bootstrap(database.db, { adminEmail: ADMIN_EMAIL, adminPassword: PASSWORD, publicUrl: url });
      await database.db.execute(`
        insert into users (workspace_id, email, name, role, password_hash, max_chats)
        select a.workspace_id, 'bench-op-' || g || '@bench.local', 'Operator ' || g, 'operator', a.password_hash, 50
        from users a, generate_series(1, ${Math.trunc(opts.operators)}) g
        where a.role = 'admin'`);
    } finally {
      await database.close();
    }
    // As the start line runs it (START_NODE_FLAGS); --node-flags come after, so they may override.
    proc = spawnNode(
      [...START_NODE_FLAGS, ...(opts.nodeArgs ?? []), serverMain],
      {
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_URL: url,
        PARLEY_DATA_DIR: dataDir,
        DATABASE_URL: fresh?.url,
        ADMIN_EMAIL,
        ADMIN_PASSWORD: PASSWORD,
        LOG_LEVEL: 'warn',
        ...opts.env,
      },
      repoRoot,
    );
    const [, siteKey] = await proc.waitFor(/data-site="([^"]+)"/, 60_000);
    const server = proc;
    return {
      name: fresh ? 'Parley, PostgreSQL' : 'Parley, PGlite',
      url,
      database: fresh?.name ?? dataDir,
      siteKey: siteKey!,
      pid: proc.pid,
      operators: operatorList(opts.operators),
      postgres: fresh !== null,
      databaseUrl: fresh?.url ?? null,
      output: server.output,
      async stop() {
        await server.stop();
        await release();
      },
    };
  } catch (err) {
    await proc?.stop(2000);
    await release();
    throw err;
  }
}
