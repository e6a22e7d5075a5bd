import { index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, ts, updatedAt } from './_columns.js';
import { workspaces } from './workspaces.js';

export const users = pgTable(
  'users',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    email: text('email').notNull(),
    name: text('name').notNull(),
    role: text('role', { enum: ['operator', 'supervisor', 'admin'] }).notNull(),
    passwordHash: text('password_hash').notNull(),
    status: text('status', { enum: ['online', 'away', 'offline'] })
      .notNull()
      .default('offline'),
    maxChats: integer('max_chats').notNull().default(5),
    /**
     * The open chats and calls assigned to this operator (status assigned or active), kept by a
     * trigger on contacts (migration 0004): the router reads them instead of counting contacts.
     */
    openChats: integer('open_chats').notNull().default(0),
    openVoice: integer('open_voice').notNull().default(0),
    /** Skills a contact may require (languages, products): all of a contact's must be here. */
    skills: text('skills').array().notNull().default([]),
    /** 1 (junior) and up: `most_experienced` prefers the highest. */
    experience: integer('experience').notNull().default(1),
    /** 1 (first line) and up: `cheapest_first` prefers the lowest; escalation moves up. */
    costTier: integer('cost_tier').notNull().default(1),
    /** Photo shown to visitors beside this operator's replies (https URL or data: image). */
    avatarUrl: text('avatar_url'),
    /** The PBX extension that rings this operator's phone. */
    extension: text('extension'),
    lastSeenAt: ts('last_seen_at'),
    /** Kept by the router: ties go to the longest idle, `most_available` ranks by the last end. */
    lastAssignedAt: ts('last_assigned_at'),
    lastEndedAt: ts('last_ended_at'),
    deactivatedAt: ts('deactivated_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('users_email_idx').on(t.email),
    index('users_workspace_status_idx').on(t.workspaceId, t.status),
  ],
);
export type UserRow = typeof users.$inferSelect;
/**
 * A user as a session knows them: everything but the password hash, which only the login reads. A
 * request or an operator socket (for its whole life) holds this, so the hash stays out of memory.
 */
export type SessionUser = Omit<UserRow, 'passwordHash'>;
export type NewUserRow = typeof users.$inferInsert;

export const sessions = pgTable(
  'sessions',
  {
    /** SHA-256 of the cookie token: a stolen database does not yield live sessions. */
    id: text('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);
export type SessionRow = typeof sessions.$inferSelect;
