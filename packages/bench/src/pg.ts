import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './paths.js';

interface Sql {
  unsafe<T = unknown>(query: string): Promise<T[]>;
  end(options?: { timeout?: number }): Promise<void>;
}
type Postgres = (url: string, options: Record<string, unknown>) => Sql;

/** WAL written by the whole PostgreSQL cluster since it started (`pg_stat_wal`, PostgreSQL 14+). */
export interface WalTotals {
  bytes: number;
  records: number;
  /** Full-page images: a page's first change after a checkpoint writes all of it. */
  fpi: number;
}

/** Reads the cluster's WAL totals through one connection; `close()` when done. */
export async function walReader(
  url: string,
): Promise<{ read(): Promise<WalTotals>; close(): Promise<void> }> {
  const sql = (await driver())(url, { max: 1, onnotice: () => {} });
  return {
    async read() {
      const [row] = await sql.unsafe<{ bytes: string; records: string; fpi: string }>(
        'select wal_bytes::text as bytes, wal_records::text as records, wal_fpi::text as fpi from pg_stat_wal',
      );
      if (!row) throw new Error('pg_stat_wal returned no row');
      return { bytes: Number(row.bytes), records: Number(row.records), fpi: Number(row.fpi) };
    },
    close: () => sql.end({ timeout: 2 }),
  };
}

/** The `postgres` driver the server depends on (the bench needs no copy of its own). */
export async function driver(): Promise<Postgres> {
  const path = createRequire(join(repoRoot, 'packages/server/package.json')).resolve('postgres');
  return ((await import(pathToFileURL(path).href)) as { default: Postgres }).default;
}
