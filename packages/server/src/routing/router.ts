import type { OperatorCard } from '@parley/protocol';
import { sql } from 'drizzle-orm';
import type { ChatEvent, EventBus } from '../bus.js';
import type { Clock } from '../clock.js';
import { commitWith, type Db } from '../db/client.js';
import { contactEvents, contacts, sites, users } from '../db/schema/index.js';
import { plan } from './decide.js';
import * as repo from './repo.js';

export interface Assigned {
  contactId: string;
  operator: OperatorCard;
  reason: 'owner' | 'strategy';
}

/**
 * Applies routing decisions: under the workspace's routing lock, reads the queue (its rows locked)
 * and the online operators with their loads, asks the pure `plan`, and writes the assignments in the
 * same transaction. Events go out after the commit.
 */
export function createRouter(deps: {
  db: Db;
  bus: EventBus;
  clock: Clock;
  onAssigned?: (workspaceId: string, a: Assigned[]) => Promise<ChatEvent[]>;
}) {
  const { db, bus, clock } = deps;

  // One pass at a time per workspace in this process; row locks keep other processes honest.
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();
  /** Passes that assigned something, per workspace: a queue read older than the last one is stale. */
  const passes = new Map<string, number>();
  function route(workspaceId: string): Promise<void> {
    const current = running.get(workspaceId);
    if (current) {
      // A pass is under way: ask for one more after it, which sees every change made meanwhile.
      again.add(workspaceId);
      return current;
    }
    const run = (async () => {
      // What follows the passes (the inbox's contact cards, the visitors' places in the queue) is
      // not waited on by the next pass: only the decisions are serialized.
      const after: Promise<unknown>[] = [];
      try {
        do {
          again.delete(workspaceId);
          const assigned = await routeOnce(workspaceId);
          if (assigned.length > 0) after.push(announce(workspaceId, assigned));
        } while (again.has(workspaceId));
      } catch (err) {
        after.push(Promise.reject(err));
      } finally {
        running.delete(workspaceId);
      }
      after.push(publishPositions(workspaceId));
      // Every part runs to its end; the first failure is the caller's.
      const failed = (await Promise.allSettled(after)).find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    })();
    running.set(workspaceId, run);
    return run;
  }

  async function announce(workspaceId: string, assigned: Assigned[]): Promise<void> {
    for (const e of (await deps.onAssigned?.(workspaceId, assigned)) ?? []) bus.publish(e);
  }

  /** One routing pass; the `assigned` events are out when it returns. */
  async function routeOnce(workspaceId: string): Promise<Assigned[]> {
    const now = clock.now();
    const assigned = await db.transaction(async (tx): Promise<Assigned[]> => {
      // The pass's reads in one round trip, behind the routing lock (statements pipelined on the
      // transaction's connection): the queue, the operators with their loads, the round-robin turns.
      const [locked, queue, ops, rr] = await Promise.all([
        repo.takeRoutingLock(tx, workspaceId, { whileQueued: true }), // sent first, see its note
        repo.lockQueue(tx, workspaceId),
        repo.operatorsWithLoads(tx, workspaceId, { whileQueued: true }),
        repo.roundRobinTurns(tx, workspaceId),
      ]);
      if (!locked || queue.length === 0 || ops.length === 0) return [];
      const decisions = plan(queue, ops, rr, now);
      if (decisions.length === 0) return [];
      const cards = new Map(ops.map((o) => [o.id, { id: o.id, name: o.name, avatarUrl: o.avatarUrl }]));
      const items = new Map(queue.map((q) => [q.id, q]));
      // Every write of the pass in one statement: one round trip whatever the number of decisions
      // (the assignment, its audit event, the round-robin turn, the operators' last assignment),
      // and the transaction's COMMIT goes out right behind it.
      const rows = decisions.map((d) => {
        const item = items.get(d.itemId)!;
        return {
          contact_id: d.itemId,
          operator_id: d.operatorId,
          reason: d.reason,
          site_id: item.siteId,
          rr: item.strategy === 'round_robin' && d.reason === 'strategy',
        };
      });
      const at = now.toISOString();
      await commitWith(
        tx,
        sql`
        with d as (
          select * from rows from (json_to_recordset(${JSON.stringify(rows)}::text::json)
            as (contact_id uuid, operator_id uuid, reason text, site_id uuid, rr boolean))
            with ordinality as d(contact_id, operator_id, reason, site_id, rr, ord)
        ), assigned as (
          update ${contacts} c set status = 'assigned', assignee_id = d.operator_id,
            assigned_at = ${at}::timestamptz, updated_at = ${at}::timestamptz
          from d where c.id = d.contact_id
        ), audit as (
          insert into ${contactEvents} (contact_id, kind, data, created_at)
          select contact_id, 'assigned', jsonb_build_object('operatorId', operator_id, 'reason', reason),
            ${at}::timestamptz
          from d order by ord
        ), turn as (
          update ${sites} s set rr_last_operator_id = last.operator_id
          from (select distinct on (site_id) site_id, operator_id from d where rr order by site_id, ord desc) last
          where s.id = last.site_id
        )
        update ${users} u set last_assigned_at = ${at}::timestamptz
        where u.id in (select operator_id from d)`,
      );
      return decisions.map((d) => ({
        contactId: d.itemId,
        operator: cards.get(d.operatorId) ?? { id: d.operatorId, name: '', avatarUrl: null },
        reason: d.reason,
      }));
    });
    if (assigned.length > 0) passes.set(workspaceId, (passes.get(workspaceId) ?? 0) + 1);
    for (const a of assigned) {
      bus.publish({ kind: 'assigned', workspaceId, contactId: a.contactId, operator: a.operator });
    }
    return assigned;
  }

  /** Every waiting visitor hears their place and the estimated wait. */
  async function publishPositions(workspaceId: string): Promise<void> {
    const seen = passes.get(workspaceId);
    const queued = await repo.queuedIds(db, workspaceId);
    if (queued.length === 0) return;
    const basis = await repo.waitBasis(db, workspaceId);
    // A pass assigned meanwhile: this read may still list a contact its visitor was just told is
    // assigned. That pass's run publishes the queue after it; this one keeps quiet.
    if (passes.get(workspaceId) !== seen) return;
    queued.forEach((q, i) => {
      bus.publish({
        kind: 'position',
        workspaceId,
        contactId: q.id,
        position: i + 1,
        estimatedWaitSeconds: estimate(i + 1, basis),
        channel: q.channel,
        waitingSince: (q.enqueuedAt ?? q.createdAt).toISOString(),
      });
    });
  }

  async function positionOf(contact: { id: string; workspaceId: string; status: string }) {
    if (contact.status !== 'queued') return null;
    const queued = await repo.queuedIds(db, contact.workspaceId);
    const i = queued.findIndex((q) => q.id === contact.id);
    if (i < 0) return null;
    return {
      position: i + 1,
      estimatedWaitSeconds: estimate(i + 1, await repo.waitBasis(db, contact.workspaceId)),
      channel: queued[i]!.channel,
      waitingSince: (queued[i]!.enqueuedAt ?? queued[i]!.createdAt).toISOString(),
    };
  }

  return { route, publishPositions, positionOf };
}
export type Router = ReturnType<typeof createRouter>;

/**
 * Estimated wait of the n-th in the queue: n × the recent average handle time ÷ the chat slots of
 * the operators online now. Null without history or without anyone online (no honest estimate).
 */
export function estimate(
  position: number,
  basis: { handleSeconds: number | null; slots: number },
): number | null {
  if (basis.handleSeconds === null || basis.slots === 0) return null;
  return Math.ceil((position * basis.handleSeconds) / basis.slots);
}
