import { randomUUID } from 'node:crypto';
import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../bootstrap.js';
import { createLocalBus } from '../bus.js';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { contacts, sites, users } from '../db/schema/index.js';
import { holdRoutingLock, openTestDatabase, rowsReadFrom } from '../test/db.js';
import { catchingUnhandled } from '../test/unhandled.js';
import { operatorsWithLoads, takeRoutingLock } from './repo.js';
import { createRouter } from './router.js';

let database: Awaited<ReturnType<typeof openTestDatabase>>;
let workspaceId: string;
let siteId: string;

beforeAll(async () => {
  database = await openTestDatabase();
  workspaceId = (await bootstrap(database.db, loadConfig({}))).workspaceId;
  siteId = (await database.db.select({ id: sites.id }).from(sites))[0]!.id;
});
afterAll(() => database.close());

async function operatorWithSlots(maxChats: number): Promise<string> {
  const [op] = await database.db
    .insert(users)
    .values({
      workspaceId,
      email: `op-${Math.random().toString(36).slice(2)}@example.com`,
      name: 'Op',
      role: 'operator',
      passwordHash: 'x',
      maxChats,
      status: 'online',
    })
    .returning({ id: users.id });
  return op!.id;
}

async function queued(n: number): Promise<string[]> {
  const rows = await database.db
    .insert(contacts)
    .values(
      Array.from({ length: n }, () => ({
        workspaceId,
        siteId,
        status: 'queued' as const,
        enqueuedAt: new Date(),
      })),
    )
    .returning({ id: contacts.id });
  return rows.map((r) => r.id);
}

describe('a routing pass beside another router', () => {
  // Two connections are needed: PGlite has one, so these run on PostgreSQL (DATABASE_URL).
  it.skipIf(!process.env.DATABASE_URL)(
    "waits for another process's pass and counts the chat it gave an operator",
    async () => {
      const op = await operatorWithSlots(1);
      const [x, y] = await queued(2);
      // Another process's pass: under the routing lock, it gives the operator their last slot and
      // has not committed yet when this pass starts.
      const other = await holdRoutingLock(database.url!, workspaceId, async (tx) => {
        await tx.update(contacts).set({ status: 'assigned', assigneeId: op }).where(eq(contacts.id, x!));
      });
      const router = createRouter({ db: database.db, bus: createLocalBus(), clock: systemClock });
      const pass = router.route(workspaceId);
      await new Promise((r) => setTimeout(r, 300)); // the pass now waits for the lock
      await other.release();
      await pass;
      const [row] = await database.db
        .select({ status: contacts.status, assignee: contacts.assigneeId })
        .from(contacts)
        .where(eq(contacts.id, y!));
      expect(row).toEqual({ status: 'queued', assignee: null });
    },
  );

  it.skipIf(!process.env.DATABASE_URL)(
    'does not wait behind another router when nobody is queued',
    async () => {
      await database.db
        .update(contacts)
        .set({ status: 'closed' })
        .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.status, 'queued')));
      const other = await holdRoutingLock(database.url!, workspaceId, async () => {});
      const router = createRouter({ db: database.db, bus: createLocalBus(), clock: systemClock });
      const outcome = await Promise.race([
        router.route(workspaceId).then(() => 'routed'),
        new Promise((r) => setTimeout(() => r('waited'), 2000)),
      ]);
      await other.release();
      expect(outcome).toBe('routed');
    },
  );
});

