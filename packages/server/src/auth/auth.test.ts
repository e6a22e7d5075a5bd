import { ErrorCode } from '@parley/protocol';
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test/harness.js';
import { hashPassword, verifyPassword } from './password.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('operator login', () => {
  it('sets an httpOnly SameSite session cookie that /me and logout honour', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'ADMIN@parley.local ', password: h.adminPassword },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().user).toMatchObject({ email: 'admin@parley.local', role: 'admin' });
    const cookie = res.cookies.find((c) => c.name === 'parley_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    const jar = `parley_session=${cookie.value}`;
    expect((await h.app.inject({ url: '/api/v1/me', headers: { cookie: jar } })).json().user.email).toBe(
      'admin@parley.local',
    );
    expect(
      (await h.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie: jar } }))
        .statusCode,
    ).toBe(204);
    const after = await h.app.inject({ url: '/api/v1/me', headers: { cookie: jar } });
    expect(after.statusCode).toBe(401);
    expect(after.json()).toEqual({ code: ErrorCode.Unauthorized, message: 'Log in first.' });
  });

  it('keeps the password hash out of the session user that requests and operator sockets hold', async () => {
    const jar = await h.login('admin@parley.local', h.adminPassword);
    const token = jar.split('=')[1]!;
    // What an operator socket is handed for its whole life (app.ts: openOperatorSocket).
    const user = await h.app.sessionUser({ cookies: { parley_session: token } } as unknown as FastifyRequest);
    expect(user).toMatchObject({ email: 'admin@parley.local', role: 'admin' });
    expect(user).not.toHaveProperty('passwordHash');
    expect(Object.values(user!)).not.toContainEqual(expect.stringMatching(/^scrypt\$/));
  });

  it('answers a wrong password and an unknown e-mail alike, with a code and a message', async () => {
    for (const payload of [
      { email: 'admin@parley.local', password: 'wrong-password' },
      { email: 'nobody@parley.local', password: 'wrong-password' },
    ]) {
      const res = await h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ code: ErrorCode.BadCredentials, message: 'Wrong e-mail or password.' });
      expect(res.cookies).toHaveLength(0);
    }
  });

  it('rejects a malformed body with a validation error naming the field', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'a@b.c' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      code: ErrorCode.Validation,
      message: "body: must have required property 'password'",
    });
    const junk = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":',
    });
    expect(junk.statusCode).toBe(400);
    expect(junk.json().code).toBe(ErrorCode.Validation);
  });

  it('rate-limits password guessing per address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: '10.9.9.9',
        payload: { email: 'admin@parley.local', password: `guess-${i}` },
      });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) expect(res.json().code).toBe(ErrorCode.RateLimited);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });

  it('keeps the REST API behind the session and admin routes behind the admin role', async () => {
    expect((await h.app.inject({ url: '/api/v1/contacts' })).statusCode).toBe(401);
    const op = await h.createOperator('Plain Operator');
    const sites = await h.app.inject({ url: '/api/v1/sites', headers: { cookie: op.cookie } });
    expect(sites.statusCode).toBe(403);
    expect(sites.json().code).toBe(ErrorCode.Forbidden);
    const admin = await h.login('admin@parley.local', h.adminPassword);
    const ok = await h.app.inject({ url: '/api/v1/sites', headers: { cookie: admin } });
    expect(ok.json().sites[0]).toMatchObject({ key: h.siteKey, name: 'Default site' });
    const badId = await h.app.inject({
      url: '/api/v1/contacts/not-a-uuid/messages',
      headers: { cookie: op.cookie },
    });
    expect(badId.statusCode).toBe(400);
    expect(badId.json().message).toContain('id');
  });
});

describe('behind a reverse proxy (TRUST_PROXY)', () => {
  it('limits each client by its forwarded address, not the proxy’s', async () => {
    const proxied = await startHarness({ TRUST_PROXY: '127.0.0.1' });
    try {
      const attempt = (client: string) =>
        proxied.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          remoteAddress: '127.0.0.1',
          headers: { 'x-forwarded-for': client },
          payload: { email: 'admin@parley.local', password: 'wrong-password' },
        });
      const first = [];
      for (let i = 0; i < 10; i++) first.push((await attempt('203.0.113.7')).statusCode);
      expect(first).toEqual(Array(10).fill(401));
      expect((await attempt('203.0.113.7')).statusCode).toBe(429);
      // Another client behind the same proxy is not locked out by the first one's guesses.
      expect((await attempt('198.51.100.23')).statusCode).toBe(401);
    } finally {
      await proxied.close();
    }
  });
});

describe('password hashing', () => {
  it('uses scrypt with its parameters in the hash and a fresh salt each time', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsE', a)).toBe(false);
    expect(await verifyPassword('correct horse', 'md5$abc')).toBe(false);
  });
});
