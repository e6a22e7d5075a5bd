import type { Client, Order, QuestionnaireField, Task } from '@parley/protocol';
import { ErrorCode } from '@parley/protocol';
import {
  and,
  asc,
  desc,
  eq,
  exists,
  ilike,
  inArray,
  isNotNull,
  isNull,
  like,
  or,
  type SQL,
  sql,
} from 'drizzle-orm';
import { type Db, hasPgCode } from '../db/client.js';
import {
  type ClientCategory,
  type ClientRow,
  clientEmails,
  clientPhones,
  clients,
  contacts,
  type OrderRow,
  orders,
  type SiteRow,
  sites,
  type TaskRow,
  tasks,
  users,
} from '../db/schema/index.js';
import { fail } from '../errors.js';
import {
  type ClientMatch,
  type Identity,
  type MatchKind,
  matchKeys,
  normalizeEmail,
  prospectName,
  verifyIdentity,
} from './match.js';
import { normalizePhone } from './phones.js';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

// --- matching ----------------------------------------------------------------------------------

export interface MatchInput {
  workspaceId: string;
  site: Pick<SiteRow, 'secret' | 'defaultCountry' | 'createProspects'> & {
    settings?: { questionnaire: readonly Pick<QuestionnaireField, 'name' | 'kind'>[] };
  };
  /** Null for contacts without a widget visitor (calls). */
  visitorId: string | null;
  identity?: Identity | null | undefined;
  answers: Record<string, string>;
}

/**
 * The client a new contact belongs to: verified identity, then the questionnaire's e-mail, then its
 * phone, then the visitor's earlier conversations; with none, a new prospect when the site creates
 * them (match `created`), else null. A wrong identity hash is ignored, never trusted.
 *
 * A verified identity nobody has yet becomes a new client with that external id (match `identity`)
 * when the site creates prospects: the e-mail typed next to it is not proof enough to bind the
 * verified account to an existing client.
 */
export function matchClient(db: Db, input: MatchInput): Promise<ClientMatch | null> {
  return againOnLostRace(async () => {
    const { ctes, who } = matchingCtes(db, input);
    const [row] = await db
      .with(...ctes)
      .select({ clientId: who.clientId, match: who.match })
      .from(who);
    return row ?? null;
  });
}

/**
 * Runs a statement made with `matchingCtes` again when it lost the race to make a client: two starts
 * making the same prospect, the loser's statement fails on a unique index and stores nothing; the
 * next attempt finds the winner's client. A third loss is an error.
 */
export async function againOnLostRace<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!isUniqueViolation(err) || attempt === 2) throw err;
    }
  }
}

/**
 * The matching rules as statement parts (common table expressions), so that a new contact is
 * matched — and a new prospect made — inside the contact's own insert: a new chat waits on every
 * round trip. Its last part, `who`, is the client: one row or none (the client, how it matched,
 * its category, the owner of its open order and that order, the queue priority of its contacts).
 *
 * Every client the contact's keys point at is found (`found`), each with its category and owner;
 * when the site creates prospects and none of them will do, a new `prospect` client is made from
 * the questionnaire (`made`, with its e-mail and phone). It is made when nothing matched, or, with a
 * verified identity, when no client has that identity: the e-mail typed beside it is not proof
 * enough to bind the account to another client, so the new client keeps its e-mail and phone only
 * where nobody has them. `who` then ranks: identity, the new client, e-mail, phone, history.
 *
 * A concurrent writer that took the new client's external id, e-mail or phone first fails the whole
 * statement on a unique index (nothing is stored); going again finds its client. `onlyIf` (SQL
 * over the statement's snapshot) keeps the prospect from being made, as when the visitor turns out
 * to have a conversation open after all.
 */
