import { index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, ts } from './_columns.js';
import { contacts } from './contacts.js';

export const messages = pgTable(
  'messages',
  {
    id: id(),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => contacts.id),
    seq: integer('seq').notNull(),
    authorKind: text('author_kind', { enum: ['visitor', 'operator', 'system'] }).notNull(),
    authorId: uuid('author_id'),
    authorName: text('author_name').notNull(),
    body: text('body').notNull(),
    quoteId: uuid('quote_id'),
    /** The sender's id for this message: a repeated send with the same id stores nothing new. */
    clientId: text('client_id'),
    createdAt: createdAt(),
    deletedAt: ts('deleted_at'),
    /** The operator who deleted it; the body stays in contact_events (`message_deleted`). */
    deletedBy: uuid('deleted_by'),
  },
  (t) => [
    uniqueIndex('messages_contact_seq_idx').on(t.contactId, t.seq),
    uniqueIndex('messages_contact_client_idx').on(t.contactId, t.clientId),
    index('messages_contact_created_idx').on(t.contactId, t.createdAt),
  ],
);
export type MessageRow = typeof messages.$inferSelect;
