import { randomBytes } from 'node:crypto';
import type { Sql } from 'postgres';
import type { ChatEvent, EventBus, Listener } from './bus.js';

/** The subset of a pino/Fastify logger the bus writes to. */
export interface BusLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface PgBus extends EventBus {
  /** This process's tag on every notification; its own echoes carry it and are ignored. */
  readonly origin: string;
  /**
   * LISTENs on the channel and joins the processes sharing it: when this resolves, every other
   * process knows of this one and sends it what it publishes from then on; events published by
   * other processes are delivered from then on.
   */
  start(): Promise<void>;
  /** Other processes on the channel, as last seen; NOTIFYs go out only while there are any. */
  readonly peers: number;
  /** Stops listening and waits for the NOTIFYs still queued. Does not end the `sql` client (its owner does). */
  close(): Promise<void>;
}

export interface PgBusOptions {
  /** A postgres.js client. LISTEN runs on its own dedicated connection; NOTIFY on the pool. */
  sql: Sql;
  channel?: string;
  log: BusLog;
  /**
   * Largest NOTIFY payload sent, in bytes. PostgreSQL refuses 8,000 and more; tests lower it to make
   * every event travel in many parts.
   */
  maxPayloadBytes?: number;
  /** How often the processes on the channel are counted again (ms); tests shorten it. */
  membersEveryMs?: number;
  /** How long `start` waits for the other processes to answer its arrival (ms). */
  joinTimeoutMs?: number;
  /**
   * Losses within this time of the last `onMissed` call are told once, at its end (ms): a link that
   * keeps dropping makes the sockets reconnect every few seconds at most, not at every loss.
   */
  missedEveryMs?: number;
}

export const DEFAULT_CHANNEL = 'parley_events';
const MAX_PAYLOAD_BYTES = 7_900; // PostgreSQL's limit is < 8,000 bytes
const FRAME_VERSION = 'p2';
/** Control notifications (a process's arrival, the answers to it): `p2c|origin|join`, `p2c|origin|ok|to`. */
const CONTROL = 'p2c';
/** NOTIFYs sent in one transaction at most (a burst of events becomes a few round trips). */
const MAX_FRAMES_PER_FLUSH = 256;
const MISSED_EVERY_MS = 5_000;

/**
 * The event bus across processes: PostgreSQL LISTEN/NOTIFY.
 *
 * - `publish` hands the event to this process's listeners at once (as the local bus does), then
 *   queues it for NOTIFY. The chat service publishes only after its transaction committed, so no
 *   process ever hears of uncommitted data.
 * - Each notification is `p2|origin|seq|part|parts|json`, where json is a list of events: as many
 *   queued events as fit in one payload travel together (at 5,000 messages a second, one NOTIFY
 *   per event cost more server time than the messages themselves). `origin` is random per bus
 *   instance, so a process drops its own echoes; `seq` counts this publisher's packets, so a
 *   receiver can tell it missed some (LISTEN connection lost) and log it.
 * - Large events: a NOTIFY payload must stay under 8,000 bytes, and a contact summary with 20
 *   answers of 500 characters (or a 4,000-character message in a non-Latin script) is larger. Such an
 *   event is split into parts of at most `maxPayloadBytes` (cut on UTF-8 character boundaries), sent
 *   in ONE transaction, and reassembled by the receivers. We chose this over "send an id and let the
 *   receiver re-read the row": the event stays exactly what the publisher saw (no later state, no
 *   deleted row), the bus needs no knowledge of the domain or its tables, and receivers need no
 *   database round trip. One transaction makes the parts all-or-nothing; NOTIFYs of one transaction
 *   are delivered together and in order.
 * - Order: NOTIFYs go out one flush at a time (never two in flight), and PostgreSQL delivers
 *   notifications in commit order, so every receiver sees one publisher's events in publish order.
 *   Events of different publishers interleave as their commits did; a socket that sees a message from
 *   two processes may get seqs out of order and resumes by seq, as after a reconnect.
 * - A lost LISTEN connection: postgres.js reconnects and re-LISTENs; events sent meanwhile are gone.
 *   So are those of a publisher whose NOTIFY failed, which the receivers see as a gap in its seqs, and
 *   an event whose parts did not all arrive. Each such loss is logged and told to `onMissed`'s
 *   handlers (the sockets reconnect and resume from the database; see sockets/hub.ts), once for a
 *   re-LISTEN and the gaps it leaves, and at most once per `missedEveryMs`.
 * - Alone, a process sends nothing (but counts a seq per event, so a process it wrongly thought gone
 *   sees the gap): one server (the usual deployment) paid a NOTIFY and its own echo
 *   for every event, about a tenth of its time at 5,000 messages a second (BENCHMARKS.md). Each
 *   process holds an advisory lock named by (channel, its origin) while it lives, so the processes on
 *   a channel are the holders of such locks; each counts them every few seconds. A process that
 *   starts LISTENs, takes its lock, and, if it is not alone, announces itself (`join`) and waits for
 *   every other process's answer before `start` resolves: a process that hears a `join` sends from
 *   that moment, so the newcomer misses nothing it could serve. One that leaves (or dies) lets go of
 *   its lock with its connection; the others stop sending at their next count.
 */
