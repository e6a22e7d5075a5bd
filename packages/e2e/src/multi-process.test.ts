/**
 * Two real server processes (`node packages/server/dist/main.js`) on two ports sharing ONE fresh
 * PostgreSQL database: events travel by LISTEN/NOTIFY, assignment is kept honest by row locks.
 * Always on PostgreSQL (PGlite is single-process): DATABASE_URL when set, else the machine's `test`.
 */
import {
  CloseCode,
  type ContactSummary,
  ErrorCode,
  type OperatorInbound,
  type OperatorOutbound,
  type OperatorStatus,
  PROTOCOL_VERSION,
  type VisitorInbound,
  type VisitorOutbound,
} from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cleanup, GiveUp, waitUntil } from './support/cleanup.js';
import { connect, type FreshDatabase, freshDatabase, type Sql, testDatabaseUrl } from './support/postgres.js';
import { notOnlineSpans, readInside } from './support/presence.js';
import { type Parley, startParley } from './support/processes.js';
import { FrameSocket, ofType } from './support/sockets.js';

type VisitorSocket = FrameSocket<VisitorOutbound, VisitorInbound>;
type OperatorSocket = FrameSocket<OperatorOutbound, OperatorInbound>;

const BASE = testDatabaseUrl() ?? 'postgres://postgres@127.0.0.1:5432/test';
const OPEN = new Set(['assigned', 'active']);

const cleanup = new Cleanup();
afterAll(() => cleanup.run());

let db: FreshDatabase;
let sql: Sql;
let a: Parley;
let b: Parley;

beforeAll(async () => {
  db = await freshDatabase(BASE);
  cleanup.add(`drop ${db.name}`, () => db.drop());
  sql = await connect(db.url);
  cleanup.add('sql client', () => sql.end({ timeout: 5 }));
  // Both at once on the empty database: migrations and bootstrap must not race.
  // Behind a proxy, as in production: each test login comes from an address of its own (the login
  // limit, 10 a minute per address, is counted in the database for both processes together).
  const env = { TRUST_PROXY: 'true' };
  const started = await Promise.allSettled([
    startParley({ databaseUrl: db.url, env }),
    startParley({ databaseUrl: db.url, env }),
  ]);
  for (const s of started)
    if (s.status === 'fulfilled') cleanup.add(`parley :${s.value.port}`, () => s.value.stop());
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  [a, b] = started.map((s) => (s as PromiseFulfilledResult<Parley>).value) as [Parley, Parley];
});

// --- helpers -------------------------------------------------------------------------------------

interface Operator {
  id: string;
  email: string;
  name: string;
  maxChats: number;
  on: Parley;
}

let operators = 0;
let logins = 0;
/** An operator made in SQL (the admin's password hash, so the admin password logs them in). */
async function createOperator(maxChats: number, on: Parley): Promise<Operator> {
  const n = ++operators;
  const email = `op${n}@e2e.parley.local`;
  const name = `Operator ${n}`;
  const [row] = await sql.unsafe<{ id: string }>(
    `insert into users (workspace_id, email, name, role, password_hash, max_chats, status)
     select workspace_id, $1, $2, 'operator', password_hash, $3, 'offline' from users where role = 'admin'
     returning id`,
    [email, name, maxChats],
  );
  return { id: row!.id, email, name, maxChats, on };
}

async function operatorSocket(op: Operator): Promise<OperatorSocket> {
  const res = await fetch(`${op.on.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.77.0.${++logins}` },
    body: JSON.stringify({ email: op.email, password: op.on.adminPassword }),
  });
  expect(res.status, `login of ${op.email} on :${op.on.port}`).toBe(200);
  const cookie = res.headers.get('set-cookie')?.split(';')[0] ?? '';
  const s = await FrameSocket.open<OperatorOutbound, OperatorInbound>(`${wsUrl(op.on)}/ws/operator`, {
    cookie,
    origin: op.on.url,
  });
  cleanup.add(`operator socket ${op.email}`, () => s.close());
  await s.waitFor('ready', ofType('ready'));
  return s;
}

