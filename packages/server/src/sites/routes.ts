import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DEFAULT_SITE_SETTINGS, ErrorCode } from '@parley/protocol';
import { CreateSiteBody, ErrorBody, SiteAdmin, SiteList, UpdateSiteBody } from '@parley/protocol/schemas';
import { Type as T } from '@sinclair/typebox';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { sites } from '../db/schema/index.js';
import { ParleyError } from '../errors.js';
import { isOriginPattern } from './origin.js';
import { listSites, toSiteAdmin } from './repo.js';
import { settingsProblems, withDefaults } from './settings.js';

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

  app.post(
    '/api/v1/sites',
    {
      schema: {
        summary: 'Create a site (admins): a new key for its script tag and a new identity secret',
        tags: ['sites'],
        body: CreateSiteBody,
        response: { 201: SiteAdmin, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
      preHandler: [app.authenticate, app.requireRole('admin')],
    },
    async (req, reply) => {
      const bad = originProblems(req.body.allowedOrigins);
      if (bad.length > 0) throw new ParleyError(ErrorCode.Validation, bad.join('; '));
      const [row] = await db
        .insert(sites)
        .values({
          workspaceId: req.user!.workspaceId,
          key: `site_${randomBytes(9).toString('base64url')}`,
          secret: randomBytes(32).toString('base64url'),
          name: req.body.name,
          allowedOrigins: req.body.allowedOrigins.map((o) => o.trim()),
          settings: { ...DEFAULT_SITE_SETTINGS, name: req.body.name },
        })
        .returning();
      return reply.code(201).send(toSiteAdmin(row!));
    },
  );

  app.patch(
    '/api/v1/sites/:id',
    {
      schema: {
        summary:
          'Change a site’s name, allowed origins, widget settings, hCaptcha secret, routing strategy, required skills, default phone country or prospect creation (admins)',
        description:
          '`settings` is merged field by field into the stored settings. Every problem is named in one 400 answer, and nothing is saved then.',
        tags: ['sites'],
        params: T.Object({ id: T.String({ format: 'uuid' }) }),
        body: UpdateSiteBody,
        response: { 200: SiteAdmin, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
      preHandler: [app.authenticate, app.requireRole('admin')],
    },
    async (req) => {
      const { name, allowedOrigins, settings, hcaptchaSecret, ...routing } = req.body;
      const saved = await db.transaction(async (tx) => {
        // Locked: two admins saving different fields at once must not undo each other.
        const [current] = await tx
          .select()
          .from(sites)
          .where(and(eq(sites.id, req.params.id), eq(sites.workspaceId, req.user!.workspaceId)))
          .for('update');
        if (!current) throw new ParleyError(ErrorCode.NotFound, 'The site');
        const merged = { ...withDefaults(current.settings), ...settings };
        const secret = hcaptchaSecret === undefined ? current.hcaptchaSecret : hcaptchaSecret;
        const problems = [
          ...originProblems(allowedOrigins ?? []),
          ...settingsProblems(merged, secret !== null),
        ];
        if (problems.length > 0) throw new ParleyError(ErrorCode.Validation, problems.join('; '));
        const [row] = await tx
          .update(sites)
          .set({
            ...(name !== undefined && { name }),
            ...(allowedOrigins !== undefined && { allowedOrigins: allowedOrigins.map((o) => o.trim()) }),
            settings: merged,
            hcaptchaSecret: secret,
            ...routing,
            updatedAt: new Date(),
          })
          .where(eq(sites.id, current.id))
          .returning();
        return row!;
      });
      return toSiteAdmin(saved); // its settings are `merged`: complete
    },
  );
};

/** One message per allowed origin an admin may not save, naming its place in the list. */
const originProblems = (origins: readonly string[]): string[] =>
  origins.flatMap((o, i) =>
    isOriginPattern(o.trim())
      ? []
      : [`allowedOrigins[${i}]: "${o}" is not an origin like https://shop.example or https://*.shop.example`],
  );
