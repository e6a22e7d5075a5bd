import { ErrorCode } from '@parley/protocol';
import { eq } from 'drizzle-orm';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../auth/repo.js';
import { clients, sites, users, workspaces } from '../db/schema/index.js';
import { type Harness, startHarness } from '../test/harness.js';
import { createTask } from './repo.js';

let h: Harness;
let admin: string;
let supervisor: string;
let op: Awaited<ReturnType<Harness['createOperator']>>;
beforeAll(async () => {
  h = await startHarness();
  await h.database.db
    .update(sites)
    .set({ defaultCountry: 'HU' })
    .where(eq(sites.workspaceId, h.boot.workspaceId));
  admin = await h.login('admin@parley.local', h.adminPassword);
  await createUser(h.database.db, {
    workspaceId: h.boot.workspaceId,
    email: 'sup@example.com',
    name: 'Sári Supervisor',
    role: 'supervisor',
    password: 'supervisor-password',
  });
  supervisor = await h.login('sup@example.com', 'supervisor-password');
  op = await h.createOperator('Olga Operator');
});
afterAll(() => h.close());

const call = async (
  cookie: string | null,
  method: InjectOptions['method'],
  url: string,
  payload?: object,
) => {
  const res = await h.app.inject({
    method,
    url,
    ...(payload ? { payload } : {}),
    headers: cookie ? { cookie } : {},
  });
  return { status: res.statusCode, body: res.json() };
};
const clientCount = async () =>
  (await h.database.db.select().from(clients).where(eq(clients.workspaceId, h.boot.workspaceId))).length;
const validation = (message: string) => ({ code: ErrorCode.Validation, message });
/** Someone else's number, address or external id: 409, the value itself is fine. */
const conflict = (message: string) => ({ code: ErrorCode.Conflict, message });