/** Sends `online` and waits until the operator's own socket hears the change. */
async function goOnline(operator: OperatorSocket, op: Operator, what: string): Promise<void> {
  const mark = operator.mark();
  operator.send({ type: 'status', status: 'online' });
  await operator.waitFor(
    what,
    ofType('presence', (f) => f.userId === op.id && f.status === 'online'),
    { since: mark },
  );
}

async function visitorSocket(on: Parley): Promise<VisitorSocket> {
  const s = await FrameSocket.open<VisitorOutbound, VisitorInbound>(
    `${wsUrl(on)}/ws/visitor?site=${on.siteKey}`,
    {
      origin: `http://localhost:${on.port}`,
    },
  );
  s.send({ type: 'hello', v: PROTOCOL_VERSION, page: { url: `${on.url}/shop`, title: 'Shop' } });
  await s.waitFor('welcome', ofType('welcome'));
  return s;
}

const wsUrl = (p: Parley) => p.url.replace(/^http/, 'ws');
let clientIds = 0;
const clientId = () => `e2e-${++clientIds}-${Date.now()}`;

/** Says `line` (numbered) through `say` again and again until `heard` finds one of them. */
function sayUntilHeard(line: string, say: (body: string) => void, heard: (line: string) => Promise<unknown>) {
  let n = 0;
  return waitUntil(
    `${line}, heard`,
    async () => {
      say(`${line} ${++n}`);
      return heard(line).then(() => true);
    },
    { timeoutMs: 15_000, intervalMs: 0 },
  );
}

