import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { ts } from './_columns.js';

/**
 * Request counts of the rate-limited routes (logins), per client address and route, in fixed windows:
 * shared by every server process on the database, so that running four processes does not give a
 * password guesser four times the attempts. Rows whose window ended long ago are swept now and then.
 */
export const rateLimits = pgTable('rate_limits', {
  key: text('key').primaryKey(),
  windowStart: ts('window_start').notNull(),
  hits: integer('hits').notNull(),
});
