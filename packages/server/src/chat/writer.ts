import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@parley/protocol';
import { asc, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
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
  contact: ContactRow;
  /** This message changed the conversation's state (the first operator reply makes it active). */
  changed: boolean;
};

interface Pending extends AppendRequest {
  resolve: (r: Appended) => void;
  reject: (e: unknown) => void;
}

/** Most messages one transaction writes; more wait for the next one. */
const MAX_GROUP = 512;

/**
 * Group commit of messages. While one transaction is being written, the messages that arrive wait and
 * go together in the next one: a single multi-row insert, one commit for all of them. Nothing waits
 * when the database is idle (a lone message is written at once), so the groups grow only under load.
 *
 * Each group locks its conversations (`FOR UPDATE`, in id order so two writers cannot deadlock) and
 * takes seqs in arrival order, so seqs stay gap-free and per-conversation order is the order of
 * arrival. A repeated client id, in the database or earlier in the same group, stores nothing. A
 * message refused for its own reason (closed conversation, foreign quote, not allowed) fails alone.
 */
export function createMessageWriter(deps: { db: Db; clock: Clock }) {
  // One group in flight at a time. (Several lanes, one per conversation hash, were measured: the
  // groups got smaller and it was slower; see BENCHMARKS.md.)
  let queue: Pending[] = [];
  let writing = false;

  function append(req: AppendRequest): Promise<Appended> {
    return new Promise((resolve, reject) => {
      queue.push({ ...req, resolve, reject });
      if (!writing) void drain();
    });
  }

  async function drain(): Promise<void> {
    writing = true;
    try {
      while (queue.length > 0) {
        const group = queue.slice(0, MAX_GROUP);
        queue = queue.slice(group.length);
        try {
          const settled = await deps.db.transaction((tx) => writeGroup(tx, group));
          // Only after the commit: an ack names a stored message.
          for (const s of settled) s();
        } catch (err) {
          // Nothing of this group was stored; each sender may retry with the same client id.
          for (const p of group) p.reject(err);
        }
      }
    } finally {
      writing = false;
    }
  }

  /** Writes one group; returns the settlements to run once the transaction has committed. */
  async function writeGroup(tx: Db, group: Pending[]): Promise<(() => void)[]> {
    const now = deps.clock.now();
    const ids = [...new Set(group.map((p) => p.contactId))].sort();
    // The three reads go out together (postgres.js pipelines a transaction's queries; the server runs
    // them in order, so the repeats and quotes are read under the lock): one round trip, not three.
    const [locked, existing, quotes] = await Promise.all([
      tx.select().from(contacts).where(idIn(contacts.id, ids)).orderBy(asc(contacts.id)).for('update'),
      existingByClientId(tx, group),
      quotedIn(tx, group),
    ]);
    const rows = new Map(locked.map((c) => [c.id, c]));
    const seen = new Map<string, MessageRow>();
    for (const m of existing) seen.set(`${m.contactId} ${m.clientId}`, m);

    const settle: (() => void)[] = [];
    const fresh: { p: Pending; key: string; changed: boolean }[] = [];
    const values: MessageRow[] = [];
    const inGroup = new Map<string, number>(); // key → index in values
    const touched = new Set<string>();
    for (const p of group) {
      const c = rows.get(p.contactId);
      try {
        if (!c) throw new ParleyError(ErrorCode.NotFound, 'The conversation');
        p.authorize(c);
      } catch (err) {
        settle.push(() => p.reject(err));
        continue;
      }
      const key = `${p.contactId} ${p.input.clientId}`;
      const stored = seen.get(key);
      if (stored) {
        settle.push(() =>
          p.resolve({ message: toMessage(stored), fresh: false, contact: c, changed: false }),
        );
        continue;
      }
      if (inGroup.has(key)) {
        fresh.push({ p, key, changed: false }); // resolved with the first one's row below, as a repeat
        continue;
      }
      const refusal =
        c.status === 'closed' || c.status === 'abandoned'
          ? new ParleyError(ErrorCode.ContactClosed)
          : p.input.quoteId && quotes.get(p.input.quoteId) !== p.contactId
            ? new ParleyError(ErrorCode.Validation, 'The quoted message is not in this conversation.')
            : p.input.body.includes('\u0000')
              ? new ParleyError(ErrorCode.Validation, 'body: a message cannot contain the NUL character.')
              : null;
      if (refusal) {
        settle.push(() => p.reject(refusal));
        continue;
      }
      // Lone UTF-16 surrogates (a cut emoji, or one the preview cuts) become U+FFFD, as the
      // database's UTF-8 would have them; what the senders are told is what is stored.
      const body = p.input.body.toWellFormed();
      c.lastSeq += 1;
      c.lastMessagePreview = previewOf(body).toWellFormed();
      c.lastMessageAt = now;
      c.updatedAt = now;
      const firstReply = p.author.kind === 'operator' && c.firstResponseAt === null;
      if (firstReply) {
        c.firstResponseAt = now;
        c.status = 'active';
      }
      touched.add(c.id);
      inGroup.set(key, values.length);
      values.push({
        id: randomUUID(),
        contactId: p.contactId,
        seq: c.lastSeq,
        authorKind: p.author.kind,
        authorId: p.author.id,
        authorName: p.author.name.toWellFormed(),
        body,
        quoteId: p.input.quoteId ?? null,
        clientId: p.input.clientId.toWellFormed(),
        createdAt: now,
        deletedAt: null,
        deletedBy: null,
      });
      fresh.push({ p, key, changed: firstReply });
    }

    // The group travels as one JSON parameter, not nine parameters a row: building a statement
    // with thousands of parameters was most of the ORM's time in the profiles (BENCHMARKS.md).
    if (values.length > 0) {
      const changes = [...touched].map((id) => {
        const c = rows.get(id)!;
        return {
          id,
          last_seq: c.lastSeq,
          preview: c.lastMessagePreview,
          at: c.lastMessageAt,
          first_response_at: c.firstResponseAt,
          status: c.status,
        };
      });
      // The messages and their conversations' new state in one statement: one round trip.
      await tx.execute(sql`
        with stored as (
          insert into ${messages} (id, contact_id, seq, author_kind, author_id, author_name, body, quote_id, client_id, created_at)
          select id, contact_id, seq, author_kind, author_id, author_name, body, quote_id, client_id, created_at
          from json_to_recordset(${JSON.stringify(values.map(asColumns))}::text::json) as x(id uuid, contact_id uuid,
            seq int, author_kind text, author_id uuid, author_name text, body text, quote_id uuid, client_id text,
            created_at timestamptz)
        )
        update ${contacts} set
          last_seq = v.last_seq,
          last_message_preview = v.preview,
          last_message_at = v.at,
          updated_at = v.at,
          first_response_at = v.first_response_at,
          status = v.status
        from json_to_recordset(${JSON.stringify(changes)}::text::json) as v(id uuid, last_seq int, preview text,
          at timestamptz, first_response_at timestamptz, status text)
        where ${contacts.id} = v.id`);
    }
    const byKey = new Map(values.map((m) => [`${m.contactId} ${m.clientId}`, m]));
    const first = new Set<string>();
    for (const { p, key, changed } of fresh) {
      const m = byKey.get(key)!; // as stored: every column is known here
      const isFirst = !first.has(key);
      first.add(key);
      const contact = { ...rows.get(p.contactId)! };
      settle.push(() => p.resolve({ message: toMessage(m), fresh: isFirst, contact, changed }));
    }
    return settle;
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

/** `column in (ids)`, the ids as one JSON parameter however many there are. */
const idIn = (column: AnyPgColumn, ids: string[]) =>
  sql`${column} in (select value::uuid from json_array_elements_text(${JSON.stringify(ids)}::text::json))`;

/** A message as the insert's `json_to_recordset` columns name it. */
function asColumns(m: MessageRow) {
  return {
    id: m.id,
    contact_id: m.contactId,
    seq: m.seq,
    author_kind: m.authorKind,
    author_id: m.authorId,
    author_name: m.authorName,
    body: m.body,
    quote_id: m.quoteId,
    client_id: m.clientId,
    created_at: m.createdAt,
  };
}
