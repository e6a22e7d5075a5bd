import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { withTestDatabase } from '../test/db.js';
import { pgRelay } from '../test/pg-relay.js';
import { catchingUnhandled } from '../test/unhandled.js';
import { commitWith, type Db, hasPgCode, openDatabase, rowsOf, sendFirst, statement } from './client.js';
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
      await withTestDatabase(async (db) => {
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
      });
    },
  );

  // postgres.js's own `begin` waited for BEGIN's answer before the first statement went out: a
  // round trip of its own in every transaction (the routing pass on a new chat's path).
  it.skipIf(!process.env.DATABASE_URL)(
    "send a transaction's first statement with its BEGIN, without waiting for the answer",
    async () => {
      const relay = await pgRelay();
      const database = await openDatabase({ databaseUrl: relay.url, dataDir: null });
      try {
        await database.ping();
        relay.seen.length = 0;
        const probe = await database.db.transaction(async (tx) => {
          const [row] = await rowsOf<{ p: string }>(tx, sql`select ${'pipelined-probe'}::text as p`);
          return row?.p;
        });
        expect(probe).toBe('pipelined-probe');
        const { seen } = relay;
        const begin = seen.findIndex((s) => s.from === 'client' && s.text.includes('begin'));
        const statement = seen.findIndex((s) => s.from === 'client' && s.text.includes('as p'));
        const answer = seen.findIndex((s, i) => i > begin && s.from === 'server');
        expect(begin).toBeGreaterThanOrEqual(0);
        expect(statement).toBeGreaterThanOrEqual(begin);
        expect(statement).toBeLessThan(answer);
      } finally {
        await database.close();
        await relay.close();
      }
    },
  );

  it.skipIf(!process.env.DATABASE_URL)(
    "run a transaction's statements in it: one transaction id, and a failure stores none of them",
    async () => {
      await withTestDatabase(async (db) => {
        const ids = await db.transaction(async (tx) => {
          const one = await rowsOf<{ t: string }>(tx, sql`select txid_current()::text as t`);
          const two = await rowsOf<{ t: string }>(tx, sql`select txid_current()::text as t`);
          return [one[0]?.t, two[0]?.t];
        });
        expect(ids[0]).toBeDefined();
        expect(ids[1]).toBe(ids[0]);

        await db.execute(sql`create table pipelined_t (x int primary key)`);
        await expect(
          db.transaction(async (tx) => {
            await tx.execute(sql`insert into pipelined_t values (1)`);
            await tx.execute(sql`insert into pipelined_t values (1)`); // unique_violation
          }),
        ).rejects.toThrow();
        await expect(
          db.transaction(async (tx) => {
            await tx.execute(sql`insert into pipelined_t values (2)`);
            throw new Error('changed my mind');
          }),
        ).rejects.toThrow('changed my mind');
        // Nested: the inner failure rolls back to its savepoint; the outer goes on and commits.
        await db.transaction(async (tx) => {
          await tx.execute(sql`insert into pipelined_t values (3)`);
          await tx
            .transaction(async (inner) => {
              await inner.execute(sql`insert into pipelined_t values (4)`);
              throw new Error('inner');
            })
            .catch(() => {});
          await tx.execute(sql`insert into pipelined_t values (5)`);
        });
        const rows = await rowsOf<{ x: number }>(db, sql`select x from pipelined_t order by x`);
        expect(rows.map((r) => r.x)).toEqual([3, 5]);
        // The connections went back to the pool clean: more transactions than connections work.
        await Promise.all(
          Array.from({ length: 25 }, (_, i) =>
            db.transaction((tx) => tx.execute(sql`insert into pipelined_t values (${100 + i})`)),
          ),
        );
        const [n] = await rowsOf<{ n: number }>(db, sql`select count(*)::int as n from pipelined_t`);
        expect(n?.n).toBe(27);
      });
    },
  );
});