describe('clients API', () => {
  it('operators read, create clients and add phones and e-mails; changing the rest needs a supervisor; nothing without a session', async () => {
    expect((await call(null, 'GET', '/api/v1/clients')).status).toBe(401);
    expect((await call(op.cookie, 'GET', '/api/v1/clients')).status).toBe(200);
    const made = await call(op.cookie, 'POST', '/api/v1/clients', { name: 'From the inbox' });
    expect(made.status).toBe(201);
    expect(
      (
        await call(op.cookie, 'POST', `/api/v1/clients/${made.body.id}/emails`, {
          email: 'inbox@example.com',
        })
      ).status,
    ).toBe(200);
    expect(
      (await call(op.cookie, 'POST', `/api/v1/clients/${made.body.id}/phones`, { phone: '+36 30 111 2233' }))
        .status,
    ).toBe(200);
    const refused = await call(op.cookie, 'PATCH', `/api/v1/clients/${made.body.id}`, { category: 'vip' });
    expect(refused).toEqual({
      status: 403,
      body: { code: ErrorCode.Forbidden, message: 'This needs the role supervisor or admin.' },
    });
    expect(
      (
        await call(op.cookie, 'POST', `/api/v1/clients/${made.body.id}/orders`, {
          title: 'X',
          stage: 'new',
          amountDue: '1',
        })
      ).status,
    ).toBe(403);
    expect((await call(supervisor, 'POST', '/api/v1/clients', { name: 'By supervisor' })).status).toBe(201);
    const spec = (await call(null, 'GET', '/api/v1/openapi.json')).body as { paths: Record<string, unknown> };
    for (const path of [
      '/api/v1/clients',
      '/api/v1/clients/{id}',
      '/api/v1/clients/{id}/phones',
      '/api/v1/clients/{id}/emails',
      '/api/v1/clients/{id}/orders',
      '/api/v1/orders/{id}',
      '/api/v1/tasks',
      '/api/v1/tasks/{id}/done',
    ]) {
      expect(spec.paths, path).toHaveProperty([path]);
    }
  });

  it('creates a client with normalized numbers and addresses, and reads it back', async () => {
    const created = await call(admin, 'POST', '/api/v1/clients', {
      name: 'Kovács Bence',
      company: 'Kovács Kft',
      category: 'vip',
      externalId: 'C-100',
      phones: ['06 30 123 4567', '+994 50 123 45 67'],
      emails: ['Bence@Kovacs.HU'],
      city: '',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Kovács Bence',
      company: 'Kovács Kft',
      category: 'vip',
      externalId: 'C-100',
      city: null,
      phones: ['+36301234567', '+994501234567'],
      emails: ['bence@kovacs.hu'],
      orders: [],
    });
    const read = await call(op.cookie, 'GET', `/api/v1/clients/${created.body.id}`);
    expect(read).toEqual({ status: 200, body: created.body });
    // A number in another country's national form, with the country named.
    const added = await call(admin, 'POST', `/api/v1/clients/${created.body.id}/phones`, {
      phone: '0912 345 678',
      country: 'VN',
    });
    expect(added.body.phones).toEqual(['+36301234567', '+84912345678', '+994501234567']);
    // Adding a number it already has changes nothing.
    const again = await call(admin, 'POST', `/api/v1/clients/${created.body.id}/phones`, {
      phone: '+36 30 123 4567',
    });
    expect(again.body.phones).toHaveLength(3);
    const mail = await call(admin, 'POST', `/api/v1/clients/${created.body.id}/emails`, {
      email: ' Office@Kovacs.hu',
    });
    expect(mail.body.emails).toEqual(['bence@kovacs.hu', 'office@kovacs.hu']);
  });

  it('refuses bad client bodies with a code and the field, writing nothing', async () => {
    const owner = (
      await call(admin, 'POST', '/api/v1/clients', {
        name: 'Owner',
        phones: ['+36 1 234 5678'],
        emails: ['own@example.com'],
      })
    ).body;
    const before = await clientCount();
    const cases: [object, { code: string; message: string }][] = [
      [{}, validation("body: must have required property 'name'")],
      [{ name: 'X', category: 'gold' }, validation('category: must be equal to constant')],
      [{ name: 'X', nickname: 'Y' }, validation('body: must NOT have additional properties (nickname)')],
      [
        { name: 'X', phones: ['+36 30 123 4567', '123'] },
        validation(
          'phones.1: "123" is not a valid phone number (numbers without a country code are read as HU)',
        ),
      ],
      [{ name: 'X', emails: ['nope'] }, validation('emails.0: "nope" is not an e-mail address')],
      [
        { name: 'X', responsibleId: '00000000-0000-4000-8000-000000000000' },
        validation(
          'responsibleId: no active user of this workspace has the id 00000000-0000-4000-8000-000000000000',
        ),
      ],
      // The client row is inserted first inside the transaction: these prove it is rolled back.
      [
        { name: 'X', phones: ['06 1 234 5678'] },
        conflict('phones: +3612345678 belongs to another client (Owner)'),
      ],
      [
        { name: 'X', emails: ['OWN@example.com'] },
        conflict('emails: own@example.com belongs to another client (Owner)'),
      ],
      [
        { name: 'X', externalId: 'C-100' },
        conflict('externalId: "C-100" belongs to another client (Kovács Bence)'),
      ],
    ];
    for (const [payload, error] of cases) {
      const res = await call(admin, 'POST', '/api/v1/clients', payload);
      const status = error.code === ErrorCode.Conflict ? 409 : 400;
      expect({ payload, ...res }).toEqual({ payload, status, body: error });
    }
    expect(await clientCount()).toBe(before);
    expect(owner.phones).toEqual(['+3612345678']);
  });

  it('updates a client and refuses bad updates', async () => {
    const c = (await call(admin, 'POST', '/api/v1/clients', { name: 'Zaur', note: 'old' })).body;
    const other = (await call(admin, 'POST', '/api/v1/clients', { name: 'Other', externalId: 'O-1' })).body;
    const ok = await call(supervisor, 'PATCH', `/api/v1/clients/${c.id}`, {
      category: 'problem',
      note: null,
      responsibleId: op.id,
      country: 'AZ',
    });
    expect(ok.body).toMatchObject({
      name: 'Zaur',
      category: 'problem',
      note: null,
      responsibleId: op.id,
      country: 'AZ',
    });
    const bad: [string, object, number, object][] = [
      [c.id, {}, 400, validation('body: must NOT have fewer than 1 properties')],
      [c.id, { name: '  ' }, 400, validation('name: must not be empty')],
      [c.id, { externalId: 'O-1' }, 409, conflict('externalId: "O-1" belongs to another client (Other)')],
      [
        '00000000-0000-4000-8000-000000000000',
        { name: 'Y' },
        404,
        { code: ErrorCode.NotFound, message: 'The client was not found.' },
      ],
      ['nope', { name: 'Y' }, 400, validation('id: must match format "uuid"')],
    ];
    for (const [id, payload, status, body] of bad) {
      expect(await call(admin, 'PATCH', `/api/v1/clients/${id}`, payload)).toEqual({ status, body });
    }
    expect((await call(admin, 'GET', `/api/v1/clients/${c.id}`)).body).toEqual(ok.body);
    expect((await call(admin, 'GET', `/api/v1/clients/${other.id}`)).body.externalId).toBe('O-1');
  });

  it('refuses a number or address that belongs to another client, and junk', async () => {
    const a = (await call(admin, 'POST', '/api/v1/clients', { name: 'Amira', phones: ['+971 50 123 4567'] }))
      .body;
    const b = (await call(admin, 'POST', '/api/v1/clients', { name: 'Bilal', emails: ['bilal@example.ae'] }))
      .body;
    expect(await call(admin, 'POST', `/api/v1/clients/${b.id}/phones`, { phone: '+971501234567' })).toEqual({
      status: 409,
      body: conflict('phone: +971501234567 belongs to another client (Amira)'),
    });
    expect(
      await call(admin, 'POST', `/api/v1/clients/${a.id}/emails`, { email: 'BILAL@example.ae' }),
    ).toEqual({
      status: 409,
      body: conflict('email: bilal@example.ae belongs to another client (Bilal)'),
    });
    expect(await call(admin, 'POST', `/api/v1/clients/${a.id}/phones`, { phone: 'call me' })).toEqual({
      status: 400,
      body: validation(
        'phone: "call me" is not a valid phone number (numbers without a country code are read as HU)',
      ),
    });
    expect(await call(admin, 'POST', `/api/v1/clients/${a.id}/emails`, { email: 'a@b' })).toEqual({
      status: 400,
      body: validation('email: "a@b" is not an e-mail address'),
    });
    expect(await call(admin, 'POST', `/api/v1/clients/${a.id}/phones`, {})).toEqual({
      status: 400,
      body: validation("body: must have required property 'phone'"),
    });
    const missing = await call(admin, 'POST', '/api/v1/clients/00000000-0000-4000-8000-000000000000/phones', {
      phone: '+36301234567',
    });
    expect(missing.status).toBe(404);
    const after = (await call(admin, 'GET', `/api/v1/clients/${b.id}`)).body;
    expect([after.phones, after.emails]).toEqual([[], ['bilal@example.ae']]);
  });

  it('adds and changes orders; the card shows the responsible by name', async () => {
    const c = (await call(admin, 'POST', '/api/v1/clients', { name: 'Hoa' })).body;
    const made = await call(admin, 'POST', `/api/v1/clients/${c.id}/orders`, {
      title: 'Kitchen',
      externalRef: 'K-1',
      responsibleId: op.id,
      amountDue: '99.5',
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      clientId: c.id,
      title: 'Kitchen',
      externalRef: 'K-1',
      stage: 'new',
      responsibleId: op.id,
      responsibleName: 'Olga Operator',
      amountDue: '99.50',
      currency: 'EUR',
      open: true,
    });
    const changed = await call(supervisor, 'PATCH', `/api/v1/orders/${made.body.id}`, {
      stage: 'installed',
      responsibleId: null,
      amountDue: '0',
      open: false,
    });
    expect(changed.body).toMatchObject({
      stage: 'installed',
      responsibleId: null,
      responsibleName: null,
      amountDue: '0.00',
      open: false,
    });
    expect((await call(op.cookie, 'GET', `/api/v1/clients/${c.id}`)).body.orders).toEqual([changed.body]);

    const bad: [string, string, object, number, object][] = [
      [
        'POST',
        `/api/v1/clients/${c.id}/orders`,
        { amountDue: '5' },
        400,
        validation("body: must have required property 'title'"),
      ],
      [
        'POST',
        `/api/v1/clients/${c.id}/orders`,
        { title: 'T', amountDue: '12,50' },
        400,
        validation('amountDue: must match pattern "^\\d{1,12}(\\.\\d{1,2})?$"'),
      ],
      [
        'POST',
        `/api/v1/clients/${c.id}/orders`,
        { title: 'T', externalRef: 'K-1' },
        400,
        validation('externalRef: another order has the reference "K-1"'),
      ],
      [
        'POST',
        '/api/v1/clients/00000000-0000-4000-8000-000000000000/orders',
        { title: 'T' },
        404,
        { code: ErrorCode.NotFound, message: 'The client was not found.' },
      ],
      [
        'PATCH',
        `/api/v1/orders/${made.body.id}`,
        { open: 'maybe' },
        400,
        validation('open: must be boolean'),
      ],
      [
        'PATCH',
        `/api/v1/orders/${made.body.id}`,
        { stage: ' ' },
        400,
        validation('stage: must not be empty'),
      ],
      [
        'PATCH',
        `/api/v1/orders/${made.body.id}`,
        { responsibleId: '00000000-0000-4000-8000-000000000000' },
        400,
        validation(
          'responsibleId: no active user of this workspace has the id 00000000-0000-4000-8000-000000000000',
        ),
      ],
      [
        'PATCH',
        '/api/v1/orders/00000000-0000-4000-8000-000000000000',
        { stage: 'x' },
        404,
        { code: ErrorCode.NotFound, message: 'The order was not found.' },
      ],
    ];
    for (const [method, url, payload, status, body] of bad) {
      expect({ url, payload, ...(await call(admin, method as 'POST', url, payload)) }).toEqual({
        url,
        payload,
        status,
        body,
      });
    }
    expect((await call(op.cookie, 'GET', `/api/v1/clients/${c.id}`)).body.orders).toEqual([changed.body]);
  });

  it('searches by name, company, e-mail and phone, in national or international form', async () => {
    await call(admin, 'POST', '/api/v1/clients', {
      name: 'Searchable Person',
      company: 'Findme_Corp',
      emails: ['seeker@lookup.example'],
      phones: ['06 20 555 1212'],
    });
    const names = async (q: string) =>
      (
        (await call(op.cookie, 'GET', `/api/v1/clients?q=${encodeURIComponent(q)}`)).body.clients as {
          name: string;
        }[]
      ).map((c) => c.name);
    for (const q of ['searchable', 'FINDME_', 'seeker@LOOKUP', '06 20 555 12', '+36 20 555']) {
      expect(await names(q), q).toEqual(['Searchable Person']);
    }
    // `_` and `%` are literal, not wildcards.
    expect(await names('Findme%Corp')).toEqual([]);
    expect((await call(op.cookie, 'GET', '/api/v1/clients?limit=0')).body).toEqual(
      validation('limit: must be >= 1'),
    );
  });

  it("never shows or changes another workspace's client", async () => {
    const db = h.database.db;
    const [ws] = await db.insert(workspaces).values({ name: 'Elsewhere' }).returning();
    const [theirs] = await db
      .insert(clients)
      .values({ workspaceId: ws!.id, name: 'Foreign Client Zzq', externalId: 'F-1' })
      .returning();
    expect((await call(admin, 'GET', `/api/v1/clients/${theirs!.id}`)).status).toBe(404);
    expect((await call(admin, 'PATCH', `/api/v1/clients/${theirs!.id}`, { name: 'Mine' })).status).toBe(404);
    expect(
      (await call(admin, 'POST', `/api/v1/clients/${theirs!.id}/phones`, { phone: '+36301111111' })).status,
    ).toBe(404);
    expect((await call(admin, 'POST', `/api/v1/clients/${theirs!.id}/orders`, { title: 'T' })).status).toBe(
      404,
    );
    expect((await call(admin, 'GET', '/api/v1/clients?q=Zzq')).body.clients).toEqual([]);
    // Their external id does not collide with ours.
    expect((await call(admin, 'POST', '/api/v1/clients', { name: 'Ours', externalId: 'F-1' })).status).toBe(
      201,
    );
    const [still] = await db.select().from(clients).where(eq(clients.id, theirs!.id));
    expect(still!.name).toBe('Foreign Client Zzq');
  });
});

