import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test/db.js';
import { openDatabase, rowsOf } from './client.js';
import { users } from './schema/index.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the embedded database folder', () => {
  it('refuses a second server on a PGlite folder in use, and frees it on close', async () => {
    const first = await openDatabase({ databaseUrl: null, dataDir: dir });
    await expect(openDatabase({ databaseUrl: null, dataDir: dir })).rejects.toThrow(
      `The data folder ${dir} is in use by process ${process.pid}`,
    );
    await first.close();
    const again = await openDatabase({ databaseUrl: null, dataDir: dir });
    await again.migrate();
    await again.close();
  });

  it('takes over a lock left by a process that is gone', async () => {
    writeFileSync(join(dir, 'parley.lock'), '999999999');
    const db = await openDatabase({ databaseUrl: null, dataDir: dir });
    await db.ping();
    await db.close();
  });
});

describe('statements on PostgreSQL', () => {
  // Unprepared, a statement with parameters took two round trips and a parse and plan every time.
  it.skipIf(!process.env.DATABASE_URL)(
    'are prepared once per connection, in and out of transactions',
    async () => {
      const database = await openTestDatabase();
      try {
        const { db } = database;
        const probe = 'prepared-probe@example.com';
        const prepared = async () => {
          const [row] = await rowsOf<{ n: number }>(
            db,
            sql`select count(*)::int as n from pg_prepared_statements where statement like ${'%"email" = $1%'}`,
          );
          return row?.n ?? 0;
        };
        for (let i = 0; i < 3; i++) await db.select().from(users).where(eq(users.email, probe));
        expect(await prepared()).toBeGreaterThanOrEqual(1);
        await db.transaction(async (tx) => {
          for (let i = 0; i < 2; i++) await tx.select().from(users).where(eq(users.email, probe));
          const [row] = await rowsOf<{ n: number }>(
            tx,
            sql`select count(*)::int as n from pg_prepared_statements where statement like ${'%"email" = $1%'}`,
          );
          expect(row?.n).toBeGreaterThanOrEqual(1);
        });
      } finally {
        await database.close();
      }
    },
  );
});