describe('statement', () => {
  // The writer's group statement runs hundreds of times a second: building its text every time was
  // 6 % of the server's busy time.
  it('builds its text once and runs with the values of each call, a value used twice in both places', async () => {
    await withTestDatabase(async (db) => {
      const query = sql`select ${sql.placeholder('a')}::int + ${sql.placeholder('b')}::int * ${sql.placeholder('a')}::int as n,
        ${sql.placeholder('s')}::text as s`;
      const run = statement<{ n: number; s: string }, 'a' | 'b' | 's'>(query);
      const built = vi.spyOn(query, 'toQuery');
      expect(await run(db, { a: 2, b: 5, s: 'مرحبا' })).toEqual([{ n: 12, s: 'مرحبا' }]);
      expect(await run(db, { a: 3, b: 1, s: "it's" })).toEqual([{ n: 6, s: "it's" }]);
      expect(built).not.toHaveBeenCalled();
      // A bad value fails that call with PostgreSQL's own error (invalid_text_representation).
      const failed = await run(db, { a: 'x', b: 1, s: '' }).catch((err: unknown) => err);
      expect(hasPgCode(failed, '22P02')).toBe(true);
    });
  });
});

describe('commitWith', () => {
  it('ends a transaction with its last statement: all of it stored, or none when that statement fails', async () => {
    await withTestDatabase(async (db) => {
      await db.execute(sql`create table ending_t (x int primary key)`);
      const got = await db.transaction(async (tx) => {
        await tx.execute(sql`insert into ending_t values (1)`);
        await commitWith(tx, sql`insert into ending_t values (2)`);
        return 'done';
      });
      expect(got).toBe('done');
      await expect(
        db.transaction(async (tx) => {
          await tx.execute(sql`insert into ending_t values (3)`);
          await commitWith(tx, sql`insert into ending_t values (1)`); // unique_violation
        }),
      ).rejects.toThrow();
      const rows = await rowsOf<{ x: number }>(db, sql`select x from ending_t order by x`);
      expect(rows.map((r) => r.x)).toEqual([1, 2]);
    });
  });

  // The routing pass waited for its write's answer, then for COMMIT's: two round trips at the end
  // of every new chat's pass.
  it.skipIf(!process.env.DATABASE_URL)(
    'sends COMMIT right behind the last statement on PostgreSQL, and lets nothing follow it',
    async () => {
      const relay = await pgRelay();
      const database = await openDatabase({ databaseUrl: relay.url, dataDir: null });
      try {
        const { db } = database;
        await db.execute(sql`create table pipelined_end (x int primary key)`);
        relay.seen.length = 0;
        let after: unknown = null;
        await db.transaction(async (tx) => {
          await tx.execute(sql`insert into pipelined_end values (1)`);
          await commitWith(tx, sql`insert into pipelined_end values (2)`);
          after = await tx.execute(sql`insert into pipelined_end values (3)`).catch((err: Error) => err);
        });
        // Drizzle wraps the driver's error.
        expect(String((after as Error).cause)).toContain('nothing may follow');
        const { seen } = relay;
        const client = (i: number) => seen[i]?.from === 'client';
        const last = seen.findLastIndex((s, i) => client(i) && s.text.includes('pipelined_end'));
        const commits = seen.flatMap((s, i) => (client(i) && /commit/i.test(s.text) ? [i] : []));
        const answer = seen.findIndex((s, i) => i >= last && s.from === 'server');
        expect(commits).toHaveLength(1); // the transaction's end sends no second COMMIT
        expect(commits[0]).toBeGreaterThanOrEqual(last);
        expect(commits[0]).toBeLessThan(answer);
        const rows = await rowsOf<{ x: number }>(db, sql`select x from pipelined_end order by x`);
        expect(rows.map((r) => r.x)).toEqual([1, 2]);
      } finally {
        await database.close();
        await relay.close();
      }
    },
  );
});

