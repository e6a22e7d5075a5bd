import type { SiteSettings } from '@parley/protocol';
import { boolean, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { STRATEGIES } from '../../routing/decide.js';
import { createdAt, id, updatedAt } from './_columns.js';
import { workspaces } from './workspaces.js';

export const sites = pgTable(
  'sites',
  {
    id: id(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    /** Public: it stands in every script tag. */
    key: text('key').notNull(),
    /** Private: HMAC key for `data-user-hash`. */
    secret: text('secret').notNull(),
    name: text('name').notNull(),
    /** Exact origins, or patterns with `*` for one host label or the port: `https://*.shop.com`, `http://localhost:*`. */
    allowedOrigins: text('allowed_origins').array().notNull().default([]),
    settings: jsonb('settings').$type<SiteSettings>().notNull(),
    routingStrategy: text('routing_strategy', { enum: STRATEGIES }).notNull().default('least_busy'),
    /** Skills every chat of this site requires (a language, a product line). */
    requiredSkills: text('required_skills').array().notNull().default([]),
    /** ISO 3166 country for phone numbers written without a country code. */
    defaultCountry: text('default_country'),
    /** No client matched: make a prospect client from the questionnaire. */
    createProspects: boolean('create_prospects').notNull().default(true),
    /** hCaptcha secret for `settings.captcha === 'hcaptcha'`; never sent to any client. */
    hcaptchaSecret: text('hcaptcha_secret'),
    /** The operator who got this site's last contact under `round_robin`. */
    rrLastOperatorId: uuid('rr_last_operator_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('sites_key_idx').on(t.key)],
);
export type SiteRow = typeof sites.$inferSelect;
