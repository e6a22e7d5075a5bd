import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorCode } from '@parley/protocol';
import { ErrorBody, LoginBody, SessionReply } from '@parley/protocol/schemas';
import type { Db } from '../db/client.js';
import { ParleyError } from '../errors.js';
import { decoyHash, verifyPassword } from './password.js';
import { cookieOptions, SESSION_COOKIE } from './plugin.js';
import { createSession, deleteSession, findUserByEmail, toUser } from './repo.js';

export const authRoutes: FastifyPluginAsyncTypebox<{ db: Db; secureCookies: boolean }> = async (
  app,
  opts,
) => {
  const { db } = opts;

  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        summary: 'Log in with e-mail and password; sets the session cookie',
        tags: ['auth'],
        body: LoginBody,
        response: { 200: SessionReply, 401: ErrorBody, 429: ErrorBody },
      },
      config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
    },
    async (req, reply) => {
      const user = await findUserByEmail(db, req.body.email);
      // Hash even for an unknown e-mail, so the answer's timing does not reveal which e-mails exist.
      const ok = await verifyPassword(req.body.password, user?.passwordHash ?? (await decoyHash()));
      if (!user || !ok) throw new ParleyError(ErrorCode.BadCredentials);
      const token = await createSession(db, user.id, new Date());
      reply.setCookie(SESSION_COOKIE, token, cookieOptions(opts.secureCookies));
      return { user: toUser(user) };
    },
  );

  app.post(
    '/api/v1/auth/logout',
    { schema: { summary: 'End the session', tags: ['auth'], response: { 204: { type: 'null' } } } },
    async (req, reply) => {
      const token = req.cookies[SESSION_COOKIE];
      if (token) await deleteSession(db, token);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/me',
    {
      schema: {
        summary: 'The logged-in user',
        tags: ['auth'],
        response: { 200: SessionReply, 401: ErrorBody },
      },
      preHandler: app.authenticate,
    },
    async (req) => ({ user: toUser(req.user!) }),
  );
};