export function matchingCtes(db: Db, input: MatchInput, onlyIf?: SQL) {
  const { workspaceId: ws, site, identity } = input;
  const k = matchKeys(input.answers, site.defaultCountry, site.settings?.questionnaire);
  const externalId =
    identity && verifyIdentity(identity.userId, identity.hash, site.secret) ? identity.userId : null;
  const ways: SQL[] = [];
  if (externalId) {
    ways.push(
      sql`select 'identity', id from ${clients} where workspace_id = ${ws} and external_id = ${externalId}`,
    );
  }
  if (k.email) {
    ways.push(
      sql`select 'email', client_id from ${clientEmails} where workspace_id = ${ws} and email = ${k.email}`,
    );
  }
  if (k.phone) {
    ways.push(
      sql`select 'phone', client_id from ${clientPhones} where workspace_id = ${ws} and e164 = ${k.phone}`,
    );
  }
  if (input.visitorId) {
    // The visitor's latest earlier conversation that had a client.
    ways.push(sql`(select 'history', client_id from ${contacts}
      where workspace_id = ${ws} and visitor_id = ${input.visitorId} and client_id is not null
      order by created_at desc, id desc limit 1)`);
  }
  const matches =
    ways.length > 0 ? sql.join(ways, sql` union all `) : sql`select null::text, null::uuid where false`;
  // The keys lead to the clients, one primary-key lookup each: as a plain join, a plan made while the
  // tables were young (no statistics yet) read every client of the workspace for each new chat (3,000
  // rows per chat with 3,000 clients). `limit 1` keeps the lookup a subquery the planner cannot turn
  // back into that join, and the workspace is checked outside it, so that only the primary key can
  // serve it (inside, the planner chose the workspace's index and read every client again).
  // The owner is the responsible employee of the client's newest open order who still works here.
  const found = db.$with('found', {}).as(sql`select m.match, m.client_id, c.category::text as category,
      own.owner_id, own.order_id
    from (${matches}) as m(match, client_id)
    join lateral (
      select category, workspace_id from ${clients} where id = m.client_id limit 1
    ) c on c.workspace_id = ${ws}
    left join lateral (
      select u.id as owner_id, o.id as order_id from ${orders} o
      join ${users} u on u.id = o.responsible_id and u.workspace_id = ${ws} and u.deactivated_at is null
      where o.workspace_id = ${ws} and o.client_id = m.client_id and o.open
      order by o.created_at desc, o.id desc limit 1
    ) own on true`);
  const needed = sql.join(
    [
      sql`${site.createProspects}::boolean`,
      externalId
        ? sql`not exists (select 1 from found where match = 'identity')`
        : sql`not exists (select 1 from found)`,
      onlyIf ?? sql`true`,
    ],
    sql` and `,
  );
  const made = db.$with('made', {}).as(sql`insert into ${clients} (workspace_id, external_id, name, category)
    select ${ws}, ${externalId}::text, ${prospectName(k, externalId)}, 'prospect' where ${needed}
    returning id`);
  // With a verified identity the address may well be another client's: keep the new client without it.
  const taken = externalId ? sql`on conflict do nothing` : sql``;
  const email = db.$with('made_email', {}).as(sql`insert into ${clientEmails} (workspace_id, client_id, email)
    select ${ws}, id, ${k.email}::text from made where ${k.email}::text is not null ${taken}`);
  const phone = db.$with('made_phone', {}).as(sql`insert into ${clientPhones} (workspace_id, client_id, e164)
    select ${ws}, id, ${k.phone}::text from made where ${k.phone}::text is not null ${taken}`);
  const rank = sql`case match when 'identity' then 0 when 'created' then 1 when 'email' then 2
    when 'phone' then 3 else 4 end`;
  const who = db
    .$with('who', {
      clientId: sql<string>`client_id`.as('client_id'),
      match: sql<MatchKind>`match`.as('match'),
      category: sql<ClientCategory>`category`.as('category'),
      ownerId: sql<string | null>`owner_id`.as('owner_id'),
      orderId: sql<string | null>`order_id`.as('order_id'),
      priority: sql<number>`priority`.mapWith(Number).as('priority'),
    })
    .as(sql`select client_id, match, category, owner_id, order_id,
      case when category = 'vip' then ${VIP_PRIORITY}::int else 0 end as priority
    from (
      select match, client_id, category, owner_id, order_id from found
      union all
      select ${externalId ? 'identity' : 'created'}::text, id, 'prospect', null::uuid, null::uuid from made
    ) as any_match
    order by ${rank} limit 1`);
  return { ctes: [found, made, email, phone, who], who };
}

export type IdentityStatus =
  | { status: 'verified'; name: string | null }
  | { status: 'rejected' }
  | { status: 'none' };

