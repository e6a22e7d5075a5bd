/**
 * The LISTEN/NOTIFY bus between two instances, each on its own postgres.js client, as two server
 * processes would be. Needs PostgreSQL even in the default (PGlite) run: a fresh database is made
 * next to DATABASE_URL, or next to the machine's `test` database.
 */
import { randomBytes } from 'node:crypto';
import type { ContactSummary } from '@parley/protocol';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatEvent } from './bus.js';
import { type BusLog, createPgBus, lockSpace, type PgBus, splitUtf8 } from './bus-pg.js';

const BASE = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const WORKSPACE = '00000000-0000-4000-8000-000000000001';

let admin: Sql;
let dbName: string;
let url: string;
const clients: Sql[] = [];
const buses: PgBus[] = [];

beforeAll(async () => {
  dbName = `parley_t_${randomBytes(6).toString('hex')}`;
  admin = postgres(BASE, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${dbName}`);
  const u = new URL(BASE);
  u.pathname = `/${dbName}`;
  url = u.href;
});

afterAll(async () => {
  for (const b of buses) await b.close();
  for (const c of clients) await c.end({ timeout: 5 });
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.end();
});

interface Logged {
  level: 'info' | 'warn' | 'error';
  msg: string;
  obj: object;
}

/** A bus on its own client (own pool, own LISTEN connection), recording what it logs and hears. */
async function node(
  opts: {
    channel?: string;
    maxPayloadBytes?: number;
    membersEveryMs?: number;
    joinTimeoutMs?: number;
    missedEveryMs?: number;
  } = {},
) {
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  clients.push(sql);
  const logs: Logged[] = [];
  const log: BusLog = {
    info: (obj, msg = '') => logs.push({ level: 'info', msg, obj }),
    warn: (obj, msg = '') => logs.push({ level: 'warn', msg, obj }),
    error: (obj, msg = '') => logs.push({ level: 'error', msg, obj }),
  };
  const bus = createPgBus({ sql, log, channel: opts.channel ?? 'parley_test', ...opts });
  buses.push(bus);
  const heard: ChatEvent[] = [];
  bus.subscribe((e) => heard.push(e));
  /** When `onMissed` told this process that events were lost (ms, performance.now()). */
  const missed: number[] = [];
  bus.onMissed(() => missed.push(performance.now()));
  await bus.start();
  return { sql, bus, heard, logs, missed };
}

const typing = (n: number): ChatEvent => ({
  kind: 'typing',
  workspaceId: WORKSPACE,
  contactId: `c-${n}`,
  assigneeId: null,
  from: 'visitor',
  on: n % 2 === 0,
});

/** The largest contact event the protocol allows: 20 answers of 500 characters, not all of them ASCII. */
function bigContact(tag: string): ChatEvent {
  const answers: Record<string, string> = {};
  for (let i = 0; i < 20; i++) {
    // 3-byte (€), 4-byte (emoji, a surrogate pair) and JSON-escaped ("\n, quotes) characters, and our separator.
    const unit = `${tag}€😀"|\n`;
    answers[`field_${i}`] = unit.repeat(Math.ceil(500 / unit.length)).slice(0, 500);
  }
  const contact: ContactSummary = {
    id: `contact-${tag}`,
    siteId: 'site',
    channel: 'chat',
    priority: 0,
    requiredSkills: [],
    clientId: null,
    callbackPhone: null,
    status: 'queued',
    visitorName: 'Zoë',
    answers,
    assigneeId: null,
    lastSeq: 0,
    lastMessage: null,
    lastMessageAt: null,
    enqueuedAt: new Date(0).toISOString(),
    firstResponseAt: null,
    closedAt: null,
    createdAt: new Date(0).toISOString(),
    pageUrl: null,
    visitorLastSeenAt: null,
    handoffNote: null,
  };
  return { kind: 'contact', workspaceId: WORKSPACE, contact };
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('splitUtf8', () => {
  it('cuts on character boundaries within the byte budget and loses nothing', () => {
    const text = 'aé€😀'.repeat(50);
    for (const max of [4, 5, 7, 64]) {
      const parts = splitUtf8(text, max);
      expect(parts.join('')).toBe(text);
      for (const p of parts) {
        expect(Buffer.byteLength(p, 'utf8')).toBeLessThanOrEqual(max);
        expect(p.isWellFormed()).toBe(true);
      }
    }
    expect(splitUtf8('', 10)).toEqual(['']);
  });
});

describe('the PostgreSQL event bus', () => {
  it('delivers to local listeners at once and to the other process once, never echoing back', async () => {
    const a = await node({ channel: 'echo_test' });
    const b = await node({ channel: 'echo_test' });
    a.bus.publish(typing(1));
    // Local delivery is synchronous, before any NOTIFY.
    expect(a.heard).toEqual([typing(1)]);
    await until('b hears the event', () => b.heard.length === 1);
    expect(b.heard).toEqual([typing(1)]);
    b.bus.publish(typing(2));
    await until('a hears b', () => a.heard.length === 2);
    // Give an echo time to arrive: it must not.
    await new Promise((r) => setTimeout(r, 200));
    expect(a.heard).toEqual([typing(1), typing(2)]);
    expect(b.heard).toEqual([typing(1), typing(2)]);
  });

  it('packs a burst of small events into a few notifications, heard in order', async () => {
    const a = await node({ channel: 'pack_test' });
    const b = await node({ channel: 'pack_test' });
    const notifications: string[] = [];
    await a.sql.listen('pack_test', (payload) => notifications.push(payload));
    const burst = Array.from({ length: 200 }, (_, i) => typing(i));
    for (const e of burst) a.bus.publish(e);
    await until('b hears the burst', () => b.heard.length === 200);
    expect(b.heard).toEqual(burst);
    // About 100 bytes an event, under 8,000 a notification: a handful, not two hundred.
    expect(notifications.length).toBeGreaterThan(1);
    expect(notifications.length).toBeLessThanOrEqual(10);
  });

  it('carries an event larger than the 8,000-byte NOTIFY limit intact', async () => {
    const a = await node({ channel: 'large_test' });
    const b = await node({ channel: 'large_test' });
    const event = bigContact('x');
    const bytes = Buffer.byteLength(JSON.stringify(event), 'utf8');
    expect(bytes).toBeGreaterThan(15_000);
    // PostgreSQL itself refuses it in one NOTIFY: the reason for the parts.
    await expect(a.sql`select pg_notify('large_test', ${JSON.stringify(event)})`).rejects.toThrow(/too long/);
    a.bus.publish(event);
    a.bus.publish(typing(3));
    await until('b hears both', () => b.heard.length === 2);
    expect(b.heard).toEqual([event, typing(3)]);
    expect(b.logs.filter((l) => l.level !== 'info')).toEqual([]);
  });

  it("keeps one publisher's order across hundreds of small and large events, with two publishers at once", async () => {
    // A small payload limit makes every event travel in several parts.
    const a = await node({ channel: 'order_test', maxPayloadBytes: 120 });
    const b = await node({ channel: 'order_test', maxPayloadBytes: 120 });
    const c = await node({ channel: 'order_test' });
    const fromA: ChatEvent[] = [];
    const fromB: ChatEvent[] = [];
    for (let i = 0; i < 400; i++) {
      const ea = i % 50 === 0 ? bigContact(`a${i}`) : typing(i);
      const eb: ChatEvent = {
        kind: 'seen',
        workspaceId: WORKSPACE,
        contactId: `b-${i}`,
        assigneeId: null,
        by: 'operator',
        seq: i,
      };
      fromA.push(ea);
      fromB.push(eb);
      a.bus.publish(ea);
      b.bus.publish(eb);
      // Yield now and then, so flushes interleave with publishing.
      if (i % 37 === 0) await new Promise((r) => setImmediate(r));
    }
    await until('c hears all 800', () => c.heard.length === 800, 30_000);
    const seenAtC = (from: ChatEvent[]) =>
      c.heard.filter((e) => from.includes(e) || from.some((f) => same(f, e)));
    expect(seenAtC(fromA)).toEqual(fromA);
    expect(seenAtC(fromB)).toEqual(fromB);
    await until('a and b hear each other', () => a.heard.length === 800 && b.heard.length === 800, 30_000);
    expect(a.heard.filter((e) => e.kind === 'seen')).toEqual(fromB);
    expect(b.heard.filter((e) => e.kind !== 'seen')).toEqual(fromA);
    for (const n of [a, b, c]) expect(n.logs.filter((l) => l.level !== 'info')).toEqual([]);
  });

  it('listens again after its LISTEN connection is killed, and says so', async () => {
    const a = await node({ channel: 'reconnect_test' });
    const b = await node({ channel: 'reconnect_test' });
    a.bus.publish(typing(1));
    await until('b hears the first event', () => b.heard.length === 1);
    const killed = await a.sql<{ pid: number }[]>`
      select pg_terminate_backend(pid) as killed, pid from pg_stat_activity
      where datname = current_database() and query ilike 'listen%reconnect_test%'`;
    // Both buses listen on their own connection: both are cut.
    expect(killed.length).toBe(2);
    // 1. b re-LISTENs (postgres.js reconnects) and logs it; 2. events published after that arrive.
    await until('b logs the re-LISTEN', () => b.logs.some((l) => l.msg.includes('re-established')));
    let n = 100;
    await until('b hears a again', () => {
      a.bus.publish(typing(n++));
      return b.heard.some((e) => e.kind === 'typing' && Number(e.contactId.slice(2)) >= 100);
    });
    // Nothing published after the reconnect is out of order.
    const later = b.heard.slice(1).map((e) => (e.kind === 'typing' ? Number(e.contactId.slice(2)) : -1));
    expect(later).toEqual([...later].sort((x, y) => x - y));
    // Both were told, once each, that events may have been lost: the gap a's packets show b
    // afterwards is the same loss, not a second one.
    expect(a.missed).toHaveLength(1);
    expect(b.missed).toHaveLength(1);
  });

  it('is not told of missed events when it listens again alone: nobody else published', async () => {
    const a = await node({ channel: 'alone_relisten_test' });
    await a.sql`select pg_terminate_backend(pid) from pg_stat_activity
      where datname = current_database() and query ilike 'listen%alone_relisten_test%'`;
    await until('a logs the re-LISTEN', () => a.logs.some((l) => l.msg.includes('re-established')));
    expect(a.missed).toEqual([]);
  });

  /** Notifications as another publisher would send them: `p2|origin|seq|part|parts|data`. */
  const forge = (sql: Sql, channel: string, ...payloads: string[]) =>
    sql`select pg_notify(${channel}, p) from unnest(${payloads}::text[]) as p`;
  const events = (...es: ChatEvent[]) => JSON.stringify(es);

  it("is told when another publisher's seqs skip (its NOTIFY failed) and when an event's parts do not all arrive", async () => {
    const b = await node({ channel: 'gap_test', missedEveryMs: 0 });
    const sent = (n: number) => until(`b hears ${n}`, () => b.heard.length === n);
    await forge(
      b.sql,
      'gap_test',
      `p2|0000abcd|1|1|1|${events(typing(1))}`,
      `p2|0000abcd|2|1|1|${events(typing(2))}`,
    );
    await sent(2);
    expect(b.missed).toEqual([]);
    // 3 never came.
    await forge(b.sql, 'gap_test', `p2|0000abcd|4|1|1|${events(typing(4))}`);
    await sent(3);
    await until('b is told of the gap', () => b.missed.length === 1);
    // 5 began in two parts, and its second never came: 6 begins instead.
    const [head, tail] = [events(typing(5)).slice(0, 10), events(typing(5)).slice(10)];
    await forge(b.sql, 'gap_test', `p2|0000abcd|5|1|2|${head}`, `p2|0000abcd|6|1|1|${events(typing(6))}`);
    await sent(4);
    await until('b is told of the incomplete event', () => b.missed.length === 2);
    // The second part of 7, without its first.
    await forge(b.sql, 'gap_test', `p2|0000abcd|7|2|2|${tail}`);
    await until('b is told of the stray part', () => b.missed.length === 3);
    expect(b.heard.map((e) => (e.kind === 'typing' ? e.contactId : e.kind))).toEqual([
      'c-1',
      'c-2',
      'c-4',
      'c-6',
    ]);
    // Bytes that are not our frame at all (another program on the channel) are no loss of ours.
    await forge(b.sql, 'gap_test', 'hello', 'p2|0000abcd|x|1|1|[]');
    await new Promise((r) => setTimeout(r, 200));
    expect(b.missed).toHaveLength(3);
  });

  it('tells of losses close together once now and once when the quiet time ends, not once each', async () => {
    const b = await node({ channel: 'coalesce_test', missedEveryMs: 400 });
    const gaps = [1, 3, 5, 7, 9].map((n) => `p2|0000beef|${n}|1|1|${events(typing(n))}`);
    for (const g of gaps) await forge(b.sql, 'coalesce_test', g);
    await until('b hears all five', () => b.heard.length === 5);
    await until('b is told twice', () => b.missed.length === 2, 3_000);
    await new Promise((r) => setTimeout(r, 600));
    expect(b.missed).toHaveLength(2);
    expect(b.missed[1]! - b.missed[0]!).toBeGreaterThanOrEqual(390);
  });

  it('is quiet after close: no more deliveries from other processes', async () => {
    const a = await node({ channel: 'close_test' });
    const b = await node({ channel: 'close_test' });
    await b.bus.close();
    a.bus.publish(typing(1));
    await new Promise((r) => setTimeout(r, 300));
    expect(b.heard).toEqual([]);
  });
});

describe('the processes on a channel', () => {
  /** A plain LISTEN on the channel (no bus, so not a process of it): what goes over the wire. */
  async function wire(channel: string) {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    clients.push(sql);
    const events: string[] = [];
    await sql.listen(channel, (payload) => {
      if (payload.startsWith('p2|')) events.push(payload);
    });
    return events;
  }
  const settle = () => new Promise((r) => setTimeout(r, 300));

  it('sends nothing while it is the only process, and everything once another one joins', async () => {
    const seen = await wire('alone_test');
    const a = await node({ channel: 'alone_test' });
    expect(a.bus.peers).toBe(0);
    for (let i = 0; i < 50; i++) a.bus.publish(typing(i));
    expect(a.heard).toHaveLength(50); // its own sockets hear everything, at once
    await settle();
    expect(seen).toEqual([]);
    const b = await node({ channel: 'alone_test' });
    expect(a.bus.peers).toBe(1);
    expect(b.bus.peers).toBe(1);
    // Published the moment b's start resolved: b's sockets must not miss it.
    a.bus.publish(typing(100));
    await until('b hears a', () => b.heard.length === 1);
    expect(b.heard).toEqual([typing(100)]);
    expect(seen).toHaveLength(1);
    for (const n of [a, b]) expect(n.logs.filter((l) => l.level !== 'info')).toEqual([]);
  });

  it('a process joining a busy channel misses nothing published after its start resolves', async () => {
    const a = await node({ channel: 'busy_test' });
    let n = 0;
    let publishing = true;
    const pump = (async () => {
      while (publishing) {
        a.bus.publish(typing(n++));
        await new Promise((r) => setImmediate(r));
      }
    })();
    const b = await node({ channel: 'busy_test' });
    const from = n;
    await new Promise((r) => setTimeout(r, 100));
    publishing = false;
    await pump;
    const to = n;
    await until('b hears the rest', () =>
      b.heard.some((e) => e.kind === 'typing' && e.contactId === `c-${to - 1}`),
    );
    const heardIds = new Set(b.heard.map((e) => (e.kind === 'typing' ? e.contactId : '')));
    for (let i = from; i < to; i++) expect(heardIds.has(`c-${i}`)).toBe(true);
  });

  it('stops sending once the other process has gone', async () => {
    const seen = await wire('leave_test');
    const a = await node({ channel: 'leave_test', membersEveryMs: 50 });
    const b = await node({ channel: 'leave_test', membersEveryMs: 50 });
    a.bus.publish(typing(1));
    await until('b hears a', () => b.heard.length === 1);
    await b.bus.close();
    await b.sql.end({ timeout: 5 }); // its connections, and with them its lock, are gone
    await until('a counts itself alone', () => a.bus.peers === 0);
    expect(a.logs.some((l) => l.msg === 'event bus: alone now')).toBe(true);
    const before = seen.length;
    a.bus.publish(typing(2));
    await settle();
    expect(seen.length).toBe(before);
    expect(a.heard).toEqual([typing(1), typing(2)]);
  });

  it('takes its lock again when the connection that held it is lost, and is heard again', async () => {
    const a = await node({ channel: 'relock_test', membersEveryMs: 50 });
    const b = await node({ channel: 'relock_test', membersEveryMs: 50 });
    const holder = () =>
      a.sql<{ pid: number }[]>`select pid from pg_locks where locktype = 'advisory' and granted
        and classid = ${lockSpace('relock_test')}::int::oid and objid = ${Number.parseInt(b.bus.origin, 16)}::int::oid`;
    const [first] = await holder();
    await a.sql`select pg_terminate_backend(${first!.pid})`;
    await until('b holds its lock on another connection', async () => {
      const [now] = await holder();
      return now !== undefined && now.pid !== first!.pid;
    });
    await until('a counts b again', () => a.bus.peers === 1);
    let n = 0;
    await until('b hears a', () => {
      a.bus.publish(typing(n++));
      return b.heard.length > 0;
    });
  });

  it('tells a process that was counted gone but was not of what it missed meanwhile', async () => {
    const a = await node({ channel: 'gone_test', membersEveryMs: 50 });
    const b = await node({ channel: 'gone_test', membersEveryMs: 50 });
    a.bus.publish(typing(1));
    await until('b hears a', () => b.heard.length === 1);
    // b's lock is lost with its connection: a counts itself alone and sends nothing, though b listens.
    const [lock] = await a.sql<
      { pid: number }[]
    >`select pid from pg_locks where locktype = 'advisory' and granted
      and classid = ${lockSpace('gone_test')}::int::oid and objid = ${Number.parseInt(b.bus.origin, 16)}::int::oid`;
    await a.sql`select pg_terminate_backend(${lock!.pid})`;
    await until('a counts itself alone', () => a.bus.peers === 0);
    a.bus.publish(typing(2)); // b never hears this one
    await until('a counts b again', () => a.bus.peers === 1);
    a.bus.publish(typing(3));
    await until('b hears 3', () => b.heard.some((e) => same(e, typing(3))));
    expect(b.heard).toEqual([typing(1), typing(3)]);
    expect(b.missed).toHaveLength(1);
  });

  it('starts anyway, and says so, when another process does not answer its arrival', async () => {
    // A session that holds a lock of the channel's space but does not listen: a hung process.
    const hung = postgres(url, { max: 1, onnotice: () => {} });
    clients.push(hung);
    await hung`select pg_advisory_lock(${lockSpace('hung_test')}::int, 12345::int)`;
    const started = Date.now();
    const b = await node({ channel: 'hung_test', joinTimeoutMs: 300 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(b.bus.peers).toBe(1); // it sends: the other one may yet listen
    expect(b.logs.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'event bus: not every other process answered; events they publish meanwhile may not reach this one',
    ]);
  });
});

const same = (x: ChatEvent, y: ChatEvent) => JSON.stringify(x) === JSON.stringify(y);
