import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getTableColumns, is, type Query, type SQL, sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  type PgDatabase,
  PgDialect,
  type PgQueryResultHKT,
  type PgTable,
} from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres, PostgresJsSession } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { RemotePGlite } from './pglite-remote.js';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
/** One type for both drivers: repositories never know which one runs. A transaction is a `Db` too. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

/** Turns drizzle's `sql` templates into text and parameters; the same for both drivers. */
const dialect = new PgDialect();

export interface Database {
  readonly db: Db;
  readonly kind: 'pglite' | 'postgres';
  /** Applies the committed drizzle-kit migrations; safe to call on every start. */
  migrate(): Promise<void>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `column in (ids)`, the ids as one JSON parameter however many there are: the statement's text stays
 * the same (prepared once) and the ORM builds no placeholder a row. (`inArray` with the 2,000 ids
 * of a heartbeat made a new 2,000-parameter statement each time.)
 */
export const idIn = (column: AnyPgColumn, ids: string[]) =>
  sql`${column} in (select value::uuid from json_array_elements_text(${JSON.stringify(ids)}::text::json))`;

/**
 * The rows of a hand-written statement, whichever driver ran it (postgres.js answers an array,
 * PGlite `{ rows }`). Values come as the driver parses them: give timestamps and numbers a type
 * in the statement's select list, or convert them.
 */
export async function rowsOf<T>(db: Db, query: SQL): Promise<T[]> {
  return rowsIn((await db.execute(query)) as unknown as DriverRows<T>);
}

/** postgres.js answers an array of rows, PGlite `{ rows }`. */
type DriverRows<T> = T[] | { rows: T[] };
const rowsIn = <T>(result: DriverRows<T>): T[] => (Array.isArray(result) ? result : result.rows);

/**
 * A hand-written statement whose text never changes, turned into SQL text once: each run hands the
 * driver only its values (named by `sql.placeholder`). `rowsOf` builds the text from the template on
 * every call; for the writer's group, run hundreds of times a second, that building was 6 % of the
 * server's busy time and about 8 KB of garbage a run (BENCHMARKS.md). Rows come as with `rowsOf`.
 */
export function statement<T, K extends string = string>(query: SQL) {
  const built = dialect.sqlToQuery(query);
  return (db: Db, values: Record<K, unknown>): Promise<T[]> => runBuilt<T>(db, built, values);
}

/** Runs a statement already turned into text, with its placeholders' values; rows as with `rowsOf`. */
export async function runBuilt<T>(db: Db, query: Query, values: Record<string, unknown> = {}): Promise<T[]> {
  return rowsIn(
    (await db._.session.prepareQuery(query, undefined, undefined, false).execute(values)) as DriverRows<T>,
  );
}

/**
 * A table's row, as the query builder would give it, from a raw result row that has the table's
 * columns under their names (`select t.*` in a statement run with `rowsOf` or `sendFirst`).
 */
export function rowOf<T extends PgTable>(table: T, raw: Record<string, unknown>): T['$inferSelect'] {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = raw[column.name];
    if (value === undefined) throw new Error(`rowOf: the row has no column ${column.name}`);
    row[key] = value === null ? null : column.mapFromDriverValue(value);
  }
  return row as T['$inferSelect'];
}

/** True when PostgreSQL failed the statement with `code` (e.g. 23505), raw or wrapped by drizzle. */
export function hasPgCode(err: unknown, code: string): boolean {
  for (let e = err; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === code) return true;
  }
  return false;
}

/**
 * The postgres.js client as drizzle should use it: its statements prepared, its transactions
 * pipelined.
 *
 * Drizzle runs every statement through `unsafe()`, which postgres.js does not prepare; and an
 * unprepared statement with parameters costs two round trips (Parse + Describe, wait for the
 * parameter types, then Bind + Execute) and a parse and plan each time. Prepared, it is parsed once
 * per connection and then one round trip. (Drizzle's own statement texts are few; lists travel as
 * one JSON parameter, see `idIn`, so the cache per connection stays small.)
 *
 * postgres.js's `begin` waits for BEGIN's answer before it runs the transaction's first statement:
 * a round trip of its own, on every new chat's path (the routing pass). Here BEGIN goes out on a
 * reserved connection and the first statements follow it at once, in the same write; the
 * connection keeps them in order, so they run inside the transaction. A failure anywhere rolls back.
 */
