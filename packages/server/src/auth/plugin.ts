import fastifyCookie from '@fastify/cookie';
import { ErrorCode } from '@parley/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../db/client.js';
import type { SessionUser, UserRow } from '../db/schema/index.js';
import { ParleyError } from '../errors.js';
import { userForSession } from './repo.js';

export const SESSION_COOKIE = 'parley_session';

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler: 401 unless the session cookie names a live session; sets `request.user`. */
    authenticate: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** preHandler factory: 403 unless the user has one of these roles. */
    requireRole: (...roles: UserRow['role'][]) => (req: FastifyRequest) => Promise<void>;
    /** The user of a request's session cookie, or null (for socket upgrades). */
    sessionUser: (req: FastifyRequest) => Promise<SessionUser | null>;
  }
  interface FastifyRequest {
    user: SessionUser | null;
  }
}

export const authPlugin = fp(
  async (app, opts: { db: Db; secureCookies: boolean }) => {
    await app.register(fastifyCookie);
    app.decorateRequest('user', null);

    const sessionUser = async (req: FastifyRequest) => {
      const token = req.cookies[SESSION_COOKIE];
      if (!token) return null;
      return (await userForSession(opts.db, token, new Date())) ?? null;
    };
    app.decorate('sessionUser', sessionUser);
    app.decorate('authenticate', async (req: FastifyRequest) => {
      req.user = await sessionUser(req);
      if (!req.user) throw new ParleyError(ErrorCode.Unauthorized);
    });
    app.decorate('requireRole', (...roles: UserRow['role'][]) => async (req: FastifyRequest) => {
      if (!req.user || !roles.includes(req.user.role)) {
        throw new ParleyError(ErrorCode.Forbidden, `This needs the role ${roles.join(' or ')}.`);
      }
    });
  },
  { name: 'parley-auth' },
);

export const cookieOptions = (secure: boolean) =>
  ({ path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: 14 * 24 * 3600 }) as const;
