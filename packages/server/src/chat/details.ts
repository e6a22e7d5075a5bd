/**
 * The inbox's visitor panel: who is behind a contact (the visitor's browser, pages, local time, the
 * matched client's card, earlier conversations, the rating) and linking the visitor to a client.
 */
import type { ContactDetails } from '@parley/protocol';
import { ErrorCode } from '@parley/protocol';
import { and, desc, eq, isNull, ne, or } from 'drizzle-orm';
import type { EventBus } from '../bus.js';
import { clientCard } from '../clients/repo.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/client.js';
import {
  clientEmails,
  clientPhones,
  clients,
  contactEvents,
  contacts,
  orders,
  visitors,
} from '../db/schema/index.js';
import { fail } from '../errors.js';
import * as repo from './repo.js';

const EARLIER = 20;
const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function createContactDetails(deps: { db: Db; bus: EventBus; clock: Clock }) {
  const { db, bus, clock } = deps;

  async function details(workspaceId: string, contactId: string): Promise<ContactDetails> {
    const [row] = await db
      .select({ c: contacts, v: visitors })
      .from(contacts)
      .leftJoin(visitors, eq(visitors.id, contacts.visitorId))
      .where(and(eq(contacts.id, contactId), eq(contacts.workspaceId, workspaceId)));
    if (!row) return fail(ErrorCode.NotFound, 'The conversation');
    const { c, v } = row;
    const summary = await repo.summary(db, c.id);
    const sameVisitor = c.visitorId ? eq(contacts.visitorId, c.visitorId) : undefined;
    const sameClient = c.clientId ? eq(contacts.clientId, c.clientId) : undefined;
    const earlier =
      sameVisitor || sameClient
        ? await db
            .select()
            .from(contacts)
            .where(
              and(eq(contacts.workspaceId, workspaceId), ne(contacts.id, c.id), or(sameVisitor, sameClient)),
            )
            .orderBy(desc(contacts.createdAt))
            .limit(EARLIER)
        : [];
    return {
      contact: summary!,
      ip: c.ip,
      userAgent: c.userAgent ?? v?.userAgent ?? null,
      startPage: { url: c.pageUrl, title: c.pageTitle },
      currentPage: { url: v?.currentPageUrl ?? null, title: v?.currentPageTitle ?? null },
      referrer: c.referrer,
      locale: v?.locale ?? null,
      timeZone: v?.timeZone ?? null,
      clientMatch: c.clientMatch,
      client: c.clientId ? await clientCard(db, workspaceId, c.clientId) : null,
      earlier: earlier.map((e) => ({
        id: e.id,
        channel: e.channel,
        status: e.status,
        createdAt: e.createdAt.toISOString(),
        closedAt: iso(e.closedAt),
        lastMessage: e.lastMessagePreview,
        csatScore: e.csatScore,
      })),
      csat:
        c.csatScore !== null && c.ratedAt
          ? { score: c.csatScore, comment: c.csatComment, at: c.ratedAt.toISOString() }
          : null,
    };
  }

  /**
   * An operator says who the visitor is: this contact, and the visitor's other contacts no client
   * was found for, belong to the client from now on.
   */
  async function linkClient(user: { id: string; workspaceId: string }, contactId: string, clientId: string) {
    const now = clock.now();
    const changed = await db.transaction(async (tx) => {
      const c = await repo.lockContact(tx, contactId);
      if (!c || c.workspaceId !== user.workspaceId) return fail(ErrorCode.NotFound, 'The conversation');
      const [client] = await tx
        .select({ id: clients.id })
        .from(clients)
        .where(and(eq(clients.id, clientId), eq(clients.workspaceId, user.workspaceId)));
      if (!client) return fail(ErrorCode.NotFound, 'The client');
      // Leaving the prospect made for this visitor: what it knew (e-mail, phone) moves along, and the
      // prospect goes when nothing else refers to it.
      const prospect =
        c.clientMatch === 'created' && c.clientId && c.clientId !== clientId ? c.clientId : null;
      const others = c.visitorId
        ? await tx
            .update(contacts)
            .set({ clientId, clientMatch: 'linked', updatedAt: now })
            .where(and(eq(contacts.visitorId, c.visitorId), isNull(contacts.clientId), ne(contacts.id, c.id)))
            .returning({ id: contacts.id })
        : [];
      await tx
        .update(contacts)
        .set({ clientId, clientMatch: 'linked', updatedAt: now })
        .where(eq(contacts.id, c.id));
      if (prospect) {
        await tx.update(clientEmails).set({ clientId }).where(eq(clientEmails.clientId, prospect));
        await tx.update(clientPhones).set({ clientId }).where(eq(clientPhones.clientId, prospect));
        const moved = await tx
          .update(contacts)
          .set({ clientId, clientMatch: 'linked', updatedAt: now })
          .where(eq(contacts.clientId, prospect))
          .returning({ id: contacts.id });
        others.push(...moved);
        const [order] = await tx
          .select({ id: orders.id })
          .from(orders)
          .where(eq(orders.clientId, prospect))
          .limit(1);
        const [p] = await tx.select().from(clients).where(eq(clients.id, prospect));
        if (!order && p?.category === 'prospect' && !p.externalId)
          await tx.delete(clients).where(eq(clients.id, p.id));
      }
      await tx.insert(contactEvents).values({
        contactId: c.id,
        kind: 'client_linked',
        actorId: user.id,
        data: { clientId, was: c.clientId },
        at: now,
      });
      return [...new Set([c.id, ...others.map((o) => o.id)])];
    });
    // Open ones are in the inbox's queue: it hears of the new client (one read each, reused as the event).
    for (const id of changed) {
      const contact = await repo.summary(db, id);
      if (contact && repo.OPEN_STATUSES.includes(contact.status as (typeof repo.OPEN_STATUSES)[number])) {
        bus.publish({ kind: 'contact', workspaceId: user.workspaceId, contact });
      }
    }
    return details(user.workspaceId, contactId);
  }

  return { details, linkClient };
}