export function preparing(client: postgres.Sql): postgres.Sql {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') return preparedUnsafe(target);
      if (prop === 'begin') {
        const begin = target.begin.bind(target) as (...params: unknown[]) => Promise<unknown>;
        return (...params: unknown[]) =>
          // With options (`begin('isolation level …', fn)`) it is postgres.js's own.
          params.length === 1
            ? pipelinedBegin(target, params[0] as (tx: postgres.Sql) => unknown)
            : begin(...params.slice(0, -1), (tx: postgres.Sql) =>
                (params.at(-1) as (tx: postgres.Sql) => unknown)(preparing(tx)),
              );
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

function preparedUnsafe(sql: postgres.Sql) {
  return (query: string, args?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) =>
    sql.unsafe(query, args, { prepare: true, ...options });
}

async function pipelinedBegin(client: postgres.Sql, fn: (tx: postgres.Sql) => unknown): Promise<unknown> {
  const conn = await client.reserve();
  try {
    // Sent before anything `fn` sends (a query goes out on its first `then`, in that order).
    const began = conn.unsafe('begin').execute();
    // Awaited after `fn`: a failure meanwhile (the connection lost) must not count as unhandled,
    // which would end the process.
    began.catch(() => {});
    const tx = transactionClient(conn);
    let result: unknown;
    try {
      result = await fn(tx.sql);
      await began;
    } catch (err) {
      await began.catch(() => {});
      await conn.unsafe('rollback').catch(() => {}); // a broken connection has no transaction left
      throw err;
    }
    if (!tx.committed()) await conn.unsafe('commit');
    return result;
  } finally {
    conn.release();
  }
}

/** How `commitWith` and `sendFirst` reach a pipelined transaction's connection. */
const commitNext = Symbol('commitNext');
const sendNow = Symbol('sendNow');
type Send = (text: string, params: unknown[]) => Promise<unknown[]>;
/** COMMIT's answer: `ROLLBACK` when the transaction had failed. */
type Ended = { command: string };
type Arm = () => Promise<Ended>;

/**
 * A reserved connection inside a transaction: prepared statements, savepoints for nesting,
 * `commitWith`'s COMMIT sent right behind the statement it follows, and `sendFirst`'s statements
 * sent at once.
 */
function transactionClient(conn: postgres.ReservedSql): { sql: postgres.Sql; committed: () => boolean } {
  let savepoints = 0;
  let nested = 0;
  let committing: ((commit: PromiseLike<Ended>) => void) | null = null;
  let committed = false;
  const savepoint = async (fn: (tx: postgres.Sql) => unknown) => {
    const name = `s${savepoints++}`;
    await conn.unsafe(`savepoint ${name}`);
    nested++;
    try {
      const result = await fn(tx);
      await conn.unsafe(`release savepoint ${name}`);
      return result;
    } catch (err) {
      await conn.unsafe(`rollback to savepoint ${name}`);
      throw err;
    } finally {
      nested--;
    }
  };
  const unsafe = (
    query: string,
    args?: postgres.ParameterOrJSON<never>[],
    options?: postgres.UnsafeQueryOptions,
  ) => {
    if (committed)
      throw new Error('The transaction has committed (commitWith): nothing may follow its last statement.');
    const q = conn.unsafe(query, args, { prepare: true, ...options });
    if (committing) {
      // Both go out now, in this order, on this connection: the statement, then COMMIT.
      const hand = committing;
      committing = null;
      committed = true;
      q.execute();
      hand(conn.unsafe('commit').execute());
    }
    return q;
  };
  const arm = () => {
    if (nested > 0) throw new Error('commitWith: not inside a nested transaction (savepoint).');
    if (committing || committed) throw new Error('commitWith: the transaction is already committing.');
    return new Promise<Ended>((resolve) => {
      committing = resolve;
    });
  };
  const tx: postgres.Sql = new Proxy(conn, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') return unsafe;
      if (prop === 'savepoint') return savepoint;
      if (prop === commitNext) return arm;
      if (prop === sendNow)
        return ((text, params) => unsafe(text, params as never[]).execute()) satisfies Send;
      return Reflect.get(target, prop, receiver);
    },
  });
  return { sql: tx, committed: () => committed };
}

