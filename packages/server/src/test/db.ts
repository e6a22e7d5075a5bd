import { randomBytes } from 'node:crypto';
import { fillPlaceholders, type Query, type SQLWrapper, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { type Database, type Db, openDatabase, rowsOf, runBuilt } from '../db/client.js';
import { takeRoutingLock } from '../routing/repo.js';

/**
 * A database no other test touches: in-memory PGlite, or, when DATABASE_URL is set, a fresh
 * PostgreSQL database created beside the one named and dropped on close.
 */
export async function openTestDatabase(): Promise<Database & { url: string | null }> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    const database = await openDatabase({ databaseUrl: null, dataDir: null });
    await database.migrate();
    return { ...database, url: null };
  }
  const name = `parley_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.href, dataDir: null });
  await database.migrate();
  let closing: Promise<void> | undefined;
  return {
    ...database,
    url: url.href,
    // Idempotent: a test may close the database on purpose (to see /healthz fail) before teardown does.
    close: () => (closing ??= drop()),
  };
  async function drop() {
    await database.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/** Runs `body` on a database of its own (`openTestDatabase`), closed afterwards whatever happens. */
export async function withTestDatabase(body: (db: Db) => Promise<void>): Promise<void> {
  const database = await openTestDatabase();
  try {
    await body(database.db);
  } finally {
    await database.close();
  }
}

/**
 * Another process's transaction holding a workspace's routing lock, with `work` done under it and
 * not committed, until `release` commits it: for tests of what must wait for it. PostgreSQL only
 * (a second connection).
 */
export async function holdRoutingLock(
  url: string,
  workspaceId: string,
  work: (tx: Db) => Promise<void>,
): Promise<{ release: () => Promise<void> }> {
  const other = await openDatabase({ databaseUrl: url, dataDir: null });
  let release!: () => void;
  const held = new Promise<void>((r) => {
    release = r;
  });
  let taken!: () => void;
  const holding = new Promise<void>((r) => {
    taken = r;
  });
  const done = other.db.transaction(async (tx) => {
    if (!(await takeRoutingLock(tx, workspaceId))) throw new Error('routing lock not taken');
    await work(tx);
    taken();
    await held;
  });
  await Promise.race([holding, done]);
  return {
    release: async () => {
      release();
      try {
        await done;
      } finally {
        await other.close();
      }
    },
  };
}

/**
 * The rows a statement's plan reads from `table` (every scan of it, over all its loops), by running it
 * under `EXPLAIN ANALYZE` in a transaction that is rolled back: a plan that reads a whole table where
 * a primary key would do shows as thousands.
 */
export async function rowsReadFrom(db: Db, query: SQLWrapper | Query, table: string): Promise<number> {
  let read = Number.NaN;
  const rolledBack = new Error('rolled back');
  await db
    .transaction(async (tx) => {
      type Explained = { 'QUERY PLAN': unknown };
      const explain = 'explain (analyze, format json)';
      const [row] =
        'getSQL' in query
          ? await rowsOf<Explained>(tx, sql`${sql.raw(explain)} ${query}`)
          : await runBuilt<Explained>(tx, { ...query, sql: `${explain} ${query.sql}` });
      const raw = row!['QUERY PLAN'];
      const [plan] = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
      read = scanned(plan!.Plan, table);
      throw rolledBack;
    })
    .catch((err: unknown) => {
      if (err !== rolledBack) throw err;
    });
  return read;
}

/**
 * `target` as code run with `statement` (db/client.ts) sees it, each statement it runs told to `seen`
 * with its values in place: what a test counts or runs again.
 */
export function watchingStatements(target: Db, seen: (q: Query) => void): Db {
  const session = new Proxy(target._.session, {
    get(s, prop, receiver) {
      if (prop !== 'prepareQuery') return Reflect.get(s, prop, receiver);
      return (query: Query, ...rest: [undefined, undefined, boolean]) => {
        const prepared = s.prepareQuery(query, ...rest);
        return {
          execute: (values: Record<string, unknown>) => {
            seen({ sql: query.sql, params: fillPlaceholders(query.params, values) });
            return prepared.execute(values);
          },
        };
      };
    },
  });
  return new Proxy(target, {
    get: (t, prop, receiver) => (prop === '_' ? { ...t._, session } : Reflect.get(t, prop, receiver)),
  });
}

type PlanNode = {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
};

const scanned = (node: PlanNode, table: string): number =>
  (node['Relation Name'] === table && node['Node Type'].includes('Scan')
    ? node['Actual Rows'] * node['Actual Loops']
    : 0) + (node.Plans ?? []).reduce((n, p) => n + scanned(p, table), 0);
