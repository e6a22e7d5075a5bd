import { pgTable, text } from 'drizzle-orm/pg-core';
import { ts } from './_columns.js';

/**
 * Solved altcha challenges, by signature: a solution counts once, on any process. Rows past
 * `expires_at` are useless (the challenge has expired) and are swept when new ones are stored.
 */
export const captchaUses = pgTable('captcha_uses', {
  signature: text('signature').primaryKey(),
  expiresAt: ts('expires_at').notNull(),
});
