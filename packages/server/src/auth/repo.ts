import type { User } from '@parley/protocol';
import { and, eq, getTableColumns, gt, isNull, lt } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type SessionUser, sessions, type UserRow, users } from '../db/schema/index.js';
import { hashPassword } from './password.js';
import { hashToken, newToken } from './tokens.js';

export const SESSION_TTL_MS = 14 * 24 * 3600_000; // 14 days

export const toUser = (u: SessionUser): User => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  status: u.status,
});

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.email, email.trim().toLowerCase()), isNull(users.deactivatedAt)));
  return row;
}

export async function createUser(
  db: Db,
  input: { workspaceId: string; email: string; name: string; role: UserRow['role']; password: string },
): Promise<UserRow> {
  const [row] = await db
    .insert(users)
    .values({
      workspaceId: input.workspaceId,
      email: input.email.trim().toLowerCase(),
      name: input.name,
      role: input.role,
      passwordHash: await hashPassword(input.password),
    })
    .returning();
  return row!;
}

export async function createSession(db: Db, userId: string, now: Date): Promise<string> {
  const token = newToken();
  await db.delete(sessions).where(lt(sessions.expiresAt, now));
  await db
    .insert(sessions)
    .values({ id: hashToken(token), userId, expiresAt: new Date(now.getTime() + SESSION_TTL_MS) });
  return token;
}

/** Every column of `users` but the password hash. */
const { passwordHash: _hash, ...sessionColumns } = getTableColumns(users);

export async function userForSession(db: Db, token: string, now: Date): Promise<SessionUser | undefined> {
  const [row] = await db
    .select({ user: sessionColumns })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, hashToken(token)), gt(sessions.expiresAt, now), isNull(users.deactivatedAt)));
  return row?.user;
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.id, hashToken(token)));
}
