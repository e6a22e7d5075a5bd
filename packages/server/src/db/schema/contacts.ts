import type { ContactStatus } from '@parley/protocol';
import { index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, ts, updatedAt } from './_columns.js';
import { clients } from './clients.js';
import { sites } from './sites.js';
import { users } from './users.js';
import { visitors } from './visitors.js';
import { workspaces } from './workspaces.js';

/** The queue item and the conversation in one. */
export const contacts = pgTable(
  'contacts',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    siteId: uuid('site_id')
      .notNull()
      .references(() => sites.id),
    visitorId: uuid('visitor_id').references(() => visitors.id),
    /** chat, or a voice item: a call waiting in a PBX queue, a callback asked for by a visitor. */
    channel: text('channel', { enum: ['chat', 'voice', 'callback'] })
      .notNull()
      .default('chat'),
    clientId: uuid('client_id').references(() => clients.id, { onDelete: 'set null' }),
    /** How the client was found: identity, email, phone, history, created (a new prospect). */
    clientMatch: text('client_match'),
    /** The operator who owns the client's open order: offered the contact before any strategy. */
    ownerId: uuid('owner_id').references(() => users.id),
    requiredSkills: text('required_skills').array().notNull().default([]),
    /** Escalation floor: only operators of at least this cost tier may take the contact. */
    minTier: integer('min_tier').notNull().default(0),
    callbackPhone: text('callback_phone'),
    /** The note of the latest transfer or escalation, for whoever takes the contact next. */
    handoffNote: text('handoff_note'),
    recontactedAt: ts('recontacted_at'),
    recontactedBy: uuid('recontacted_by').references(() => users.id),
    recontactChannel: text('recontact_channel', { enum: ['call', 'sms'] }),
    status: text('status').$type<ContactStatus>().notNull(),
    assigneeId: uuid('assignee_id').references(() => users.id),
    priority: integer('priority').notNull().default(0),
    answers: jsonb('answers').$type<Record<string, string>>().notNull().default({}),
    pageUrl: text('page_url'),
    pageTitle: text('page_title'),
    referrer: text('referrer'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    /** Highest message seq in this conversation; bumped under the row lock, so seqs are gap-free. */
    lastSeq: integer('last_seq').notNull().default(0),
    lastMessagePreview: text('last_message_preview'),
    lastMessageAt: ts('last_message_at'),
    visitorSeenSeq: integer('visitor_seen_seq').notNull().default(0),
    operatorSeenSeq: integer('operator_seen_seq').notNull().default(0),
    enqueuedAt: ts('enqueued_at'),
    assignedAt: ts('assigned_at'),
    firstResponseAt: ts('first_response_at'),
    closedAt: ts('closed_at'),
    /** The visitor's satisfaction with the ended conversation, 1-5, and their comment. */
    csatScore: integer('csat_score'),
    csatComment: text('csat_comment'),
    ratedAt: ts('rated_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('contacts_workspace_status_idx').on(t.workspaceId, t.status),
    index('contacts_visitor_idx').on(t.visitorId),
    index('contacts_assignee_idx').on(t.assigneeId, t.status),
    index('contacts_client_idx').on(t.clientId),
  ],
);
export type ContactRow = typeof contacts.$inferSelect;
