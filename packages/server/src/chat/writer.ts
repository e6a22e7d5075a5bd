import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@parley/protocol';
import { sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import { type Db, hasPgCode, idIn, statement } from '../db/client.js';
import { type ContactRow, contacts, type MessageRow, messages } from '../db/schema/index.js';
import { ParleyError } from '../errors.js';
import { previewOf, toMessage } from './repo.js';
import type { Posted } from './service.js';

export interface AppendRequest {
  contactId: string;
  author: { kind: 'visitor' | 'operator'; id: string; name: string };
  input: { clientId: string; body: string; quoteId?: string | undefined };
  /** Throws a ParleyError when the author may not write into this conversation. */
  authorize: (c: ContactRow) => void;
}

export type Appended = Posted & {
  /**
   * The conversation as this message's group stored it: the writer's remembered row, which it
   * updates in place after a later group's statement. Read it when the append settles; keep a copy.
   */
  contact: ContactRow;
  /** This message changed the conversation's state (the first operator reply makes it active). */
  changed: boolean;
};

/** What a group changes of a conversation, message by message, before the statement stores it. */
interface NextState {
  lastSeq: number;
  preview: string | null;
  firstResponseAt: Date | null;
  status: ContactRow['status'];
}

interface Pending extends AppendRequest {
  /** Times it went round because its conversation changed meanwhile. */
  attempts: number;
  resolve: (r: Appended) => void;
  reject: (e: unknown) => void;
}

/** Most messages one statement writes; more wait for the next one. */
const MAX_GROUP = 512;
/**
 * Least time from one group's start to the next one's (ms). Each statement costs PostgreSQL about
 * 0.3 ms of CPU before its first message; back to back, under load, the groups were a millisecond
 * apart and five messages each. Paced, they carry 11-15 messages each, and the two cores do less:
 * at 5,000 messages a second, about 30 % less of PostgreSQL's CPU and 13 % less of the server's,
 * for about 1.5 ms more at the median (BENCHMARKS.md, ninth session). A message that finds the writer idle
 * for longer than this goes at once.
 */
export const GROUP_PACE_MS = 2;
/** Conversations the writer remembers between groups (the first remembered first to go). */
const KNOWN_MAX = 20_000;
/** Times a message goes round again because its conversation changed meanwhile, before it fails. */
const MAX_ATTEMPTS = 8;

/**
 * The statement failed as a whole but going again after a fresh read will do: a resend of a message
 * stored meanwhile (unique_violation; the fresh read finds it), or two processes' groups that locked
 * shared conversations in turn (deadlock_detected).
 */
const goesAgain = (err: unknown) => hasPgCode(err, '23505') || hasPgCode(err, '40P01');

/**
 * The group's one statement: each conversation still as remembered gets its new state and its
 * messages. The conversations are named by `any(array(...))` beside the join: PostgreSQL takes a JSON
 * recordset for 100 rows and, with a few thousand conversations, read them all for a group of five; a
 * list of ids it expects to be short leads it to the primary key. Its text is built once: only the
 * values travel (`statement`). A message goes in only beside its conversation's update: that, not a
 * foreign key, is what keeps every stored message in a conversation that exists (migration 0006).
 */
const writeStatement = statement<{ id: string }, 'msgs' | 'changes' | 'at'>(
  sql`
    with m as (
      select * from json_to_recordset(${sql.placeholder('msgs')}::text::json) as x(id uuid, "contactId" uuid,
        seq int, "authorKind" text, "authorId" uuid, "authorName" text, body text, "quoteId" uuid,
        "clientId" text)
    ), v as (
      select * from json_to_recordset(${sql.placeholder('changes')}::text::json) as v(id uuid, was_seq int,
        was_status text, was_assignee uuid, last_seq int, preview text, first_response_at timestamptz,
        status text)
    ), updated as (
      update ${contacts} c set
        last_seq = v.last_seq,
        last_message_preview = v.preview,
        last_message_at = ${sql.placeholder('at')}::timestamptz,
        updated_at = ${sql.placeholder('at')}::timestamptz,
        first_response_at = v.first_response_at,
        status = v.status
      from v
      where c.id = any(array(select id from v)) and c.id = v.id
        and c.last_seq = v.was_seq and c.status = v.was_status
        and c.assignee_id is not distinct from v.was_assignee
      returning c.id
    ), stored as (
      insert into ${messages} (id, contact_id, seq, author_kind, author_id, author_name, body, quote_id,
        client_id, created_at)
      select id, "contactId", seq, "authorKind", "authorId", "authorName", body, "quoteId", "clientId",
        ${sql.placeholder('at')}::timestamptz
      from m where "contactId" in (select id from updated)
    )
    select id from updated`,
);

/**
 * Group commit of messages. While one group is being written, the messages that arrive wait and go
 * together in the next: one statement stores all of them and their conversations' new state. Nothing
 * waits when the database is idle (a lone message is written at once), so groups grow only under load.
 *
 * A group is one round trip. The writer remembers each conversation as it last wrote or read it, takes
 * seqs from there in arrival order, and the statement writes a conversation only if it is still as
 * remembered (same last seq, status and assignee): a compare-and-set instead of a transaction holding
 * row locks. A conversation that changed meanwhile (another process wrote to it, an operator closed
 * or took it) is not written; its messages go round again at the head of the queue, in order, after
 * a fresh read. A resend of a message already stored fails the whole statement on the unique index
 * (checking every client id in the statement cost more than these rare retries): the group goes
 * round again, and the fresh read finds the repeat.
 * So seqs stay gap-free and per-conversation order is the order of arrival. A refusal is only ever
 * made on a fresh read (a remembered row may be stale): a message refused for its own reason
 * (closed conversation, foreign quote, not allowed) fails alone.
 */
export function createMessageWriter(deps: { db: Db; clock: Clock; paceMs?: number }) {
  const paceMs = deps.paceMs ?? GROUP_PACE_MS;
  // One group in flight at a time. (Several lanes, one per conversation hash, were measured: the
  // groups got smaller and it was slower; see BENCHMARKS.md.)
  let queue: Pending[] = [];
  let writing = false;
  let lastStart = Number.NEGATIVE_INFINITY;
  const known = new Map<string, ContactRow>();
  // Replacing a row keeps its place: deleting and re-adding every written row (to keep the most
  // recent last) made the Map rehash over and over at 5,000 messages a second.
  const remember = (c: ContactRow) => {
    const had = known.has(c.id);
    known.set(c.id, c);
    if (!had && known.size > KNOWN_MAX) known.delete(known.keys().next().value!);
  };

  function append(req: AppendRequest): Promise<Appended> {
    return new Promise((resolve, reject) => {
      // Spelled out, not `{ ...req, resolve, reject, attempts: 0 }`: V8 gave each of those spread
      // objects a hidden class of its own (174,195 of 174,203 checked under load), each map and its
      // descriptors allocated in the old generation, at 5,000 messages a second (BENCHMARKS.md).
      const { contactId, author, input, authorize } = req;
      queue.push({ contactId, author, input, authorize, resolve, reject, attempts: 0 });
      if (!writing) void drain();
    });
  }

  async function drain(): Promise<void> {
    writing = true;
    try {
      while (queue.length > 0) {
        const wait = lastStart + paceMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        lastStart = performance.now();
        const group = queue.splice(0, MAX_GROUP);
        let again: Pending[] = [];
        try {
          const done = await writeGroup(group);
          again = done.again;
          // Only after the statement: an ack names a stored message.
          for (const s of done.settle) s();
        } catch (err) {
          for (const p of group) known.delete(p.contactId);
          if (goesAgain(err)) again = group;
          // Nothing of this group was stored; each sender may retry with the same client id.
          else for (const p of group) p.reject(err);
        }
        const retry: Pending[] = [];
        for (const p of again) {
          if (++p.attempts < MAX_ATTEMPTS) retry.push(p);
          else p.reject(new ParleyError(ErrorCode.Internal, 'The conversation kept changing; send again.'));
        }
        queue = retry.concat(queue);
      }
    } finally {
      writing = false;
    }
  }

  /** Writes one group; returns what to settle once it is stored, and what goes round again. */
  async function writeGroup(group: Pending[]): Promise<{ settle: (() => void)[]; again: Pending[] }> {
    const { db } = deps;
    const now = deps.clock.now();
    // Conversations the writer does not remember are read, with their repeats; so are the quotes.
    // (A repeat in a remembered conversation fails the statement on the unique index: see goesAgain.)
    // The reads go out together (one round trip), and none at all in the steady state.
    const unknown = [...new Set(group.map((p) => p.contactId))].filter((id) => !known.has(id));
    const [read, existing, quotes] = await Promise.all([
      unknown.length > 0 ? db.select().from(contacts).where(idIn(contacts.id, unknown)) : [],
      unknown.length > 0
        ? existingByClientId(
            db,
            group.filter((p) => !known.has(p.contactId)),
          )
        : [],
      quotedIn(db, group),
    ]);
    const fresh = new Set<string>(unknown);
    for (const c of read) remember(c);
    const seen = new Map<string, MessageRow>();
    for (const m of existing) seen.set(`${m.contactId} ${m.clientId}`, m);

    // Each conversation's state as this group leaves it. The remembered rows change only once the
    // statement has stored it; until then they are what the compare-and-set compares with.
    const base = new Map<string, ContactRow>();
    const next = new Map<string, NextState>();
    for (const p of group) {
      const c = known.get(p.contactId);
      if (c && !base.has(c.id)) {
        base.set(c.id, c);
        next.set(c.id, {
          lastSeq: c.lastSeq,
          preview: c.lastMessagePreview,
          firstResponseAt: c.firstResponseAt,
          status: c.status,
        });
      }
    }

    const settle: { p: Pending; run: () => void }[] = [];
    const stale = new Set<string>(); // remembered rows that would refuse a message: read them first
    const ready: { p: Pending; key: string; changed: boolean }[] = [];
    const values: MessageRow[] = [];
    /** The group's new messages by `contactId clientId`. */
    const byKey = new Map<string, MessageRow>();
    const touched = new Set<string>();
    for (const p of group) {
      const c = base.get(p.contactId);
      const n = next.get(p.contactId);
      if (stale.has(p.contactId)) continue;
      const refuse = (err: unknown) => {
        if (fresh.has(p.contactId)) settle.push({ p, run: () => p.reject(err) });
        else stale.add(p.contactId);
      };
      try {
        if (!c || !n) throw new ParleyError(ErrorCode.NotFound, 'The conversation');
        // Who may write does not change within a group (its first reply changes only the status).
        p.authorize(c);
      } catch (err) {
        refuse(err);
        continue;
      }
      const key = `${p.contactId} ${p.input.clientId}`;
      const stored = seen.get(key);
      if (stored) {
        settle.push({
          p,
          run: () => p.resolve({ message: toMessage(stored), fresh: false, contact: c, changed: false }),
        });
        continue;
      }
      if (byKey.has(key)) {
        ready.push({ p, key, changed: false }); // resolved with the first one's row below, as a repeat
        continue;
      }
      if (p.input.body.includes('\u0000')) {
        const err = new ParleyError(
          ErrorCode.Validation,
          'body: a message cannot contain the NUL character.',
        );
        settle.push({ p, run: () => p.reject(err) });
        continue;
      }
      if (p.input.quoteId && quotes.get(p.input.quoteId) !== p.contactId) {
        const err = new ParleyError(ErrorCode.Validation, 'The quoted message is not in this conversation.');
        settle.push({ p, run: () => p.reject(err) });
        continue;
      }
      if (n.status === 'closed' || n.status === 'abandoned') {
        refuse(new ParleyError(ErrorCode.ContactClosed));
        continue;
      }
      // Lone UTF-16 surrogates (a cut emoji, or one the preview cuts) become U+FFFD, as the
      // database's UTF-8 would have them; what the senders are told is what is stored.
      const body = p.input.body.toWellFormed();
      n.lastSeq += 1;
      n.preview = previewOf(body).toWellFormed();
      const firstReply = p.author.kind === 'operator' && n.firstResponseAt === null;
      if (firstReply) {
        n.firstResponseAt = now;
        n.status = 'active';
      }
      touched.add(c.id);
      const row: MessageRow = {
        id: randomUUID(),
        contactId: p.contactId,
        seq: n.lastSeq,
        authorKind: p.author.kind,
        authorId: p.author.id,
        authorName: p.author.name.toWellFormed(),
        body,
        quoteId: p.input.quoteId ?? null,
        clientId: p.input.clientId.toWellFormed(),
        createdAt: now,
        deletedAt: null,
        deletedBy: null,
      };
      values.push(row);
      byKey.set(key, row);
      ready.push({ p, key, changed: firstReply });
    }

    // The group travels as two JSON parameters, not nine parameters a row: building a statement
    // with thousands of parameters was most of the ORM's time in the profiles (BENCHMARKS.md).
    const write = [...touched].filter((id) => !stale.has(id));
    let written = new Set<string>();
    if (write.length > 0) {
      // No Date goes into the JSON: one takes JSON.stringify off its fast path for the whole list
      // (twice the time, 3.4 µs a row measured in the server under load). The group's time, the
      // same for every row, travels once as its own parameter.
      const changes = write.map((id) => {
        const n = next.get(id)!;
        const was = base.get(id)!;
        return {
          id,
          was_seq: was.lastSeq,
          was_status: was.status,
          was_assignee: was.assigneeId,
          last_seq: n.lastSeq,
          preview: n.preview,
          first_response_at: n.firstResponseAt?.toISOString() ?? null,
          status: n.status,
        };
      });
      const msgs = values
        .filter((m) => !stale.has(m.contactId))
        .map((m) => ({
          id: m.id,
          contactId: m.contactId,
          seq: m.seq,
          authorKind: m.authorKind,
          authorId: m.authorId,
          authorName: m.authorName,
          body: m.body,
          quoteId: m.quoteId,
          clientId: m.clientId,
        }));
      const updated = await writeStatement(db, {
        msgs: JSON.stringify(msgs),
        changes: JSON.stringify(changes),
        at: now.toISOString(),
      });
      written = new Set(updated.map((r) => r.id));
    }

    // Conversations not written changed meanwhile (or would refuse on a remembered row): forget
    // them, and send their messages round again, in order, after a fresh read.
    for (const id of [...write.filter((id) => !written.has(id)), ...stale]) known.delete(id);
    /** Each written conversation as stored: the row the writer remembers from now on. */
    const stored = new Map<string, ContactRow>();
    for (const id of written) {
      const n = next.get(id)!;
      const was = base.get(id)!;
      // The remembered row takes the new state in place: neither a copy of every row a group
      // writes nor a fresh one remembered at every write (which lived until the conversation's next
      // message, long enough to reach the old generation).
      let row = was;
      if (known.get(id) !== was) {
        row = { ...was };
        remember(row);
      }
      row.lastSeq = n.lastSeq;
      row.lastMessagePreview = n.preview;
      row.lastMessageAt = now;
      row.updatedAt = now;
      row.firstResponseAt = n.firstResponseAt;
      row.status = n.status;
      stored.set(id, row);
    }
    const settled = new Set(settle.map((s) => s.p));
    // Everything of those conversations not settled already (settled: on a fresh read, or whatever
    // the conversation's state) goes round: its in-group repeats with their first send.
    const again = group.filter(
      (p) =>
        !settled.has(p) &&
        (stale.has(p.contactId) || (touched.has(p.contactId) && !written.has(p.contactId))),
    );
    const goingAgain = new Set(again);
    const first = new Set<string>();
    for (const { p, key, changed } of ready) {
      if (goingAgain.has(p)) continue;
      const m = byKey.get(key)!; // as stored: every column is known here
      const isFirst = !first.has(key);
      first.add(key);
      // The conversation as stored; the writer changes it in place only after a later statement.
      const contact = stored.get(p.contactId)!;
      settle.push({ p, run: () => p.resolve({ message: toMessage(m), fresh: isFirst, contact, changed }) });
    }
    return { settle: settle.map((s) => s.run), again };
  }

  return { append };
}

/** The stored messages of this group's (conversation, client id) pairs: repeats of earlier sends. */
async function existingByClientId(tx: Db, group: AppendRequest[]): Promise<MessageRow[]> {
  const keys = group.map((p) => ({ c: p.contactId, k: p.input.clientId }));
  return tx
    .select()
    .from(messages)
    .where(
      sql`(${messages.contactId}, ${messages.clientId}) in
        (select c, k from json_to_recordset(${JSON.stringify(keys)}::text::json) as x(c uuid, k text))`,
    );
}

/** Quoted message id → its conversation, for the quotes this group makes. */
async function quotedIn(tx: Db, group: AppendRequest[]): Promise<Map<string, string>> {
  const ids = [...new Set(group.flatMap((p) => (p.input.quoteId ? [p.input.quoteId] : [])))];
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select({ id: messages.id, contactId: messages.contactId })
    .from(messages)
    .where(idIn(messages.id, ids));
  return new Map(rows.map((r) => [r.id, r.contactId]));
}
