/**
 * The load generator, run as its own process (`node packages/bench/dist/generator.js`) with its
 * configuration as JSON in BENCH_CONFIG. It drives real sockets against one target (Parley or the
 * bare relay) on loopback and prints one `BENCH_RESULT {json}` line. Every phase has a count and a
 * deadline; the whole process gives up after `hardDeadlineMs`.
 *
 * Phases: operators log in and go online → RSS before → K idle visitors (hello only) → RSS after →
 * N chatting visitors (hello, start, `assigned`) → warm-up → measured window → drain.
 */
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { PROTOCOL_VERSION } from '@parley/protocol';
import { WebSocket } from 'ws';
import { paced } from './pace.js';
import { type WalTotals, walReader } from './pg.js';
import { cpuMs, percentiles, postgresCpuMs, rssBytes } from './proc.js';

export interface GeneratorConfig {
  url: string;
  siteKey: string;
  operators: { email: string; password: string }[];
  /** Visitors that chat. */
  visitors: number;
  /** Visitors that only say hello and stay connected (the memory figure). */
  idle: number;
  /** Target messages per second, visitors' and operators' together (a round trip is two messages). */
  rate: number;
  seconds: number;
  warmupSeconds: number;
  /** New chats per second opened during the window (new chat → assigned under load). */
  churnPerSecond: number;
  serverPid: number;
  /** Also measure the CPU of the machine's `postgres` processes. */
  postgresCpu: boolean;
  /** The server's PostgreSQL database: the cluster's WAL is read at the window's edges. */
  databaseUrl: string | null;
  hardDeadlineMs: number;
  /** Write [send time (epoch ms), visitor → operator ms] of every window message here (`--timeline`). */
  timelineFile?: string | null;
}

export interface GeneratorResult {
  connectedVisitors: number;
  chattingVisitors: number;
  idleVisitors: number;
  operators: number;
  targetRate: number;
  windowSeconds: number;
  /** Messages acknowledged (persisted, for Parley) within the window, per second. */
  deliveredPerSecond: number;
  sentInWindow: number;
  /** Visitor → operator, ms. */
  toOperator: (number | null)[];
  /** Visitor → operator → visitor, ms. */
  roundTrip: (number | null)[];
  /** Operator → visitor (the reply, from the operator's send), ms. */
  toVisitor: (number | null)[];
  /** `start` → `assigned` of chats opened during the window, ms (p50, p99). */
  assignUnderLoad: (number | null)[];
  assignUnderLoadCount: number;
  /** `start` → `assigned` while the chatting visitors ramp up, ms (p50, p99). */
  assignRamp: (number | null)[];
  rssPerIdleSocket: number | null;
  rssBefore: number | null;
  rssAfterIdle: number | null;
  rssEnd: number | null;
  serverCpuPer1k: number | null;
  postgresCpuPer1k: number | null;
  /** WAL the whole cluster wrote in the window, per delivered message (PostgreSQL only). */
  walBytesPerMessage: number | null;
  walRecordsPerMessage: number | null;
  /** Full-page images per 1,000 delivered messages: many when a checkpoint fell in the window. */
  walFpiPer1k: number | null;
  serverCpuPercent: number | null;
  generatorCpuPercent: number;
  generatorLoopP99: number;
  /** Frames operators received for conversations that are not theirs (Parley's fan-out). */
  foreignFramesPerSecond: number;
  /** Sends the generator could not make: every visitor had 4 unanswered, or its own rate cap. */
  skippedSends: number;
  /** Visitor messages left unanswered because the operator was at the server's frame rate limit. */
  skippedReplies: number;
  /** Sends in the window with no ack / no reply within the drain time. */
  unacked: number;
  unanswered: number;
  queuedVisitors: number;
  errors: Record<string, number>;
  phaseSeconds: Record<string, number>;
}

const MAX_OUTSTANDING = 4; // unanswered sends per visitor before the generator skips it
const VISITOR_RATE = 15; // sends per second per visitor; Parley closes a visitor above 20/s
const OPERATOR_RATE = 28; // frames per second per operator; Parley closes an operator above 30/s
const OPERATOR_BURST = 60; // Parley allows 100
const BODY = 'Hello, I have a question about my order, could you help me please?';

const config = JSON.parse(process.env.BENCH_CONFIG ?? '{}') as GeneratorConfig;
const wsBase = config.url.replace(/^http/, 'ws');
const origin = config.url;
const errors: Record<string, number> = {};
const fail = (what: string) => {
  errors[what] = (errors[what] ?? 0) + 1;
};

