/**
 * The captcha a site may put in front of new conversations. `altcha`: a self-hosted proof of work
 * (altcha-lib), challenges signed with a key derived from the site's secret, each solution accepted
 * once on any process. `hcaptcha`: the token is checked with hCaptcha's siteverify (the `hcaptcha`
 * package) using the site's secret.
 */
import { createHmac } from 'node:crypto';
import { ErrorCode } from '@parley/protocol';
import { type Challenge, createChallenge, randomInt, type Solution, verifySolution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { lt, sql } from 'drizzle-orm';
import { verify as hcaptchaVerify } from 'hcaptcha';
import { type Clock, systemClock } from '../clock.js';
import type { Db } from '../db/client.js';
import { captchaUses, type SiteRow } from '../db/schema/index.js';
import { ParleyError } from '../errors.js';
import { withDefaults } from '../sites/settings.js';

/** How long a challenge may be solved for. */
export const CHALLENGE_TTL_MS = 10 * 60_000;
/**
 * Work asked of the browser: the solver tries SHA-256 counters from 0 up to a random number in this
 * range (about a second in a current browser; bots pay it per conversation).
 */
export const ALTCHA_COUNTER = { min: 5_000, max: 40_000 } as const;

export interface CaptchaOptions {
  db: Db;
  clock?: Clock;
  counter?: { min: number; max: number };
}

const keyOf = (site: SiteRow, purpose: string) =>
  createHmac('sha256', site.secret).update(`parley-altcha-${purpose}`).digest('hex');

export function createCaptcha({ db, clock = systemClock, counter = ALTCHA_COUNTER }: CaptchaOptions) {
  const secrets = (site: SiteRow) => ({
    hmacSignatureSecret: keyOf(site, 'challenge'),
    hmacKeySignatureSecret: keyOf(site, 'key'),
  });

  /** A fresh altcha challenge for this site's widget. */
  async function challenge(site: SiteRow): Promise<Challenge> {
    return createChallenge({
      algorithm: 'SHA-256',
      cost: 1,
      counter: randomInt(counter.min, counter.max),
      deriveKey,
      expiresAt: new Date(clock.now().getTime() + CHALLENGE_TTL_MS),
      data: { site: site.key },
      ...secrets(site),
    });
  }

  /**
   * Passes when the site asks for no captcha or `answer` is right; otherwise throws CAPTCHA_REQUIRED
   * (no answer) or CAPTCHA_FAILED (wrong, expired, reused, or hCaptcha said no).
   */
  async function check(site: SiteRow, answer: string | undefined, ip: string | null): Promise<void> {
    const { captcha, hcaptchaSiteKey } = withDefaults(site.settings);
    if (captcha === 'off') return;
    if (!answer) throw new ParleyError(ErrorCode.CaptchaRequired);
    if (captcha === 'hcaptcha') return checkHcaptcha(site, answer, ip, hcaptchaSiteKey);
    return checkAltcha(site, answer);
  }

  async function checkAltcha(site: SiteRow, answer: string): Promise<void> {
    let payload: { challenge?: Challenge; solution?: Solution };
    try {
      payload = JSON.parse(Buffer.from(answer, 'base64').toString('utf8'));
    } catch {
      throw new ParleyError(ErrorCode.CaptchaFailed, 'the answer is not an altcha payload');
    }
    const { challenge: c, solution } = payload;
    if (!c?.parameters || !c.signature || typeof solution?.counter !== 'number') {
      throw new ParleyError(ErrorCode.CaptchaFailed, 'the answer is not an altcha payload');
    }
    if (c.parameters.data?.site !== site.key) {
      throw new ParleyError(ErrorCode.CaptchaFailed, 'the challenge was made for another site');
    }
    const result = await verifySolution({ challenge: c, solution, deriveKey, ...secrets(site) });
    if (result.expired) throw new ParleyError(ErrorCode.CaptchaFailed, 'the challenge has expired');
    if (!result.verified) throw new ParleyError(ErrorCode.CaptchaFailed, 'the solution is wrong');
    // Each challenge counts once: the primary key refuses a second use, on any process.
    const now = clock.now();
    const expiresAt = new Date((c.parameters.expiresAt ?? 0) * 1000 || now.getTime() + CHALLENGE_TTL_MS);
    const stored = await db
      .insert(captchaUses)
      .values({ signature: c.signature, expiresAt })
      .onConflictDoNothing()
      .returning({ signature: captchaUses.signature });
    if (stored.length === 0) throw new ParleyError(ErrorCode.CaptchaFailed, 'this solution was already used');
    await db.delete(captchaUses).where(lt(captchaUses.expiresAt, sql`${now.toISOString()}::timestamptz`));
  }

  async function checkHcaptcha(site: SiteRow, token: string, ip: string | null, siteKey: string | null) {
    if (!site.hcaptchaSecret) {
      throw new ParleyError(ErrorCode.CaptchaFailed, 'the site has no hCaptcha secret; an admin must set it');
    }
    let reply: Awaited<ReturnType<typeof hcaptchaVerify>>;
    try {
      reply = await hcaptchaVerify(site.hcaptchaSecret, token, ip, siteKey);
    } catch (err) {
      throw new ParleyError(ErrorCode.CaptchaFailed, 'hCaptcha could not be reached; try again', {
        cause: err,
      });
    }
    if (!reply.success) {
      const codes = reply['error-codes']?.join(', ') || 'rejected';
      throw new ParleyError(ErrorCode.CaptchaFailed, `hCaptcha said ${codes}`);
    }
  }

  return { challenge, check };
}
export type Captcha = ReturnType<typeof createCaptcha>;
