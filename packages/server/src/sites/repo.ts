import { DEFAULT_SITE_SETTINGS, type SiteAdmin, type SiteSettings } from '@parley/protocol';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type SiteRow, sites } from '../db/schema/index.js';
import { withDefaults } from './settings.js';

/** What a new site starts with. */
export const DEFAULT_SETTINGS: SiteSettings = DEFAULT_SITE_SETTINGS;

/** Rows come back with complete settings, whichever version wrote them. */
const complete = (row: SiteRow): SiteRow => ({ ...row, settings: withDefaults(row.settings) });

export async function findSiteByKey(db: Db, key: string): Promise<SiteRow | undefined> {
  const [row] = await db.select().from(sites).where(eq(sites.key, key));
  return row && complete(row);
}

export async function listSites(db: Db, workspaceId: string): Promise<SiteRow[]> {
  const rows = await db
    .select()
    .from(sites)
    .where(eq(sites.workspaceId, workspaceId))
    .orderBy(sites.createdAt);
  return rows.map(complete);
}

export const toSiteAdmin = (s: SiteRow): SiteAdmin => ({
  id: s.id,
  key: s.key,
  name: s.name,
  allowedOrigins: s.allowedOrigins,
  settings: s.settings,
  hcaptchaSecretSet: s.hcaptchaSecret !== null,
  secret: s.secret,
  routingStrategy: s.routingStrategy,
  requiredSkills: s.requiredSkills,
  defaultCountry: s.defaultCountry,
  createProspects: s.createProspects,
});