/** What the widget is told of `data-user-id`/`data-user-hash`: checked, and the client's name if known. */
export async function describeIdentity(
  db: Db,
  site: Pick<SiteRow, 'workspaceId' | 'secret'>,
  identity: { userId: string; hash: string } | undefined,
): Promise<IdentityStatus> {
  if (!identity) return { status: 'none' };
  if (!verifyIdentity(identity.userId, identity.hash, site.secret)) return { status: 'rejected' };
  const [row] = await db
    .select({ name: clients.name })
    .from(clients)
    .where(and(eq(clients.workspaceId, site.workspaceId), eq(clients.externalId, identity.userId)));
  return { status: 'verified', name: row?.name ?? null };
}

async function clientIdByExternalId(db: Db, workspaceId: string, externalId: string) {
  const [row] = await db
    .select({ id: clients.id })
    .from(clients)
    .where(and(eq(clients.workspaceId, workspaceId), eq(clients.externalId, externalId)));
  return row?.id ?? null;
}

async function clientIdByEmail(db: Db, workspaceId: string, email: string) {
  const [row] = await db
    .select({ id: clientEmails.clientId })
    .from(clientEmails)
    .where(and(eq(clientEmails.workspaceId, workspaceId), eq(clientEmails.email, email)));
  return row?.id ?? null;
}

async function clientIdByPhone(db: Db, workspaceId: string, e164: string) {
  const [row] = await db
    .select({ id: clientPhones.clientId })
    .from(clientPhones)
    .where(and(eq(clientPhones.workspaceId, workspaceId), eq(clientPhones.e164, e164)));
  return row?.id ?? null;
}

// --- ownership and tasks -----------------------------------------------------------------------

/**
 * Who owns the client's business: the responsible employee of its newest open order that has one
 * who still works here (deactivated users are skipped, falling back to an older open order).
 */
export async function ownerOf(
  db: Db,
  workspaceId: string,
  clientId: string,
): Promise<{ userId: string; orderId: string } | null> {
  const [row] = await db
    .select({ userId: users.id, orderId: orders.id })
    .from(orders)
    .innerJoin(
      users,
      and(
        eq(users.id, orders.responsibleId),
        eq(users.workspaceId, workspaceId),
        isNull(users.deactivatedAt),
      ),
    )
    .where(and(eq(orders.workspaceId, workspaceId), eq(orders.clientId, clientId), eq(orders.open, true)))
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(1);
  return row ?? null;
}

export interface NewTask {
  workspaceId: string;
  assigneeId: string;
  title: string;
  contactId?: string | null;
  clientId?: string | null;
  orderId?: string | null;
  dueAt?: Date | null;
}

/** A task's title as stored: longer ones are cut (also for statements that insert a task themselves). */
export const taskTitle = (title: string) => title.slice(0, 500);

export async function createTask(db: Db, t: NewTask): Promise<TaskRow> {
  const [row] = await db
    .insert(tasks)
    .values({
      workspaceId: t.workspaceId,
      assigneeId: t.assigneeId,
      title: taskTitle(t.title),
      contactId: t.contactId ?? null,
      clientId: t.clientId ?? null,
      orderId: t.orderId ?? null,
      dueAt: t.dueAt ?? null,
    })
    .returning();
  return row!;
}

export const toTask = (t: TaskRow): Task => ({
  id: t.id,
  title: t.title,
  assigneeId: t.assigneeId,
  contactId: t.contactId,
  clientId: t.clientId,
  orderId: t.orderId,
  dueAt: iso(t.dueAt),
  doneAt: iso(t.doneAt),
  createdAt: t.createdAt.toISOString(),
});

export async function tasksOf(
  db: Db,
  workspaceId: string,
  assigneeId: string,
  open: boolean,
): Promise<Task[]> {
  const rows = await db
    .select()
    .from(tasks)
    .where(
      and(
        eq(tasks.workspaceId, workspaceId),
        eq(tasks.assigneeId, assigneeId),
        open ? isNull(tasks.doneAt) : isNotNull(tasks.doneAt),
      ),
    )
    .orderBy(open ? asc(tasks.createdAt) : desc(tasks.doneAt))
    .limit(500);
  return rows.map(toTask);
}

