import postgres, { type Sql } from 'postgres';
import { buildApp, type ParleyApp } from './app.js';
import { type BootstrapResult, bootstrap } from './bootstrap.js';
import type { EventBus } from './bus.js';
import { type BusLog, createPgBus, type PgBus } from './bus-pg.js';
import type { Config } from './config.js';
import { type Database, openDatabase } from './db/client.js';

export interface Running extends ParleyApp {
  database: Database;
  boot: BootstrapResult;
  url: string;
  stop(): Promise<void>;
}

/**
 * Session-level advisory lock key held while migrating and bootstrapping, so that several processes
 * starting at once on one PostgreSQL take turns (two concurrent migrations collide on
 * `CREATE SCHEMA drizzle`; two bootstraps would each create a workspace).
 */
const STARTUP_LOCK = 0x7061_726c_6579; // "parley"

/**
 * Opens the database, migrates, bootstraps and listens: what `main.ts` and multi-process tests run.
 * On PostgreSQL the event bus is LISTEN/NOTIFY (several processes may share the database); on
 * PGlite, which is single-process, it is the in-process bus.
 */
export async function startServer(config: Config): Promise<Running> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  // One connection of its own: the startup lock, then NOTIFY (LISTEN gets another from postgres.js).
  const busSql: Sql | null =
    database.kind === 'postgres' && config.databaseUrl
      ? postgres(config.databaseUrl, { max: 1, onnotice: () => {} })
      : null;
  let pgBus: PgBus | null = null;
  const closeAll = async () => {
    await pgBus?.close();
    await busSql?.end({ timeout: 5 });
    await database.close();
  };
  try {
    const boot = await withStartupLock(busSql, async () => {
      await database.migrate();
      return bootstrap(database.db, config);
    });
    // The bus exists before the app (the app takes it) and logs through the app's logger once it exists.
    let log: BusLog = { info: () => {}, warn: console.warn, error: console.error };
    const busLog: BusLog = {
      info: (obj, msg) => log.info(obj, msg),
      warn: (obj, msg) => log.warn(obj, msg),
      error: (obj, msg) => log.error(obj, msg),
    };
    let bus: EventBus | undefined;
    if (busSql) bus = pgBus = createPgBus({ sql: busSql, log: busLog });
    const built = await buildApp({ config, database, ...(bus ? { bus } : {}) });
    log = built.app.log;
    // Listen before serving: no request can publish an event this process would miss.
    await pgBus?.start();
    await built.app.listen({ port: config.port, host: config.host });
    const address = built.app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    return {
      ...built,
      database,
      boot,
      url: `http://localhost:${port}`,
      async stop() {
        await built.app.close();
        await closeAll();
      },
    };
  } catch (err) {
    await closeAll().catch(() => {});
    throw err;
  }
}

async function withStartupLock<T>(sql: Sql | null, run: () => Promise<T>): Promise<T> {
  if (!sql) return run();
  await sql`select pg_advisory_lock(${STARTUP_LOCK}::bigint)`;
  try {
    return await run();
  } finally {
    await sql`select pg_advisory_unlock(${STARTUP_LOCK}::bigint)`;
  }
}
