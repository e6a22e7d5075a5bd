import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, SiteList } from '@parley/protocol/schemas';
import type { Db } from '../db/client.js';
import { listSites, toSiteAdmin } from './repo.js';

export const siteRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get(
    '/api/v1/sites',
    {
      schema: {
        summary: 'Sites of the workspace with their keys (admins)',
        tags: ['sites'],
        response: { 200: SiteList, 401: ErrorBody, 403: ErrorBody },
      },
      preHandler: [app.authenticate, app.requireRole('admin')],
    },
    async (req) => ({ sites: (await listSites(db, req.user!.workspaceId)).map(toSiteAdmin) }),
  );
};