/** Marks a task done (once: a second call keeps the first time). Operators close only their own. */
export async function completeTask(
  db: Db,
  actor: { id: string; workspaceId: string; role: string },
  taskId: string,
  now: Date,
): Promise<Task> {
  const [t] = await db
    .select()
    .from(tasks)
    .where(and(eq(tasks.id, taskId), eq(tasks.workspaceId, actor.workspaceId)));
  if (!t) return fail(ErrorCode.NotFound, 'The task');
  if (t.assigneeId !== actor.id && actor.role === 'operator') {
    fail(ErrorCode.Forbidden, 'This task is assigned to someone else.');
  }
  if (t.doneAt) return toTask(t);
  const [done] = await db
    .update(tasks)
    .set({ doneAt: now })
    .where(and(eq(tasks.id, taskId), isNull(tasks.doneAt)))
    .returning();
  return toTask(done ?? t);
}

// --- clients and orders: reads -----------------------------------------------------------------

type OrderWithName = OrderRow & { responsibleName: string | null };

export const toOrder = (o: OrderWithName): Order => ({
  id: o.id,
  clientId: o.clientId,
  externalRef: o.externalRef,
  title: o.title,
  stage: o.stage,
  responsibleId: o.responsibleId,
  responsibleName: o.responsibleName,
  amountDue: o.amountDue,
  currency: o.currency,
  open: o.open,
  createdAt: o.createdAt.toISOString(),
});

async function ordersWithNames(db: Db, where: SQL | undefined): Promise<OrderWithName[]> {
  const rows = await db
    .select({ o: orders, responsibleName: users.name })
    .from(orders)
    .leftJoin(users, eq(users.id, orders.responsibleId))
    .where(where)
    .orderBy(desc(orders.open), desc(orders.createdAt), desc(orders.id));
  return rows.map((r) => ({ ...r.o, responsibleName: r.responsibleName }));
}

/** Full client cards (phones, e-mails, orders with the responsible's name), in the order of `ids`. */
export async function clientCards(db: Db, workspaceId: string, ids: string[]): Promise<Client[]> {
  if (ids.length === 0) return [];
  const [rows, phones, emails, orderRows] = await Promise.all([
    db
      .select()
      .from(clients)
      .where(and(eq(clients.workspaceId, workspaceId), inArray(clients.id, ids))),
    db
      .select()
      .from(clientPhones)
      .where(and(eq(clientPhones.workspaceId, workspaceId), inArray(clientPhones.clientId, ids)))
      .orderBy(asc(clientPhones.e164)),
    db
      .select()
      .from(clientEmails)
      .where(and(eq(clientEmails.workspaceId, workspaceId), inArray(clientEmails.clientId, ids)))
      .orderBy(asc(clientEmails.email)),
    ordersWithNames(db, and(eq(orders.workspaceId, workspaceId), inArray(orders.clientId, ids))),
  ]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const c = byId.get(id);
    if (!c) return [];
    return [
      toClient(
        c,
        phones.filter((p) => p.clientId === id).map((p) => p.e164),
        emails.filter((e) => e.clientId === id).map((e) => e.email),
        orderRows.filter((o) => o.clientId === id).map(toOrder),
      ),
    ];
  });
}

const toClient = (c: ClientRow, phones: string[], emails: string[], orderList: Order[]): Client => ({
  id: c.id,
  externalId: c.externalId,
  name: c.name,
  company: c.company,
  category: c.category,
  note: c.note,
  photoUrl: c.photoUrl,
  city: c.city,
  country: c.country,
  responsibleId: c.responsibleId,
  phones,
  emails,
  orders: orderList,
  createdAt: c.createdAt.toISOString(),
});

export async function clientCard(db: Db, workspaceId: string, id: string): Promise<Client> {
  const [card] = await clientCards(db, workspaceId, [id]);
  return card ?? fail(ErrorCode.NotFound, 'The client');
}

/** `%`, `_` and `\` match themselves. */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Clients whose name, company, e-mail or phone contains `q` (case-insensitive); all when `q` is empty. */
export async function searchClients(
  db: Db,
  workspaceId: string,
  q: string,
  limit: number,
): Promise<Client[]> {
  const text = q.trim();
  const conditions: SQL[] = [eq(clients.workspaceId, workspaceId)];
  if (text) {
    const pattern = `%${likeEscape(text)}%`;
    const either: SQL[] = [
      ilike(clients.name, pattern),
      ilike(clients.company, pattern),
      exists(
        db
          .select({ one: sql`1` })
          .from(clientEmails)
          .where(and(eq(clientEmails.clientId, clients.id), like(clientEmails.email, pattern.toLowerCase()))),
      ),
    ];
    const digits = text.replace(/\D/g, '');
    // "06 30 123" and "+36 30 123" both find +3630123…: compare digits, ignoring a national prefix.
    if (digits.length >= 3) {
      const national = digits.replace(/^0+/, '');
      either.push(
        exists(
          db
            .select({ one: sql`1` })
            .from(clientPhones)
            .where(and(eq(clientPhones.clientId, clients.id), like(clientPhones.e164, `%${national}%`))),
        ),
      );
    }
    conditions.push(or(...either)!);
  }
  const ids = await db
    .select({ id: clients.id })
    .from(clients)
    .where(and(...conditions))
    .orderBy(asc(clients.name), asc(clients.id))
    .limit(limit);
  return clientCards(
    db,
    workspaceId,
    ids.map((r) => r.id),
  );
}

