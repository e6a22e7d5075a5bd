import { randomUUID } from 'node:crypto';
import type {
  ContactSummary,
  Message,
  OperatorCard,
  OperatorStatus,
  QuestionnaireField,
  Task,
} from '@parley/protocol';
import { type AnswerProblem, checkAnswers, ErrorCode } from '@parley/protocol';
import { and, eq, inArray, lt, type SQL, sql, type WithSubquery } from 'drizzle-orm';
import { hashToken, newToken } from '../auth/tokens.js';
import type { ChatEvent, EventBus } from '../bus.js';
import { normalizePhone } from '../clients/phones.js';
import { againOnLostRace, taskTitle, toTask } from '../clients/repo.js';
import { type Clock, systemClock } from '../clock.js';
import { type Db, idIn, rowOf, rowsOf } from '../db/client.js';
import {
  type ContactRow,
  contactEvents,
  contacts,
  type SiteRow,
  tasks,
  type UserRow,
  users,
  visitors,
} from '../db/schema/index.js';
import { fail, ParleyError } from '../errors.js';
import { whyNot } from '../routing/decide.js';
import { operatorsWithLoads, takeRoutingLock, toQueueItem } from '../routing/repo.js';
import { type Assigned, createRouter, type NewChatRouting } from '../routing/router.js';
import { createContactDetails } from './details.js';
import { createModeration } from './moderation.js';
import * as repo from './repo.js';
import { type Appended, createMessageWriter } from './writer.js';

export type { Clock } from '../clock.js';

export interface VisitorMeta {
  ip: string | null;
  userAgent: string | null;
  locale?: string | undefined;
  timeZone?: string | undefined;
  pageUrl?: string | undefined;
  pageTitle?: string | undefined;
  referrer?: string | undefined;
}

export interface Posted {
  message: Message;
  /** False when the client id was seen before: nothing was stored, the first message is returned. */
  fresh: boolean;
}

/**
 * How `start` learns who the visitor is (see clients/repo.ts, `matchingCtes`): parts of the new
 * contact's own statement, the last of them named `who` with at most one row of `client_id`,
 * `match`, `owner_id`, `order_id` (the owner's open order) and `priority`. `onlyIf` must gate
 * anything the parts write.
 */
export type Identify = (input: {
  site: SiteRow;
  visitorId: string;
  answers: Record<string, string>;
  identity?: { userId: string; hash: string } | undefined;
  onlyIf: SQL;
}) => { ctes: WithSubquery[] };

type Author = { kind: 'visitor' | 'operator'; id: string; name: string };
type Actor = Pick<UserRow, 'id' | 'name' | 'role' | 'workspaceId'>;

const MESSAGES_PAGE = 500;
const OPEN = [...repo.OPEN_STATUSES];

/**
 * The chat domain: visitors, contacts, messages, the queue. Knows nothing of Fastify or sockets;
 * every change is one transaction, and its events are published only after the commit.
 */
