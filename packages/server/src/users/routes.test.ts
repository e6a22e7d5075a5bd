import { ErrorCode } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('supervisors set routing attributes per operator', () => {
  it('saves limit, skills, experience, tier and extension, and re-routes at once', async () => {
    const admin = await h.login('admin@parley.local', h.adminPassword);
    const op = await h.createOperator('Skilled Later');
    const s = await h.operator(op.cookie);
    await s.next('ready');
    s.send({ type: 'status', status: 'online' });
    await s.next('presence', (f) => f.userId === op.id);
    // A site that needs Russian: the operator cannot take it yet.
    const { sites } = await import('../db/schema/index.js');
    await h.database.db.update(sites).set({ requiredSkills: ['ru'] });
    const v = await h.visitor();
    await v.hello();
    v.send({ type: 'start', answers: { name: 'Ivan', email: 'ivan@example.com' } });
    await v.next('queued');
    const res = await h.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${op.id}`,
      headers: { cookie: admin },
      payload: { skills: ['ru', 'billing'], maxChats: 3, experience: 4, costTier: 2, extension: '204' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      skills: ['ru', 'billing'],
      maxChats: 3,
      experience: 4,
      costTier: 2,
      extension: '204',
    });
    // 1. The new skill lets the waiting Russian chat through without anything else happening.
    expect((await v.next('assigned')).operator.id).toBe(op.id);
    const list = await h.app.inject({ url: '/api/v1/users', headers: { cookie: op.cookie } });
    expect(list.json().users.find((u: { id: string }) => u.id === op.id).skills).toEqual(['ru', 'billing']);
  });

  it('refuses bad values with the field named, other workspaces and operators themselves', async () => {
    const admin = await h.login('admin@parley.local', h.adminPassword);
    const op = await h.createOperator('Plain');
    const patch = (payload: unknown, cookie = admin, id = op.id) =>
      h.app.inject({
        method: 'PATCH',
        url: `/api/v1/users/${id}`,
        headers: { cookie },
        payload: payload as object,
      });
    for (const [payload, field] of [
      [{ maxChats: 0 }, 'maxChats'],
      [{ skills: ['Has Space'] }, 'skills'],
      [{ costTier: 'high' }, 'costTier'],
      [{ extension: '12ab' }, 'extension'],
      [{ role: 'admin' }, 'body'],
    ] as const) {
      const res = await patch(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().code).toBe(ErrorCode.Validation);
      expect(res.json().message).toContain(field);
    }
    expect((await patch({ maxChats: 9 }, op.cookie)).statusCode).toBe(403);
    expect((await patch({ maxChats: 9 }, admin, '00000000-0000-4000-8000-000000000000')).json()).toEqual({
      code: ErrorCode.NotFound,
      message: 'The user was not found.',
    });
  });
});