describe('tasks API', () => {
  it("lists the caller's open tasks and marks them done; operators only their own", async () => {
    const db = h.database.db;
    const other = await h.createOperator('Other Operator');
    const mine = await createTask(db, {
      workspaceId: h.boot.workspaceId,
      assigneeId: op.id,
      title: 'Call Hoa back',
    });
    const theirs = await createTask(db, {
      workspaceId: h.boot.workspaceId,
      assigneeId: other.id,
      title: 'Theirs',
    });
    const open = await call(op.cookie, 'GET', '/api/v1/tasks');
    expect(open.body.tasks.map((t: { title: string }) => t.title)).toEqual(['Call Hoa back']);
    expect(await call(op.cookie, 'POST', `/api/v1/tasks/${theirs.id}/done`)).toEqual({
      status: 403,
      body: { code: ErrorCode.Forbidden, message: 'This task is assigned to someone else.' },
    });
    const done = await call(op.cookie, 'POST', `/api/v1/tasks/${mine.id}/done`);
    expect(done.status).toBe(200);
    expect(done.body.doneAt).not.toBeNull();
    expect((await call(op.cookie, 'GET', '/api/v1/tasks?open=true')).body.tasks).toEqual([]);
    expect((await call(op.cookie, 'GET', '/api/v1/tasks?open=false')).body.tasks).toEqual([done.body]);
    expect((await call(op.cookie, 'GET', '/api/v1/tasks?open=perhaps')).body).toEqual(
      validation('open: must be boolean'),
    );
    expect((await call(op.cookie, 'POST', '/api/v1/tasks/nope/done')).body).toEqual(
      validation('id: must match format "uuid"'),
    );
    expect(
      (await call(op.cookie, 'POST', '/api/v1/tasks/00000000-0000-4000-8000-000000000000/done')).status,
    ).toBe(404);
    // A supervisor may close anyone's.
    expect((await call(supervisor, 'POST', `/api/v1/tasks/${theirs.id}/done`)).status).toBe(200);
    const [u] = await db.select().from(users).where(eq(users.id, other.id));
    expect(u!.role).toBe('operator');
  });
});
