import { boolean, index, numeric, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, ts, updatedAt } from './_columns.js';
import { users } from './users.js';
import { workspaces } from './workspaces.js';

export const CLIENT_CATEGORIES = ['prospect', 'regular', 'vip', 'problem'] as const;
export type ClientCategory = (typeof CLIENT_CATEGORIES)[number];

/** The company's customers, matched to every contact. */
export const clients = pgTable(
  'clients',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    /** The customer's id in the site owner's system (`data-user-id`), when known. */
    externalId: text('external_id'),
    name: text('name').notNull(),
    company: text('company'),
    category: text('category', { enum: CLIENT_CATEGORIES }).notNull().default('prospect'),
    note: text('note'),
    photoUrl: text('photo_url'),
    city: text('city'),
    country: text('country'),
    responsibleId: uuid('responsible_id').references(() => users.id),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('clients_external_idx').on(t.workspaceId, t.externalId),
    index('clients_workspace_name_idx').on(t.workspaceId, t.name),
  ],
);
export type ClientRow = typeof clients.$inferSelect;
export type NewClientRow = typeof clients.$inferInsert;

export const clientPhones = pgTable(
  'client_phones',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    clientId: uuid('client_id')
      .notNull()
      .references(() => clients.id, { onDelete: 'cascade' }),
    /** E.164, normalized with libphonenumber-js before it is stored or matched. */
    e164: text('e164').notNull(),
  },
  (t) => [
    uniqueIndex('client_phones_number_idx').on(t.workspaceId, t.e164),
    index('client_phones_client_idx').on(t.clientId),
  ],
);

export const clientEmails = pgTable(
  'client_emails',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    clientId: uuid('client_id')
      .notNull()
      .references(() => clients.id, { onDelete: 'cascade' }),
    /** Lower-cased. */
    email: text('email').notNull(),
  },
  (t) => [
    uniqueIndex('client_emails_email_idx').on(t.workspaceId, t.email),
    index('client_emails_client_idx').on(t.clientId),
  ],
);

export const orders = pgTable(
  'orders',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    clientId: uuid('client_id')
      .notNull()
      .references(() => clients.id, { onDelete: 'cascade' }),
    /** The order's number in the site owner's system, when imported. */
    externalRef: text('external_ref'),
    title: text('title').notNull(),
    stage: text('stage').notNull().default('new'),
    responsibleId: uuid('responsible_id').references(() => users.id),
    amountDue: numeric('amount_due', { precision: 14, scale: 2 }).notNull().default('0'),
    currency: text('currency').notNull().default('EUR'),
    open: boolean('open').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('orders_client_open_idx').on(t.clientId, t.open),
    uniqueIndex('orders_external_idx').on(t.workspaceId, t.externalRef),
  ],
);
export type OrderRow = typeof orders.$inferSelect;

export const tasks = pgTable(
  'tasks',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    assigneeId: uuid('assignee_id')
      .notNull()
      .references(() => users.id),
    contactId: uuid('contact_id'),
    clientId: uuid('client_id').references(() => clients.id, { onDelete: 'set null' }),
    orderId: uuid('order_id').references(() => orders.id, { onDelete: 'set null' }),
    title: text('title').notNull(),
    dueAt: ts('due_at'),
    doneAt: ts('done_at'),
    createdAt: createdAt(),
  },
  (t) => [index('tasks_assignee_idx').on(t.assigneeId, t.doneAt)],
);
export type TaskRow = typeof tasks.$inferSelect;
