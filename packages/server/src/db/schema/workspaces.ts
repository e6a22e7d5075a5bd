import { pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, id } from './_columns.js';

export const workspaces = pgTable('workspaces', {
  id: id(),
  name: text('name').notNull(),
  createdAt: createdAt(),
});
export type Workspace = typeof workspaces.$inferSelect;
