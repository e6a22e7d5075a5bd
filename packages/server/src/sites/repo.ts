import type { SiteAdmin, SiteSettings } from '@parley/protocol';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type SiteRow, sites } from '../db/schema/index.js';

export const DEFAULT_SETTINGS: SiteSettings = {
  name: 'Parley',
  color: '#2563eb',
  greeting: 'Hi! Ask us anything — we usually answer within a few minutes.',
  questionnaire: [
    { name: 'name', label: 'Name', kind: 'name', required: true },
    { name: 'email', label: 'E-mail', kind: 'email', required: true },
  ],
};

export async function findSiteByKey(db: Db, key: string): Promise<SiteRow | undefined> {
  const [row] = await db.select().from(sites).where(eq(sites.key, key));
  return row;
}

export async function listSites(db: Db, workspaceId: string): Promise<SiteRow[]> {
  return db.select().from(sites).where(eq(sites.workspaceId, workspaceId)).orderBy(sites.createdAt);
}

export const toSiteAdmin = (s: SiteRow): SiteAdmin => ({
  id: s.id,
  key: s.key,
  name: s.name,
  allowedOrigins: s.allowedOrigins,
  settings: s.settings,
});
