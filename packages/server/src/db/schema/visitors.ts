import { index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { id, ts } from './_columns.js';
import { sites } from './sites.js';

export const visitors = pgTable(
  'visitors',
  {
    id: id(),
    siteId: uuid('site_id')
      .notNull()
      .references(() => sites.id),
    /** SHA-256 of the visitor token kept in the host page's storage. */
    tokenHash: text('token_hash').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    locale: text('locale'),
    timeZone: text('time_zone'),
    /** The page the widget said hello from last: where the visitor is now. */
    currentPageUrl: text('current_page_url'),
    currentPageTitle: text('current_page_title'),
    firstSeenAt: ts('first_seen_at').notNull().defaultNow(),
    lastSeenAt: ts('last_seen_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('visitors_token_idx').on(t.tokenHash), index('visitors_site_idx').on(t.siteId)],
);
export type VisitorRow = typeof visitors.$inferSelect;