describe("an operator's load", () => {
  it('counts open chats and calls, as numbers', async () => {
    const op = await operatorWithSlots(9);
    const [a, b, c, d] = await queued(4);
    const set = (id: string, values: Partial<typeof contacts.$inferInsert>) =>
      database.db.update(contacts).set(values).where(eq(contacts.id, id));
    await set(a!, { status: 'assigned', assigneeId: op });
    await set(b!, { status: 'active', assigneeId: op });
    await set(c!, { status: 'active', assigneeId: op, channel: 'voice' });
    await set(d!, { status: 'closed', assigneeId: op }); // closed: not a load
    const online = (await operatorsWithLoads(database.db, workspaceId)).find((o) => o.id === op);
    const [given] = await operatorsWithLoads(database.db, workspaceId, { onlyIds: [op] });
    expect(online).toMatchObject({ openChats: 2, openVoice: 1 });
    expect(given).toMatchObject({ id: op, openChats: 2, openVoice: 1 });
  });

  // A routing pass's reads go out before it knows whether anyone waits: with nobody queued, the
  // operators' read must not send 200 rows back for nothing.
  it('reads no operators for a pass while nobody waits', async () => {
    const op = await operatorWithSlots(3);
    await database.db
      .update(contacts)
      .set({ status: 'closed' })
      .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.status, 'queued')));
    expect(await operatorsWithLoads(database.db, workspaceId, { whileQueued: true })).toEqual([]);
    expect((await operatorsWithLoads(database.db, workspaceId)).map((o) => o.id)).toContain(op);
    await queued(1);
    expect(
      (await operatorsWithLoads(database.db, workspaceId, { whileQueued: true })).map((o) => o.id),
    ).toContain(op);
  });

  // The loads live on the operators' rows, kept by a trigger on contacts: whatever the change, they
  // must stay what counting the contacts gives.
  it('stays equal to a count of the contacts through every kind of change', async () => {
    const [a, b] = [await operatorWithSlots(9), await operatorWithSlots(9)];
    const counted = async () => {
      const rows = await database.db
        .select({ assignee: contacts.assigneeId, channel: contacts.channel })
        .from(contacts)
        .where(and(inArray(contacts.status, ['assigned', 'active']), inArray(contacts.assigneeId, [a, b])));
      const of = (id: string) => ({
        openChats: rows.filter((r) => r.assignee === id && r.channel === 'chat').length,
        openVoice: rows.filter((r) => r.assignee === id && r.channel !== 'chat').length,
      });
      return [of(a), of(b)];
    };
    const kept = async () => {
      const ops = await operatorsWithLoads(database.db, workspaceId, { onlyIds: [a, b] });
      return [a, b].map((id) => {
        const o = ops.find((r) => r.id === id)!;
        return { openChats: o.openChats, openVoice: o.openVoice };
      });
    };
    const set = (id: string, values: Partial<typeof contacts.$inferInsert>) =>
      database.db.update(contacts).set(values).where(eq(contacts.id, id));
    const [x, y, z] = await queued(3);
    const [w] = await database.db
      .insert(contacts)
      .values({ workspaceId, siteId, status: 'assigned', assigneeId: a, channel: 'voice' })
      .returning({ id: contacts.id });
    const steps: (() => Promise<unknown>)[] = [
      () => set(x!, { status: 'assigned', assigneeId: a }), // routed
      () => set(x!, { status: 'active', lastSeq: 3 }), // first reply: still one chat
      () => set(y!, { status: 'assigned', assigneeId: a }),
      () => set(y!, { assigneeId: b }), // transferred
      () => set(z!, { status: 'active', assigneeId: b, channel: 'voice' }),
      () => set(z!, { channel: 'callback' }), // still a call
      () => set(z!, { channel: 'chat' }), // now a chat
      () => set(x!, { status: 'closed' }),
      () => set(y!, { status: 'queued', assigneeId: null }), // back to the queue
      () => database.db.delete(contacts).where(eq(contacts.id, w!.id)),
    ];
    expect(await kept()).toEqual(await counted());
    for (const step of steps) {
      await step();
      expect(await kept()).toEqual(await counted());
    }
    expect(await kept()).toEqual([
      { openChats: 0, openVoice: 0 },
      { openChats: 1, openVoice: 0 },
    ]);
  });
});

