/**
 * What the widget learns in `welcome` and after: the site's settings as an admin saved them,
 * business hours, who the visitor is, and whether anyone is online, live.
 */
import { ErrorCode } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityHash } from '../clients/match.js';
import { clients, sites } from '../db/schema/index.js';
import { patchSite } from '../test/admin.js';
import { type Harness, startHarness } from '../test/harness.js';

let h: Harness;
let secret: string;
beforeAll(async () => {
  h = await startHarness();
  const [site] = await h.database.db.select().from(sites);
  secret = site!.secret;
  await h.database.db.insert(clients).values({
    workspaceId: h.boot.workspaceId,
    name: 'Aynur Məmmədova',
    externalId: 'cust-77',
    category: 'vip',
  });
});
afterAll(() => h.close());

const hello = (identity?: { userId: string; hash: string }) =>
  (async () => {
    const v = await h.visitor();
    v.send({
      type: 'hello',
      v: 1,
      page: { url: 'http://localhost:5555/', title: 'Shop' },
      ...(identity && { identity }),
    });
    return { v, welcome: await v.next('welcome') };
  })();

describe('welcome', () => {
  it('carries the settings an admin saved', async () => {
    await patchSite(h, {
      settings: {
        color: '#0f766e',
        greeting: 'Salam!',
        waitingMessages: ['Free delivery over 50 AZN'],
        callbackAfterSeconds: 90,
        questionnaire: [
          { name: 'name', label: 'Name', kind: 'name', required: true },
          { name: 'topic', label: 'Topic', kind: 'choice', required: true, options: ['Orders', 'Returns'] },
        ],
      },
    });
    const { welcome } = await hello();
    expect(welcome.site).toMatchObject({
      color: '#0f766e',
      greeting: 'Salam!',
      waitingMessages: ['Free delivery over 50 AZN'],
      callbackAfterSeconds: 90,
      captcha: 'off',
    });
    expect(welcome.site.questionnaire[1]).toMatchObject({ kind: 'choice', options: ['Orders', 'Returns'] });
  });

  it('checks answers to a choice field on the server too', async () => {
    const { v } = await hello();
    v.send({ type: 'start', answers: { name: 'Ali', topic: 'Lottery' } });
    expect(await v.next('error')).toMatchObject({
      code: ErrorCode.BadAnswers,
      message: 'Topic must be one of the offered options.',
    });
  });

  it('greets a verified customer by name, and says when a hash is wrong', async () => {
    const verified = await hello({ userId: 'cust-77', hash: identityHash('cust-77', secret) });
    expect(verified.welcome.identity).toEqual({ status: 'verified', name: 'Aynur Məmmədova' });
    const unknown = await hello({ userId: 'cust-new', hash: identityHash('cust-new', secret) });
    expect(unknown.welcome.identity).toEqual({ status: 'verified', name: null });
    const forged = await hello({ userId: 'cust-77', hash: identityHash('cust-77', 'guessed-secret') });
    expect(forged.welcome.identity).toEqual({ status: 'rejected' });
    expect((await hello()).welcome.identity).toEqual({ status: 'none' });
  });

  it('says whether the business hours are open and when they open next', async () => {
    // Open every day, all day, in Baku: open now.
    await patchSite(h, {
      settings: {
        businessHours: {
          timeZone: 'Asia/Baku',
          intervals: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, open: '00:00', close: '24:00' })),
        },
      },
    });
    expect((await hello()).welcome.hours).toEqual({ open: true, opensAt: null });
    // Open only the day after tomorrow, 10:00-11:00 UTC: closed now, opening then.
    const now = new Date();
    const opens = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 2, 10));
    await patchSite(h, {
      settings: {
        businessHours: {
          timeZone: 'UTC',
          intervals: [{ day: opens.getUTCDay(), open: '10:00', close: '11:00' }],
        },
      },
    });
    expect((await hello()).welcome.hours).toEqual({ open: false, opensAt: opens.toISOString() });
    await patchSite(h, { settings: { businessHours: null } });
  });

  it('tells waiting widgets live when someone comes online and when everyone has gone', async () => {
    const { v, welcome } = await hello();
    expect(welcome.online).toBe(false);
    const op = await h.createOperator('Lale');
    const os = await h.operator(op.cookie);
    await os.next('ready');
    os.send({ type: 'status', status: 'online' });
    expect(await v.next('online')).toEqual({ type: 'online', online: true });
    os.send({ type: 'status', status: 'away' });
    expect(await v.next('online', (f) => !f.online)).toEqual({ type: 'online', online: false });
  });
});
