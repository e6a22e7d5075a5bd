import { index, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id } from './_columns.js';
import { contacts } from './contacts.js';

/**
 * Every transition of a contact (queued, assigned, transferred, escalated, callback, abandoned,
 * re-contacted, closed) with who did it: the history that transfers keep and reports read.
 */
export const contactEvents = pgTable(
  'contact_events',
  {
    id: id(),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => contacts.id),
    kind: text('kind').notNull(),
    actorId: uuid('actor_id'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    at: createdAt(),
  },
  (t) => [index('contact_events_contact_idx').on(t.contactId, t.at)],
);
export type ContactEventRow = typeof contactEvents.$inferSelect;
