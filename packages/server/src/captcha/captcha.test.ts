/**
 * The captcha in front of new conversations, through real sockets. altcha: the test solves the
 * server's challenge with altcha-lib as the widget does. hCaptcha: its siteverify endpoint cannot be
 * reached from here, so nock answers at the HTTPS edge and the real `hcaptcha` client code runs.
 */
import { ErrorCode } from '@parley/protocol';
import { type Challenge, solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { eq, sql } from 'drizzle-orm';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sites } from '../db/schema/index.js';
import { patchSite } from '../test/admin.js';
import { type Harness, startHarness } from '../test/harness.js';
import { createCaptcha } from './captcha.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  nock.disableNetConnect();
  nock.enableNetConnect(/127\.0\.0\.1|localhost/);
});
afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await h.close();
});
afterEach(() => nock.cleanAll());

const answers = { name: 'Bot or not', email: 'who@example.com' };

async function solved(challenge: Record<string, unknown>): Promise<string> {
  const c = challenge as unknown as Challenge;
  const solution = await solveChallenge({ challenge: c, deriveKey });
  expect(solution).not.toBeNull();
  return Buffer.from(JSON.stringify({ challenge: c, solution })).toString('base64');
}

describe('altcha (self-hosted proof of work)', () => {
  beforeAll(() => patchSite(h, { settings: { captcha: 'altcha' } }));

  it('refuses a new conversation without an answer, and starts it with a solved challenge', async () => {
    const v = await h.visitor();
    expect((await v.hello()).site.captcha).toBe('altcha');
    v.send({ type: 'start', answers });
    expect(await v.next('error')).toMatchObject({ code: ErrorCode.CaptchaRequired });
    v.send({ type: 'challenge' });
    const { challenge } = await v.next('challenge');
    v.send({ type: 'start', answers, captcha: await solved(challenge) });
    expect((await v.next('queued')).position).toBeGreaterThanOrEqual(1);
  });

  it('accepts each solution once, on any socket', async () => {
    const first = await h.visitor();
    await first.hello();
    first.send({ type: 'challenge' });
    const payload = await solved((await first.next('challenge')).challenge);
    first.send({ type: 'start', answers, captcha: payload });
    await first.next('queued');
    const replay = await h.visitor();
    await replay.hello();
    replay.send({ type: 'start', answers, captcha: payload });
    expect(await replay.next('error')).toMatchObject({
      code: ErrorCode.CaptchaFailed,
      message: 'The captcha was not passed: this solution was already used.',
    });
  });

  it('refuses a wrong solution, a forged challenge and garbage, and keeps the visitor able to retry', async () => {
    const v = await h.visitor();
    await v.hello();
    v.send({ type: 'challenge' });
    const { challenge } = await v.next('challenge');
    const c = challenge as unknown as Challenge;
    const wrong = Buffer.from(
      JSON.stringify({ challenge: c, solution: { counter: 1, derivedKey: 'ab'.repeat(32) } }),
    ).toString('base64');
    v.send({ type: 'start', answers, captcha: wrong });
    expect((await v.next('error')).message).toBe('The captcha was not passed: the solution is wrong.');
    // The server signs its challenges: an easier one made up by the client does not pass.
    const forged = { ...c, parameters: { ...c.parameters, keyPrefix: '0' } };
    v.send({ type: 'start', answers, captcha: await solved(forged as unknown as Record<string, unknown>) });
    expect((await v.next('error')).code).toBe(ErrorCode.CaptchaFailed);
    v.send({ type: 'start', answers, captcha: 'not base64 json' });
    expect((await v.next('error')).message).toBe(
      'The captcha was not passed: the answer is not an altcha payload.',
    );
    // Still the same socket, still able to pass.
    v.send({ type: 'start', answers, captcha: await solved(challenge) });
    await v.next('queued');
  });

  it('refuses a challenge made for another site', async () => {
    const v = await h.visitor();
    await v.hello();
    v.send({ type: 'challenge' });
    const { challenge } = await v.next('challenge');
    // Same key material, other site key in the signed data: the signature no longer matches.
    const c = challenge as unknown as Challenge;
    const moved = { ...c, parameters: { ...c.parameters, data: { site: 'site_other' } } };
    v.send({ type: 'start', answers, captcha: await solved(moved as unknown as Record<string, unknown>) });
    expect((await v.next('error')).message).toBe(
      'The captcha was not passed: the challenge was made for another site.',
    );
  });

  it('refuses an expired challenge', async () => {
    const [site] = await h.database.db.select().from(sites).where(eq(sites.key, h.siteKey));
    let now = new Date('2026-11-23T10:00:00Z');
    const captcha = createCaptcha({
      db: h.database.db,
      clock: { now: () => now },
      counter: { min: 10, max: 50 },
    });
    const challenge = await captcha.challenge(site!);
    const payload = await solved(challenge as unknown as Record<string, unknown>);
    now = new Date('2026-11-23T10:11:00Z');
    await expect(captcha.check(site!, payload, null)).rejects.toThrow('the challenge has expired');
  });

  it('also guards the offline form', async () => {
    const v = await h.visitor();
    await v.hello();
    v.send({ type: 'offline', answers, body: 'Call me back' });
    expect((await v.next('error')).code).toBe(ErrorCode.CaptchaRequired);
  });
});