/** The pipelined transaction client behind a drizzle transaction, if that is what runs it. */
function pipelined(tx: Db): { [commitNext]?: Arm; [sendNow]?: Send } {
  const session = tx._.session;
  return is(session, PostgresJsSession) ? (session.client as object) : {};
}

/**
 * Runs a statement of a transaction ahead of every statement issued after this call, without
 * waiting for its answer: on a pipelined PostgreSQL transaction it is sent at once. (The query
 * builder's statements reach the connection a few promise turns after they are issued, and not
 * always in the order they were issued: a `Promise.all` of them promises no order.) A lock taken
 * this way holds for the statements sent behind it in the same round trip. Elsewhere (PGlite runs
 * one transaction at a time on its one connection) it simply runs.
 */
export function sendFirst<T>(tx: Db, query: SQL): Promise<T[]> {
  const send = pipelined(tx)[sendNow];
  if (!send) return rowsOf<T>(tx, query);
  const { sql: text, params } = dialect.sqlToQuery(query);
  return send(text, params) as Promise<T[]>;
}

/**
 * Runs a transaction's last statement with its COMMIT: on PostgreSQL both go out together, and the
 * transaction's end waits on one round trip, not two (the routing pass's write, on every new chat's
 * path). Nothing may run in the transaction after it. A failed statement fails the call and stores
 * nothing (PostgreSQL answers the COMMIT of a failed transaction with a rollback); so does a failed
 * COMMIT. On PGlite, where a round trip costs nothing, the statement runs and the transaction
 * commits when its function returns, as usual. Rows as with `rowsOf`.
 */
export async function commitWith<T>(tx: Db, query: SQL): Promise<T[]> {
  // Only a pipelined transaction's client answers to the symbol (postgres.js's own `begin` does not).
  const arm = pipelined(tx)[commitNext];
  if (!arm) return rowsOf<T>(tx, query);
  const commit = arm();
  const [out, ended] = await Promise.all([rowsOf<T>(tx, query), commit]);
  if (ended.command !== 'COMMIT') throw new Error(`The transaction did not commit (${ended.command}).`);
  return out;
}

const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

export interface DatabaseOptions {
  databaseUrl: string | null;
  /** PGlite folder; `null` keeps the embedded database in memory (tests). */
  dataDir: string | null;
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const client = postgres(opts.databaseUrl, { max: 10, onnotice: () => {} });
    const db = drizzlePostgres({ client: preparing(client), schema }) as unknown as Db;
    return {
      db,
      kind: 'postgres',
      migrate: () => migratePostgres(drizzlePostgres({ client, schema }), { migrationsFolder }),
      ping: async () => {
        await db.execute(sql`select 1`);
      },
      close: () => client.end({ timeout: 5 }),
    };
  }
  const unlock = opts.dataDir ? lockDataDir(opts.dataDir) : () => {};
  let client: RemotePGlite;
  try {
    // The database lives in a subfolder: initdb wants an empty folder, and the lock sits beside it.
    // It runs on a thread of its own: PGlite's queries are CPU work that would hold up the sockets.
    client = new RemotePGlite(opts.dataDir ? join(opts.dataDir, 'pgdata') : null);
    await client.waitReady;
  } catch (err) {
    unlock();
    throw err;
  }
  const pg = drizzlePglite({ client: client.asPGlite(), schema });
  const db = pg as unknown as Db;
  let closed = false;
  return {
    db,
    kind: 'pglite',
    migrate: () => migratePglite(pg, { migrationsFolder }),
    ping: async () => {
      if (closed) throw new Error('database closed');
      await client.query('select 1');
    },
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await client.close();
      } finally {
        unlock();
      }
    },
  };
}

/**
 * PGlite keeps one process per folder; a second one would corrupt it (or abort the process).
 * A lock file with the owner's pid refuses the second server with a clear message; a lock whose
 * process is gone is taken over.
 */
function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'parley.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new Error(
          `The data folder ${dir} is in use by process ${owner}. Stop that server, or give this one another PARLEY_DATA_DIR.`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not lock the data folder ${dir}.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
