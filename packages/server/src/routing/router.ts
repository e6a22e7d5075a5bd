import type { OperatorCard } from '@parley/protocol';
import { type SQL, sql } from 'drizzle-orm';
import type { ChatEvent, EventBus } from '../bus.js';
import type { Clock } from '../clock.js';
import { commitWith, type Db, sendFirst } from '../db/client.js';
import { contactEvents, contacts, sites, users } from '../db/schema/index.js';
import { type Decision, type OperatorSnapshot, plan, type QueueItem } from './decide.js';
import * as repo from './repo.js';
import { createSnapshots } from './snapshots.js';

/**
 * What a new contact's rows ask of the pass that stored them, told the pass's assignments: the
 * events that go out after the pass's own `assigned` ones (see `routeWith`), or `null` when the
 * statement made no new contact (the visitor's conversation was open already): then there was
 * nothing for the pass to route. A contact whose card (`contact` event) is among them is not
 * announced again after its assignment: its card says how the pass left it.
 */
export type Stored = (rows: Record<string, unknown>[], assigned: readonly Assigned[]) => ChatEvent[] | null;

/** What a new chat's pass knows of its contact before storing it: enough to decide on a snapshot. */
export interface NewItem {
  id: string;
  siteId: string;
  /** As the statement stores them. */
  requiredSkills: readonly string[];
}

/** A statement a routing pass runs first in its transaction, and who hears of its rows. */
interface First {
  query: SQL;
  stored: Stored;
  item?: NewItem | undefined;
}

/** A pass's decisions, what they were made on, and what must hold for them to be written. */
interface Decided {
  decisions: Decision[];
  items: Map<string, QueueItem>;
  operators: readonly (OperatorSnapshot & { name: string; avatarUrl: string | null })[];
  check: SQL | null;
}
type Guess = Decided & { check: SQL };

/**
 * How a new chat was routed: its own pass decided on the workspace's snapshot, in one round trip
 * (`snapshot`); on it, but the check under the lock failed and a pass that reads followed
 * (`snapshot_stale`); by reading, with no snapshot to use (`read`). Or it was stored on its own and
 * routed by the next pass (`after_pass`): a pass of the workspace was under way, or the one that
 * carried it failed (told by the chat service, which stores it then).
 */