const hard = setTimeout(() => {
  console.error(`generator: hard deadline of ${config.hardDeadlineMs} ms passed`);
  process.exit(2);
}, config.hardDeadlineMs);
hard.unref();

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function bucket(capacity: number, perSecond: number) {
  let tokens = capacity;
  let last = now();
  return () => {
    const t = now();
    tokens = Math.min(capacity, tokens + ((t - last) / 1000) * perSecond);
    last = t;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/**
 * Opens a socket with its frame listener attached before the upgrade completes: a server may send its
 * first frame in the same packet as the upgrade response, before a promise continuation could attach one.
 */
function openSocket(
  path: string,
  headers: Record<string, string>,
  onMessage: (raw: string) => void,
  timeoutMs = 15_000,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsBase}${path}`, {
      headers,
      handshakeTimeout: timeoutMs,
      perMessageDeflate: false,
    });
    ws.on('message', (data) => onMessage(data.toString()));
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)),
    );
  });
}

/** POST /api/v1/auth/login from its own loopback address (the login limit is 10 a minute per address). */
function login(
  email: string,
  password: string,
  localAddress: string,
): Promise<{ cookie: string; id: string }> {
  const u = new URL('/api/v1/auth/login', config.url);
  const body = JSON.stringify({ email, password });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        localAddress,
        timeout: 30_000,
        headers: { 'content-type': 'application/json', origin, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => {
          const cookie = /parley_session=[^;]+/.exec(String(res.headers['set-cookie'] ?? ''))?.[0];
          if (res.statusCode !== 200 || !cookie) return reject(new Error(`login ${res.statusCode}: ${text}`));
          resolve({ cookie, id: (JSON.parse(text) as { user: { id: string } }).user.id });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('login timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------
// Shared bookkeeping

interface Sent {
  at: number;
  inWindow: boolean;
  acked: boolean;
  reachedOperator: boolean;
  /** When its operator sent the reply (0: not yet). */
  repliedAt: number;
}
const sent = new Map<string, Sent>();
const toOperator: number[] = [];
/** [send time (epoch ms), latency] per window message, for `--timeline` only. */
const timeline: [number, number][] = [];
const roundTrip: number[] = [];
/** Operator → visitor: the reply's way back, from the operator's send. */
const toVisitor: number[] = [];
let window: { start: number; end: number } | null = null;
let ackedInWindow = 0;
let foreignFrames = 0;
let skippedSends = 0;
let skippedReplies = 0;
let sentInWindow = 0;
const inWindow = (t: number) => window !== null && t >= window.start && t < window.end;

interface Operator {
  id: string;
  ws: WebSocket;
  allow: () => boolean;
}
const operatorsById = new Map<string, Operator>();
/** contactId → the operator it was assigned to (from the visitor's `assigned`). */
const owner = new Map<string, Operator>();

interface FrameIn {
  type: string;
  code?: string;
  contactId?: string;
  clientId?: string;
  operator?: { id: string };
  message?: { contactId: string; clientId: string | null; author: { kind: string } };
}

async function connectOperator(i: number): Promise<void> {
  const { email, password } = config.operators[i]!;
  // 127.0.0.2 … : eight logins per address stay under the limit of ten a minute.
  const { cookie, id } = await login(email, password, `127.0.0.${2 + Math.floor(i / 8)}`);
  let seq = 0;
  let op: Operator | null = null;
  let resolveReady = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no ready within 30 s')), 30_000);
    resolveReady = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  const onMessage = (raw: string) => {
    // Parley sends every message of the workspace to every operator: skip others' cheaply.
    if (raw.startsWith('{"type":"message"')) {
      const at = raw.indexOf('"contactId":"');
      if (!op || owner.get(raw.slice(at + 13, at + 49)) !== op) {
        foreignFrames += window && inWindow(now()) ? 1 : 0;
        return;
      }
    }
    const f = JSON.parse(raw) as FrameIn;
    if (f.type === 'ready') {
      resolveReady();
    } else if (f.type === 'ack') {
      if (inWindow(now())) ackedInWindow++;
    } else if (f.type === 'error') {
      fail(`operator error ${f.code}`);
    } else if (f.type === 'message' && f.message?.author.kind === 'visitor' && f.message.clientId) {
      const s = sent.get(f.message.clientId);
      if (!s) return;
      s.reachedOperator = true;
      if (s.inWindow) {
        const took = now() - s.at;
        toOperator.push(took);
        if (config.timelineFile) timeline.push([performance.timeOrigin + s.at, took]);
      }
      if (!op?.allow()) {
        skippedReplies++;
        sent.delete(f.message.clientId);
        return;
      }
      s.repliedAt = now();
      op!.ws.send(
        JSON.stringify({
          type: 'send',
          contactId: f.message.contactId,
          clientId: `r${f.message.clientId}`,
          body: `Sure, let me check that for you (${++seq}).`,
        }),
      );
    }
  };
  const ws = await openSocket('/ws/operator', { Origin: origin, Cookie: cookie }, (raw) => onMessage(raw));
  op = { id, ws, allow: bucket(OPERATOR_BURST, OPERATOR_RATE) };
  operatorsById.set(id, op);
  ws.on('close', (code) => {
    if (!stopping) fail(`operator closed ${code}`);
  });
  await ready;
  ws.send(JSON.stringify({ type: 'status', status: 'online' }));
}

// ---------------------------------------------------------------------------------------------
// Visitors

interface Visitor {
  ws: WebSocket;
  index: number;
  contactId: string | null;
  outstanding: number;
  sends: number;
  allow: () => boolean;
  /** The frame type each pending `expect` waits for. */
  waiting: Map<string, (f: FrameIn) => void>;
  /** Closing on purpose (a churn visitor that left): not an error. */
  leaving: boolean;
}
let stopping = false;

/** Connects, says hello and waits for `welcome`. */
async function connectVisitor(index: number): Promise<Visitor> {
  let v: Visitor | null = null;
  const ws = await openSocket(
    `/ws/visitor?site=${encodeURIComponent(config.siteKey)}`,
    { Origin: origin },
    (raw) => (v ? onVisitorFrame(v, raw) : fail('visitor frame before hello')),
  );
  v = {
    ws,
    index,
    contactId: null,
    outstanding: 0,
    sends: 0,
    allow: bucket(VISITOR_RATE, VISITOR_RATE),
    waiting: new Map(),
    leaving: false,
  };
  const visitor = v;
  ws.on('close', (code) => {
    if (!stopping && !visitor.leaving) fail(`visitor closed ${code}`);
  });
  await expect(visitor, 'welcome', () =>
    ws.send(
      JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION, page: { url: `${origin}/shop`, title: 'Shop' } }),
    ),
  );
  return visitor;
}

function onVisitorFrame(v: Visitor, raw: string) {
  const f = JSON.parse(raw) as FrameIn;
  v.waiting.get(f.type)?.(f);
  if (f.type === 'ack' && f.clientId) {
    v.outstanding--;
    const s = sent.get(f.clientId);
    if (s) s.acked = true;
    if (inWindow(now())) ackedInWindow++;
  } else if (f.type === 'message' && f.message?.author.kind === 'operator' && f.message.clientId) {
    const key = f.message.clientId.slice(1);
    const s = sent.get(key);
    if (s) {
      if (s.inWindow) {
        const at = now();
        roundTrip.push(at - s.at);
        toVisitor.push(at - s.repliedAt);
      }
      sent.delete(key);
    }
  } else if (f.type === 'error') {
    fail(`visitor error ${f.code}`);
  }
}

/** Sends a frame and waits for the first frame of `type` after it. */
function expect(v: Visitor, type: string, send: () => void, timeoutMs = 30_000): Promise<FrameIn> {
  const { waiting } = v;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(type);
      reject(new Error(`no ${type} within ${timeoutMs} ms`));
    }, timeoutMs);
    waiting.set(type, (f) => {
      clearTimeout(timer);
      waiting.delete(type);
      resolve(f);
    });
    send();
  });
}

/** `start` with the questionnaire, then `assigned`; returns the ms it took. */
async function startChat(v: Visitor, timeoutMs: number): Promise<number> {
  const t0 = now();
  const answers = { name: `Visitor ${v.index}`, email: `visitor${v.index}@bench.local` };
  const f = await expect(
    v,
    'assigned',
    () => v.ws.send(JSON.stringify({ type: 'start', answers })),
    timeoutMs,
  );
  const took = now() - t0;
  v.contactId = f.contactId ?? null;
  const op = f.operator ? operatorsById.get(f.operator.id) : undefined;
  if (v.contactId && op) owner.set(v.contactId, op);
  else fail('assigned to an unknown operator');
  return took;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<GeneratorResult> {
  const phase: Record<string, number> = {};
  const timed = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const t = now();
    try {
      return await run();
    } finally {
      phase[name] = Math.round(now() - t) / 1000;
    }
  };

  await timed('operators', () =>
    pool(config.operators.length, 8, async (i) => {
      await connectOperator(i).catch((err: Error) => fail(`operator setup: ${err.message.slice(0, 80)}`));
    }),
  );
  await sleep(500);

  const rssBefore = rssBytes(config.serverPid);
  const idle: Visitor[] = [];
  await timed('idle', () =>
    pool(config.idle, 100, async (i) => {
      try {
        idle.push(await connectVisitor(100_000 + i));
      } catch (err) {
        fail(`idle visitor: ${(err as Error).message.slice(0, 80)}`);
      }
    }),
  );
  // What the sockets hold, not the garbage of their handshakes: the least RSS the server shows over
  // 5 s while they stay open (the first reads still hold uncollected garbage; the same for every target).
  let rssAfterIdle: number | null = null;
  for (let i = 0; i < 10; i++) {
    await sleep(500);
    const rss = rssBytes(config.serverPid);
    if (rss !== null && (rssAfterIdle === null || rss < rssAfterIdle)) rssAfterIdle = rss;
  }
  const rssPerIdleSocket =
    rssBefore !== null && rssAfterIdle !== null && idle.length > 0
      ? (rssAfterIdle - rssBefore) / idle.length
      : null;

  const chatting: Visitor[] = [];
  const assignRamp: number[] = [];
  let queued = 0;
  await timed('chats', () =>
    pool(config.visitors, 50, async (i) => {
      let v: Visitor;
      try {
        v = await connectVisitor(i);
      } catch (err) {
        fail(`visitor: ${(err as Error).message.slice(0, 80)}`);
        return;
      }
      try {
        assignRamp.push(await startChat(v, 30_000));
        chatting.push(v);
      } catch {
        queued++; // never assigned: more chats than the operators' slots
      }
    }),
  );

  // --- load -----------------------------------------------------------------------------------
  const visitorRate = config.rate / 2;
  const tStart = now();
  const warmEnd = tStart + config.warmupSeconds * 1000;
  const end = warmEnd + config.seconds * 1000;
  window = { start: warmEnd, end };
  const assignUnderLoad: number[] = [];
  let issued = 0;
  let rr = 0;
  let cpu0: number | null = null;
  let pg0 = 0;
  // Opened before the load: reading it at the window's edges is one round trip, no connection setup.
  const wal = config.databaseUrl ? await walReader(config.databaseUrl) : null;
  let wal0: WalTotals | null = null;
  // pg_stat_wal came with PostgreSQL 14: on an older one the WAL rows print "—".
  const readWal = () =>
    wal
      ? wal.read().catch((err: unknown) => {
          console.error(`WAL figures skipped: ${(err as Error).message}`);
          return null;
        })
      : null;
  let gen0: NodeJS.CpuUsage = process.cpuUsage();
  const LOOP_RESOLUTION_MS = 10;
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });

  const churn = async (i: number) => {
    let v: Visitor | null = null;
    try {
      v = await connectVisitor(200_000 + i);
      const t0 = now();
      const took = await startChat(v, 10_000);
      if (inWindow(t0)) assignUnderLoad.push(took);
      v.leaving = true;
      v.ws.send(JSON.stringify({ type: 'leave' }));
      await sleep(200);
    } catch (err) {
      fail(`new chat under load: ${(err as Error).message.slice(0, 80)}`);
    } finally {
      if (v) {
        v.leaving = true;
        v.ws.close();
      }
    }
  };
  const churns: Promise<void>[] = [];
  let churnCount = 0;
  let churnInFlight = 0;

  /** The window's first figures; the WAL's is read while the sends go on (`paced`). */
  const beginWindow = async () => {
    cpu0 = cpuMs(config.serverPid);
    pg0 = config.postgresCpu ? postgresCpuMs() : 0;
    gen0 = process.cpuUsage();
    loop.enable();
    wal0 = await readWal();
  };
  const tick = (t: number) => {
    const due = Math.floor(((t - tStart) / 1000) * visitorRate) - issued;
    for (let k = 0; k < due; k++) {
      issued++;
      let v: Visitor | undefined;
      for (let scan = 0; scan < chatting.length; scan++) {
        const c = chatting[rr++ % chatting.length]!;
        if (c.outstanding < MAX_OUTSTANDING && c.allow()) {
          v = c;
          break;
        }
      }
      if (!v) {
        skippedSends++;
        continue;
      }
      const clientId = `v${v.index}_${++v.sends}`;
      v.outstanding++;
      if (inWindow(t)) sentInWindow++;
      sent.set(clientId, {
        at: now(),
        inWindow: inWindow(t),
        acked: false,
        reachedOperator: false,
        repliedAt: 0,
      });
      v.ws.send(JSON.stringify({ type: 'send', clientId, body: BODY }));
    }
    const churnDue = Math.floor(((t - tStart) / 1000) * config.churnPerSecond) - churnCount;
    for (let k = 0; k < churnDue && churnInFlight < 20; k++) {
      churnInFlight++;
      churns.push(churn(churnCount++).finally(() => churnInFlight--));
    }
  };
  await timed('load', () => paced({ end, everyMs: 2, tick, edge: { at: warmEnd, begin: beginWindow } }));
  const cpu1 = cpuMs(config.serverPid);
  const pg1 = config.postgresCpu ? postgresCpuMs() : 0;
  const gen = process.cpuUsage(gen0);
  const wal1 = wal0 ? await readWal() : null;
  await wal?.close();
  loop.disable();

  // --- drain: wait (bounded) for the answers to what was sent in the window --------------------
  await timed('drain', async () => {
    const deadline = now() + 10_000;
    while (now() < deadline) {
      let pending = 0;
      for (const s of sent.values()) if (s.inWindow) pending++;
      if (pending === 0) break;
      await sleep(100);
    }
    await Promise.all(churns);
  });
  let unacked = 0;
  let unanswered = 0;
  for (const s of sent.values()) {
    if (!s.inWindow) continue;
    if (!s.acked) unacked++;
    unanswered++;
  }
  const rssEnd = rssBytes(config.serverPid);
  const delivered = ackedInWindow;
  const per1k = (ms: number | null) => (ms !== null && delivered > 0 ? (ms / delivered) * 1000 : null);
  const serverCpu = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
  const perMessage = (of: (w: WalTotals) => number) =>
    wal0 && wal1 && delivered > 0 ? (of(wal1) - of(wal0)) / delivered : null;
  const fpiPerMessage = perMessage((w) => w.fpi);

  stopping = true;
  for (const v of [...idle, ...chatting]) v.ws.terminate();
  for (const op of operatorsById.values()) op.ws.terminate();

  return {
    connectedVisitors: idle.length + chatting.length,
    chattingVisitors: chatting.length,
    idleVisitors: idle.length,
    operators: operatorsById.size,
    targetRate: config.rate,
    windowSeconds: config.seconds,
    deliveredPerSecond: delivered / config.seconds,
    sentInWindow,
    toOperator: percentiles(toOperator, [50, 95, 99]),
    roundTrip: percentiles(roundTrip, [50, 95, 99]),
    toVisitor: percentiles(toVisitor, [50, 95, 99]),
    assignUnderLoad: percentiles(assignUnderLoad, [50, 99]),
    assignUnderLoadCount: assignUnderLoad.length,
    assignRamp: percentiles(assignRamp, [50, 99]),
    rssPerIdleSocket,
    rssBefore,
    rssAfterIdle,
    rssEnd,
    serverCpuPer1k: per1k(serverCpu),
    postgresCpuPer1k: config.postgresCpu ? per1k(pg1 - pg0) : null,
    walBytesPerMessage: perMessage((w) => w.bytes),
    walRecordsPerMessage: perMessage((w) => w.records),
    walFpiPer1k: fpiPerMessage === null ? null : fpiPerMessage * 1000,
    serverCpuPercent: serverCpu !== null ? (serverCpu / (config.seconds * 1000)) * 100 : null,
    generatorCpuPercent: ((gen.user + gen.system) / 1000 / (config.seconds * 1000)) * 100,
    // The histogram holds the timer's whole interval (an idle loop reads the resolution): the delay
    // is what exceeds it.
    generatorLoopP99: Math.max(0, loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS),
    foreignFramesPerSecond: foreignFrames / config.seconds,
    skippedSends,
    skippedReplies,
    unacked,
    unanswered,
    queuedVisitors: queued,
    errors,
    phaseSeconds: phase,
  };
}

main().then(
  (result) => {
    if (config.timelineFile) writeFileSync(config.timelineFile, JSON.stringify(timeline));
    console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
    process.exit(0);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
