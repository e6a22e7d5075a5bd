import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorCode } from '@parley/protocol';
import {
  CreateUserBody,
  ErrorBody,
  OperatorProfile,
  PasswordReply,
  UpdateAccountBody,
  UpdateOperatorBody,
} from '@parley/protocol/schemas';
import { Type as T } from '@sinclair/typebox';
import { and, asc, eq, isNotNull, isNull, ne } from 'drizzle-orm';
import { hashPassword } from '../auth/password.js';
import { createUser } from '../auth/repo.js';
import type { ChatService } from '../chat/service.js';
import type { Db } from '../db/client.js';
import { type SessionUser, sessions, type UserRow, users } from '../db/schema/index.js';
import { ParleyError } from '../errors.js';

const toProfile = (u: SessionUser) => ({
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

  const Params = T.Object({ id: T.String({ format: 'uuid' }) });
  const adminOnly = app.requireRole('admin');
  const generated = () => randomBytes(12).toString('base64url');
  /** Active users of the admin's workspace only; anything else is "not found". */
  async function account(workspaceId: string, id: string): Promise<UserRow> {
    const [row] = await db
      .select()
      .from(users)
      .where(and(eq(users.id, id), eq(users.workspaceId, workspaceId), isNull(users.deactivatedAt)));
    if (!row) throw new ParleyError(ErrorCode.NotFound, 'The user');
    return row;
  }
  async function otherAdmins(workspaceId: string, id: string): Promise<number> {
    const rows = await db
      .select({ id: users.id })
      .from(users)
      .where(
        and(
          eq(users.workspaceId, workspaceId),
          eq(users.role, 'admin'),
          ne(users.id, id),
          isNull(users.deactivatedAt),
        ),
      );
    return rows.length;
  }

  app.post(
    '/api/v1/users',
    {
      schema: {
        summary: 'Add someone to the team (admins); without a password one is generated and returned once',
        tags: ['users'],
        body: CreateUserBody,
        response: {
          201: T.Object({ user: OperatorProfile, password: T.String() }),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          409: ErrorBody,
        },
      },
      preHandler: adminOnly,
    },
    async (req, reply) => {
      const email = req.body.email.trim().toLowerCase();
      const [taken] = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
      if (taken) {
        return reply
          .code(409)
          .send({ code: ErrorCode.Conflict, message: `email: ${email} already has an account` });
      }
      const password = req.body.password ?? generated();
      const user = await createUser(db, { workspaceId: req.user!.workspaceId, ...req.body, email, password });
      return reply.code(201).send({ user: toProfile(user), password });
    },
  );

  app.put(
    '/api/v1/users/:id/account',
    {
      schema: {
        summary: 'Change someone’s name or role (admins); the last admin keeps the admin role',
        tags: ['users'],
        params: Params,
        body: UpdateAccountBody,
        response: { 200: OperatorProfile, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
      preHandler: adminOnly,
    },
    async (req) => {
      const ws = req.user!.workspaceId;
      const current = await account(ws, req.params.id);
      if (
        current.role === 'admin' &&
        req.body.role &&
        req.body.role !== 'admin' &&
        (await otherAdmins(ws, current.id)) === 0
      ) {
        throw new ParleyError(ErrorCode.Validation, 'role: the last admin cannot stop being an admin');
      }
      const [row] = await db
        .update(users)
        .set({ ...req.body, updatedAt: new Date() })
        .where(eq(users.id, current.id))
        .returning();
      return toProfile(row!);
    },
  );

  app.post(
    '/api/v1/users/:id/password',
    {
      schema: {
        summary:
          'Reset someone’s password (admins): a new one is generated, returned once; their sessions end',
        tags: ['users'],
        params: Params,
        response: { 200: PasswordReply, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
      preHandler: adminOnly,
    },
    async (req) => {
      const user = await account(req.user!.workspaceId, req.params.id);
      const password = generated();
      const passwordHash = await hashPassword(password);
      await db.transaction(async (tx) => {
        await tx.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, user.id));
        await tx.delete(sessions).where(eq(sessions.userId, user.id));
      });
      if (user.id !== req.user!.id) await chat.releaseOperator(user.workspaceId, user.id, req.user!.id);
      return { password };
    },
  );

  app.post(
    '/api/v1/users/:id/deactivate',
    {
      schema: {
        summary:
          'Deactivate someone (admins): they can no longer log in, their sessions end and their open conversations return to the queue',
        tags: ['users'],
        params: Params,
        response: { 204: T.Null(), 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
      preHandler: adminOnly,
    },
    async (req, reply) => {
      const user = await account(req.user!.workspaceId, req.params.id);
      if (user.id === req.user!.id)
        throw new ParleyError(ErrorCode.Validation, 'You cannot deactivate yourself.');
      const now = new Date();
      await db.transaction(async (tx) => {
        await tx
          .update(users)
          .set({ deactivatedAt: now, status: 'offline', updatedAt: now })
          .where(eq(users.id, user.id));
        await tx.delete(sessions).where(eq(sessions.userId, user.id));
      });
      await chat.releaseOperator(user.workspaceId, user.id, req.user!.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/users/deactivated',
    {
      schema: {
        summary: 'Deactivated users of the workspace (admins), to reactivate',
        tags: ['users'],
        response: { 200: T.Object({ users: T.Array(OperatorProfile) }), 401: ErrorBody, 403: ErrorBody },
      },
      preHandler: adminOnly,
    },
    async (req) => ({
      users: (
        await db
          .select()
          .from(users)
          .where(and(eq(users.workspaceId, req.user!.workspaceId), isNotNull(users.deactivatedAt)))
          .orderBy(asc(users.name))
      ).map(toProfile),
    }),
  );

  app.post(
    '/api/v1/users/:id/reactivate',
    {
      schema: {
        summary:
          'Let a deactivated user log in again (admins), with the password they had; they start offline',
        tags: ['users'],
        params: Params,
        response: { 200: OperatorProfile, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody },
      },
      preHandler: adminOnly,
    },
    async (req) => {
      const [row] = await db
        .update(users)
        .set({ deactivatedAt: null, status: 'offline', updatedAt: new Date() })
        .where(
          and(
            eq(users.id, req.params.id),
            eq(users.workspaceId, req.user!.workspaceId),
            isNotNull(users.deactivatedAt),
          ),
        )
        .returning();
      if (!row) throw new ParleyError(ErrorCode.NotFound, 'The deactivated user');
      return toProfile(row);
    },
  );
};