/** mulberry32: a seeded generator, so a failing storm can be replayed with MULTI_PROCESS_SEED. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// --- tests ---------------------------------------------------------------------------------------

describe('two server processes on one PostgreSQL', () => {
  it('both started at once on an empty database, and bootstrapped it exactly once', async () => {
    expect(a.port).not.toBe(b.port);
    expect(a.siteKey).toBe(b.siteKey);
    const created = [a, b].filter((p) => p.stdout().includes('(the ADMIN_PASSWORD you set)'));
    const earlier = [a, b].filter((p) => p.stdout().includes('(created earlier)'));
    expect([created.length, earlier.length]).toEqual([1, 1]);
    for (const p of [a, b]) expect(p.stdout()).toContain('Parley is running on PostgreSQL');
    const [counts] = await sql.unsafe<{ workspaces: number; sites: number; admins: number }>(
      `select (select count(*) from workspaces)::int as workspaces, (select count(*) from sites)::int as sites,
              (select count(*) from users where role = 'admin')::int as admins`,
    );
    expect(counts).toEqual({ workspaces: 1, sites: 1, admins: 1 });
  });

  it('counts password guesses on both processes toward one limit', async () => {
    const guess = (p: Parley, i: number) =>
      fetch(`${p.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.50' },
        body: JSON.stringify({ email: 'admin@parley.local', password: `guess-${i}` }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await guess(i % 2 ? b : a, i)).status);
    expect(statuses).toEqual(Array(10).fill(401));
    // Ten guesses, five on each: the eleventh is refused on either process.
    const refused = await guess(a, 10);
    expect(refused.status).toBe(429);
    expect((await refused.json()).code).toBe(ErrorCode.RateLimited);
    expect((await guess(b, 11)).status).toBe(429);
    // Another address is not locked out.
    const other = await fetch(`${b.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.51' },
      body: JSON.stringify({ email: 'admin@parley.local', password: 'wrong' }),
    });
    expect(other.status).toBe(401);
  });

  it('a visitor on process A and an operator on process B chat live, both ways', async () => {
    const op = await createOperator(3, b);
    const operator = await operatorSocket(op);
    await goOnline(operator, op, 'own presence');
    let mark: number;

    // 1. The visitor arrives on A; A routes the contact to the one online operator, whose socket is on B.
    const visitor = await visitorSocket(a);
    cleanup.add('live visitor socket', () => visitor.close());
    const opMark = operator.mark();
    visitor.send({ type: 'start', answers: { name: 'Grace Hopper', email: 'grace@example.com' } });
    const assigned = await visitor.waitFor('assigned', ofType('assigned'));
    expect(assigned.operator.id).toBe(op.id);
    const contactId = assigned.contactId;
    const told = await operator.waitFor(
      'the contact, assigned to me, heard on B',
      ofType('contact', (f) => f.contact.id === contactId && f.contact.assigneeId === op.id),
      { since: opMark },
    );
    expect(told.contact.visitorName).toBe('Grace Hopper');

    // 2. Visitor (A) → operator (B).
    mark = visitor.mark();
    visitor.send({ type: 'send', clientId: clientId(), body: 'Hello from process A' });
    const ack = await visitor.waitFor('ack', ofType('ack'), { since: mark });
    const m1 = await operator.waitFor(
      'the visitor message on B',
      ofType('message', (f) => f.message.body === 'Hello from process A'),
    );
    expect(m1.message.seq).toBe(ack.seq);

    // 3. Operator (B) → visitor (A), with typing first.
    mark = visitor.mark();
    operator.send({ type: 'typing', contactId, on: true });
    await visitor.waitFor(
      'typing on A',
      ofType('typing', (f) => f.on),
      { since: mark },
    );
    operator.send({ type: 'send', contactId, clientId: clientId(), body: 'Hello from process B' });
    const m2 = await visitor.waitFor(
      'the operator message on A',
      ofType('message', (f) => f.message.body === 'Hello from process B'),
      { since: mark },
    );
    expect(m2.message.seq).toBe(ack.seq + 1);
    expect(m2.message.author.id).toBe(op.id);

    // 4. The operator closes on B; the visitor hears it on A.
    mark = visitor.mark();
    operator.send({ type: 'close', contactId });
    await visitor.waitFor(
      'closed on A',
      ofType('closed', (f) => f.contactId === contactId),
      { since: mark },
    );
    operator.send({ type: 'status', status: 'offline' });
    await visitor.close();
    await operator.close();
  });

  it('keeps capacity and single assignment under hundreds of random operations on both processes', {
    timeout: 180_000,
  }, async () => {
    const seed = Number(process.env.MULTI_PROCESS_SEED) || Math.floor(Math.random() * 2 ** 31);
    const rand = random(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const TOTAL_OPS = 400;
    const WORKERS = 8;
    const MAX_VISITORS = 60;
    const DEADLINE = Date.now() + 90_000;
    const procs = [a, b] as const;

    // Operators with small limits, their sockets spread over both processes; all start offline.
    const limits = [1, 2, 1, 3, 2, 1];
    const ops = await Promise.all(limits.map((n, i) => createOperator(n, procs[i % 2]!)));
    interface OpState {
      op: Operator;
      socket: OperatorSocket;
      owned: Set<string>;
      /** Status frames we sent, with the time: the database cannot change before we send. */
      sent: { at: number; status: OperatorStatus }[];
      /** Our own presence as the server announced it (after its commit). */
      presence: { at: number; status: OperatorStatus }[];
    }
    /** Contact → operator → when that operator's socket was first told it owns the contact. */
    const told = new Map<string, Map<string, number>>();
    /**
     * Contact → when its operator's socket first saw it as theirs, open or already closed: the
     * assignment had committed by then. (A chat the visitor left at once may reach the operator
     * only as closed: it was never told they own it.)
     */
    const namedAt = new Map<string, number>();
    const states: OpState[] = [];
    for (const op of ops) {
      const socket = await operatorSocket(op);
      const st: OpState = { op, socket, owned: new Set(), sent: [], presence: [] };
      const see = (c: ContactSummary, at: number) => {
        if (c.assigneeId === op.id && !namedAt.has(c.id)) namedAt.set(c.id, at);
        if (c.assigneeId === op.id && OPEN.has(c.status)) {
          st.owned.add(c.id);
          const byOp = told.get(c.id) ?? new Map<string, number>();
          if (!byOp.has(op.id)) byOp.set(op.id, at);
          told.set(c.id, byOp);
        } else st.owned.delete(c.id);
      };
      for (const r of socket.frames)
        if (r.frame.type === 'ready') for (const c of r.frame.contacts) see(c, r.at);
      socket.onFrame(({ at, frame }) => {
        if (frame.type === 'contact') see(frame.contact, at);
        else if (frame.type === 'presence' && frame.userId === op.id)
          st.presence.push({ at, status: frame.status });
      });
      states.push(st);
    }

    // The database, sampled every ~50 ms while the storm runs.
    const maxSeen = new Map<string, number>();
    const overCapacity: string[] = [];
    const reassigned: string[] = [];
    const assigneeOf = new Map<string, string>();
    let samples = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const loads = await sql.unsafe<{ id: string; status: string; max_chats: number; open: number }>(
          `select u.id, u.status, u.max_chats,
                    count(c.id) filter (where c.status in ('assigned', 'active'))::int as open
             from users u left join contacts c on c.assignee_id = u.id
             where u.role = 'operator' group by u.id`,
        );
        for (const l of loads) {
          maxSeen.set(l.id, Math.max(maxSeen.get(l.id) ?? 0, l.open));
          if (l.open > l.max_chats) overCapacity.push(`${new Date().toISOString()} ${JSON.stringify(l)}`);
        }
        const rows = await sql.unsafe<{ id: string; assignee_id: string }>(
          'select id, assignee_id from contacts where assignee_id is not null',
        );
        for (const r of rows) {
          const before = assigneeOf.get(r.id);
          if (before && before !== r.assignee_id) reassigned.push(`${r.id}: ${before} then ${r.assignee_id}`);
          assigneeOf.set(r.id, r.assignee_id);
        }
        samples++;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    // The storm.
    interface Visitor {
      socket: VisitorSocket;
      contactId: string | null;
    }
    const visitors: Visitor[] = [];
    const count = { arrive: 0, leave: 0, status: 0, close: 0, errors: 0 };
    /** Answers that did not come within 5 s, by operation (the storm goes on without them). */
    const slow = { arrive: 0, leave: 0, status: 0, close: 0 };
    const errors: string[] = [];
    let issued = 0;
    const started = Date.now();

    async function arrive() {
      const socket = await visitorSocket(pick(procs));
      cleanup.add('storm visitor', () => socket.close());
      const v: Visitor = { socket, contactId: null };
      visitors.push(v);
      // An operator may close the conversation first: then there is nothing left to leave.
      socket.onFrame(({ frame }) => {
        if (frame.type === 'closed') v.contactId = null;
      });
      const mark = socket.mark();
      socket.send({
        type: 'start',
        answers: { name: `Visitor ${count.arrive}`, email: `v${count.arrive}@example.com` },
      });
      const first = await socket
        .waitFor(
          'queued or assigned',
          (f): f is Extract<VisitorOutbound, { type: 'queued' | 'assigned' }> =>
            f.type === 'queued' || f.type === 'assigned',
          { since: mark, timeoutMs: 5_000 },
        )
        .catch(() => null);
      if (first) v.contactId = first.contactId;
      else slow.arrive++;
    }

    async function leave() {
      const v = visitors.find((x) => x.contactId && x.socket.open);
      if (!v) return arrive();
      visitors.splice(visitors.indexOf(v), 1);
      const mark = v.socket.mark();
      v.socket.send({ type: 'leave' });
      await v.socket
        .waitFor('closed', (f): f is VisitorOutbound => f.type === 'closed' || f.type === 'error', {
          since: mark,
          timeoutMs: 5_000,
        })
        .catch(() => slow.leave++);
      await v.socket.close();
    }

    async function status() {
      const st = pick(states);
      const r = rand();
      const next: OperatorStatus = r < 0.55 ? 'online' : r < 0.8 ? 'away' : 'offline';
      const mark = st.socket.mark();
      st.sent.push({ at: Date.now(), status: next });
      st.socket.send({ type: 'status', status: next });
      await st.socket
        .waitFor(
          'own presence',
          ofType('presence', (f) => f.userId === st.op.id),
          { since: mark, timeoutMs: 5_000 },
        )
        .catch(() => slow.status++);
    }

    async function close() {
      const busy = states.filter((s) => s.owned.size > 0);
      if (busy.length === 0) return status();
      const st = pick(busy);
      const contactId = pick([...st.owned]);
      const mark = st.socket.mark();
      st.socket.send({ type: 'close', contactId });
      await st.socket
        .waitFor(
          'closed contact or error',
          (f): f is OperatorOutbound =>
            (f.type === 'contact' && f.contact.id === contactId && !OPEN.has(f.contact.status)) ||
            f.type === 'error',
          { since: mark, timeoutMs: 5_000 },
        )
        .catch(() => slow.close++);
    }

    async function worker() {
      while (issued < TOTAL_OPS && Date.now() < DEADLINE) {
        issued++;
        const r = rand();
        const kind =
          r < 0.4 && visitors.length < MAX_VISITORS
            ? 'arrive'
            : r < 0.6
              ? 'leave'
              : r < 0.8
                ? 'status'
                : 'close';
        count[kind]++;
        try {
          await { arrive, leave, status, close }[kind]();
        } catch (err) {
          count.errors++;
          errors.push(`${kind}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
    await Promise.all(Array.from({ length: WORKERS }, worker));
    const stormMs = Date.now() - started;

    // After the storm, with no new trigger: no contact may wait while an online operator has room
    // (a routing pass missed because of a race between processes would leave it waiting forever).
    const stuckQuery = `
        select c.id, c.status, c.enqueued_at,
               (select json_agg(json_build_object('op', u.email, 'max', u.max_chats, 'open',
                  (select count(*) from contacts o where o.assignee_id = u.id and o.status in ('assigned', 'active'))))
                from users u where u.role = 'operator' and u.status = 'online') as online
        from contacts c where c.status = 'queued'
          and exists (select 1 from users u where u.role = 'operator' and u.status = 'online'
                      and u.max_chats > (select count(*) from contacts o
                                         where o.assignee_id = u.id and o.status in ('assigned', 'active')))`;
    let stuck: unknown[] = [];
    const settle = (what: string) =>
      waitUntil(
        what,
        async () => {
          stuck = await sql.unsafe(stuckQuery);
          return stuck.length === 0;
        },
        { timeoutMs: 10_000, intervalMs: 200 },
      ).catch(() => false);
    const settled = await settle('the queue to settle after the storm');
    const stuckAfterStorm = stuck;
    // Then drain: every operator online, each closing what it owns; the queue flows into the room made.
    let drained = settled;
    if (settled) {
      for (const st of states) {
        st.sent.push({ at: Date.now(), status: 'online' });
        st.socket.send({ type: 'status', status: 'online' });
      }
      for (let round = 0; round < 4; round++) {
        for (const st of states)
          for (const id of [...st.owned]) st.socket.send({ type: 'close', contactId: id });
        await new Promise((r) => setTimeout(r, 500));
      }
      drained = await settle('the queue to drain into the room made');
    }
    sampling = false;
    await sampler;

    // Final rows for the checks below.
    const contacts = await sql.unsafe<{
      id: string;
      status: string;
      assignee_id: string | null;
      assigned_at: Date | null;
      closed_at: Date | null;
    }>('select id, status, assignee_id, assigned_at, closed_at from contacts');
    const finalLoads = await sql.unsafe<{ email: string; status: string; max_chats: number; open: number }>(
      `select u.email, u.status, u.max_chats,
                count(c.id) filter (where c.status in ('assigned', 'active'))::int as open
         from users u left join contacts c on c.assignee_id = u.id where u.role = 'operator' group by u.id order by u.email`,
    );
    const queued = contacts.filter((c) => c.status === 'queued').length;

    // Told twice: two operators' sockets were each told they own the same contact. The storm has no
    // transfers or escalations, so ownership never legitimately moves: any second owner is a double assignment.
    const toldTwice = [...told]
      .filter(([, byOp]) => byOp.size > 1)
      .map(([id, byOp]) => `${id}: ${[...byOp.keys()]}`);

    // Assigned while certainly not online (support/presence.ts): a pass read the operators after its
    // "now" (assigned_at) and before the operator's socket first saw the contact as theirs, or,
    // failing that, before the contact closed. A contact with neither bound is not judged.
    const notOnline: string[] = [];
    let unbounded = 0;
    for (const st of states) {
      const spans = notOnlineSpans(st.sent, st.presence);
      for (const c of contacts) {
        if (c.assignee_id !== st.op.id || !c.assigned_at) continue;
        const readFrom = new Date(c.assigned_at).getTime();
        const readBy = namedAt.get(c.id) ?? c.closed_at?.getTime();
        if (readBy === undefined) {
          unbounded++;
          continue;
        }
        const span = readInside(spans, readFrom, readBy);
        if (span) {
          const [from, to] = span.map((t) => (Number.isFinite(t) ? new Date(t).toISOString() : 'never'));
          notOnline.push(
            `${c.id} to ${st.op.email} (${st.op.id}) decided at ${new Date(readFrom).toISOString()}, first seen as theirs at ${new Date(readBy).toISOString()}; not online from ${from} until ${to}; sent ${st.sent.map((s) => `${s.status}@${s.at}`).join(' ')}; heard ${st.presence.map((p) => `${p.status}@${p.at}`).join(' ')}`,
          );
        }
      }
    }

    const assignments = contacts.filter((c) => c.assignee_id).length;
    const summary = [
      `multi-process storm (seed ${seed}): ${issued} operations in ${stormMs} ms over 2 processes`,
      `  arrive ${count.arrive}, leave ${count.leave}, status ${count.status}, close ${count.close}; errors ${count.errors}; no answer within 5 s: ${JSON.stringify(slow)}`,
      `  contacts ${contacts.length}, assignments ${assignments}, still queued ${queued}; ${samples} database samples; ${unbounded} assignments not judged (never seen by their operator, still open)`,
      ...states.map(
        (s) =>
          `  ${s.op.email} on :${s.op.on.port}: max_chats ${s.op.maxChats}, max open seen ${maxSeen.get(s.op.id) ?? 0}, assigned ${contacts.filter((c) => c.assignee_id === s.op.id).length}`,
      ),
      `  final: ${finalLoads.map((l) => `${l.email} ${l.status} ${l.open}/${l.max_chats}`).join(', ')}`,
    ];
    console.log(summary.join('\n'));

    // A process that died mid-storm explains every error after it: its own words come first.
    const dead = procs
      .filter((p) => !p.proc.running())
      .map((p) => `process :${p.port} exited\n${p.proc.output().slice(-4000)}`);
    const detail = `${summary.join('\n')}\n${dead.join('\n')}\nerrors: ${errors.slice(0, 10).join('\n')}`;
    expect(dead, detail).toEqual([]);
    expect(count.errors, detail).toBe(0);
    expect(overCapacity, detail).toEqual([]);
    expect(reassigned, detail).toEqual([]);
    expect(toldTwice, detail).toEqual([]);
    expect(notOnline, detail).toEqual([]);
    expect(
      settled,
      `${detail}\nqueued while an online operator had room:\n${JSON.stringify(stuckAfterStorm, null, 1)}`,
    ).toBe(true);
    expect(
      drained,
      `${detail}\nqueued while an online operator had room:\n${JSON.stringify(stuck, null, 1)}`,
    ).toBe(true);
    expect(assignments, detail).toBeGreaterThan(20);

    for (const v of visitors) await v.socket.close();
    for (const st of states) {
      st.socket.send({ type: 'status', status: 'offline' });
      await st.socket.close();
    }
  });

  it('when a process may have missed events, its chatting sockets reconnect and read what they missed; idle ones stay', async () => {
    await sql.unsafe(`update contacts set status = 'abandoned', closed_at = now() where status = 'queued'`);
    await sql.unsafe(`update users set status = 'offline' where role = 'operator'`);
    const op = await createOperator(3, b);
    const operator = await operatorSocket(op);
    await goOnline(operator, op, 'own presence');
    const visitor = await visitorSocket(a);
    cleanup.add('resync visitor socket', () => visitor.close());
    const welcome = await visitor.waitFor('welcome', ofType('welcome'));
    visitor.send({ type: 'start', answers: { name: 'Ada Lovelace', email: 'ada@example.com' } });
    const { contactId } = await visitor.waitFor('assigned', ofType('assigned'));
    const idle = await visitorSocket(a);
    cleanup.add('idle visitor socket', () => idle.close());
    visitor.send({ type: 'send', clientId: clientId(), body: 'before the loss' });
    const before = await operator.waitFor(
      'the first message on B',
      ofType('message', (f) => f.message.body === 'before the loss'),
    );

    // A message committed by a process whose NOTIFY never reached the others: stored, never heard.
    const [lost] = await sql.unsafe<{ seq: number }>(
      `with c as (update contacts set last_seq = last_seq + 1, last_message_at = now() where id = $1 returning last_seq)
       insert into messages (contact_id, seq, author_kind, author_name, body)
       select $1, last_seq, 'visitor', 'Ada Lovelace', 'stored while the events were lost' from c returning seq`,
      [contactId],
    );
    expect(lost!.seq).toBe(before.message.seq + 1);
    const missedCount = async (p: Parley) => {
      const text = await (await fetch(`${p.url}/metrics`)).text();
      return Number(/^parley_events_missed_total (\d+)$/m.exec(text)?.[1]);
    };
    const missedBefore = await Promise.all([a, b].map(missedCount));
    // Another publisher's packets, 1 then 3: both processes see that its packet 2 never came.
    await sql.unsafe(`select pg_notify('parley_events', p) from unnest($1::text[]) as p`, [
      ['p2|7ffffff0|1|1|1|[]', 'p2|7ffffff0|3|1|1|[]'],
    ]);

    // 1. Both processes ask their chatting sockets to reconnect (the operator's on B, the visitor's on A).
    expect(await operator.closed).toMatchObject({ code: CloseCode.Resync });
    expect(await visitor.closed).toMatchObject({ code: CloseCode.Resync });
    // 2. The idle visitor follows no conversation: it missed nothing and stays.
    await new Promise((r) => setTimeout(r, 300));
    expect(idle.open).toBe(true);
    // Each process counted the loss once.
    expect(await Promise.all([a, b].map(missedCount))).toEqual(missedBefore.map((n) => n + 1));

    // 3. The operator reconnects as the inbox does: ready lists the conversation as it is now, and
    // resuming after the last message it had brings the one it never heard of.
    const again = await operatorSocket(op);
    const ready = again.frames.find((r) => r.frame.type === 'ready')!.frame as Extract<
      OperatorOutbound,
      { type: 'ready' }
    >;
    expect(ready.contacts.find((c) => c.id === contactId)?.lastSeq).toBe(lost!.seq);
    again.send({ type: 'resume', contactId, afterSeq: before.message.seq });
    const missed = await again.waitFor(
      'the lost message on B',
      ofType('message', (f) => f.message.contactId === contactId && f.message.seq === lost!.seq),
    );
    expect(missed.message.body).toBe('stored while the events were lost');

    // 4. So does the visitor, as the widget does: hello with its token, resume after its last message.
    const back = await FrameSocket.open<VisitorOutbound, VisitorInbound>(
      `${wsUrl(a)}/ws/visitor?site=${a.siteKey}`,
      {
        origin: `http://localhost:${a.port}`,
      },
    );
    cleanup.add('visitor socket after the resync', () => back.close());
    back.send({
      type: 'hello',
      v: PROTOCOL_VERSION,
      token: welcome.token,
      page: { url: `${a.url}/shop`, title: 'Shop' },
    });
    const rewelcome = await back.waitFor('welcome again', ofType('welcome'));
    expect(rewelcome.contact).toMatchObject({ id: contactId, lastSeq: lost!.seq });
    back.send({ type: 'resume', contactId, afterSeq: before.message.seq });
    await back.waitFor(
      'the lost message on A',
      ofType('message', (f) => f.message.seq === lost!.seq),
    );
    again.send({ type: 'close', contactId });
    again.send({ type: 'status', status: 'offline' });
    await again.close();
  });

  it('both keep running when PostgreSQL ends every connection they have, and chats flow across them again', async () => {
    // Nobody waits ahead of this test's visitor: the storm may leave chats queued (its visitors are
    // gone; the server abandons such chats after two minutes), and they filled this operator's slots.
    await sql.unsafe(`update contacts set status = 'abandoned', closed_at = now() where status = 'queued'`);
    const op = await createOperator(3, b);
    const before = await operatorSocket(op);
    await goOnline(before, op, 'own presence');
    // Only this operator takes chats (the storm's may still be online).
    await sql.unsafe(`update users set status = 'offline' where role = 'operator' and id <> $1`, [op.id]);

    // A restart of PostgreSQL, or an administrator: every backend of both processes ends, the LISTEN
    // connections and the advisory locks that tell each process the other is there with them. Work
    // is under way on B meanwhile: each status change runs a routing pass in a transaction.
    for (let i = 0; i < 20; i++) before.send({ type: 'status', status: i % 2 ? 'online' : 'away' });
    await new Promise((r) => setTimeout(r, 5));
    const ended = await sql.unsafe(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
    );
    expect(ended.length).toBeGreaterThanOrEqual(4);

    // Both come back on their own: they answer /healthz, and listen and hold their locks again.
    const health = async (p: Parley) => (await fetch(`${p.url}/healthz`)).status === 200;
    await waitUntil(
      'both processes to serve and listen again',
      async () => {
        if (!a.proc.running() || !b.proc.running()) throw new GiveUp('a process exited');
        const [row] = await sql.unsafe<{ listening: number; locks: number }>(
          `select (select count(*) from pg_stat_activity where datname = current_database()
                    and query ilike 'listen %')::int as listening,
                  (select count(*) from pg_locks where locktype = 'advisory' and objsubid = 2
                    and database = (select oid from pg_database where datname = current_database()))::int as locks`,
        );
        return (await health(a)) && (await health(b)) && row?.listening === 2 && row.locks === 2;
      },
      { timeoutMs: 20_000, intervalMs: 200, detail: () => `${a.proc.output()}\n${b.proc.output()}` },
    );

    // B's events from A were lost while it did not listen: it asks the operator's socket to
    // reconnect, as the inbox then does. The new socket answers: nothing B sent into the outage holds
    // up what comes after (a ROLLBACK on the reset connection once did, forever).
    expect(await before.closed).toMatchObject({ code: CloseCode.Resync });
    const operator = await operatorSocket(op);
    cleanup.add('operator socket after the outage', () => operator.close());
    await goOnline(operator, op, 'own presence after the outage');

    // A new chat on A goes to the operator on B, and messages cross both ways. Each process learns
    // again at its next count (every 2 s) that the other is there; until then a message may reach
    // only its own process, so each side repeats its line until the other hears one.
    const visitor = await visitorSocket(a);
    cleanup.add('visitor socket after the outage', () => visitor.close());
    visitor.send({ type: 'start', answers: { name: 'Ada Lovelace', email: 'ada@example.com' } });
    const assigned = await visitor
      .waitFor('assigned after the outage', ofType('assigned'))
      .catch(async (e: Error) => {
        // Why nobody took it: the operator's load and the queue, then both processes' words.
        const [state] = await sql.unsafe(
          `select (select row_to_json(u) from (select status, open_chats, max_chats from users where id = $1) u) as op,
                  (select json_agg(c) from (select id, created_at from contacts where status = 'queued') c) as queued`,
          [op.id],
        );
        throw new Error(
          `${e.message}\n${JSON.stringify(state)}\n--- A\n${a.proc.output().slice(-4000)}\n--- B\n${b.proc.output().slice(-4000)}`,
        );
      });
    expect(assigned.operator.id).toBe(op.id);
    const contactId = assigned.contactId;
    await sayUntilHeard(
      'from A after the outage',
      (body) => visitor.send({ type: 'send', clientId: clientId(), body }),
      (line) =>
        operator.waitFor(
          line,
          ofType('message', (f) => f.message.body.startsWith(line)),
          { timeoutMs: 1_000 },
        ),
    );
    await sayUntilHeard(
      'from B after the outage',
      (body) => operator.send({ type: 'send', contactId, clientId: clientId(), body }),
      (line) =>
        visitor.waitFor(
          line,
          ofType('message', (f) => f.message.body.startsWith(line)),
          { timeoutMs: 1_000 },
        ),
    );
    expect([a.proc.running(), b.proc.running()]).toEqual([true, true]);
    operator.send({ type: 'close', contactId });
    operator.send({ type: 'status', status: 'offline' });
  });
});
