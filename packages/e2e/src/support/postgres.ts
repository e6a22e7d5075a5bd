import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './paths.js';

/** The few calls of a postgres.js client the tests make (its types live in the server's dependencies). */
export interface Sql {
  unsafe<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
  end(options?: { timeout?: number }): Promise<void>;
}
type Postgres = (url: string, options: { max: number; onnotice: () => void }) => Sql;

/** The `postgres` driver the server already depends on (the e2e package does not need its own copy). */
async function driver(): Promise<Postgres> {
  const path = createRequire(join(repoRoot, 'packages/server/package.json')).resolve('postgres');
  const mod = (await import(pathToFileURL(path).href)) as { default: Postgres };
  return mod.default;
}

/** A plain client on `url` (for the test's own reads and writes); `end()` it when done. */
export async function connect(url: string, max = 2): Promise<Sql> {
  const postgres = await driver();
  return postgres(url, { max, onnotice: () => {} });
}

export interface FreshDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A new, empty database `parley_e2e_<random>` on the server that `baseUrl` names (as
 * packages/server/src/test/db.ts does for unit tests); `drop()` removes it, forcing out connections.
 */
export async function freshDatabase(baseUrl: string): Promise<FreshDatabase> {
  const postgres = await driver();
  const name = `parley_e2e_${randomBytes(6).toString('hex')}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } catch (err) {
    await admin.end();
    throw err;
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.href,
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      try {
        await admin.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** The PostgreSQL URL the test run was given, or null for PGlite. */
export const testDatabaseUrl = (): string | null => process.env.DATABASE_URL?.trim() || null;
