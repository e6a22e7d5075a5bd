import { and, asc, avg, count, desc, eq, isNotNull, isNull, type SQL, sql } from 'drizzle-orm';
import { type Db, idIn, sendFirst } from '../db/client.js';
import { type ContactRow, contacts, sites, users } from '../db/schema/index.js';
import type { OperatorSnapshot, QueueItem, Strategy } from './decide.js';

/** Service order in SQL, the same as `queueOrder` in decide.ts. */
export const queueOrderSql = [desc(contacts.priority), asc(contacts.enqueuedAt), asc(contacts.id)];

type OperatorRow = OperatorSnapshot & { name: string; avatarUrl: string | null };

/**
 * Takes the workspace's routing lock, held to the end of the transaction: the routing passes and
 * the manual handovers (accept, transfer) of a workspace run one at a time, in every process. Each
 * then reads the operators' loads after the previous one committed what it gave them — the only
 * writers that give an operator a contact are these two. (Locking every online operator's row did
 * the same with a row lock each, and waited on anything else that touched an operator's row, such
 * as closing one of their chats: 200 operators cost a new chat's pass about 5 ms under load.)
 *
 * Sent ahead of the statements issued after it (`sendFirst`): they run under the lock in the same
 * round trip. With `whileQueued` it is taken only while anyone waits — a pass over an empty queue
 * does not wait behind other routers — and `false` tells the pass to stop: a contact queued after
 * that look is routed by the pass its own insert asks for.
 */
export async function takeRoutingLock(
  db: Db,
  workspaceId: string,
  opts: { whileQueued?: boolean } = {},
): Promise<boolean> {
  const key = sql`hashtextextended(${`parley.routing:${workspaceId}`}, 0)`;
  const take = sql`(select true from pg_advisory_xact_lock(${key}))`;
  const [row] = await sendFirst<{ locked: boolean }>(
    db,
    opts.whileQueued
      ? sql`select case when ${queuedIn(workspaceId)} then ${take} else false end as locked`
      : sql`select ${take} as locked`,
  );
  return row?.locked === true;
}

/** What a routing decision needs of an operator: no more is read (200 of them on every pass). */
const snapshotColumns = {
  id: users.id,
  name: users.name,
  avatarUrl: users.avatarUrl,
  status: users.status,
  skills: users.skills,
  experience: users.experience,
  costTier: users.costTier,
  maxChats: users.maxChats,
  openChats: users.openChats,
  openVoice: users.openVoice,
  lastAssignedAt: users.lastAssignedAt,
  lastEndedAt: users.lastEndedAt,
};

/**
 * Online operators of a workspace (or the given ones, online or not) with their load: the open
 * chats and calls on their rows, kept by a trigger on contacts (migration 0004). Read under the
 * routing lock (`takeRoutingLock`): the loads are then current. With `whileQueued`, none while
 * nobody waits (a routing pass's reads go out before it knows; see `takeRoutingLock`).
 */
export function operatorsWithLoads(
  db: Db,
  workspaceId: string,
  opts: { onlyIds?: string[]; whileQueued?: boolean } = {},
): Promise<OperatorRow[]> {
  return db
    .select(snapshotColumns)
    .from(users)
    .where(
      and(
        opts.onlyIds
          ? and(eq(users.workspaceId, workspaceId), isNull(users.deactivatedAt), idIn(users.id, opts.onlyIds))
          : onlineIn(workspaceId),
        opts.whileQueued ? queuedIn(workspaceId) : undefined,
      ),
    )
    .orderBy(asc(users.id));
}

/**
 * What a new chat's pass may decide on before it reads anything (`routingSnapshot`): the online
 * operators as `operatorsWithLoads` reads them, each site's strategy and round-robin turn, whether
 * anyone waits, and `key`, a digest of all but the last as they were read.
 */
export interface RoutingSnapshot {
  operators: OperatorRow[];
  strategies: Map<string, Strategy>;
  turns: Map<string, string | null>;
  queued: boolean;
  key: string;
}

/**
 * The digest of what a routing decision reads of a workspace's operators and sites, as they are
 * when the statement runs: every column `operatorsWithLoads` reads of every online operator, and
 * each site's strategy and turn. Equal digests, equal inputs: a decision made on a snapshot holds
 * when the digest, taken again under the routing lock, has not changed.
 */
export function routingKey(workspaceId: string): SQL {
  const columns = sql.join(Object.values(snapshotColumns), sql`, `);
  // A subquery of its own: computed once per statement. Bare in a select list, md5 ran once per
  // operator row, over every operator's text (200 × 40 KB: 8-11 ms a snapshot under load).
  return sql`(select md5(concat(
    (select string_agg(row(${columns})::text, ',' order by ${users.id}) from ${users}
      where ${onlineIn(workspaceId)}),
    '/',
    (select string_agg(row(${sites.id}, ${sites.routingStrategy}, ${sites.rrLastOperatorId})::text, ','
      order by ${sites.id}) from ${sites} where ${sites.workspaceId} = ${workspaceId}))))`;
}

/** Online, active operators of a workspace: whom a routing pass reads. */
const onlineIn = (workspaceId: string) =>
  and(eq(users.workspaceId, workspaceId), isNull(users.deactivatedAt), eq(users.status, 'online'));

/**
 * A workspace's routing inputs, read outside any pass, in one statement (one snapshot): the key is
 * computed by the same statement as the rows, so it names exactly them.
 */
export async function routingSnapshot(db: Db, workspaceId: string): Promise<RoutingSnapshot> {
  const rows = await db
    .select({
      ...snapshotColumns,
      key: sql<string>`${routingKey(workspaceId)}`,
      sites: sql<[string, Strategy, string | null][]>`(select coalesce(json_agg(json_build_array(
        ${sites.id}, ${sites.routingStrategy}, ${sites.rrLastOperatorId})), '[]') from ${sites}
        where ${sites.workspaceId} = ${workspaceId})`,
      queued: sql<boolean>`${queuedIn(workspaceId)}`,
    })
    .from(users)
    .where(onlineIn(workspaceId))
    .orderBy(asc(users.id));
  const first = rows[0];
  const strategies = new Map<string, Strategy>();
  const turns = new Map<string, string | null>();
  for (const [id, strategy, last] of first?.sites ?? []) {
    strategies.set(id, strategy);
    if (strategy === 'round_robin') turns.set(id, last);
  }
  return {
    operators: rows.map(({ key: _k, sites: _s, queued: _q, ...op }) => op),
    strategies,
    turns,
    queued: first?.queued ?? true, // nobody online: nothing to decide on, whoever waits
    key: first?.key ?? '',
  };
}

/** Anyone waits in the workspace's queue. */
const queuedIn = (workspaceId: string) =>
  sql`exists (select 1 from ${contacts} q where q.workspace_id = ${workspaceId} and q.status = 'queued')`;

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