/** The country for phone numbers written without a code: the workspace's first site's. */
export async function defaultCountryOf(db: Db, workspaceId: string): Promise<string | null> {
  const [s] = await db
    .select({ country: sites.defaultCountry })
    .from(sites)
    .where(eq(sites.workspaceId, workspaceId))
    .orderBy(asc(sites.createdAt))
    .limit(1);
  return s?.country ?? null;
}

// --- clients and orders: writes ----------------------------------------------------------------

const invalid = (message: string): never => fail(ErrorCode.Validation, message);
/** A number, address or external id that another client of the workspace has: 409, not a bad value. */
const taken = (message: string): never => fail(ErrorCode.Conflict, message);

/** `responsibleId` must name an active user of the workspace. */
async function checkResponsible(db: Db, workspaceId: string, id: string | null | undefined, field: string) {
  if (!id) return;
  const [u] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, id), eq(users.workspaceId, workspaceId), isNull(users.deactivatedAt)));
  if (!u) invalid(`${field}: no active user of this workspace has the id ${id}`);
}

/** Why a number was refused, with the country it was read in. */
export const phoneProblem = (raw: string, country: string | null): string =>
  `"${raw}" is not a valid phone number` +
  (country
    ? ` (numbers without a country code are read as ${country})`
    : ' (no default country: write it with its country code, e.g. +36…)');

/** E.164 numbers, de-duplicated; the first bad one is refused naming `fieldOf(index)`. */
export function parsePhones(raw: readonly string[], country: string | null, fieldOf: (i: number) => string) {
  const out = raw.map(
    (p, i) => normalizePhone(p, country) ?? invalid(`${fieldOf(i)}: ${phoneProblem(p, country)}`),
  );
  return [...new Set(out)];
}

export function parseEmails(raw: readonly string[], fieldOf: (i: number) => string): string[] {
  const out = raw.map(
    (e, i) => normalizeEmail(e) ?? invalid(`${fieldOf(i)}: "${e}" is not an e-mail address`),
  );
  return [...new Set(out)];
}

/** Adds numbers to a client; one that belongs to another client of the workspace is refused. */
export async function attachPhones(
  db: Db,
  workspaceId: string,
  clientId: string,
  e164s: string[],
  field: string,
) {
  for (const e164 of e164s) {
    await db.insert(clientPhones).values({ workspaceId, clientId, e164 }).onConflictDoNothing();
    const owner = await clientIdByPhone(db, workspaceId, e164);
    if (owner !== clientId)
      taken(`${field}: ${e164} belongs to another client (${await clientName(db, owner)})`);
  }
}

export async function attachEmails(
  db: Db,
  workspaceId: string,
  clientId: string,
  list: string[],
  field: string,
) {
  for (const email of list) {
    await db.insert(clientEmails).values({ workspaceId, clientId, email }).onConflictDoNothing();
    const owner = await clientIdByEmail(db, workspaceId, email);
    if (owner !== clientId)
      taken(`${field}: ${email} belongs to another client (${await clientName(db, owner)})`);
  }
}

async function clientName(db: Db, id: string | null): Promise<string> {
  if (!id) return 'unknown';
  const [c] = await db.select({ name: clients.name }).from(clients).where(eq(clients.id, id));
  return c?.name ?? 'unknown';
}

export interface ClientFields {
  externalId?: string | null | undefined;
  name?: string | undefined;
  company?: string | null | undefined;
  category?: ClientCategory | undefined;
  note?: string | null | undefined;
  photoUrl?: string | null | undefined;
  city?: string | null | undefined;
  country?: string | null | undefined;
  responsibleId?: string | null | undefined;
}

