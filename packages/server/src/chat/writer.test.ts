import { ErrorCode } from '@parley/protocol';
import { asc, eq, inArray, type Query, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../bootstrap.js';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { type Db, hasPgCode, rowsOf } from '../db/client.js';
import { contacts, messages, sites, users } from '../db/schema/index.js';
import { fail } from '../errors.js';
import { openTestDatabase, rowsReadFrom, watchingStatements } from '../test/db.js';
import { createMessageWriter } from './writer.js';

let database: Awaited<ReturnType<typeof openTestDatabase>>;
/** Statements written through `execute`: the writer's one statement per group. */
let statements = 0;
let db: Db;
let siteId: string;
let workspaceId: string;

beforeAll(async () => {
  database = await openTestDatabase();
  const boot = await bootstrap(database.db, loadConfig({}));
  workspaceId = boot.workspaceId;
  siteId = (await database.db.select({ id: sites.id }).from(sites))[0]!.id;
  // Count the writes the writer makes: the figure group commit is about.
  db = watchingStatements(database.db, () => {
    statements += 1;
  });
});
afterAll(() => database.close());

async function newContacts(n: number, status: 'active' | 'closed' = 'active') {
  const rows = await database.db
    .insert(contacts)
    .values(Array.from({ length: n }, () => ({ workspaceId, siteId, status })))
    .returning({ id: contacts.id });
  return rows.map((r) => r.id);
}

/** A conversation's stored messages, in seq order. */
const storedIn = (contactId: string) =>
  database.db
    .select({ seq: messages.seq, body: messages.body })
    .from(messages)
    .where(eq(messages.contactId, contactId))
    .orderBy(asc(messages.seq));

const author = { kind: 'visitor' as const, id: '00000000-0000-4000-8000-000000000001', name: 'V' };
const allow = () => {};
type Writer = ReturnType<typeof createMessageWriter>;
/** The visitor sends `body` with `clientId` into the conversation. */
const says = (writer: Writer, contactId: string, clientId: string, body: string) =>
  writer.append({ contactId, author, input: { clientId, body }, authorize: allow });

describe('group commit of messages', () => {
  it("leaves room on the conversations' pages, so that each message's update of its row touches no index", async () => {
    // Without it, 42 % of these updates went to another page and into all five indexes of contacts.
    const [row] = await rowsOf<{ options: string[] | null }>(
      db,
      sql`select reloptions as options from pg_class where relname = 'contacts' and relkind = 'r'`,
    );
    expect(row?.options).toContain('fillfactor=80');
  });

  it('writes concurrent messages of many conversations in a few statements, in arrival order, gap-free', async () => {
    const writer = createMessageWriter({ db, clock: systemClock });
    const ids = await newContacts(20);
    statements = 0;
    const sends = [];
    for (let i = 0; i < 10; i++) {
      for (const id of ids)
        sends.push(
          writer.append({
            contactId: id,
            author,
            input: { clientId: `m${i}`, body: `#${i}` },
            authorize: allow,
          }),
        );
    }
    const done = await Promise.all(sends);
    expect(done.every((d) => d.fresh)).toBe(true);
    // 200 messages; the first goes alone, the rest wait behind it and go together.
    console.log(`group commit: 200 messages in ${statements} statements`);
    expect(statements).toBeGreaterThan(0);
    expect(statements).toBeLessThanOrEqual(4);
    for (const id of ids) {
      const rows = await storedIn(id);
      expect(rows).toEqual(Array.from({ length: 10 }, (_, i) => ({ seq: i + 1, body: `#${i}` })));
      expect(
        (await database.db.select({ s: contacts.lastSeq }).from(contacts).where(eq(contacts.id, id)))[0]!.s,
      ).toBe(10);
    }
  });

  it('finds its conversations by primary key, not by reading every conversation', async () => {
    // Thousands of conversations, the table never analyzed: planned for the 100 rows PostgreSQL
    // assumes of a JSON recordset, the update read the whole table for a group of a few messages.
    await database.db.execute(sql`insert into ${contacts} (workspace_id, site_id, status)
      select ${workspaceId}::uuid, ${siteId}::uuid, 'closed' from generate_series(1, 5000)`);
    const ids = await newContacts(3);
    let group: Query | null = null;
    const capturing = watchingStatements(database.db, (q) => {
      group = q;
    });
    const writer = createMessageWriter({ db: capturing, clock: systemClock });
    await Promise.all(ids.map((id, i) => says(writer, id, `k${i}`, 'hello')));
    expect(group).not.toBeNull();
    // Run again (its conversations moved on, so it writes nothing) and count what it read.
    expect(await rowsReadFrom(database.db, group!, 'contacts')).toBeLessThanOrEqual(ids.length);
  });

  it('keeps no index on messages that no statement reads by: each one costs every stored message', async () => {
    // (contact_id, created_at) was a quarter of PostgreSQL's time per message, and unused.
    const indexes = await rowsOf<{ name: string }>(
      db,
      sql`select indexname as name from pg_indexes where tablename = 'messages' order by indexname`,
    );
    expect(indexes.map((i) => i.name)).toEqual([
      'messages_contact_client_idx',
      'messages_contact_seq_idx',
      'messages_pkey',
    ]);
  });

  it("checks no foreign key on each stored message: the group's statement stores only into conversations it just updated", async () => {
    // The key's check and row lock per message were 9-14 % of PostgreSQL's CPU per message and one
    // WAL record in six (BENCHMARKS.md, twentieth session).
    const keys = await rowsOf<{ name: string }>(
      db,
      sql`select conname as name from pg_constraint where conrelid = 'messages'::regclass and contype = 'f'`,
    );
    expect(keys).toEqual([]);
  });

  it('has no BEFORE UPDATE row trigger on conversations: it would lock each one the writer updates first', async () => {
    // Whatever its column list, such a trigger makes PostgreSQL lock the row before every update: a
    // WAL record per stored message's conversation (measured: 5.3 → 6.4 records a message).
    const before = await rowsOf<{ name: string }>(
      db,
      sql`select tgname as name from pg_trigger where tgrelid = 'contacts'::regclass and not tgisinternal
        and (tgtype & 1) <> 0 and (tgtype & 2) <> 0 and (tgtype & 16) <> 0`,
    );
    expect(before).toEqual([]);
  });

  it('refuses to delete a conversation that has messages, or to change its id, as the foreign key did', async () => {
    const writer = createMessageWriter({ db, clock: systemClock });
    const [id] = await newContacts(1);
    await says(writer, id!, 'v1', 'keep me');
    const refused = (p: Promise<unknown>) =>
      p.then(
        () => 'done',
        (err: unknown) => (hasPgCode(err, '23503') ? 'refused' : err),
      );
    expect(await refused(database.db.delete(contacts).where(eq(contacts.id, id!)))).toBe('refused');
    expect(
      await refused(
        database.db
          .update(contacts)
          .set({ id: '00000000-0000-4000-8000-0000000000ff' })
          .where(eq(contacts.id, id!)),
      ),
    ).toBe('refused');
    expect(await storedIn(id!)).toEqual([{ seq: 1, body: 'keep me' }]);
    // Without messages a conversation goes, as before.
    const [empty] = await newContacts(1);
    expect(await refused(database.db.delete(contacts).where(eq(contacts.id, empty!)))).toBe('done');
  });

  it('stores no message for a conversation that is gone, even one it remembers', async () => {
    const writer = createMessageWriter({ db, clock: systemClock });
    const [gone, kept] = await newContacts(2);
    await says(writer, gone!, 'v1', 'hello');
    await says(writer, kept!, 'v1', 'hello');
    // Remembered by the writer; then removed behind its back.
    await database.db.delete(messages).where(eq(messages.contactId, gone!));
    await database.db.delete(contacts).where(eq(contacts.id, gone!));
    const [lost, stored] = await Promise.allSettled([
      says(writer, gone!, 'v2', 'anyone?'),
      says(writer, kept!, 'v2', 'still here'),
    ]);
    expect(lost).toMatchObject({ status: 'rejected', reason: { code: ErrorCode.NotFound } });
    expect(stored).toMatchObject({ status: 'fulfilled', value: { fresh: true, message: { seq: 2 } } });
    expect(await database.db.select().from(messages).where(eq(messages.contactId, gone!))).toEqual([]);
    expect(await storedIn(kept!)).toHaveLength(2);
  });

  it("stores the conversation's new state as the senders are told it: times, preview, first response", async () => {
    const times = [new Date('2026-03-01T10:00:00.123Z'), new Date('2026-03-01T10:05:07.456Z')];
    let tick = 0;
    const writer = createMessageWriter({ db, clock: { now: () => times[tick]! } });
    const [id] = await newContacts(1);
    const asked = await says(writer, id!, 'question', 'Where is my order?');
    tick = 1;
    const operator = { kind: 'operator' as const, id: author.id, name: 'Op' };
    const input = { clientId: 'answer', body: 'On its way' };
    const answered = await writer.append({ contactId: id!, author: operator, input, authorize: allow });
    expect(asked.message.createdAt).toBe(times[0]!.toISOString());
    expect(answered.message.createdAt).toBe(times[1]!.toISOString());
    expect(answered.changed).toBe(true);

    const stored = await database.db
      .select({ seq: messages.seq, createdAt: messages.createdAt })
      .from(messages)
      .where(eq(messages.contactId, id!))
      .orderBy(asc(messages.seq));
    expect(stored).toEqual([
      { seq: 1, createdAt: times[0] },
      { seq: 2, createdAt: times[1] },
    ]);
    const [row] = await database.db.select().from(contacts).where(eq(contacts.id, id!));
    const told = answered.contact;
    expect(row).toMatchObject({
      lastSeq: 2,
      lastMessagePreview: 'On its way',
      lastMessageAt: times[1],
      updatedAt: times[1],
      firstResponseAt: times[1],
      status: 'active',
    });
    expect([told.lastSeq, told.lastMessageAt, told.firstResponseAt, told.status]).toEqual([
      row!.lastSeq,
      row!.lastMessageAt,
      row!.firstResponseAt,
      row!.status,
    ]);

    // A later message keeps the first response's time: it travels back as it was stored.
    tick = 0;
    await writer.append({
      contactId: id!,
      author: operator,
      input: { clientId: 'again', body: 'x' },
      authorize: allow,
    });
    const [after] = await database.db.select().from(contacts).where(eq(contacts.id, id!));
    expect(after).toMatchObject({ lastSeq: 3, lastMessageAt: times[0], firstResponseAt: times[1] });
  });

  it('paces its groups under load: what arrives within the pace of the last group waits to go with the next one', async () => {
    // Back to back, groups were a millisecond apart and carried five messages each; every statement
    // costs PostgreSQL its fixed part. A long pace here makes the timing plain.
    const paceMs = 1_000;
    const writer = createMessageWriter({ db, clock: systemClock, paceMs });
    const [id] = await newContacts(1);
    statements = 0;
    const t0 = performance.now();
    await says(writer, id!, 'alone', 'nobody was writing: this one goes at once');
    expect(performance.now() - t0).toBeLessThan(paceMs);
    expect(statements).toBe(1);
    // Within the pace of the first group: the two wait, in separate turns of the event loop, and
    // leave together once the pace is over.
    const second = says(writer, id!, 'second', 'second');
    await new Promise((r) => setTimeout(r, 20));
    const third = says(writer, id!, 'third', 'third');
    const [a, b] = await Promise.all([second, third]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(paceMs - 5);
    expect(statements).toBe(2);
    expect([a.message.seq, b.message.seq]).toEqual([2, 3]);
    expect(a.message.createdAt).toEqual(b.message.createdAt); // one group, one time
  });

  it('writes each later message of a remembered conversation in one statement, with no re-read', async () => {
    const writer = createMessageWriter({ db, clock: systemClock });
    const [id] = await newContacts(1);
    await says(writer, id!, 'first', 'first'); // read, then remembered
    statements = 0;
    for (let i = 0; i < 5; i++) {
      const done = await says(writer, id!, `next-${i}`, `next ${i}`);
      expect(done.message.seq).toBe(i + 2);
      expect(done.contact.lastSeq).toBe(i + 2);
    }
    // One compare-and-set each: the remembered row kept up with every write (a stale one fails the
    // statement and sends the message round again after a fresh read).
    expect(statements).toBe(5);
    expect((await storedIn(id!)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('stores a client id repeated inside one group once, and answers both sends with it', async () => {
    const writer = createMessageWriter({ db, clock: systemClock });
    const [id] = await newContacts(1);
    const [a, b, c] = await Promise.all([
      says(writer, id!, 'warm-up', 'x'),
      says(writer, id!, 'twice', 'same'),
      says(writer, id!, 'twice', 'same'),
    ]);
    expect(a.fresh).toBe(true);
    expect([b.fresh, c.fresh]).toEqual([true, false]);
    expect(c.message).toEqual(b.message);
    const rows = await database.db.select().from(messages).where(eq(messages.contactId, id!));
    expect(rows.map((r) => r.seq).sort()).toEqual([1, 2]);
  });

  it('fails only the message refused for its own reason; the rest of its group is stored', async () => {
    const writer = createMessageWriter({ db, clock: systemClock });
    const [open1, open2] = await newContacts(2);
    const [closed] = await newContacts(1, 'closed');
    const [other] = await newContacts(1);
    const results = await Promise.allSettled([
      says(writer, open1!, 'a', 'first'),
      says(writer, closed!, 'b', 'too late'),
      writer.append({
        contactId: other!,
        author,
        input: { clientId: 'c', body: 'not yours' },
        authorize: () => fail(ErrorCode.Forbidden, 'This conversation is assigned to someone else.'),
      }),
      writer.append({
        contactId: open2!,
        author,
        input: { clientId: 'd', body: 'quoting a stranger', quoteId: '00000000-0000-4000-8000-00000000beef' },
        authorize: allow,
      }),
      says(writer, open2!, 'e', 'fine'),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : null));
    expect(codes).toEqual([null, ErrorCode.ContactClosed, ErrorCode.Forbidden, ErrorCode.Validation, null]);
    const stored = await database.db
      .select({ c: messages.contactId, seq: messages.seq, body: messages.body })
      .from(messages)
      .where(inArray(messages.contactId, [open1!, open2!, closed!, other!]));
    expect(stored.sort((x, y) => x.body.localeCompare(y.body))).toEqual([
      { c: open2, seq: 1, body: 'fine' },
      { c: open1, seq: 1, body: 'first' },
    ]);
  });

  it('stores text as it was sent, quotes and all; a NUL fails its own message, a cut emoji is mended', async () => {
    const writer = createMessageWriter({ db, clock: systemClock });
    const [id] = await newContacts(1);
    const tricky = 'He said "hi", {braces} \\ back\\slash, \'quotes\', العربية, tiếng Việt, 👋';
    const results = await Promise.allSettled([
      says(writer, id!, 't1', tricky),
      says(writer, id!, 't2', 'nul \u0000 here'),
      says(writer, id!, 't3', 'cut \ud83d'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(results[1]).toMatchObject({ reason: { code: ErrorCode.Validation } });
    const stored = await database.db
      .select({ seq: messages.seq, body: messages.body, createdAt: messages.createdAt })
      .from(messages)
      .where(eq(messages.contactId, id!))
      .orderBy(asc(messages.seq));
    expect(stored.map((m) => [m.seq, m.body])).toEqual([
      [1, tricky],
      [2, 'cut \ufffd'],
    ]);
    // What the senders were told is what the database holds.
    const told = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.message] : []));
    expect(told.map((m) => [m.seq, m.body, m.createdAt])).toEqual(
      stored.map((m) => [m.seq, m.body, m.createdAt.toISOString()]),
    );
  });

  it('re-reads a conversation changed behind its back: a close refuses, a take-over lets the reply through', async () => {
    const writer = createMessageWriter({ db, clock: systemClock });
    const [a, b] = await newContacts(2);
    const [{ id: op }] = (await database.db.select({ id: users.id }).from(users).limit(1)) as [
      { id: string },
    ];
    // The operator may write only while the conversation is theirs.
    const theirs = (c: { assigneeId: string | null }) => {
      if (c.assigneeId !== op) fail(ErrorCode.Forbidden, 'Accept this conversation first.');
    };
    const operator = { kind: 'operator' as const, id: op, name: 'Op' };
    await says(writer, a!, 'v1', 'hello');
    await says(writer, b!, 'v1', 'hello');
    // Both are remembered now; then the world changes without the writer.
    await database.db.update(contacts).set({ status: 'closed' }).where(eq(contacts.id, a!));
    await database.db.update(contacts).set({ status: 'assigned', assigneeId: op }).where(eq(contacts.id, b!));
    await expect(says(writer, a!, 'v2', 'too late')).rejects.toMatchObject({ code: ErrorCode.ContactClosed });
    const reply = await writer.append({
      contactId: b!,
      author: operator,
      input: { clientId: 'o1', body: 'hi, I am here' },
      authorize: theirs,
    });
    expect(reply).toMatchObject({ fresh: true, changed: true, message: { seq: 2 } });
    const [row] = await database.db.select().from(contacts).where(eq(contacts.id, b!));
    expect(row).toMatchObject({ status: 'active', assigneeId: op, lastSeq: 2 });
    expect(await database.db.select().from(messages).where(eq(messages.contactId, a!))).toHaveLength(1);
  });

  it('keeps seqs gap-free and each writer in order when two processes write one conversation', async () => {
    const one = createMessageWriter({ db, clock: systemClock });
    const two = createMessageWriter({ db, clock: systemClock });
    const [id] = await newContacts(1);
    const sends = [];
    for (let i = 0; i < 30; i++) {
      for (const [w, name] of [
        [one, 'one'],
        [two, 'two'],
      ] as const) {
        sends.push(
          w.append({
            contactId: id!,
            author,
            input: { clientId: `${name}-${i}`, body: `${name} ${i}` },
            authorize: allow,
          }),
        );
      }
    }
    const done = await Promise.all(sends);
    expect(done.every((d) => d.fresh)).toBe(true);
    const rows = await storedIn(id!);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    for (const name of ['one', 'two']) {
      const mine = rows.filter((r) => r.body.startsWith(`${name} `)).map((r) => r.body);
      expect(mine).toEqual(Array.from({ length: 30 }, (_, i) => `${name} ${i}`));
    }
    const [c] = await database.db.select().from(contacts).where(eq(contacts.id, id!));
    expect(c!.lastSeq).toBe(60);
  });

  it('answers a resend of a stored message with the stored one, even when the conversation is remembered', async () => {
    const writer = createMessageWriter({ db, clock: systemClock });
    const [id] = await newContacts(1);
    const sent = await says(writer, id!, 'once', 'hi');
    await says(writer, id!, 'next', 'there');
    // The widget reconnects and sends both again, then a new one.
    const [again, next, fresh] = await Promise.all([
      says(writer, id!, 'once', 'hi'),
      says(writer, id!, 'next', 'there'),
      says(writer, id!, 'new', 'new'),
    ]);
    expect(again).toMatchObject({ fresh: false, message: sent.message });
    expect(next).toMatchObject({ fresh: false, message: { seq: 2 } });
    expect(fresh).toMatchObject({ fresh: true, message: { seq: 3 } });
    const seqs = await storedIn(id!);
    expect(seqs.map((r) => r.seq)).toEqual([1, 2, 3]);
  });
});