export function createChatService(deps: {
  db: Db;
  bus: EventBus;
  clock?: Clock;
  onStored?: () => void;
  /** How each new chat was routed (see `NewChatRouting`): a metric. */
  onNewChat?: (how: NewChatRouting) => void;
  /** Matches the new contact to a client (and its order owner); none: no client, no owner. */
  identify?: Identify;
  log?: { warn(obj: object, msg?: string): void };
}) {
  const { db, bus } = deps;
  const clock = deps.clock ?? systemClock;
  const publish = (events: ChatEvent[]) => {
    for (const e of events) bus.publish(e);
  };
  const router = createRouter({
    db,
    bus,
    clock,
    onAssigned: (workspaceId, assigned) =>
      Promise.all(assigned.map((a) => contactEvent(workspaceId, a.contactId))),
    log: deps.log,
    onNewChat: deps.onNewChat,
  });
  const { route } = router;
  const moderation = createModeration({ db, bus, clock, contactEvent: (w, c) => contactEvent(w, c) });
  const panel = createContactDetails({ db, bus, clock });

  async function contactEvent(workspaceId: string, contactId: string): Promise<ChatEvent> {
    const contact = await repo.summary(db, contactId);
    if (!contact) throw new Error(`contact ${contactId} vanished`);
    return { kind: 'contact', workspaceId, contact };
  }

  async function contactById(contactId: string): Promise<ContactRow | undefined> {
    const [c] = await db.select().from(contacts).where(eq(contacts.id, contactId));
    return c;
  }

  /** Finds the visitor behind a token, or makes a new one; returns their open conversation if any. */
  async function hello(site: SiteRow, token: string | undefined, meta: VisitorMeta) {
    const now = clock.now();
    if (token) {
      const [v] = await db
        .update(visitors)
        .set({
          lastSeenAt: now,
          ip: meta.ip,
          userAgent: meta.userAgent,
          currentPageUrl: meta.pageUrl ?? null,
          currentPageTitle: meta.pageTitle ?? null,
          ...(meta.locale && { locale: meta.locale }),
          ...(meta.timeZone && { timeZone: meta.timeZone }),
        })
        .where(and(eq(visitors.tokenHash, hashToken(token)), eq(visitors.siteId, site.id)))
        .returning();
      if (v) return { visitor: v, token, open: await openContactOf(v.id) };
    }
    // An unknown or foreign token is not an error: the visitor simply starts afresh.
    const fresh = newToken();
    const [v] = await db
      .insert(visitors)
      .values({
        siteId: site.id,
        tokenHash: hashToken(fresh),
        ip: meta.ip,
        userAgent: meta.userAgent,
        locale: meta.locale ?? null,
        timeZone: meta.timeZone ?? null,
        currentPageUrl: meta.pageUrl ?? null,
        currentPageTitle: meta.pageTitle ?? null,
        firstSeenAt: now,
        lastSeenAt: now,
      })
      .returning();
    return { visitor: v!, token: fresh, open: null };
  }

  async function openContactOf(visitorId: string): Promise<ContactRow | null> {
    const [c] = await db
      .select()
      .from(contacts)
      .where(and(eq(contacts.visitorId, visitorId), inArray(contacts.status, OPEN)))
      .limit(1);
    return c ?? null;
  }

  /**
   * The questionnaire is done: the contact is matched to a client and joins the queue. Starting
   * twice returns the open one. `onCreated` runs once the new contact is stored, before it is
   * routed: a visitor socket follows it there so it hears its own `assigned` or place in the queue.
   *
   * A new chat waits on every round trip here (issue 6 wants it assigned within 20 ms under load):
   * the open-conversation check, the client match (and a new prospect), the contact, its audit event
   * and the owner's task are one statement, and that statement goes out first in the routing pass's
   * own first round trip (`routeWith`). When a pass is already under way, or the pass that carried
   * it failed (then nothing of it was stored), it runs on its own and the contact is routed after.
   */
  async function start(
    site: SiteRow,
    visitorId: string,
    rawAnswers: Record<string, string>,
    meta: VisitorMeta,
    identity?: { userId: string; hash: string },
    onCreated?: (contact: ContactRow) => void,
  ): Promise<ContactRow> {
    const answers = validateAnswers(site.settings.questionnaire, rawAnswers);
    const id = randomUUID();
    const { query, read } = contactStatement({ id, site, visitorId, answers, meta, identity });
    const made = (s: StoredContact) => s.contact.id === id; // else a conversation was open: nothing made
    /**
     * The socket follows the new contact at once; the events for the inbox are returned (`null`:
     * the visitor's open conversation was found, nothing new to route or announce). Its card is
     * the contact as the pass that stored it left it, assigned or queued: one card per new chat
     * to every operator of the workspace, and no read of it again (see `Stored`).
     */
    const follow = (s: StoredContact, assigned: readonly Assigned[] = []): ChatEvent[] | null => {
      if (!made(s)) return null;
      onCreated?.(s.contact);
      const to = assigned.find((a) => a.contactId === s.contact.id);
      // What the pass's write changes of a contact's card (its `assigned_at` is not on it).
      const now: ContactRow = to
        ? { ...s.contact, status: 'assigned', assigneeId: to.operator.id }
        : s.contact;
      const events: ChatEvent[] = [
        { kind: 'contact', workspaceId: site.workspaceId, contact: repo.toSummary(now, s.seen) },
      ];
      if (s.task) {
        events.push({ kind: 'task', workspaceId: site.workspaceId, userId: s.task.assigneeId, task: s.task });
      }
      return events;
    };
    let carried: StoredContact | null = null;
    const item = { id, siteId: site.id, requiredSkills: site.requiredSkills };
    // The pass publishes the inbox's events after the visitor's `assigned` (see `routeWith`).
    const pass = router.routeWith(
      site.workspaceId,
      query,
      (rows, assigned) => {
        carried = read(rows);
        return follow(carried, assigned);
      },
      item,
    );
    if (pass) {
      try {
        await pass;
      } catch (err) {
        if (carried) throw err; // stored and announced; the routing failed after
      }
      if (carried) return (carried as StoredContact).contact;
    }
    const stored = await againOnLostRace(async () => read(await rowsOf(db, query)));
    const events = follow(stored);
    if (events) {
      deps.onNewChat?.('after_pass');
      publish(events);
      await route(site.workspaceId);
    }
    return stored.contact;
  }

  type StoredContact = { contact: ContactRow; seen: Date | null; task: Task | null };

  /**
   * `start`'s statement: the visitor's open conversation if there is one, else a new queued contact
   * matched to its client (`identify`), its `queued` event and, when the client's open order has an
   * owner, the owner's task ("the owner hears of every new contact, online or not"). A lost race to
   * make the same new client fails the statement on a unique index, storing nothing. `read` makes
   * sense of its rows (raw: the statement may run inside the routing pass's transaction).
   */
  function contactStatement(input: {
    id: string;
    site: SiteRow;
    visitorId: string;
    answers: Record<string, string>;
    meta: VisitorMeta;
    identity: { userId: string; hash: string } | undefined;
  }): { query: SQL; read: (rows: Record<string, unknown>[]) => StoredContact } {
    const { id, site, visitorId, answers, meta } = input;
    const now = clock.now();
    const at = now.toISOString();
    // `select *`, as `returning *` below: the two are one column list in `c`.
    const already = db
      .$with('already', {})
      .as(
        sql`select * from ${contacts} where ${and(eq(contacts.visitorId, visitorId), inArray(contacts.status, OPEN))} limit 1`,
      );
    const matching = deps.identify?.({
      site,
      visitorId,
      answers,
      identity: input.identity,
      onlyIf: sql`not exists (select 1 from already)`,
    }) ?? {
      ctes: [
        db
          .$with('who', {})
          .as(sql`select null::uuid as client_id, null::text as match, null::uuid as owner_id,
          null::uuid as order_id, 0 as priority where false`),
      ],
    };
    const inserted = db.$with('inserted', {}).as(sql`
      insert into ${contacts} (id, workspace_id, site_id, visitor_id, status, answers, client_id, client_match,
        owner_id, priority, required_skills, page_url, page_title, referrer, ip, user_agent, enqueued_at,
        created_at, updated_at)
      select ${id}::uuid, ${site.workspaceId}::uuid, ${site.id}::uuid, ${visitorId}::uuid, 'queued',
        ${JSON.stringify(answers)}::jsonb, who.client_id, who.match, who.owner_id, coalesce(who.priority, 0),
        array(select jsonb_array_elements_text(${JSON.stringify(site.requiredSkills)}::jsonb)),
        ${meta.pageUrl ?? null}::text, ${meta.pageTitle ?? null}::text, ${meta.referrer ?? null}::text,
        ${meta.ip}::text, ${meta.userAgent}::text, ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
      from (select 1) as one left join who on true
      where not exists (select 1 from already)
      returning *`);
    const audit = db.$with('audit', {}).as(sql`
      insert into ${contactEvents} (contact_id, kind, data, created_at)
      select id, 'queued', jsonb_build_object('match', client_match), ${at}::timestamptz from inserted`);
    const title = taskTitle(`New chat from ${answers.name ?? 'your client'}`);
    const task = db.$with('task', {}).as(sql`
      insert into ${tasks} (workspace_id, assignee_id, title, contact_id, client_id, order_id, created_at)
      select i.workspace_id, i.owner_id, ${title}, i.id, i.client_id, who.order_id, ${at}::timestamptz
      from inserted i left join who on true where i.owner_id is not null
      returning id, order_id`);
    const c = db.$with('c', {}).as(sql`select * from inserted union all select * from already`);
    const query = db
      .with(already, ...matching.ctes, inserted, audit, task, c)
      .select({
        all: sql`c.*`,
        seen: sql`v.last_seen_at`.as('parley_seen'),
        taskId: sql`task.id`.as('parley_task_id'),
        orderId: sql`task.order_id`.as('parley_task_order_id'),
      })
      .from(sql`c left join ${visitors} v on v.id = c.visitor_id left join task on true`)
      .getSQL();
    const read = (rows: Record<string, unknown>[]): StoredContact => {
      const [r] = rows;
      if (!r) throw new Error(`contact ${id} was neither stored nor open`);
      const contact = rowOf(contacts, r);
      const taskId = r.parley_task_id as string | null;
      return {
        contact,
        seen: r.parley_seen === null ? null : new Date(r.parley_seen as string | Date),
        task:
          taskId && contact.ownerId
            ? toTask({
                id: taskId,
                workspaceId: site.workspaceId,
                assigneeId: contact.ownerId,
                title,
                contactId: contact.id,
                clientId: contact.clientId,
                orderId: r.parley_task_order_id as string | null,
                dueAt: null,
                doneAt: null,
                createdAt: now,
              })
            : null,
      };
    };
    return { query, read };
  }

  /**
   * The offline form: nobody is online, so the visitor leaves a message; it waits in the queue as a
   * conversation of its own (or joins their open one), for the first operator who comes online.
   */
  async function leaveMessage(
    site: SiteRow,
    visitorId: string,
    rawAnswers: Record<string, string>,
    body: string,
    meta: VisitorMeta,
    identity?: { userId: string; hash: string },
  ): Promise<ContactRow> {
    const c = await start(site, visitorId, rawAnswers, meta, identity);
    await postVisitorMessage(
      visitorId,
      c.id,
      { clientId: `offline-${c.lastSeq + 1}`, body },
      c.answers.name ?? 'Visitor',
    );
    return c;
  }

  // Messages are written in groups: see writer.ts for how order, seqs and repeats are kept.
  const writer = createMessageWriter({ db, clock });
  const append = (
    contactId: string,
    author: Author,
    input: { clientId: string; body: string; quoteId?: string | undefined },
    authorize: (c: ContactRow) => void,
  ) => writer.append({ contactId, author, input, authorize });

  async function afterAppend(posted: Appended): Promise<Posted> {
    if (posted.fresh) {
      deps.onStored?.();
      const { workspaceId, id } = posted.contact;
      // Lists update their preview from the message itself; the whole contact goes out only when the
      // message changed its state, which saves a read per message.
      const events: ChatEvent[] = [
        { kind: 'message', workspaceId, message: posted.message, assigneeId: posted.contact.assigneeId },
      ];
      if (posted.changed) events.push(await contactEvent(workspaceId, id));
      publish(events);
    }
    return { message: posted.message, fresh: posted.fresh };
  }

  async function postVisitorMessage(
    visitorId: string,
    contactId: string,
    input: { clientId: string; body: string; quoteId?: string | undefined },
    name: string,
  ): Promise<Posted> {
    const posted = await append(contactId, { kind: 'visitor', id: visitorId, name }, input, (c) => {
      if (c.visitorId !== visitorId) fail(ErrorCode.NotFound, 'The conversation');
    });
    return afterAppend(posted);
  }

  async function postOperatorMessage(
    user: Actor,
    contactId: string,
    input: { clientId: string; body: string; quoteId?: string | undefined },
  ): Promise<Posted> {
    const posted = await append(contactId, { kind: 'operator', id: user.id, name: user.name }, input, (c) =>
      authorizeOperator(user, c),
    );
    return afterAppend(posted);
  }

  function authorizeOperator(user: Actor, c: ContactRow) {
    if (c.workspaceId !== user.workspaceId) fail(ErrorCode.NotFound, 'The conversation');
    if (c.assigneeId !== user.id && user.role === 'operator') {
      fail(
        ErrorCode.Forbidden,
        c.assigneeId ? 'This conversation is assigned to someone else.' : 'Accept this conversation first.',
      );
    }
  }

  async function contactFor(user: Actor, contactId: string): Promise<ContactRow> {
    const c = await contactById(contactId);
    if (!c || c.workspaceId !== user.workspaceId) return fail(ErrorCode.NotFound, 'The conversation');
    return c;
  }

  /** What a client that has the conversation up to `afterSeq` lacks: the messages after it, and deletions up to it. */
  async function catchUp(contactId: string, afterSeq: number) {
    const [messages, deleted] = await Promise.all([
      repo.messagesAfter(db, contactId, afterSeq, MESSAGES_PAGE),
      repo.deletedUpTo(db, contactId, afterSeq),
    ]);
    return { messages, deleted };
  }

  async function messagesForOperator(user: Actor, contactId: string, afterSeq: number) {
    await contactFor(user, contactId);
    return catchUp(contactId, afterSeq);
  }

  async function messagesForVisitor(visitorId: string, contactId: string, afterSeq: number) {
    const c = await contactById(contactId);
    if (!c || c.visitorId !== visitorId) return fail(ErrorCode.NotFound, 'The conversation');
    return catchUp(contactId, afterSeq);
  }

  async function setStatus(user: Actor, status: OperatorStatus) {
    const now = clock.now();
    await db.update(users).set({ status, lastSeenAt: now, updatedAt: now }).where(eq(users.id, user.id));
    publish([{ kind: 'presence', workspaceId: user.workspaceId, userId: user.id, status }]);
    // Coming online frees capacity; going away may leave queued visitors without an estimate.
    await route(user.workspaceId);
  }

  async function seen(contactId: string, by: 'visitor' | 'operator', seq: number, workspaceId: string) {
    // Read state only moves forward, and never past the last message.
    const [c] = await db
      .update(contacts)
      .set(
        by === 'visitor'
          ? { visitorSeenSeq: sql`least(greatest(${contacts.visitorSeenSeq}, ${seq}), ${contacts.lastSeq})` }
          : {
              operatorSeenSeq: sql`least(greatest(${contacts.operatorSeenSeq}, ${seq}), ${contacts.lastSeq})`,
            },
      )
      .where(and(eq(contacts.id, contactId), eq(contacts.workspaceId, workspaceId)))
      .returning({
        visitor: contacts.visitorSeenSeq,
        operator: contacts.operatorSeenSeq,
        assigneeId: contacts.assigneeId,
      });
    if (c) {
      const seq = by === 'visitor' ? c.visitor : c.operator;
      publish([{ kind: 'seen', workspaceId, contactId, assigneeId: c.assigneeId, by, seq }]);
    }
  }

  async function visitorSeen(visitorId: string, contactId: string, seq: number) {
    const c = await contactById(contactId);
    if (!c || c.visitorId !== visitorId) return fail(ErrorCode.NotFound, 'The conversation');
    await seen(contactId, 'visitor', seq, c.workspaceId);
  }

  async function operatorSeen(user: Actor, contactId: string, seq: number) {
    await contactFor(user, contactId);
    await seen(contactId, 'operator', seq, user.workspaceId);
  }

  /** `assigneeId`: as the typing side knows it (the visitor's socket follows `assigned`). */
  function typing(
    workspaceId: string,
    contactId: string,
    assigneeId: string | null,
    from: 'visitor' | 'operator',
    on: boolean,
  ) {
    publish([{ kind: 'typing', workspaceId, contactId, assigneeId, from, on }]);
  }

  /**
   * Gives a contact to one operator, under the locks the router takes (contact, then operator), so
   * a manual take can no more overfill an operator than the router can. `who` names the operator
   * in the error a refusal gives. Someone taking a contact themselves is present whatever their
   * status says; someone it is transferred to must be online.
   */
  async function handTo(
    tx: Db,
    c: ContactRow,
    operatorId: string,
    who: string,
    event: { kind: string; actorId: string; data: Record<string, unknown> },
    opts: { self: boolean; extra?: Partial<ContactRow> },
  ) {
    const extra = opts.extra ?? {};
    // Under the routing lock, like a routing pass: neither can fill the operator's last slot
    // behind the other's back.
    const [, [snapshot]] = await Promise.all([
      takeRoutingLock(tx, c.workspaceId), // sent first, see its note
      operatorsWithLoads(tx, c.workspaceId, { onlyIds: [operatorId] }),
    ]);
    if (!snapshot) fail(ErrorCode.NotFound, 'The operator');
    // The operator is judged against the contact as it will be handed over (a transfer may drop skills).
    const judged = opts.self ? { ...snapshot!, status: 'online' as const } : snapshot!;
    const reason = whyNot(toQueueItem({ ...c, ...extra }, 'least_busy'), judged);
    if (reason) fail(ErrorCode.Forbidden, `${who} ${reason}.`);
    const now = clock.now();
    await tx
      .update(contacts)
      .set({
        ...extra,
        status: c.firstResponseAt ? 'active' : 'assigned',
        assigneeId: operatorId,
        assignedAt: now,
        updatedAt: now,
      })
      .where(eq(contacts.id, c.id));
    await tx.update(users).set({ lastAssignedAt: now }).where(eq(users.id, operatorId));
    await tx
      .insert(contactEvents)
      .values({ contactId: c.id, kind: event.kind, actorId: event.actorId, data: event.data, at: now });
  }

  async function assignedEvents(
    workspaceId: string,
    contactId: string,
    operatorId: string,
  ): Promise<ChatEvent[]> {
    const [op] = await db
      .select({ id: users.id, name: users.name, avatarUrl: users.avatarUrl })
      .from(users)
      .where(eq(users.id, operatorId));
    return [
      { kind: 'assigned', workspaceId, contactId, operator: op! },
      await contactEvent(workspaceId, contactId),
    ];
  }

  /** An operator takes a queued contact themselves: the same eligibility as the router's. */
  async function accept(user: Actor, contactId: string) {
    await db.transaction(async (tx) => {
      const c = await repo.lockContact(tx, contactId);
      if (!c || c.workspaceId !== user.workspaceId) return fail(ErrorCode.NotFound, 'The conversation');
      if (c.status !== 'queued') fail(ErrorCode.Validation, 'Only a queued conversation can be accepted.');
      await handTo(
        tx,
        c,
        user.id,
        user.name,
        { kind: 'accepted', actorId: user.id, data: {} },
        { self: true },
      );
    });
    publish(await assignedEvents(user.workspaceId, contactId, user.id));
    await router.publishPositions(user.workspaceId);
  }

  /**
   * Hands a conversation to another operator (who must be able to take it now), or back to the
   * queue for everyone with a skill. The conversation, its messages and its place in the queue stay.
   */
  async function transfer(
    user: Actor,
    contactId: string,
    to: { operatorId: string } | { skill: string },
    note: string | undefined,
  ) {
    const handoffNote = note?.trim() || null;
    const target = await db.transaction(async (tx) => {
      const c = await repo.lockContact(tx, contactId);
      if (!c || c.workspaceId !== user.workspaceId) return fail(ErrorCode.NotFound, 'The conversation');
      if (!['assigned', 'active', 'queued'].includes(c.status)) fail(ErrorCode.ContactClosed);
      if (user.role === 'operator' && c.assigneeId !== user.id) {
        fail(
          ErrorCode.Forbidden,
          'Only the assignee, a supervisor or an admin can transfer this conversation.',
        );
      }
      const data = { from: c.assigneeId, note: handoffNote, ...to };
      if ('operatorId' in to) {
        if (to.operatorId === c.assigneeId)
          fail(ErrorCode.Validation, 'The conversation is already with this operator.');
        const [op] = await tx
          .select({ name: users.name })
          .from(users)
          .where(and(eq(users.id, to.operatorId), eq(users.workspaceId, user.workspaceId)));
        if (!op) fail(ErrorCode.NotFound, 'The operator');
        await handTo(
          tx,
          c,
          to.operatorId,
          op!.name,
          { kind: 'transferred', actorId: user.id, data },
          { self: false, extra: { handoffNote } },
        );
        return to.operatorId;
      }
      const now = clock.now();
      await tx
        .update(contacts)
        .set({ status: 'queued', assigneeId: null, requiredSkills: [to.skill], handoffNote, updatedAt: now })
        .where(eq(contacts.id, contactId));
      await tx
        .insert(contactEvents)
        .values({ contactId, kind: 'transferred', actorId: user.id, data, at: now });
      return null;
    });
    if (target) publish(await assignedEvents(user.workspaceId, contactId, target));
    else publish([await contactEvent(user.workspaceId, contactId)]);
    await route(user.workspaceId);
  }

  /** `cheapest_first`: back to the queue for operators of a higher cost tier than this one. */
  async function escalate(user: Actor, contactId: string, note: string | undefined) {
    await db.transaction(async (tx) => {
      const c = await repo.lockContact(tx, contactId);
      if (!c || c.workspaceId !== user.workspaceId) return fail(ErrorCode.NotFound, 'The conversation');
      if (c.assigneeId !== user.id)
        fail(ErrorCode.Forbidden, 'Only the assignee can escalate this conversation.');
      const [me] = await tx.select({ tier: users.costTier }).from(users).where(eq(users.id, user.id));
      const minTier = Math.max(c.minTier, me!.tier + 1);
      const [above] = await tx
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.workspaceId, user.workspaceId), sql`${users.costTier} >= ${minTier}`))
        .limit(1);
      if (!above)
        fail(
          ErrorCode.Validation,
          `Nobody works at tier ${minTier} or above; there is no one to escalate to.`,
        );
      const now = clock.now();
      await tx
        .update(contacts)
        .set({
          status: 'queued',
          assigneeId: null,
          minTier,
          handoffNote: note?.trim() || null,
          updatedAt: now,
        })
        .where(eq(contacts.id, contactId));
      await tx.insert(contactEvents).values({
        contactId,
        kind: 'escalated',
        actorId: user.id,
        data: { from: user.id, minTier, note: note ?? null },
        at: now,
      });
    });
    publish([await contactEvent(user.workspaceId, contactId)]);
    await route(user.workspaceId);
  }

  /**
   * A queued visitor asks to be called back: the contact becomes a voice item (it will take an
   * operator whole) and keeps its place in the queue.
   */
  async function requestCallback(site: SiteRow, visitorId: string, contactId: string, rawPhone: string) {
    const phone = normalizePhone(rawPhone, site.defaultCountry);
    if (!phone)
      fail(
        ErrorCode.Validation,
        'The phone number is not valid; include the country code, e.g. +36 20 123 4567.',
      );
    const workspaceId = await db.transaction(async (tx) => {
      const c = await repo.lockContact(tx, contactId);
      if (!c || c.visitorId !== visitorId) return fail(ErrorCode.NotFound, 'The conversation');
      if (c.status !== 'queued')
        fail(ErrorCode.Validation, 'An operator is already with you; ask them to call you.');
      const now = clock.now();
      await tx
        .update(contacts)
        .set({ channel: 'callback', callbackPhone: phone, updatedAt: now })
        .where(eq(contacts.id, contactId));
      await tx.insert(contactEvents).values({ contactId, kind: 'callback', data: { phone }, at: now });
      return c.workspaceId;
    });
    publish([await contactEvent(workspaceId, contactId)]);
    await route(workspaceId);
    return phone!;
  }

  async function close(
    contactId: string,
    check: (c: ContactRow) => void,
    actorId: string | null,
    status: 'closed' | 'abandoned' = 'closed',
  ) {
    const now = clock.now();
    const c = await db.transaction(async (tx) => {
      const c = await repo.lockContact(tx, contactId);
      if (!c) return fail(ErrorCode.NotFound, 'The conversation');
      check(c);
      if (c.status === 'closed' || c.status === 'abandoned') return c;
      // Leaving a conversation an operator already has ends it; leaving the queue abandons it.
      const final = status === 'abandoned' && c.status !== 'queued' ? 'closed' : status;
      await tx
        .update(contacts)
        .set({ status: final, closedAt: now, updatedAt: now })
        .where(eq(contacts.id, contactId));
      if (c.assigneeId) await tx.update(users).set({ lastEndedAt: now }).where(eq(users.id, c.assigneeId));
      await tx.insert(contactEvents).values({ contactId, kind: final, actorId, data: {}, at: now });
      return c;
    });
    publish([await contactEvent(c.workspaceId, contactId)]);
    await route(c.workspaceId);
  }

  const closeByOperator = (user: Actor, contactId: string) =>
    close(
      contactId,
      (c) => {
        if (c.workspaceId !== user.workspaceId) fail(ErrorCode.NotFound, 'The conversation');
        if (user.role === 'operator' && c.assigneeId !== user.id) {
          fail(ErrorCode.Forbidden, 'Only the assignee can close this conversation.');
        }
      },
      user.id,
    );

  /** The visitor leaves: a queued contact is abandoned (a lost contact), one in progress is closed. */
  const leave = (visitorId: string, contactId: string) =>
    close(
      contactId,
      (c) => {
        if (c.visitorId !== visitorId) fail(ErrorCode.NotFound, 'The conversation');
      },
      null,
      'abandoned',
    );

  /** Abandoned contacts nobody has called or written back yet, newest first. */
  function lostContacts(workspaceId: string): Promise<ContactSummary[]> {
    return repo.summaries(
      db,
      and(
        eq(contacts.workspaceId, workspaceId),
        eq(contacts.status, 'abandoned'),
        sql`${contacts.recontactedAt} is null`,
      ),
    );
  }

  /** Someone called or texted an abandoned visitor back: the contact leaves the lost list. */
  async function recontact(
    user: Actor,
    contactId: string,
    channel: 'call' | 'sms',
    note: string | undefined,
  ) {
    await db.transaction(async (tx) => {
      const c = await repo.lockContact(tx, contactId);
      if (!c || c.workspaceId !== user.workspaceId) return fail(ErrorCode.NotFound, 'The conversation');
      if (c.status !== 'abandoned')
        fail(ErrorCode.Validation, 'Only an abandoned contact can be re-contacted.');
      if (c.recontactedAt) fail(ErrorCode.Validation, 'This contact was re-contacted already.');
      const now = clock.now();
      await tx
        .update(contacts)
        .set({ recontactedAt: now, recontactedBy: user.id, recontactChannel: channel, updatedAt: now })
        .where(eq(contacts.id, contactId));
      await tx.insert(contactEvents).values({
        contactId,
        kind: 'recontacted',
        actorId: user.id,
        data: { channel, note: note ?? null },
        at: now,
      });
    });
    publish([await contactEvent(user.workspaceId, contactId)]);
  }

  /**
   * Someone leaves the team: their open conversations go back to the queue (keeping their place),
   * their sockets are told to go, and the router runs.
   */
  async function releaseOperator(workspaceId: string, userId: string, actorId: string) {
    const now = clock.now();
    const released = await db.transaction(async (tx) => {
      const rows = await tx
        .update(contacts)
        .set({ status: 'queued', assigneeId: null, assignedAt: null, updatedAt: now })
        .where(
          and(
            eq(contacts.workspaceId, workspaceId),
            eq(contacts.assigneeId, userId),
            inArray(contacts.status, ['assigned', 'active']),
          ),
        )
        .returning({ id: contacts.id });
      for (const r of rows) {
        await tx.insert(contactEvents).values({
          contactId: r.id,
          kind: 'requeued',
          actorId,
          data: { from: userId, reason: 'deactivated' },
          at: now,
        });
      }
      return rows.map((r) => r.id);
    });
    const events: ChatEvent[] = [
      { kind: 'presence', workspaceId, userId, status: 'offline' },
      { kind: 'signed-out', workspaceId, userId },
    ];
    for (const id of released) events.push(await contactEvent(workspaceId, id));
    publish(events);
    await route(workspaceId);
  }

  /** Visitors whose widget is open (or just closed) were seen at `at`. */
  async function touchVisitors(ids: string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await db.update(visitors).set({ lastSeenAt: at }).where(idIn(visitors.id, ids));
  }

  /**
   * Queued chats whose visitor was last seen before `cutoff` are abandoned (lost contacts), as if
   * the visitor had left. Callbacks stay: those visitors asked to be called, not to wait on the page.
   */
  async function abandonGone(cutoff: Date): Promise<number> {
    const gone = await db
      .select({ id: contacts.id })
      .from(contacts)
      .innerJoin(visitors, eq(visitors.id, contacts.visitorId))
      .where(
        and(
          eq(contacts.status, 'queued'),
          eq(contacts.channel, 'chat'),
          lt(visitors.lastSeenAt, sql`${cutoff.toISOString()}::timestamptz`),
        ),
      );
    const now = clock.now();
    const workspaces = new Set<string>();
    const events: ChatEvent[] = [];
    for (const { id } of gone) {
      const c = await db.transaction(async (tx) => {
        const c = await repo.lockContact(tx, id);
        if (c?.status !== 'queued' || c.channel !== 'chat') return null; // taken meanwhile
        await tx
          .update(contacts)
          .set({ status: 'abandoned', closedAt: now, updatedAt: now })
          .where(eq(contacts.id, id));
        await tx
          .insert(contactEvents)
          .values({ contactId: id, kind: 'abandoned', data: { reason: 'visitor gone' }, at: now });
        return c;
      });
      if (!c) continue;
      workspaces.add(c.workspaceId);
      events.push(await contactEvent(c.workspaceId, id));
    }
    publish(events);
    // The others move up.
    for (const w of workspaces) await route(w);
    return events.length;
  }

  async function anyoneOnline(workspaceId: string): Promise<boolean> {
    const [row] = await db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.workspaceId, workspaceId), eq(users.status, 'online')))
      .limit(1);
    return row !== undefined;
  }

  async function assigneeOf(contact: ContactRow): Promise<OperatorCard | null> {
    if (!contact.assigneeId) return null;
    const [op] = await db
      .select({ id: users.id, name: users.name, avatarUrl: users.avatarUrl })
      .from(users)
      .where(eq(users.id, contact.assigneeId));
    return op ?? null;
  }

  const openContacts = (workspaceId: string): Promise<ContactSummary[]> =>
    repo.openContactsOf(db, workspaceId);

  return {
    hello,
    start,
    leaveMessage,
    deleteMessage: moderation.deleteMessage,
    rate: moderation.rate,
    details: panel.details,
    linkClient: panel.linkClient,
    postVisitorMessage,
    postOperatorMessage,
    messagesForOperator,
    messagesForVisitor,
    setStatus,
    visitorSeen,
    operatorSeen,
    typing,
    accept,
    transfer,
    escalate,
    requestCallback,
    closeByOperator,
    leave,
    lostContacts,
    releaseOperator,
    touchVisitors,
    abandonGone,
    recontact,
    route,
    /** Failed routing passes are no longer run again by themselves (the server is stopping). */
    stop: router.close,
    positionOf: router.positionOf,
    anyoneOnline,
    assigneeOf,
    openContacts,
    contactFor,
    contactById,
  };
}

export type ChatService = ReturnType<typeof createChatService>;

const PROBLEM_TEXT: Record<AnswerProblem, string> = {
  required: 'is required',
  email: 'must be an e-mail address',
  phone: 'must be a phone number',
  choice: 'must be one of the offered options',
  unknown: 'is not a field of this questionnaire',
};

/**
 * Checks the questionnaire answers against the site's fields with the widget's own function;
 * unknown fields are refused, not dropped. The error names every refused field.
 */
export function validateAnswers(
  fields: readonly QuestionnaireField[],
  raw: Record<string, string>,
): Record<string, string> {
  const { answers, problems } = checkAnswers(fields, raw);
  if (problems.length > 0) {
    const label = (name: string) => fields.find((f) => f.name === name)?.label ?? `"${name}"`;
    const text = problems.map((p) => `${label(p.field)} ${PROBLEM_TEXT[p.problem]}`).join('; ');
    throw new ParleyError(ErrorCode.BadAnswers, `${text}.`);
  }
  return answers;
}
