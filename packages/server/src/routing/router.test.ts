import { eq } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../bootstrap.js';
import { createLocalBus } from '../bus.js';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { contacts, sites, users } from '../db/schema/index.js';
import { openTestDatabase } from '../test/db.js';
import { loadsOf, lockOperatorsWithLoads } from './repo.js';
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
  // Two connections are needed: PGlite has one, so this runs on PostgreSQL (DATABASE_URL).
  it.skipIf(!process.env.DATABASE_URL)(
    "counts the chat another router gave an operator while this pass waited for the operator's lock",
    async () => {
      const op = await operatorWithSlots(1);
      const [x, y] = await queued(2);
      const other = postgres(database.url!, { max: 1, onnotice: () => {} });
      try {
        // Another process's pass: holds the operator's row and gives them their last slot, touching
        // the operator's row as every assignment does (the router's write and a manual take both
        // set last_assigned_at): that newer row version is how a waiting pass knows its loads are old.
        let release!: () => void;
        const held = new Promise<void>((r) => {
          release = r;
        });
        let locked!: () => void;
        const lockTaken = new Promise<void>((r) => {
          locked = r;
        });
        const otherPass = other.begin(async (sql) => {
          await sql`select id from users where id = ${op} for update`;
          await sql`update contacts set status = 'assigned', assignee_id = ${op} where id = ${x!}`;
          await sql`update users set last_assigned_at = now() where id = ${op}`;
          locked();
          await held;
        });
        await lockTaken;
        const router = createRouter({ db: database.db, bus: createLocalBus(), clock: systemClock });
        const pass = router.route(workspaceId);
        await new Promise((r) => setTimeout(r, 300)); // the pass is now waiting for the operator's row
        release();
        await otherPass;
        await pass;
        const [row] = await database.db
          .select({ status: contacts.status, assignee: contacts.assigneeId })
          .from(contacts)
          .where(eq(contacts.id, y!));
        expect(row).toEqual({ status: 'queued', assignee: null });
      } finally {
        await other.end();
      }
    },
  );
});

describe("an operator's load", () => {
  it('counts open chats and calls the same alone and in the locking statement, as numbers', async () => {
    const op = await operatorWithSlots(9);
    const [a, b, c, d] = await queued(4);
    const set = (id: string, values: Partial<typeof contacts.$inferInsert>) =>
      database.db.update(contacts).set(values).where(eq(contacts.id, id));
    await set(a!, { status: 'assigned', assigneeId: op });
    await set(b!, { status: 'active', assigneeId: op });
    await set(c!, { status: 'active', assigneeId: op, channel: 'voice' });
    await set(d!, { status: 'closed', assigneeId: op }); // closed: not a load
    await queued(1); // someone waits: the locking statement reads only then
    const alone = (await loadsOf(database.db, workspaceId)).get(op);
    const locked = await database.db.transaction(async (tx) =>
      (await lockOperatorsWithLoads(tx, workspaceId)).loads.get(op),
    );
    expect(alone).toEqual({ chats: 2, voice: 1 });
    expect(locked).toEqual({ chats: 2, voice: 1 });
  });
});
