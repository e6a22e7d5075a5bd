/** Admins run the team: add people, change roles, reset passwords, deactivate; all over REST. */
import type { ContactSummary } from '@parley/protocol';
import { CloseCode, ErrorCode } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test/harness.js';

let h: Harness;
let admin: string;
beforeAll(async () => {
  h = await startHarness();
  admin = await h.login(h.boot.admin.email, h.adminPassword);
});
afterAll(() => h.close());

const api = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object, cookie = admin) =>
  h.app.inject({ method, url, headers: { cookie }, ...(payload && { payload }) });

describe('the team, as an admin runs it', () => {
  it('adds a supervisor with a generated password that works once shown', async () => {
    const res = await api('POST', '/api/v1/users', {
      email: 'Sup@Example.com',
      name: 'Sára',
      role: 'supervisor',
    });
    expect(res.statusCode).toBe(201);
    const { user, password } = res.json() as {
      user: { id: string; email: string; role: string };
      password: string;
    };
    expect(user).toMatchObject({ email: 'sup@example.com', role: 'supervisor' });
    expect(password.length).toBeGreaterThanOrEqual(16);
    await h.login('sup@example.com', password);
    const again = await api('POST', '/api/v1/users', {
      email: 'sup@example.com',
      name: 'Dup',
      role: 'operator',
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({
      code: ErrorCode.Conflict,
      message: 'email: sup@example.com already has an account',
    });
  });

  it('refuses bad input field by field, and non-admins', async () => {
    const bad = await api('POST', '/api/v1/users', { email: 'not-mail', name: 'X', role: 'operator' });
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as { message: string }).message).toMatch(/^email: /);
    const role = await api('POST', '/api/v1/users', { email: 'x@example.com', name: 'X', role: 'owner' });
    expect((role.json() as { message: string }).message).toMatch(/^role: /);
    const short = await api('POST', '/api/v1/users', {
      email: 'x@example.com',
      name: 'X',
      role: 'operator',
      password: 'short',
    });
    expect((short.json() as { message: string }).message).toMatch(/^password: /);
    const op = await h.createOperator('Olli');
    expect(
      (await api('POST', '/api/v1/users', { email: 'y@example.com', name: 'Y', role: 'admin' }, op.cookie))
        .statusCode,
    ).toBe(403);
  });

  it('changes roles but never leaves the workspace without an admin', async () => {
    const me = (await api('GET', '/api/v1/me')).json() as { user: { id: string } };
    const last = await api('PUT', `/api/v1/users/${me.user.id}/account`, { role: 'operator' });
    expect(last.statusCode).toBe(400);
    expect(last.json()).toMatchObject({
      code: ErrorCode.Validation,
      message: 'role: the last admin cannot stop being an admin',
    });
    const op = await h.createOperator('Promoted');
    const res = await api('PUT', `/api/v1/users/${op.id}/account`, {
      role: 'supervisor',
      name: 'Promoted Person',
    });
    expect(res.json()).toMatchObject({ role: 'supervisor', name: 'Promoted Person' });
  });

  it('resets a password: the old one and the old sessions stop working', async () => {
    const op = await h.createOperator('Forgetful');
    const res = await api('POST', `/api/v1/users/${op.id}/password`);
    expect(res.statusCode).toBe(200);
    const { password } = res.json() as { password: string };
    expect((await api('GET', '/api/v1/me', undefined, op.cookie)).statusCode).toBe(401);
    await expect(h.login(op.email, 'operator-password')).rejects.toThrow();
    await h.login(op.email, password);
  });

  it('deactivates an operator: logged out at once, the socket closed, their chats back in the queue for others', async () => {
    const leaving = await h.createOperator('Leaving');
    const staying = await h.createOperator('Staying');
    const ls = await h.operator(leaving.cookie);
    await ls.next('ready');
    ls.send({ type: 'status', status: 'online' });
    await ls.next('presence', (f) => f.userId === leaving.id && f.status === 'online');
    const v = await h.visitor();
    await v.hello();
    v.send({ type: 'start', answers: { name: 'Left behind', email: 'lb@example.com' } });
    const { contactId } = await v.next('assigned', (f) => f.operator.id === leaving.id);

    const ss = await h.operator(staying.cookie);
    await ss.next('ready');
    expect((await api('POST', `/api/v1/users/${leaving.id}/deactivate`)).statusCode).toBe(204);
    expect((await ls.waitClose()).code).toBe(CloseCode.Unauthorized);
    expect((await api('GET', '/api/v1/me', undefined, leaving.cookie)).statusCode).toBe(401);
    await expect(h.login(leaving.email, 'operator-password')).rejects.toThrow();
    const requeued = await ss.next(
      'contact',
      (f) => f.contact.id === contactId && f.contact.status === 'queued',
    );
    expect((requeued.contact as ContactSummary).assigneeId).toBeNull();
    // The next operator online gets it.
    ss.send({ type: 'status', status: 'online' });
    expect((await v.next('assigned', (f) => f.operator.id === staying.id)).contactId).toBe(contactId);
    const list = (await api('GET', '/api/v1/users')).json() as { users: { id: string }[] };
    expect(list.users.map((u) => u.id)).not.toContain(leaving.id);
    const me = (await api('GET', '/api/v1/me')).json() as { user: { id: string } };
    expect((await api('POST', `/api/v1/users/${me.user.id}/deactivate`)).json()).toMatchObject({
      message: 'You cannot deactivate yourself.',
    });

    // Listed as deactivated; reactivated, they log in again with their password, offline at first.
    const gone = (await api('GET', '/api/v1/users/deactivated')).json() as { users: { id: string }[] };
    expect(gone.users.map((u) => u.id)).toContain(leaving.id);
    const back = await api('POST', `/api/v1/users/${leaving.id}/reactivate`);
    expect(back.json()).toMatchObject({ id: leaving.id, status: 'offline' });
    const again = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '10.0.0.9', // this file has used up 127.0.0.1's logins for the minute
      payload: { email: leaving.email, password: 'operator-password' },
    });
    expect(again.statusCode).toBe(200);
    expect((await api('POST', `/api/v1/users/${leaving.id}/reactivate`)).statusCode).toBe(404);
    expect((await api('GET', '/api/v1/users/deactivated', undefined, staying.cookie)).statusCode).toBe(403);
  });
});

describe('sites, as an admin creates them', () => {
  it('creates a site with its own key and secret, ready for its script tag', async () => {
    const res = await api('POST', '/api/v1/sites', {
      name: 'Second shop',
      allowedOrigins: ['https://second.example'],
    });
    expect(res.statusCode).toBe(201);
    const site = res.json() as { key: string; secret: string; settings: { name: string } };
    expect(site.key).toMatch(/^site_/);
    expect(site.key).not.toBe(h.siteKey);
    expect(site.secret.length).toBeGreaterThan(30);
    expect(site.settings.name).toBe('Second shop');
    const v = await h.visitor({ site: site.key, origin: 'https://second.example' });
    expect((await v.hello()).site.name).toBe('Second shop');
    const bad = await api('POST', '/api/v1/sites', { name: 'Bad', allowedOrigins: ['second.example'] });
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as { message: string }).message).toMatch(
      /^allowedOrigins\[0\]: "second.example" is not an origin/,
    );
  });
});
