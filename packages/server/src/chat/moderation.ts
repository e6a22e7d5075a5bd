/**
 * Taking back what was said: an operator deletes a reply sent by mistake (the visitor's widget
 * drops it live; contact_events keep who deleted what and when), and a visitor rates an ended
 * conversation.
 */
import { ErrorCode } from '@parley/protocol';
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { ChatEvent, EventBus } from '../bus.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import { contactEvents, contacts, messages, type UserRow } from '../db/schema/index.js';
import { fail } from '../errors.js';
import * as repo from './repo.js';

type Actor = Pick<UserRow, 'id' | 'name' | 'role' | 'workspaceId'>;

export function createModeration(deps: {
  db: Db;
  bus: EventBus;
  clock: Clock;
  contactEvent: (workspaceId: string, contactId: string) => Promise<ChatEvent>;
}) {
  const { db, bus, clock } = deps;

  /**
   * Operators delete their own replies; supervisors and admins any operator's. Visitors' messages
   * stay. Deleting twice changes nothing.
   */
  async function deleteMessage(user: Actor, contactId: string, messageId: string): Promise<void> {
    const now = clock.now();
    const done = await db.transaction(async (tx) => {
      const c = await repo.lockContact(tx, contactId);
      if (!c || c.workspaceId !== user.workspaceId) return fail(ErrorCode.NotFound, 'The conversation');
      const [m] = await tx
        .select()
        .from(messages)
        .where(and(eq(messages.id, messageId), eq(messages.contactId, contactId)));
      if (!m) return fail(ErrorCode.NotFound, 'The message');
      if (m.authorKind !== 'operator') fail(ErrorCode.Forbidden, 'Only operators’ replies can be deleted.');
      if (m.authorId !== user.id && user.role === 'operator') {
        fail(ErrorCode.Forbidden, 'You can delete only your own replies.');
      }
      if (m.deletedAt) return null;
      await tx.update(messages).set({ deletedAt: now, deletedBy: user.id }).where(eq(messages.id, m.id));
      await tx.insert(contactEvents).values({
        contactId,
        kind: 'message_deleted',
        actorId: user.id,
        data: {
          messageId: m.id,
          seq: m.seq,
          authorId: m.authorId,
          body: m.body,
          sentAt: m.createdAt.toISOString(),
        },
        at: now,
      });
      // The queue shows the last message: it must not keep showing the deleted one.
      const [last] = await tx
        .select({ body: messages.body, createdAt: messages.createdAt })
        .from(messages)
        .where(and(eq(messages.contactId, contactId), isNull(messages.deletedAt)))
        .orderBy(desc(messages.seq))
        .limit(1);
      await tx
        .update(contacts)
        .set({
          lastMessagePreview: last ? repo.previewOf(last.body) : null,
          lastMessageAt: last?.createdAt ?? null,
          updatedAt: now,
        })
        .where(eq(contacts.id, contactId));
      return { assigneeId: c.assigneeId };
    });
    if (!done) return;
    const events: ChatEvent[] = [
      {
        kind: 'deleted',
        workspaceId: user.workspaceId,
        contactId,
        messageId,
        assigneeId: done.assigneeId,
        by: user.id,
        at: now.toISOString(),
      },
      await deps.contactEvent(user.workspaceId, contactId),
    ];
    for (const e of events) bus.publish(e);
  }

  /** The visitor's 1-5 rating of their ended conversation; rating again replaces it. */
  async function rate(visitorId: string, contactId: string, score: number, comment: string | undefined) {
    const now = clock.now();
    await db.transaction(async (tx) => {
      const c = await repo.lockContact(tx, contactId);
      if (!c || c.visitorId !== visitorId) return fail(ErrorCode.NotFound, 'The conversation');
      if (c.status !== 'closed') fail(ErrorCode.Validation, 'Only an ended conversation can be rated.');
      const text = comment?.trim() || null;
      await tx
        .update(contacts)
        .set({ csatScore: score, csatComment: text, ratedAt: now, updatedAt: now })
        .where(eq(contacts.id, contactId));
      await tx
        .insert(contactEvents)
        .values({ contactId, kind: 'rated', data: { score, comment: text }, at: now });
    });
  }

  return { deleteMessage, rate };
}
