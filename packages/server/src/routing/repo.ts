import { and, asc, avg, count, desc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type ContactRow, contacts, sites, type UserRow, users } from '../db/schema/index.js';
import type { OperatorSnapshot, QueueItem, Strategy } from './decide.js';

const ASSIGNED = ['assigned', 'active'] as const;

/** Service order in SQL, the same as `queueOrder` in decide.ts. */
export const queueOrderSql = [desc(contacts.priority), asc(contacts.enqueuedAt), asc(contacts.id)];

type OperatorRow = OperatorSnapshot & { name: string; avatarUrl: string | null };
type Load = { chats: number; voice: number };

/**
 * Online operators of a workspace with their load, their rows locked (`FOR UPDATE`) so that two
 * routers, in this process or another, cannot both fill an operator's last slot.
 */
export async function lockOnlineOperators(
  db: Db,
  workspaceId: string,
  onlyIds?: string[],
): Promise<OperatorRow[]> {
  const ops = await lockOperators(db, workspaceId, onlyIds ? { onlyIds } : {});
  if (ops.length === 0) return [];
  return withLoads(ops, await loadsOf(db, workspaceId));
}

/** The operators' rows, locked: the given ones, or everyone online. */
export function lockOperators(db: Db, workspaceId: string, opts: { onlyIds?: string[] }) {
  return db
    .select()
    .from(users)
    .where(
      and(
        eq(users.workspaceId, workspaceId),
        isNull(users.deactivatedAt),
        opts.onlyIds ? inArray(users.id, opts.onlyIds) : eq(users.status, 'online'),
      ),
    )
    .orderBy(asc(users.id))
    .for('update');
}

/**
 * The online operators' rows locked (while anyone waits), each with its load, in one statement. The
 * loads are read in the statement's snapshot, taken before it waited for any lock: if another router
 * (or a manual take) committed assignments while holding an operator, they are not in it. Every such
 * writer also updates the operator's row (the router's write and `handTo` set `last_assigned_at`:
 * anything that gives an operator a contact must), so an operator row newer than the snapshot's
 * version of it (`xmin` differs) says so: `stale`, and the caller reads the loads again (`loadsOf`).
 */
export async function lockOperatorsWithLoads(
  db: Db,
  workspaceId: string,
): Promise<{ rows: UserRow[]; loads: Map<string, Load>; stale: boolean }> {
  // The loads in one pass over the workspace's open contacts, joined: half the statement's time of
  // two counting subqueries an operator (3.2 → 1.6 ms with 200 operators and 2,000 open chats).
  const open = openLoads(db, workspaceId).as('open');
  const rows = await db
    .select({
      u: users,
      chats: sql<number>`coalesce(${open.chats}, 0)`.mapWith(Number),
      voice: sql<number>`coalesce(${open.voice}, 0)`.mapWith(Number),
      stale: sql<boolean>`${users}.xmin <> (select s.xmin from ${users} s where s.id = ${users}.id)`,
    })
    .from(users)
    .leftJoin(open, eq(open.assigneeId, users.id))
    .where(
      and(
        eq(users.workspaceId, workspaceId),
        isNull(users.deactivatedAt),
        eq(users.status, 'online'),
        // Only while anyone waits: a pass over an empty queue does not queue up behind other routers.
        sql`exists (select 1 from ${contacts} q where q.workspace_id = ${workspaceId} and q.status = 'queued')`,
      ),
    )
    .orderBy(asc(users.id))
    .for('update', { of: users });
  const loads = new Map(rows.map((r) => [r.u.id, { chats: r.chats, voice: r.voice }]));
  return { rows: rows.map((r) => r.u), loads, stale: rows.some((r) => r.stale) };
}

/**
 * Open chats and calls per operator of a workspace. Read after the operators are locked (a later
 * statement sees what the routers that held them committed).
 */
export async function loadsOf(db: Db, workspaceId: string): Promise<Map<string, Load>> {
  const rows = await openLoads(db, workspaceId);
  return new Map(rows.map((r) => [r.assigneeId!, { chats: r.chats, voice: r.voice }]));
}