export type NewChatRouting = 'snapshot' | 'snapshot_stale' | 'read' | 'after_pass';

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
  /** Pauses before a failed pass runs again: the first, doubled up to the longest (ms). */
  retry?: { firstMs?: number; maxMs?: number };
  log?: { warn(obj: object, msg?: string): void };
  /**
   * Told once per pass that carries a new chat, how it decided (a metric); not when its statement
   * found the visitor's conversation open.
   */
  onNewChat?: (how: NewChatRouting) => void;
}) {
  const { db, bus, clock } = deps;
  const firstRetryMs = deps.retry?.firstMs ?? 500;
  const maxRetryMs = deps.retry?.maxMs ?? 30_000;

  // One pass at a time per workspace in this process; row locks keep other processes honest.
  const running = new Map<string, Promise<void>>();
  /** The routing inputs new chats are decided on before their pass reads (`routeWith`). */
  const snapshots = createSnapshots({ db, bus, log: deps.log, busy: (w) => running.has(w) });
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
    return run(workspaceId);
  }

  /**
   * Runs `first` (a new contact's statement) as the first statement of a routing pass's transaction,
   * ahead of the routing lock, in the pass's first round trip, and routes what it stored: a new chat
   * waits on one round trip less than storing it and then routing. `stored` gets its rows once the
   * transaction has committed, before the pass's `assigned` events go out (so the visitor's socket
   * can follow its contact in time); the events it returns (the new contact for the inbox) go out
   * after them. In that order the visitor's `assigned` leaves first: published before, it waited
   * behind the new contact's frame to every operator of the workspace, 2-3 ms of a new chat's
   * 8 ms under load (BENCHMARKS.md, eighteenth session). A pass that fails stores
   * nothing of `first` either: `stored` is not called (the caller stores on its own and routes again)
   * and a plain pass follows at once for anyone else waiting. Null, with nothing run, while a pass is
   * under way here: the caller stores on its own, then calls `route`. (Letting the next pass carry
   * every statement that came meanwhile was measured: a burst of new chats then ran their statements
   * one after another on one connection instead of side by side; see BENCHMARKS.md.)
   *
   * With `item`, and a snapshot of the workspace's routing inputs read since the last change this
   * process heard of, the pass decides before it reads, and its whole transaction (the statement,
   * the lock, the write, COMMIT) is one round trip: the write holds only if those inputs are still
   * the snapshot's under the routing lock (`guess`), else the contact stays queued and a pass that
   * reads follows at once. Under load that took a new chat from 2 round trips to 1 (BENCHMARKS.md).
   */
  function routeWith(workspaceId: string, first: SQL, stored: Stored, item?: NewItem): Promise<void> | null {
    if (running.has(workspaceId)) return null;
    return run(workspaceId, { query: first, stored, item });
  }

  function run(workspaceId: string, first?: First): Promise<void> {
    const job = (async () => {
      // What follows the passes (the inbox's contact cards, the visitors' places in the queue) is
      // not waited on by the next pass: only the decisions are serialized. Each part's failure is
      // caught the moment it happens: one left pending while the next pass ran (a database error
      // reading the cards) was an unhandled rejection, and Node ended the process for it.
      const after: Promise<void>[] = [];
      let failed = null as { reason: unknown } | null; // set in callbacks: not narrowed to null
      const follow = (part: Promise<unknown>) =>
        after.push(
          part.then(
            () => {},
            (reason: unknown) => {
              failed ??= { reason };
            },
          ),
        );
      let carry = first;
      try {
        do {
          again.delete(workspaceId);
          const unannounced = await routeOnce(workspaceId, carry);
          carry = undefined;
          if (unannounced.length > 0) follow(announce(workspaceId, unannounced));
        } while (again.has(workspaceId));
      } catch (reason) {
        failed ??= { reason };
      } finally {
        running.delete(workspaceId);
        snapshots.idle(workspaceId);
      }
      follow(publishPositions(workspaceId));
      // Every part runs to its end; the first failure is the caller's.
      await Promise.all(after);
      if (failed) {
        retryLater(workspaceId, failed.reason);
        throw failed.reason;
      }
      settled(workspaceId);
    })();
    running.set(workspaceId, job);
    return job;
  }

  /**
   * Failed passes run again by themselves. The event that asked for one (a new chat, an operator
   * coming online) has happened, and the next may be long in coming: after the database refused a
   * pass (a restart, "too many clients"), a queued chat would wait while an operator sat free. The
   * pause doubles while passes keep failing; a pass that gets through, for any reason, resets it.
   */
  const retries = new Map<string, { delayMs: number; timer: ReturnType<typeof setTimeout> | null }>();
  let closed = false;

  function retryLater(workspaceId: string, reason: unknown) {
    if (closed) return;
    const state = retries.get(workspaceId) ?? { delayMs: firstRetryMs, timer: null };
    retries.set(workspaceId, state);
    if (state.timer) return; // a retry is already on its way
    const inMs = state.delayMs;
    state.delayMs = Math.min(inMs * 2, maxRetryMs);
    deps.log?.warn({ err: reason, workspaceId, inMs }, 'routing pass failed; it runs again by itself');
    state.timer = setTimeout(() => {
      state.timer = null;
      // A failure here schedules the next try itself (above).
      route(workspaceId).catch(() => {});
    }, inMs);
    state.timer.unref?.();
  }

  function settled(workspaceId: string) {
    const state = retries.get(workspaceId);
    if (!state) return;
    if (state.timer) clearTimeout(state.timer);
    retries.delete(workspaceId);
  }

  /** No pass runs again by itself after this (the server is stopping). */
  function close() {
    closed = true;
    snapshots.close();
    for (const workspaceId of [...retries.keys()]) settled(workspaceId);
  }

  async function announce(workspaceId: string, assigned: Assigned[]): Promise<void> {
    for (const e of (await deps.onAssigned?.(workspaceId, assigned)) ?? []) bus.publish(e);
  }

  /**
   * A new chat's decision made from the workspace's snapshot, before its pass reads anything, and
   * what its write must find unchanged under the routing lock for the decision to hold: the
   * snapshot's key (the online operators and the sites as read), nobody else queued, and the stored
   * contact as guessed here (no owner, no priority: a client's order owner or a priority is known
   * only once the statement has matched the client; such a chat fails the check and is routed by
   * reading). When the check holds, the plan is the one a pass reading now would make.
   */
  function guess(workspaceId: string, item: NewItem, now: Date): Guess | null {
    const snapshot = snapshots.current(workspaceId);
    if (!snapshot || snapshot.queued) return null;
    const strategy = snapshot.strategies.get(item.siteId);
    if (!strategy) return null;
    const queued: QueueItem = {
      id: item.id,
      siteId: item.siteId,
      channel: 'chat',
      priority: 0,
      requiredSkills: item.requiredSkills,
      minTier: 0,
      enqueuedAt: now,
      ownerId: null,
      strategy,
    };
    const decisions = plan([queued], snapshot.operators, snapshot.turns, now);
    if (decisions.length === 0) return null;
    const check = sql`${repo.routingKey(workspaceId)} = ${snapshot.key}
      and not exists (select 1 from ${contacts} q
        where q.workspace_id = ${workspaceId}::uuid and q.status = 'queued' and q.id <> ${item.id}::uuid)
      and exists (select 1 from ${contacts} n where n.id = ${item.id}::uuid and n.status = 'queued'
        and n.channel = 'chat' and n.priority = 0 and n.min_tier = 0 and n.owner_id is null
        and n.required_skills = array(select jsonb_array_elements_text(${JSON.stringify(item.requiredSkills)}::jsonb)))`;
    return { decisions, items: new Map([[item.id, queued]]), operators: snapshot.operators, check };
  }

  /**
   * One routing pass; the `assigned` events are out when it returns. Returns the assignments whose
   * contacts' cards are still to be announced (`onAssigned`): all but those `first.stored` made.
   */
  async function routeOnce(workspaceId: string, first?: First): Promise<Assigned[]> {
    const now = clock.now();
    const guessed = first?.item ? guess(workspaceId, first.item, now) : null;
    let held = true;
    let firstRows: Record<string, unknown>[] | null = null;
    const pass = db.transaction(async (tx): Promise<Assigned[]> => {
      // `first`'s statement goes out before anything else, so the pass sees what it stored.
      const carried = first ? sendFirst<Record<string, unknown>>(tx, first.query) : null;
      if (guessed) {
        // All in one round trip: the new contact, the routing lock, the write if its check holds,
        // COMMIT. A check that fails writes nothing; the contact is stored, queued, and the next
        // pass reads (`again`).
        const locked = repo.takeRoutingLock(tx, workspaceId, { whileQueued: true });
        const wrote = write(tx, guessed, now);
        locked.catch(() => {});
        wrote.catch(() => {});
        firstRows = await carried;
        await locked;
        held = (await wrote) > 0;
        return held ? assignments(guessed) : [];
      }
      // The pass's reads in one round trip, behind the routing lock (statements pipelined on the
      // transaction's connection): the queue, the operators with their loads, the round-robin turns.
      const reads = Promise.all([
        repo.takeRoutingLock(tx, workspaceId, { whileQueued: true }), // sent first, see its note
        repo.lockQueue(tx, workspaceId),
        repo.operatorsWithLoads(tx, workspaceId, { whileQueued: true }),
        repo.roundRobinTurns(tx, workspaceId),
      ]);
      if (carried) {
        // When `first` fails, so do the reads behind it: its own error is the one to report.
        reads.catch(() => {});
        firstRows = await carried;
      }
      const [locked, queue, operators, rr] = await reads;
      if (!locked || queue.length === 0 || operators.length === 0) return [];
      const decisions = plan(queue, operators, rr, now);
      if (decisions.length === 0) return [];
      const decided = { decisions, items: new Map(queue.map((q) => [q.id, q])), operators, check: null };
      await write(tx, decided, now);
      return assignments(decided);
    });
    let assigned: Assigned[];
    try {
      assigned = await pass;
    } catch (err) {
      // A pass carrying a new contact's statement stored nothing: its caller, not told of any rows,
      // stores the contact on its own and routes it; a plain pass follows at once for the others.
      if (!first) throw err;
      again.add(workspaceId);
      return [];
    }
    let after: ChatEvent[] | null | undefined;
    try {
      // Committed: what `first` stored is told before the assignments it may have got.
      if (first && firstRows) after = first.stored(firstRows, assigned);
    } finally {
      if (assigned.length > 0) passes.set(workspaceId, (passes.get(workspaceId) ?? 0) + 1);
      for (const a of assigned) {
        bus.publish({ kind: 'assigned', workspaceId, contactId: a.contactId, operator: a.operator });
      }
      for (const e of after ?? []) bus.publish(e);
      // A statement that made no new chat (`null`) gave the snapshot's check no contact to find:
      // that is neither a new chat's routing nor a stale snapshot, and nobody waits for a pass.
      if (after !== null) {
        if (first?.item) deps.onNewChat?.(!guessed ? 'read' : held ? 'snapshot' : 'snapshot_stale');
        if (!held) again.add(workspaceId);
      }
    }
    if (!after) return assigned;
    const carded = new Set(after.flatMap((e) => (e.kind === 'contact' ? [e.contact.id] : [])));
    return assigned.filter((a) => !carded.has(a.contactId));
  }

  /**
   * Every write of a pass in one statement: one round trip whatever the number of decisions (the
   * assignment, its audit event, the round-robin turn, the operators' last assignment), and the
   * transaction's COMMIT goes out right behind it. Nothing is written unless `check` holds. The
   * contacts are named by `any(array(...))` beside the join, as in the writer's group: a JSON
   * recordset counts as 100 rows to the planner, which then read every conversation instead of
   * using the primary key. Returns the number of operators written: 0 when the check failed.
   */
  async function write(tx: Db, decided: Decided, now: Date): Promise<number> {
    const rows = decided.decisions.map((d) => {
      const item = decided.items.get(d.itemId)!;
      return {
        contact_id: d.itemId,
        operator_id: d.operatorId,
        reason: d.reason,
        site_id: item.siteId,
        rr: item.strategy === 'round_robin' && d.reason === 'strategy',
      };
    });
    const at = now.toISOString();
    const written = await commitWith<{ id: string }>(
      tx,
      sql`
      with d as (
        select * from rows from (json_to_recordset(${JSON.stringify(rows)}::text::json)
          as (contact_id uuid, operator_id uuid, reason text, site_id uuid, rr boolean))
          with ordinality as d(contact_id, operator_id, reason, site_id, rr, ord)
        where ${decided.check ?? sql`true`}
      ), assigned as (
        update ${contacts} c set status = 'assigned', assignee_id = d.operator_id,
          assigned_at = ${at}::timestamptz, updated_at = ${at}::timestamptz
        from d where c.id = any(array(select contact_id from d)) and c.id = d.contact_id
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
      where u.id in (select operator_id from d)
      returning u.id`,
    );
    return written.length;
  }

  function assignments({ decisions, operators }: Decided): Assigned[] {
    const cards = new Map(operators.map((o) => [o.id, { id: o.id, name: o.name, avatarUrl: o.avatarUrl }]));
    return decisions.map((d) => ({
      contactId: d.itemId,
      operator: cards.get(d.operatorId) ?? { id: d.operatorId, name: '', avatarUrl: null },
      reason: d.reason,
    }));
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

  return {
    route,
    routeWith,
    publishPositions,
    positionOf,
    close,
    /** The workspace's routing snapshot if it is current (`routeWith`); null while it is read. */
    snapshot: (workspaceId: string) => snapshots.current(workspaceId),
  };
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
