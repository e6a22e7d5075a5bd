import type { SiteAdmin, UpdateSiteBody } from '@parley/protocol';
import type { Harness } from './harness.js';

/** The harness's one site, changed as an admin would change it (PATCH /api/v1/sites/:id). */
export async function patchSite(h: Harness, body: UpdateSiteBody): Promise<SiteAdmin> {
  const cookie = await h.login(h.boot.admin.email, h.adminPassword);
  const list = await h.app.inject({ method: 'GET', url: '/api/v1/sites', headers: { cookie } });
  const site = (list.json() as { sites: SiteAdmin[] }).sites.find((s) => s.key === h.siteKey)!;
  const res = await h.app.inject({
    method: 'PATCH',
    url: `/api/v1/sites/${site.id}`,
    headers: { cookie },
    payload: body,
  });
  if (res.statusCode !== 200) throw new Error(`PATCH site: ${res.statusCode} ${res.body}`);
  return res.json() as SiteAdmin;
}