describe("a pass that carries a new contact's statement (routeWith)", () => {
  const insertQueued = (id: string) =>
    sql`insert into ${contacts} (id, workspace_id, site_id, status, enqueued_at)
      values (${id}::uuid, ${workspaceId}::uuid, ${siteId}::uuid, 'queued', now()) returning id`;

  it('stores it in the pass, tells its rows before the assignment goes out, its events after, and routes it', async () => {
    await operatorWithSlots(5);
    const bus = createLocalBus();
    const heard: string[] = [];
    bus.subscribe((e) => {
      if (e.kind === 'assigned' && e.contactId === id) heard.push('assigned');
      if (e.kind === 'presence' && e.userId === id) heard.push('its event');
    });
    const router = createRouter({ db: database.db, bus, clock: systemClock });
    const id = randomUUID();
    const pass = router.routeWith(workspaceId, insertQueued(id), (rows) => {
      heard.push(`stored ${String(rows[0]?.id)}`);
      // Any event: the caller's (a new contact's, for the inbox) go out after the `assigned`.
      return [{ kind: 'presence', workspaceId, userId: id, status: 'online' }];
    });
    expect(pass).not.toBeNull();
    await pass;
    // The visitor's `assigned` first: published after the inbox's events, it waited behind their
    // frames to every operator of the workspace.
    expect(heard).toEqual([`stored ${id}`, 'assigned', 'its event']);
    const [row] = await database.db.select().from(contacts).where(eq(contacts.id, id));
    expect(row?.status).toBe('assigned');
  });

  it('stores nothing when its statement fails, and a plain pass follows at once for the others', async () => {
    await operatorWithSlots(5);
    const [waiting] = await queued(1);
    const router = createRouter({ db: database.db, bus: createLocalBus(), clock: systemClock });
    const id = randomUUID();
    let told = false;
    // The same id twice in one statement: a primary key violation, after the first row went in.
    const failing = sql`insert into ${contacts} (id, workspace_id, site_id, status, enqueued_at)
      values (${id}::uuid, ${workspaceId}::uuid, ${siteId}::uuid, 'queued', now()),
        (${id}::uuid, ${workspaceId}::uuid, ${siteId}::uuid, 'queued', now()) returning id`;
    // Its caller is not told (it stores on its own and routes again); the run itself goes on.
    await router.routeWith(workspaceId, failing, () => {
      told = true;
      return [];
    });
    expect(told).toBe(false);
    expect(await database.db.select().from(contacts).where(eq(contacts.id, id))).toEqual([]);
    const [row] = await database.db.select().from(contacts).where(eq(contacts.id, waiting!));
    expect(row?.status).toBe('assigned');
  });

  it('runs nothing while a pass is under way in this process', async () => {
    const router = createRouter({ db: database.db, bus: createLocalBus(), clock: systemClock });
    const pass = router.route(workspaceId);
    const id = randomUUID();
    expect(router.routeWith(workspaceId, insertQueued(id), () => [])).toBeNull();
    await pass;
    expect(await database.db.select().from(contacts).where(eq(contacts.id, id))).toEqual([]);
  });
});

describe('a pass whose announcement fails', () => {
  it('leaves no rejection unhandled while the next pass runs (it ended the server process)', async () => {
    // Only this operator takes chats: one slot, two waiting, so the next pass waits with work to do.
    await database.db.update(users).set({ status: 'offline' }).where(eq(users.workspaceId, workspaceId));
    await operatorWithSlots(1);
    await queued(2);
    const bus = createLocalBus();
    const router = createRouter({
      db: database.db,
      bus,
      clock: systemClock,
      // Reading the contact cards fails (the database refused a connection, say) a little later.
      onAssigned: () =>
        new Promise((_, reject) => setTimeout(() => reject(new Error('announce failed')), 20)),
    });
    try {
      const { unhandled } = await catchingUnhandled(async () => {
        let opened!: () => void;
        const gate = new Promise<void>((r) => {
          opened = r;
        });
        let blocker: Promise<void> | undefined;
        let second: Promise<void> | undefined;
        bus.subscribe((e) => {
          if (e.kind !== 'assigned' || blocker) return;
          // The first pass has committed: hold the routing lock (and, on PGlite, its one connection)
          // so the pass asked for next waits, past the moment the announcement fails.
          blocker = database.db.transaction(async (tx) => {
            await takeRoutingLock(tx, workspaceId);
            await gate;
          });
          second = router.route(workspaceId);
        });
        const first = router.route(workspaceId);
        first.catch(() => {});
        await new Promise((r) => setTimeout(r, 150));
        opened();
        await blocker;
        await expect(first).rejects.toThrow('announce failed');
        await expect(second).rejects.toThrow('announce failed');
      });
      expect(unhandled).toEqual([]);
    } finally {
      router.close(); // its failures would run passes again for the tests after
    }
  });
});

