import { integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, ts } from './_columns.js';

export const messages = pgTable(
  'messages',
  {
    id: id(),
    /**
     * The conversation. Not a foreign key (migration 0006), whose check and row lock on every insert
     * cost 9-14 % of PostgreSQL's CPU per stored message and one WAL record in six. What it guarded
     * still holds: the writer's group statement, the only insert, stores a message only beside its
     * conversation's own update; and a trigger refuses to delete a conversation that has messages.
     */
    contactId: uuid('contact_id').notNull(),
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
  // A conversation's messages are read in seq order (seq follows the time); a third index, on
  // (contact_id, created_at), cost a quarter of PostgreSQL's time per stored message and no
  // statement used it (migration 0005).
  (t) => [
    uniqueIndex('messages_contact_seq_idx').on(t.contactId, t.seq),
    uniqueIndex('messages_contact_client_idx').on(t.contactId, t.clientId),
  ],
);
export type MessageRow = typeof messages.$inferSelect;
