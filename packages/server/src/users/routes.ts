import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorCode } from '@parley/protocol';
import { ErrorBody, OperatorProfile, UpdateOperatorBody } from '@parley/protocol/schemas';
import { Type as T } from '@sinclair/typebox';
import { and, asc, eq, isNull } from 'drizzle-orm';
import type { ChatService } from '../chat/service.js';
import type { Db } from '../db/client.js';
import { type UserRow, users } from '../db/schema/index.js';
import { ParleyError } from '../errors.js';

const toProfile = (u: UserRow) => ({
  id: u.id,
  name: u.name,
  email: u.email,
  role: u.role,
  status: u.status,
  maxChats: u.maxChats,
  skills: u.skills,
  experience: u.experience,
  costTier: u.costTier,
  extension: u.extension,
  avatarUrl: u.avatarUrl,
});

/** The team as supervisors manage it: routing attributes per operator. */
export const userRoutes: FastifyPluginAsyncTypebox<{ db: Db; chat: ChatService }> = async (
  app,
  { db, chat },
) => {
  app.addHook('preHandler', app.authenticate);

  app.get(
    '/api/v1/users',
    {
      schema: {
        summary: 'Operators of the workspace with their routing attributes',
        tags: ['users'],
        response: { 200: T.Object({ users: T.Array(OperatorProfile) }), 401: ErrorBody },
      },
    },
    async (req) => ({
      users: (
        await db
          .select()
          .from(users)
          .where(and(eq(users.workspaceId, req.user!.workspaceId), isNull(users.deactivatedAt)))
          .orderBy(asc(users.name))
      ).map(toProfile),
    }),
  );

  app.patch(
    '/api/v1/users/:id',
    {
      schema: {
        summary:
          'Set an operator’s concurrent-chat limit, skills, experience, cost tier, extension or photo (supervisors)',
        tags: ['users'],
        params: T.Object({ id: T.String({ format: 'uuid' }) }),
        body: UpdateOperatorBody,
        response: { 200: OperatorProfile, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
      preHandler: app.requireRole('supervisor', 'admin'),
    },
    async (req) => {
      const [row] = await db
        .update(users)
        .set({ ...req.body, updatedAt: new Date() })
        .where(and(eq(users.id, req.params.id), eq(users.workspaceId, req.user!.workspaceId)))
        .returning();
      if (!row) throw new ParleyError(ErrorCode.NotFound, 'The user');
      // More room or new skills may let waiting contacts through.
      await chat.route(row.workspaceId);
      return toProfile(row);
    },
  );
};