/** Open chats and calls per assignee of a workspace, one row each: read alone or joined. */
function openLoads(db: Db, workspaceId: string) {
  return db
    .select({
      assigneeId: contacts.assigneeId,
      chats: sql<number>`count(*) filter (where ${contacts.channel} = 'chat')`.mapWith(Number).as('chats'),
      voice: sql<number>`count(*) filter (where ${contacts.channel} <> 'chat')`.mapWith(Number).as('voice'),
    })
    .from(contacts)
    .where(
      and(
        eq(contacts.workspaceId, workspaceId),
        isNotNull(contacts.assigneeId),
        inArray(contacts.status, [...ASSIGNED]),
      ),
    )
    .groupBy(contacts.assigneeId);
}

export function withLoads(ops: UserRow[], loads: Map<string, Load>): OperatorRow[] {
  return ops.map((o) => ({
    id: o.id,
    name: o.name,
    avatarUrl: o.avatarUrl,
    status: o.status,
    skills: o.skills,
    experience: o.experience,
    costTier: o.costTier,
    maxChats: o.maxChats,
    openChats: loads.get(o.id)?.chats ?? 0,
    openVoice: loads.get(o.id)?.voice ?? 0,
    lastAssignedAt: o.lastAssignedAt,
    lastEndedAt: o.lastEndedAt,
  }));
}

/** The waiting contacts of a workspace, row-locked; those another router holds are skipped. */
export async function lockQueue(db: Db, workspaceId: string, limit = 200): Promise<QueueItem[]> {
  const rows = await db
    .select({ c: contacts, strategy: sites.routingStrategy })
    .from(contacts)
    .innerJoin(sites, eq(sites.id, contacts.siteId))
    .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.status, 'queued')))
    .orderBy(...queueOrderSql)
    .limit(limit)
    .for('update', { of: contacts, skipLocked: true });
  return rows.map((r) => toQueueItem(r.c, r.strategy));
}

export function toQueueItem(c: ContactRow, strategy: Strategy): QueueItem {
  return {
    id: c.id,
    siteId: c.siteId,
    channel: c.channel,
    priority: c.priority,
    requiredSkills: c.requiredSkills,
    minTier: c.minTier,
    enqueuedAt: c.enqueuedAt ?? c.createdAt,
    ownerId: c.ownerId,
    strategy,
  };
}

/** The last operator of each round-robin site of a workspace. */
export async function roundRobinTurns(db: Db, workspaceId: string): Promise<Map<string, string | null>> {
  const rows = await db
    .select({ id: sites.id, last: sites.rrLastOperatorId })
    .from(sites)
    .where(and(eq(sites.workspaceId, workspaceId), eq(sites.routingStrategy, 'round_robin')));
  return new Map(rows.map((r) => [r.id, r.last]));
}

/** Queued contacts of a workspace in service order (ids only). */
export function queuedIds(db: Db, workspaceId: string) {
  return db
    .select({
      id: contacts.id,
      channel: contacts.channel,
      enqueuedAt: contacts.enqueuedAt,
      createdAt: contacts.createdAt,
    })
    .from(contacts)
    .where(and(eq(contacts.workspaceId, workspaceId), eq(contacts.status, 'queued')))
    .orderBy(...queueOrderSql);
}

/**
 * Seconds of handle time per contact (assignment to close) over the workspace's last 20 closed
 * chats, and the chat slots of online operators: what the wait estimate is made of.
 */
export async function waitBasis(
  db: Db,
  workspaceId: string,
): Promise<{ handleSeconds: number | null; slots: number }> {
  const recent = db
    .select({
      secs: sql<number>`extract(epoch from ${contacts.closedAt} - ${contacts.assignedAt})`.as('secs'),
    })
    .from(contacts)
    .where(
      and(
        eq(contacts.workspaceId, workspaceId),
        eq(contacts.status, 'closed'),
        isNotNull(contacts.assignedAt),
        isNotNull(contacts.closedAt),
      ),
    )
    .orderBy(desc(contacts.closedAt))
    .limit(20)
    .as('recent');
  const [h] = await db.select({ v: avg(recent.secs), n: count() }).from(recent);
  const [s] = await db
    .select({ v: sql<number>`coalesce(sum(${users.maxChats}), 0)`.mapWith(Number) })
    .from(users)
    .where(and(eq(users.workspaceId, workspaceId), eq(users.status, 'online'), isNull(users.deactivatedAt)));
  const handle = h && Number(h.n) > 0 && h.v !== null ? Number(h.v) : null;
  return { handleSeconds: handle, slots: s?.v ?? 0 };
}
