import type { ContactSummary, Deletion, Message } from '@parley/protocol';
import { and, asc, desc, eq, gt, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type ContactRow, contacts, type MessageRow, messages, visitors } from '../db/schema/index.js';

export const OPEN_STATUSES = ['new', 'queued', 'assigned', 'active'] as const;
const PREVIEW_CHARS = 140;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toSummary(c: ContactRow, visitorLastSeenAt: Date | null): ContactSummary {
  return {
    id: c.id,
    siteId: c.siteId,
    channel: c.channel,
    priority: c.priority,
    requiredSkills: c.requiredSkills,
    clientId: c.clientId,
    callbackPhone: c.callbackPhone,
    status: c.status,
    visitorName: c.answers.name?.trim() || 'Visitor',
    answers: c.answers,
    assigneeId: c.assigneeId,
    lastSeq: c.lastSeq,
    lastMessage: c.lastMessagePreview,
    lastMessageAt: iso(c.lastMessageAt),
    enqueuedAt: iso(c.enqueuedAt),
    firstResponseAt: iso(c.firstResponseAt),
    closedAt: iso(c.closedAt),
    createdAt: c.createdAt.toISOString(),
    pageUrl: c.pageUrl,
    visitorLastSeenAt: iso(visitorLastSeenAt),
    handoffNote: c.handoffNote,
  };
}

export function toMessage(m: MessageRow): Message {
  return {
    id: m.id,
    contactId: m.contactId,
    seq: m.seq,
    author: { kind: m.authorKind, id: m.authorId, name: m.authorName },
    body: m.body,
    quoteId: m.quoteId,
    clientId: m.clientId,
    createdAt: m.createdAt.toISOString(),
    deletedAt: m.deletedAt ? m.deletedAt.toISOString() : null,
  };
}

export async function summaries(db: Db, where: ReturnType<typeof and>): Promise<ContactSummary[]> {
  const rows = await db
    .select({ c: contacts, seen: visitors.lastSeenAt })
    .from(contacts)
    .leftJoin(visitors, eq(visitors.id, contacts.visitorId))
    .where(where)
    .orderBy(desc(sql`coalesce(${contacts.lastMessageAt}, ${contacts.createdAt})`))
    .limit(500);
  return rows.map((r) => toSummary(r.c, r.seen));
}

export async function summary(db: Db, contactId: string): Promise<ContactSummary | undefined> {
  const [row] = await summaries(db, eq(contacts.id, contactId));
  return row;
}

export function openContactsOf(db: Db, workspaceId: string): Promise<ContactSummary[]> {
  return summaries(
    db,
    and(eq(contacts.workspaceId, workspaceId), inArray(contacts.status, [...OPEN_STATUSES])),
  );
}

export async function lockContact(db: Db, contactId: string): Promise<ContactRow | undefined> {
  const [row] = await db.select().from(contacts).where(eq(contacts.id, contactId)).for('update');
  return row;
}

export async function messageByClientId(db: Db, contactId: string, clientId: string) {
  const [row] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.contactId, contactId), eq(messages.clientId, clientId)));
  return row;
}

export async function messageInContact(db: Db, contactId: string, messageId: string) {
  const [row] = await db
    .select({ id: messages.id })
    .from(messages)
    .where(and(eq(messages.contactId, contactId), eq(messages.id, messageId)));
  return row;
}

export async function messagesAfter(db: Db, contactId: string, afterSeq: number, limit: number) {
  const rows = await db
    .select()
    .from(messages)
    .where(and(eq(messages.contactId, contactId), gt(messages.seq, afterSeq)))
    .orderBy(asc(messages.seq))
    .limit(limit);
  return rows.map(toMessage).map(redacted);
}

/**
 * The conversation's deleted messages at or below `seq`: a client resuming after `seq` had them
 * whole. Few (deletions are rare), read from the conversation's own index range.
 */
export async function deletedUpTo(db: Db, contactId: string, seq: number): Promise<Deletion[]> {
  if (seq <= 0) return [];
  const rows = await db
    .select({ messageId: messages.id, by: messages.deletedBy, at: messages.deletedAt })
    .from(messages)
    .where(and(eq(messages.contactId, contactId), lte(messages.seq, seq), isNotNull(messages.deletedAt)))
    .orderBy(asc(messages.seq));
  const out: Deletion[] = [];
  for (const r of rows)
    if (r.by && r.at) out.push({ messageId: r.messageId, by: r.by, at: r.at.toISOString() });
  return out;
}

/** A deleted message keeps its place (seqs stay gap-free) but not its text; contact_events keep that. */
export const redacted = (m: Message): Message => (m.deletedAt ? { ...m, body: '' } : m);

export const previewOf = (body: string): string =>
  body.length > PREVIEW_CHARS ? `${body.slice(0, PREVIEW_CHARS - 1)}…` : body;