describe('a pass that fails', () => {
  /** The database, whose transactions fail while `refuse` says so (a restart, "too many clients"). */
  function refusing(refuse: () => boolean) {
    let attempts = 0;
    const db = new Proxy(database.db, {
      get(target, key) {
        if (key !== 'transaction') return Reflect.get(target, key, target);
        const transaction: typeof target.transaction = (fn, config) => {
          attempts++;
          return refuse()
            ? Promise.reject(new Error('the database refused the connection'))
            : target.transaction(fn, config);
        };
        return transaction;
      },
    });
    return { db, attempts: () => attempts };
  }

  /** Nobody online and nobody waiting: the operator and contact a test adds next are the only ones. */
  async function onlyNew() {
    await database.db.update(users).set({ status: 'offline' }).where(eq(users.workspaceId, workspaceId));
    await database.db
      .update(contacts)
      .set({ status: 'abandoned', closedAt: new Date() })
      .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.status, 'queued')));
  }

  it('runs again by itself, each time later, until it gets through: nothing else may come to route the queue', async () => {
    await onlyNew();
    await operatorWithSlots(1);
    const [waiting] = await queued(1);
    let failures = 3;
    const { db, attempts } = refusing(() => failures-- > 0);
    const warned: { inMs: number }[] = [];
    const router = createRouter({
      db,
      bus: createLocalBus(),
      clock: systemClock,
      retry: { firstMs: 20, maxMs: 40 },
      log: { warn: (obj: { inMs: number }) => warned.push(obj) },
    });
    try {
      await expect(router.route(workspaceId)).rejects.toThrow('refused');
      const status = async () =>
        (await database.db.select().from(contacts).where(eq(contacts.id, waiting!)))[0]?.status;
      expect(await status()).toBe('queued');
      for (let i = 0; i < 100 && (await status()) !== 'assigned'; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await status()).toBe('assigned');
      expect(attempts()).toBe(4);
      // Later each time, up to the longest pause; every failure is logged with its next try.
      expect(warned.map((w) => w.inMs)).toEqual([20, 40, 40]);
    } finally {
      router.close();
    }
  });

  it('is not tried again once the router is closed (the server is stopping)', async () => {
    await onlyNew();
    await operatorWithSlots(1);
    await queued(1);
    const { db, attempts } = refusing(() => true);
    const router = createRouter({
      db,
      bus: createLocalBus(),
      clock: systemClock,
      retry: { firstMs: 20, maxMs: 20 },
    });
    await expect(router.route(workspaceId)).rejects.toThrow('refused');
    router.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(attempts()).toBe(1);
  });
});

describe("a pass's write", () => {
  it('finds the contacts it assigns by primary key, not by reading every conversation', async () => {
    // Thousands of conversations, the table never analyzed: planned for the 100 rows PostgreSQL
    // assumes of a JSON recordset, the update read the whole table to assign one contact.
    await database.db.execute(sql`insert into ${contacts} (workspace_id, site_id, status)
      select ${workspaceId}::uuid, ${siteId}::uuid, 'closed' from generate_series(1, 5000)`);
    await operatorWithSlots(5);
    const [id] = await queued(1);
    let write: SQL | null = null;
    const capturing = new Proxy(database.db, {
      get(target, key) {
        if (key !== 'transaction') return Reflect.get(target, key, target);
        const transaction: typeof target.transaction = (fn, config) =>
          target.transaction(
            (tx) =>
              fn(
                new Proxy(tx, {
                  get(t, k) {
                    if (k !== 'execute') return Reflect.get(t, k, t);
                    return (query: SQL) => {
                      write = query; // the last one is the pass's write
                      return t.execute(query);
                    };
                  },
                }),
              ),
            config,
          );
        return transaction;
      },
    });
    await createRouter({ db: capturing, bus: createLocalBus(), clock: systemClock }).route(workspaceId);
    const [row] = await database.db.select().from(contacts).where(eq(contacts.id, id!));
    expect(row?.status).toBe('assigned');
    expect(write).not.toBeNull();
    // Run again (rolled back) and count what it read from contacts.
    expect(await rowsReadFrom(database.db, write!, 'contacts')).toBeLessThanOrEqual(5);
  });
});
