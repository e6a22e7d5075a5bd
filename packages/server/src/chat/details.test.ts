/** The visitor panel's data and linking a visitor to a client, through REST and real sockets. */
import type { Client, ContactDetails } from '@parley/protocol';
import { ErrorCode } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test/harness.js';

let h: Harness;
let admin: string;
beforeAll(async () => {
  h = await startHarness();
  admin = await h.login(h.boot.admin.email, h.adminPassword);
});
afterAll(() => h.close());

const api = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
  h.app.inject({ method, url, headers: { cookie: admin }, ...(payload && { payload }) });

describe('GET /api/v1/contacts/:id/details', () => {
  it('shows the visitor’s browser, the start page and the page they are on now, and earlier conversations', async () => {
    const v = await h.visitor();
    const welcome = await v.hello();
    v.send({ type: 'start', answers: { name: 'Zsófia', email: 'zsofia@example.hu' } });
    const first = (await v.next('queued')).contactId;
    v.send({ type: 'leave' });
    await v.next('closed');
    v.send({ type: 'start', answers: { name: 'Zsófia', email: 'zsofia@example.hu' } });
    const second = (await v.next('queued', (f) => f.contactId !== first)).contactId;

    // The visitor moves on to another page: the widget says hello again from there.
    v.ws.close();
    const again = await h.visitor();
    again.send({
      type: 'hello',
      v: 1,
      token: welcome.token,
      page: { url: 'http://localhost:5555/checkout', title: 'Checkout' },
      timeZone: 'Europe/Budapest',
      locale: 'hu-HU',
    });
    await again.next('welcome');

    const res = await api('GET', `/api/v1/contacts/${second}/details`);
    expect(res.statusCode).toBe(200);
    const d = res.json() as ContactDetails;
    expect(d).toMatchObject({
      contact: { id: second, visitorName: 'Zsófia' },
      ip: '127.0.0.1',
      startPage: { url: 'http://localhost:5555/pricing', title: 'Pricing' },
      currentPage: { url: 'http://localhost:5555/checkout', title: 'Checkout' },
      timeZone: 'Europe/Budapest',
      locale: 'hu-HU',
      csat: null,
    });
    expect(d.earlier.map((e) => [e.id, e.status])).toEqual([[first, 'abandoned']]);
  });

  it('answers 404 for an unknown contact', async () => {
    const res = await api('GET', '/api/v1/contacts/00000000-0000-4000-8000-000000000000/details');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: ErrorCode.NotFound });
  });
});

describe('PUT /api/v1/contacts/:id/client', () => {
  it('links the visitor to an existing client; the card and the queue show it', async () => {
    const created = await api('POST', '/api/v1/clients', {
      name: 'Kovács Kft.',
      company: 'Kovács Kft.',
      category: 'vip',
    });
    expect(created.statusCode).toBe(201);
    const client = created.json() as Client;
    const op = await h.createOperator('Panni');
    const os = await h.operator(op.cookie);
    await os.next('ready');
    const v = await h.visitor();
    await v.hello();
    v.send({ type: 'start', answers: { name: 'Someone', email: 'someone.new@example.com' } });
    const { contactId } = await v.next('queued');
    const before = (await api('GET', `/api/v1/contacts/${contactId}/details`)).json() as ContactDetails;
    // A prospect was made from the questionnaire, holding the visitor's e-mail.
    expect(before).toMatchObject({
      clientMatch: 'created',
      client: { category: 'prospect', emails: ['someone.new@example.com'] },
    });

    const res = await api('PUT', `/api/v1/contacts/${contactId}/client`, { clientId: client.id });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      clientMatch: 'linked',
      client: { id: client.id, category: 'vip', emails: ['someone.new@example.com'] },
    });
    // The prospect it replaced is gone (it had no orders and nothing else pointed at it).
    expect((await api('GET', `/api/v1/clients/${before.client!.id}`)).statusCode).toBe(404);
    await os.next('contact', (f) => f.contact.id === contactId && f.contact.clientId === client.id);

    const bad = await api('PUT', `/api/v1/contacts/${contactId}/client`, {
      clientId: '00000000-0000-4000-8000-000000000000',
    });
    expect(bad.statusCode).toBe(404);
    expect((bad.json() as { message: string }).message).toBe('The client was not found.');
    expect((await api('PUT', `/api/v1/contacts/${contactId}/client`, { clientId: 'nope' })).statusCode).toBe(
      400,
    );
  });
});