/** Empty strings mean "none": a cleared form field stores null, not "". */
function cleanFields(f: ClientFields): ClientFields {
  const out: ClientFields = {};
  for (const [k, v] of Object.entries(f) as [keyof ClientFields, ClientFields[keyof ClientFields]][]) {
    if (v === undefined) continue;
    const value = typeof v === 'string' ? v.trim() : v;
    (out as Record<string, unknown>)[k] = value === '' && k !== 'name' ? null : value;
  }
  if (out.name !== undefined && !out.name) invalid('name: must not be empty');
  return out;
}

async function checkExternalId(
  db: Db,
  workspaceId: string,
  externalId: string | null | undefined,
  self: string | null,
) {
  if (!externalId) return;
  const owner = await clientIdByExternalId(db, workspaceId, externalId);
  if (owner && owner !== self) {
    taken(`externalId: "${externalId}" belongs to another client (${await clientName(db, owner)})`);
  }
}

/** One transaction: the client, its numbers and addresses; nothing is written when any is refused. */
export async function createClient(
  db: Db,
  workspaceId: string,
  input: ClientFields & {
    name: string;
    phones?: string[];
    emails?: string[];
    phoneCountry?: string | undefined;
  },
): Promise<Client> {
  const { phones = [], emails = [], phoneCountry, ...rest } = input;
  const fields = cleanFields(rest);
  const country = phoneCountry ?? (await defaultCountryOf(db, workspaceId));
  const e164s = parsePhones(phones, country, (i) => `phones.${i}`);
  const addresses = parseEmails(emails, (i) => `emails.${i}`);
  await checkResponsible(db, workspaceId, fields.responsibleId, 'responsibleId');
  const id = await db.transaction(async (tx) => {
    await checkExternalId(tx, workspaceId, fields.externalId, null);
    // The only unique key besides the id is the external id: a concurrent insert took it after the check.
    const [c] = await tx
      .insert(clients)
      .values({ ...fields, name: fields.name!, workspaceId })
      .onConflictDoNothing()
      .returning({ id: clients.id });
    if (!c) taken(`externalId: "${fields.externalId}" belongs to another client`);
    await attachPhones(tx, workspaceId, c!.id, e164s, 'phones');
    await attachEmails(tx, workspaceId, c!.id, addresses, 'emails');
    return c!.id;
  });
  return clientCard(db, workspaceId, id);
}

export async function updateClient(
  db: Db,
  workspaceId: string,
  id: string,
  input: ClientFields,
): Promise<Client> {
  const fields = cleanFields(input);
  await checkResponsible(db, workspaceId, fields.responsibleId, 'responsibleId');
  await db.transaction(async (tx) => {
    const [c] = await tx
      .select({ id: clients.id })
      .from(clients)
      .where(and(eq(clients.id, id), eq(clients.workspaceId, workspaceId)))
      .for('update');
    if (!c) fail(ErrorCode.NotFound, 'The client');
    await checkExternalId(tx, workspaceId, fields.externalId, id);
    try {
      await tx
        .update(clients)
        .set({ ...fields, updatedAt: new Date() })
        .where(eq(clients.id, id));
    } catch (err) {
      // A concurrent write took the external id after the check.
      if (isUniqueViolation(err)) taken(`externalId: "${fields.externalId}" belongs to another client`);
      throw err;
    }
  });
  return clientCard(db, workspaceId, id);
}

/** PostgreSQL's unique_violation, raw or wrapped by drizzle. */
const isUniqueViolation = (err: unknown) => hasPgCode(err, '23505');

async function requireClient(db: Db, workspaceId: string, id: string) {
  const [c] = await db
    .select({ id: clients.id })
    .from(clients)
    .where(and(eq(clients.id, id), eq(clients.workspaceId, workspaceId)));
  if (!c) fail(ErrorCode.NotFound, 'The client');
}

export async function addPhone(
  db: Db,
  workspaceId: string,
  clientId: string,
  phone: string,
  country: string | undefined,
): Promise<Client> {
  await requireClient(db, workspaceId, clientId);
  const e164s = parsePhones([phone], country ?? (await defaultCountryOf(db, workspaceId)), () => 'phone');
  await db.transaction((tx) => attachPhones(tx, workspaceId, clientId, e164s, 'phone'));
  return clientCard(db, workspaceId, clientId);
}

