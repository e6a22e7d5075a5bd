import { createHmac, timingSafeEqual } from 'node:crypto';
import type { QuestionnaireField } from '@parley/protocol';
import { isEmail } from '../config.js';
import { normalizePhone } from './phones.js';

/** How a contact's client was found, strongest first; stored in `contacts.client_match`. */
export type MatchKind = 'identity' | 'email' | 'phone' | 'history' | 'created';

export interface ClientMatch {
  clientId: string;
  match: MatchKind;
}

/** What the widget says about a logged-in customer: `data-user-id` and `data-user-hash`. */
export interface Identity {
  userId: string;
  hash: string;
}

/** The hex HMAC-SHA256 of the user id with the site secret, as the site owner's backend computes it. */
export function identityHash(userId: string, secret: string): string {
  return createHmac('sha256', secret).update(userId, 'utf8').digest('hex');
}

/**
 * True when `hash` is the HMAC of `userId` with the site secret. Compared in constant time: the
 * answer must not leak how many leading characters of a guess were right.
 */
export function verifyIdentity(userId: string, hash: string, secret: string): boolean {
  if (!userId || !secret || !/^[0-9a-f]{64}$/i.test(hash)) return false;
  const expected = Buffer.from(identityHash(userId, secret), 'hex');
  return timingSafeEqual(expected, Buffer.from(hash, 'hex'));
}

/** Lower-cased and trimmed, or null when it is not an e-mail address. */
export function normalizeEmail(raw: string): string | null {
  const email = raw.trim().toLowerCase();
  return email.length <= 254 && isEmail(email) ? email : null;
}

/** What the questionnaire tells about who the visitor is, normalized for matching. */
export interface MatchKeys {
  name: string | null;
  email: string | null;
  /** E.164. */
  phone: string | null;
}

type Field = Pick<QuestionnaireField, 'name' | 'kind'>;

/**
 * The name, e-mail and phone among the answers. Fields are found by their kind in the site's
 * questionnaire; without one, by the conventional names `name`, `email`, `phone`. The first valid
 * answer of each kind wins.
 */
export function matchKeys(
  answers: Record<string, string>,
  defaultCountry: string | null,
  questionnaire: readonly Field[] = [],
): MatchKeys {
  const of = (kind: Field['kind']) => {
    const names = questionnaire.filter((f) => f.kind === kind).map((f) => f.name);
    if (!names.includes(kind)) names.push(kind);
    return names.map((n) => answers[n]).filter((v): v is string => typeof v === 'string' && v.trim() !== '');
  };
  const first = <T>(values: string[], f: (v: string) => T | null): T | null => {
    for (const v of values) {
      const out = f(v);
      if (out !== null) return out;
    }
    return null;
  };
  return {
    name: first(of('name'), (v) => v.trim().slice(0, 200) || null),
    email: first(of('email'), normalizeEmail),
    phone: first(of('phone'), (v) => normalizePhone(v, defaultCountry)),
  };
}

/** The name of a prospect made from a questionnaire that may not have asked for one. */
export function prospectName(keys: MatchKeys, verifiedUserId?: string | null): string {
  return keys.name ?? keys.email ?? keys.phone ?? (verifiedUserId ? `Customer ${verifiedUserId}` : 'Visitor');
}