describe('a transaction whose connection is lost', () => {
  // BEGIN goes out before the transaction's function runs; its failure waited, unhandled, until the
  // function's end, and Node ends a process on an unhandled rejection.
  it.skipIf(!process.env.DATABASE_URL)(
    "fails the transaction, not the process, when BEGIN's answer never comes",
    () =>
      throughRelay({ cutAt: /begin/i }, async (db) => {
        const { outcome, unhandled } = await outcomeOf(db, async (tx) => {
          await new Promise((r) => setTimeout(r, 100)); // BEGIN fails meanwhile
          await tx.execute(sql`select 1`);
        });
        expect(outcome).toBeInstanceOf(Error);
        expect(unhandled).toEqual([]);
      }),
  );

  // The reset failed the statement at once; the ROLLBACK sent next, before the socket's close,
  // was never answered nor failed, and the transaction (a routing pass, with it its operator's
  // socket) waited forever.
  it.skipIf(!process.env.DATABASE_URL)('fails the transaction when reset under a statement', () =>
    throughRelay({ cutAt: /cut-here/, reset: true }, async (db) => {
      const { outcome, unhandled } = await outcomeOf(db, async (tx) => {
        await tx.execute(sql`select 'cut-here'`);
      });
      expect(outcome).toBeInstanceOf(Error);
      expect(unhandled).toEqual([]);
    }),
  );

  // An administrator (or a restart) ends the backend while the transaction waits.
  it.skipIf(!process.env.DATABASE_URL)(
    'fails its next statement when the server ends the connection',
    async () => {
      await withTestDatabase(async (db) => {
        const { outcome, unhandled } = await outcomeOf(db, async (tx) => {
          const [me] = await rowsOf<{ pid: number }>(tx, sql`select pg_backend_pid() as pid`);
          await rowsOf(db, sql`select pg_terminate_backend(${me!.pid})`);
          await new Promise((r) => setTimeout(r, 100));
          await tx.execute(sql`select 1`);
        });
        expect(outcome).toBeInstanceOf(Error);
        expect(unhandled).toEqual([]);
        expect(await rowsOf<{ n: number }>(db, sql`select 1 as n`)).toEqual([{ n: 1 }]);
      });
    },
  );
});

/**
 * What a transaction came to (its error, 'committed', or still waiting after 5 s), and what was
 * rejected unhandled meanwhile.
 */
async function outcomeOf(db: Db, fn: Parameters<Db['transaction']>[0]) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const { result: outcome, unhandled } = await catchingUnhandled(() =>
      Promise.race([
        db.transaction(fn).then(
          () => 'committed',
          (err: unknown) => err,
        ),
        new Promise((r) => {
          timer = setTimeout(() => r('still waiting after 5 s'), 5_000);
        }),
      ]),
    );
    return { outcome, unhandled };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `body` on a database reached through `pgRelay(opts)`; afterwards the pool must still serve. */
async function throughRelay(opts: Parameters<typeof pgRelay>[0], body: (db: Db) => Promise<void>) {
  const relay = await pgRelay(opts);
  const database = await openDatabase({ databaseUrl: relay.url, dataDir: null });
  try {
    await body(database.db);
    // The pool goes on with a new connection, and closes at once: the lost connection kept its
    // settled statement, and the pool's end waited the 5 s of its timeout for it.
    expect(await rowsOf<{ n: number }>(database.db, sql`select 1 as n`)).toEqual([{ n: 1 }]);
    const closing = Date.now();
    await database.close();
    expect(Date.now() - closing).toBeLessThan(4_000);
  } finally {
    await database.close();
    await relay.close();
  }
}

describe('sendFirst', () => {
  // The routing lock must reach PostgreSQL before the reads issued after it, in the same round trip;
  // the query builder's statements do not leave in the order they were issued (an update issued
  // after a select goes out before it).
  it.skipIf(!process.env.DATABASE_URL)(
    'hands a statement to the connection at once, ahead of every kind of statement issued after it',
    async () => {
      const relay = await pgRelay();
      const database = await openDatabase({ databaseUrl: relay.url, dataDir: null });
      try {
        const { db } = database;
        await database.ping();
        relay.seen.length = 0;
        const got = await db.transaction(async (tx) => {
          // Issued just before it, not yet on its way: a builder statement takes a few promise turns.
          const before = tx
            .update(users)
            .set({ name: 'y' })
            .where(eq(users.email, 'earlier-probe'))
            .execute();
          const first = sendFirst<{ p: string }>(tx, sql`select ${'first'}::text as first_probe`);
          await before;
          await Promise.all([
            tx.select().from(users).where(eq(users.name, 'select-probe')),
            tx.update(users).set({ name: 'x' }).where(eq(users.email, 'update-probe')),
            rowsOf(tx, sql`select 1 as execute_probe`),
          ]);
          return first;
        });
        expect(got).toEqual([{ first_probe: 'first' }]);
        const sent = relay.seen.filter((s) => s.from === 'client').map((s) => s.text);
        const at = (probe: string) => sent.findIndex((t) => t.includes(probe));
        const within = (probe: string) => sent[at(probe)]!.indexOf(probe);
        for (const later of ['"name" = $1', 'update "users"', 'execute_probe', '"email" = $2']) {
          expect(at(later)).toBeGreaterThanOrEqual(at('first_probe'));
          if (at(later) === at('first_probe')) expect(within(later)).toBeGreaterThan(within('first_probe'));
        }
      } finally {
        await database.close();
        await relay.close();
      }
    },
  );
});