export async function addEmail(
  db: Db,
  workspaceId: string,
  clientId: string,
  email: string,
): Promise<Client> {
  await requireClient(db, workspaceId, clientId);
  const list = parseEmails([email], () => 'email');
  await db.transaction((tx) => attachEmails(tx, workspaceId, clientId, list, 'email'));
  return clientCard(db, workspaceId, clientId);
}

export interface OrderFields {
  title?: string | undefined;
  externalRef?: string | null | undefined;
  stage?: string | undefined;
  responsibleId?: string | null | undefined;
  amountDue?: string | undefined;
  currency?: string | undefined;
  open?: boolean | undefined;
}

async function orderCard(db: Db, workspaceId: string, id: string): Promise<Order> {
  const [o] = await ordersWithNames(db, and(eq(orders.id, id), eq(orders.workspaceId, workspaceId)));
  return o ? toOrder(o) : fail(ErrorCode.NotFound, 'The order');
}

async function checkOrderRef(db: Db, workspaceId: string, ref: string | null | undefined) {
  if (!ref) return;
  const [o] = await db
    .select({ id: orders.id })
    .from(orders)
    .where(and(eq(orders.workspaceId, workspaceId), eq(orders.externalRef, ref)));
  if (o) invalid(`externalRef: another order has the reference "${ref}"`);
}

export async function createOrder(
  db: Db,
  workspaceId: string,
  clientId: string,
  input: OrderFields & { title: string },
): Promise<Order> {
  await requireClient(db, workspaceId, clientId);
  await checkResponsible(db, workspaceId, input.responsibleId, 'responsibleId');
  const title = input.title.trim() || invalid('title: must not be empty');
  const externalRef = input.externalRef?.trim() || null;
  await checkOrderRef(db, workspaceId, externalRef);
  const [o] = await db
    .insert(orders)
    .values({
      workspaceId,
      clientId,
      title,
      externalRef,
      stage: input.stage?.trim() || 'new',
      responsibleId: input.responsibleId ?? null,
      amountDue: input.amountDue ?? '0',
      currency: input.currency ?? 'EUR',
      open: input.open ?? true,
    })
    .onConflictDoNothing()
    .returning({ id: orders.id });
  // A concurrent insert took the reference between the check and the insert.
  if (!o) return invalid(`externalRef: another order has the reference "${externalRef}"`);
  return orderCard(db, workspaceId, o.id);
}

export async function updateOrder(
  db: Db,
  workspaceId: string,
  id: string,
  input: OrderFields,
): Promise<Order> {
  await checkResponsible(db, workspaceId, input.responsibleId, 'responsibleId');
  const patch: Partial<typeof orders.$inferInsert> = { updatedAt: new Date() };
  if (input.title !== undefined) patch.title = input.title.trim() || invalid('title: must not be empty');
  if (input.stage !== undefined) patch.stage = input.stage.trim() || invalid('stage: must not be empty');
  if (input.responsibleId !== undefined) patch.responsibleId = input.responsibleId;
  if (input.amountDue !== undefined) patch.amountDue = input.amountDue;
  if (input.open !== undefined) patch.open = input.open;
  const [o] = await db
    .update(orders)
    .set(patch)
    .where(and(eq(orders.id, id), eq(orders.workspaceId, workspaceId)))
    .returning({ id: orders.id });
  if (!o) fail(ErrorCode.NotFound, 'The order');
  return orderCard(db, workspaceId, id);
}

/** Queue priority of a VIP client's contacts; everyone else has 0. */
export const VIP_PRIORITY = 10;

// --- the chat service's `identify` hook ---------------------------------------------------------

/**
 * `createChatService({ identify: identifyContact(db) })`: the new contact's client and the owner of
 * its open order, matched inside the contact's own statement (see `matchingCtes`). A prospect made
 * there is stored with the contact, or not at all.
 */
export const identifyContact =
  (db: Db) =>
  (input: {
    site: SiteRow;
    visitorId: string;
    answers: Record<string, string>;
    identity?: Identity | undefined;
    onlyIf: SQL;
  }) =>
    matchingCtes(
      db,
      {
        workspaceId: input.site.workspaceId,
        site: input.site,
        visitorId: input.visitorId,
        identity: input.identity,
        answers: input.answers,
      },
      input.onlyIf,
    );
