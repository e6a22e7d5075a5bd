import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemotePGlite } from './pglite-remote.js';

describe('PGlite on its own thread', () => {
  let client: RemotePGlite;
  beforeAll(async () => {
    client = new RemotePGlite(null);
    await client.waitReady;
    await client.query('create table t (id int primary key, at timestamptz, note text)');
  });
  afterAll(() => client.close());

  it('answers drizzle as in-process PGlite does: rows, and dates kept as text for drizzle to map', async () => {
    const db = drizzle({ client: client.asPGlite() });
    await db.execute(sql`insert into t values (1, '2026-01-02T03:04:05Z', 'one')`);
    const rows = await db.execute<{ id: number; at: string; note: string }>(
      sql`select * from t where id = 1`,
    );
    expect(rows.rows).toEqual([{ id: 1, at: '2026-01-02 03:04:05+00', note: 'one' }]);
  });

  it('keeps PostgreSQL error fields, so a unique violation is still recognised by its code', async () => {
    await client.query('insert into t (id) values (2)');
    const err = await client.query('insert into t (id) values (2)').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: '23505', message: expect.stringContaining('duplicate key') });
    // Through drizzle too, whose queries carry parser functions that PGlite hangs on its errors.
    const db = drizzle({ client: client.asPGlite() });
    const viaOrm = await db
      .execute(sql`insert into t (id) values (2)`)
      .catch((e: { cause?: unknown }) => e.cause);
    expect(viaOrm).toMatchObject({ code: '23505', constraint: 't_pkey' });
    // The thread goes on serving after an error.
    expect((await client.query('select count(*)::int as n from t')).rows).toEqual([{ n: 2 }]);
  });

  it('commits a transaction that completes, rolls back one that throws, and holds other queries until it ends', async () => {
    await client.transaction(async (tx) => {
      await tx.query('insert into t (id) values (10)');
    });
    const failed = client.transaction(async (tx) => {
      await tx.query('insert into t (id) values (11)');
      throw new Error('changed my mind');
    });
    await expect(failed).rejects.toThrow('changed my mind');
    // A statement that fails inside a transaction ends it too; the database goes on serving.
    const broken = client.transaction(async (tx) => {
      await tx.query('insert into t (id) values (13)');
      await tx.query('insert into nowhere values (1)');
    });
    await expect(broken).rejects.toMatchObject({ code: '42P01' });
    expect((await client.query('select count(*)::int as n from t where id = 13')).rows).toEqual([{ n: 0 }]);

    const order: string[] = [];
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const inside = client.transaction(async (tx) => {
      await tx.query('insert into t (id) values (12)');
      order.push('tx wrote');
      await held;
      order.push('tx ends');
    });
    await new Promise((r) => setTimeout(r, 20));
    const outside = client
      .query<{ n: number }>('select count(*)::int as n from t where id = 12')
      .then((r) => {
        order.push('outside read');
        return r.rows[0]?.n;
      });
    await new Promise((r) => setTimeout(r, 50));
    release();
    await inside;
    // The outside read waited for the commit, so it sees the row.
    expect(await outside).toBe(1);
    expect(order).toEqual(['tx wrote', 'tx ends', 'outside read']);
    const ids = await client.query<{ id: number }>('select id from t where id >= 10 order by id');
    expect(ids.rows.map((r) => r.id)).toEqual([10, 12]);
  });

  it('refuses a parser it cannot carry to the thread instead of ignoring it', async () => {
    await expect(
      client.query('select 1', [], { parsers: { 1184: (v: string) => new Date(v) } }),
    ).rejects.toThrow('Only text-keeping parsers cross to the database thread (type 1184)');
  });

  it('fails queries with a clear message when the thread dies, instead of waiting forever', async () => {
    const dying = new RemotePGlite(null, new URL('../test/dying-db-worker.mjs', import.meta.url));
    await dying.waitReady;
    await expect(dying.query('select 1')).rejects.toThrow('The embedded database stopped (exit code 3).');
    await expect(dying.query('select 1')).rejects.toThrow('The embedded database stopped (exit code 3).');
  });

  it('answers a query after close with a clear error', async () => {
    const closed = new RemotePGlite(null);
    await closed.waitReady;
    await closed.close();
    await expect(closed.query('select 1')).rejects.toThrow('The embedded database is closed.');
  });
});