describe('hCaptcha', () => {
  const SECRET = '0x1234567890abcdef1234567890abcdef12345678';
  const SITEKEY = '10000000-ffff-ffff-ffff-000000000001';
  beforeAll(() =>
    patchSite(h, { settings: { captcha: 'hcaptcha', hcaptchaSiteKey: SITEKEY }, hcaptchaSecret: SECRET }),
  );

  /** hCaptcha's siteverify, answering as it documents; records what our client sent. */
  function siteverify(reply: Record<string, unknown>) {
    const seen: Record<string, string>[] = [];
    nock('https://hcaptcha.com')
      .post('/siteverify', (body: Record<string, string>) => {
        seen.push(body);
        return true;
      })
      .reply(200, reply);
    return seen;
  }

  it('starts a conversation when hCaptcha accepts the token, sending our secret, site key and the visitor’s IP', async () => {
    const seen = siteverify({ success: true, hostname: 'localhost' });
    const v = await h.visitor();
    expect((await v.hello()).site).toMatchObject({ captcha: 'hcaptcha', hcaptchaSiteKey: SITEKEY });
    v.send({ type: 'start', answers, captcha: 'P1_token-from-the-widget' });
    await v.next('queued');
    expect(seen).toEqual([
      { secret: SECRET, response: 'P1_token-from-the-widget', remoteip: '127.0.0.1', sitekey: SITEKEY },
    ]);
  });

  it('refuses a token hCaptcha rejects, naming its error codes', async () => {
    siteverify({ success: false, 'error-codes': ['invalid-input-response'] });
    const v = await h.visitor();
    await v.hello();
    v.send({ type: 'start', answers, captcha: 'forged' });
    expect(await v.next('error')).toMatchObject({
      code: ErrorCode.CaptchaFailed,
      message: 'The captcha was not passed: hCaptcha said invalid-input-response.',
    });
  });

  it('says so when hCaptcha cannot be reached, and stores nothing', async () => {
    nock('https://hcaptcha.com').post('/siteverify').replyWithError('getaddrinfo ENOTFOUND hcaptcha.com');
    const before = await h.database.db.execute(sql`select count(*)::int as n from contacts`);
    const v = await h.visitor();
    await v.hello();
    v.send({ type: 'start', answers, captcha: 'token' });
    expect((await v.next('error')).message).toBe(
      'The captcha was not passed: hCaptcha could not be reached; try again.',
    );
    const after = await h.database.db.execute(sql`select count(*)::int as n from contacts`);
    expect(rows(after)).toEqual(rows(before));
  });
});

const rows = (r: unknown) => (Array.isArray(r) ? r : (r as { rows: unknown[] }).rows);