export function createPgBus(opts: PgBusOptions): PgBus {
  const { sql, log } = opts;
  const channel = opts.channel ?? DEFAULT_CHANNEL;
  let origin = newOrigin();
  const maxPayloadBytes = opts.maxPayloadBytes ?? MAX_PAYLOAD_BYTES;
  const listeners = new Set<Listener>();
  const space = lockSpace(channel);

  /** Other processes on the channel, by the last count (or a `join` heard since). */
  let peers = 0;
  /** `join`s heard: a count taken before the latest one may not conclude that we are alone. */
  let joins = 0;
  let counting: ReturnType<typeof setInterval> | null = null;
  /** The answers to our own `join`, while `start` waits for them. */
  let awaitingOks: { from: Set<string>; want: number; done: () => void } | null = null;

  let seq = 0;
  /** Events not yet sent (as JSON), oldest first. */
  const pending: string[] = [];
  let flushing: Promise<void> | null = null;
  let closed = false;
  let unlisten: (() => Promise<void>) | null = null;
  let listens = 0;

  /**
   * Per remote publisher: the last seq delivered, the parts of an event being reassembled, and
   * whether a re-LISTEN already told of what it lost since (its next gap is that same loss).
   */
  const remotes = new Map<
    string,
    { last: number; partial: { seq: number; parts: string[] } | null; relistened: boolean }
  >();

  const missedHandlers = new Set<() => void>();
  const missedEveryMs = opts.missedEveryMs ?? MISSED_EVERY_MS;
  let missedAt = Number.NEGATIVE_INFINITY;
  let missedLater: ReturnType<typeof setTimeout> | null = null;
  /** Tells the handlers that events were lost: now, or at the end of the quiet time after the last telling. */
  function missed() {
    if (closed || missedLater) return;
    const wait = missedAt + missedEveryMs - performance.now();
    if (wait > 0) {
      missedLater = setTimeout(() => {
        missedLater = null;
        missed();
      }, wait);
      missedLater.unref?.();
      return;
    }
    missedAt = performance.now();
    for (const handler of missedHandlers) {
      try {
        handler();
      } catch (err) {
        log.error({ err }, 'event bus: a handler of missed events failed');
      }
    }
  }
  /** A loss seen in a publisher's packets: told unless its re-LISTEN told of it already. */
  function lost(remote: { relistened: boolean }) {
    if (!remote.relistened) missed();
  }

  function deliver(event: ChatEvent) {
    for (const l of listeners) {
      try {
        l(event);
      } catch (err) {
        // One broken socket must not stop delivery to the others.
        log.error({ err }, 'event listener failed');
      }
    }
  }

  /** The header grows with the part count; room for a generous one is kept free. */
  const head = (n: number, part: number, parts: number) =>
    `${FRAME_VERSION}|${origin}|${n}|${part}|${parts}|`;
  const room = maxPayloadBytes - head(Number.MAX_SAFE_INTEGER, 99_999, 99_999).length;
  if (room < 16) throw new Error(`maxPayloadBytes ${maxPayloadBytes} leaves no room for data`);

  /** One packet: as many queued events as fit in one payload (one, cut in parts, if it is large). */
  function nextPacket(): { frames: string[]; events: number } {
    const first = pending.shift()!;
    const pack = [first];
    let bytes = Buffer.byteLength(first) + 2;
    while (pending.length > 0) {
      const size = Buffer.byteLength(pending[0]!) + 1;
      if (bytes + size > room) break;
      pack.push(pending.shift()!);
      bytes += size;
    }
    const n = ++seq;
    const chunks = splitUtf8(`[${pack.join(',')}]`, room);
    return { frames: chunks.map((c, i) => head(n, i + 1, chunks.length) + c), events: pack.length };
  }

  async function flush() {
    while (pending.length > 0) {
      const frames: string[] = [];
      let events = 0;
      while (pending.length > 0 && frames.length < MAX_FRAMES_PER_FLUSH) {
        const packet = nextPacket();
        frames.push(...packet.frames);
        events += packet.events;
      }
      try {
        // One statement, one round trip: its NOTIFYs are one transaction, delivered together and in
        // this order. The frames travel as one JSON text parameter.
        await sql`select pg_notify(${channel}, f) from json_array_elements_text(${JSON.stringify(frames)}::text::json) as f`;
      } catch (err) {
        log.error({ err, events }, 'event bus: NOTIFY failed; these events reached this process only');
      }
    }
  }

  /** Takes this process's lock (a new origin if another process drew the same one), then announces it. */
  async function join(): Promise<void> {
    // Nothing is ours yet: a lock we cannot take is another process's.
    while (!(await takeLock())) origin = newOrigin();
    const others = await countOthers();
    peers = others;
    if (others === 0) return;
    const answered = new Promise<void>((resolve) => {
      awaitingOks = { from: new Set(), want: others, done: resolve };
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), opts.joinTimeoutMs ?? 3_000);
    });
    await control(`${CONTROL}|${origin}|join`);
    const late = await Promise.race([answered.then(() => false), timedOut]);
    clearTimeout(timer);
    const heard = awaitingOks?.from.size ?? 0;
    awaitingOks = null;
    if (late) {
      log.warn(
        { channel, peers: others, answered: heard },
        'event bus: not every other process answered; events they publish meanwhile may not reach this one',
      );
    }
  }

  /**
   * Holds this process's lock on the connection the statement runs on: takes it unless that
   * connection holds it already (each success would stack another hold). False when it is held
   * elsewhere (another connection of ours, or another process that drew the same origin).
   */
  async function takeLock(): Promise<boolean> {
    const key = originKey(origin);
    const [row] = await sql<{ took: boolean }[]>`
      select case when exists (
        select 1 from pg_locks where locktype = 'advisory' and objsubid = 2 and granted
          and pid = pg_backend_pid() and classid = ${space}::int::oid and objid = ${key}::int::oid
      ) then true else pg_try_advisory_lock(${space}::int, ${key}::int) end as took`;
    return row?.took === true;
  }

  /** The other processes holding a lock of this channel's space now. */
  async function countOthers(): Promise<number> {
    const [row] = await sql<{ n: number }[]>`
      select count(distinct objid)::int as n from pg_locks
      where locktype = 'advisory' and objsubid = 2 and granted
        and database = (select oid from pg_database where datname = current_database())
        and classid = ${space}::int::oid and objid <> ${originKey(origin)}::int::oid`;
    return row?.n ?? 0;
  }

  /** Counts the others again (and takes our lock again if its connection was replaced). */
  async function count(): Promise<void> {
    const joinsBefore = joins;
    try {
      await takeLock();
      const others = await countOthers();
      // A `join` heard meanwhile is newer news than this count.
      if (others === 0 && joins !== joinsBefore) return;
      if ((others === 0) !== (peers === 0)) {
        log.info(
          { channel, peers: others },
          others === 0 ? 'event bus: alone now' : 'event bus: not alone now',
        );
      }
      peers = others;
    } catch (err) {
      // Keep sending as before: a count that failed proves nothing.
      log.warn({ err }, 'event bus: could not count the other processes');
    }
  }

  function onControl(payload: string) {
    const [, from, what, to] = payload.split('|');
    if (!from || from === origin) return;
    if (what === 'join') {
      // From now on this process sends; the answer tells the newcomer so.
      joins++;
      peers = Math.max(peers, 1);
      void control(`${CONTROL}|${origin}|ok|${from}`);
    } else if (what === 'ok' && to === origin && awaitingOks) {
      awaitingOks.from.add(from);
      if (awaitingOks.from.size >= awaitingOks.want) awaitingOks.done();
    }
  }

  /** Back after a lost LISTEN connection: its lock again, and a `join` the others answer as at start. */
  async function rejoin(): Promise<void> {
    try {
      await takeLock();
    } catch (err) {
      log.warn({ err }, 'event bus: could not take its lock again; the next count will');
    }
    await control(`${CONTROL}|${origin}|join`);
  }

  async function control(payload: string): Promise<void> {
    try {
      await sql`select pg_notify(${channel}, ${payload})`;
    } catch (err) {
      log.error({ err }, 'event bus: could not reach the other processes');
    }
  }

  function onNotification(payload: string) {
    if (payload.startsWith(`${CONTROL}|`)) return onControl(payload);
    const frame = parseFrame(payload);
    if (!frame) {
      log.warn({ payload: payload.slice(0, 80) }, 'event bus: unreadable notification ignored');
      return;
    }
    if (frame.origin === origin) return; // our own echo: delivered locally already
    let remote = remotes.get(frame.origin);
    if (!remote) {
      remote = { last: frame.seq - 1, partial: null, relistened: false };
      remotes.set(frame.origin, remote);
    }
    if (frame.seq <= remote.last) return; // a repeat
    if (frame.part === 1) {
      if (remote.partial)
        log.warn({ origin: frame.origin, seq: remote.partial.seq }, 'event bus: incomplete event dropped');
      if (frame.seq !== remote.last + 1) {
        log.warn(
          { origin: frame.origin, missed: frame.seq - remote.last - 1 },
          'event bus: events from another process were missed (LISTEN connection lost, or its NOTIFY failed)',
        );
      }
      if (remote.partial || frame.seq !== remote.last + 1) lost(remote);
      remote.partial = { seq: frame.seq, parts: [] };
    }
    const partial = remote.partial;
    if (!partial || partial.seq !== frame.seq || partial.parts.length !== frame.part - 1) {
      log.warn(
        { origin: frame.origin, seq: frame.seq, part: frame.part },
        'event bus: stray event part ignored',
      );
      lost(remote);
      return;
    }
    remote.relistened = false;
    partial.parts.push(frame.data);
    if (frame.part < frame.parts) return;
    remote.partial = null;
    remote.last = frame.seq;
    let events: ChatEvent[];
    try {
      events = JSON.parse(partial.parts.join('')) as ChatEvent[];
      if (!Array.isArray(events)) throw new Error('not a list of events');
    } catch (err) {
      log.warn({ err, origin: frame.origin, seq: frame.seq }, 'event bus: unreadable events ignored');
      missed();
      return;
    }
    for (const event of events) deliver(event);
  }

  return {
    get origin() {
      return origin;
    },
    get peers() {
      return peers;
    },
    publish(event) {
      deliver(event);
      if (closed) return;
      if (peers === 0) {
        // Sent to nobody: if another process was there after all (its lock's connection was reset,
        // so the count missed it), the seq it never got shows it a gap when this process sends again.
        seq++;
        return;
      }
      pending.push(JSON.stringify(event));
      flushing ??= flush().finally(() => {
        flushing = null;
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onMissed(handler) {
      missedHandlers.add(handler);
      return () => missedHandlers.delete(handler);
    },
    async start() {
      const handle = await sql.listen(channel, onNotification, () => {
        // Called after every LISTEN, including the re-LISTEN after a lost connection.
        if (++listens === 1) return;
        for (const r of remotes.values()) {
          r.partial = null;
          r.relistened = true;
        }
        // Alone and never having heard another process, there was nothing to miss.
        const others = peers > 0 || remotes.size > 0;
        log.warn(
          { channel, peers },
          others
            ? 'event bus: LISTEN connection re-established; events sent meanwhile were missed'
            : 'event bus: LISTEN connection re-established',
        );
        if (others) missed();
        // Its lock may have gone with its connections, and the others count it gone until it is
        // back: it announces itself now, so they send to it again from the moment they hear this.
        void rejoin();
      });
      unlisten = handle.unlisten;
      await join();
      counting = setInterval(() => void count(), opts.membersEveryMs ?? 2_000);
      counting.unref();
      log.info({ channel, origin, peers }, 'event bus: listening');
    },
    async close() {
      closed = true;
      if (counting) clearInterval(counting);
      if (missedLater) clearTimeout(missedLater);
      await flushing;
      await unlisten?.().catch((err: unknown) => log.warn({ err }, 'event bus: UNLISTEN failed'));
      unlisten = null;
    },
  };
}

/** A random origin: 31 bits in hex, which also name its advisory lock (keys are signed; ours stay positive). */
const newOrigin = () => (randomBytes(4).readUInt32BE() & 0x7fffffff).toString(16).padStart(8, '0');
const originKey = (origin: string) => Number.parseInt(origin, 16);
/** The advisory lock space of a channel: FNV-1a of its name, 31 bits. */
export function lockSpace(channel: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(channel)) h = Math.imul(h ^ b, 0x01000193);
  return h & 0x7fffffff;
}

interface Frame {
  origin: string;
  seq: number;
  part: number;
  parts: number;
  data: string;
}

function parseFrame(payload: string): Frame | null {
  // p2|origin|seq|part|parts|data — data may itself contain "|".
  const fields: string[] = [];
  let at = 0;
  for (let i = 0; i < 5; i++) {
    const bar = payload.indexOf('|', at);
    if (bar < 0) return null;
    fields.push(payload.slice(at, bar));
    at = bar + 1;
  }
  const [version, origin, seq, part, parts] = fields;
  if (version !== FRAME_VERSION || !origin) return null;
  const frame = {
    origin,
    seq: Number(seq),
    part: Number(part),
    parts: Number(parts),
    data: payload.slice(at),
  };
  const ok = [frame.seq, frame.part, frame.parts].every((n) => Number.isSafeInteger(n) && n >= 1);
  return ok && frame.part <= frame.parts ? frame : null;
}

/** Cuts `text` into pieces of at most `maxBytes` UTF-8 bytes, never inside a character. */
export function splitUtf8(text: string, maxBytes: number): string[] {
  const out: string[] = [];
  let start = 0;
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) {
      out.push(text.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
    i += units;
  }
  out.push(text.slice(start));
  return out;
}
