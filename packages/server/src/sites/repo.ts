import { isDeepStrictEqual } from 'node:util';
import { DEFAULT_SITE_SETTINGS, type SiteAdmin, type SiteSettings } from '@parley/protocol';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type SiteRow, sites } from '../db/schema/index.js';
import { withDefaults } from './settings.js';

/** What a new site starts with. */
export const DEFAULT_SETTINGS: SiteSettings = DEFAULT_SITE_SETTINGS;

/** Rows come back with complete settings, whichever version wrote them. */
const complete = (row: SiteRow): SiteRow => ({ ...row, settings: withDefaults(row.settings) });

/**
 * The last row read of each site, per database. Every visitor socket keeps its site: ten thousand
 * sockets of one site share one unchanged row instead of holding ten thousand copies of its
 * settings. Any change to the row replaces it; sockets opened before keep theirs.
 */
const lastRead = new WeakMap<Db, Map<string, { raw: SiteRow; site: SiteRow }>>();

export async function findSiteByKey(db: Db, key: string): Promise<SiteRow | undefined> {
  const [row] = await db.select().from(sites).where(eq(sites.key, key));
  if (!row) return undefined;
  let byId = lastRead.get(db);
  if (!byId) {
    byId = new Map();
    lastRead.set(db, byId);
  }
  const last = byId.get(row.id);
  if (last && isDeepStrictEqual(last.raw, row)) return last.site;
  const site = complete(row);
  byId.set(row.id, { raw: row, site });
  return site;
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
