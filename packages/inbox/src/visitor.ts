/**
 * Pure helpers of the visitor panel: the visitor's local time, and
 * what of their questionnaire answers a client card could take (create, link, add a phone or e-mail).
 */
import type { Client, ContactSummary, CreateClientBody } from '@parley/protocol';
import { isEmail, looksLikePhone } from '@parley/protocol';

/** HH:MM now in an IANA time zone, or null when the zone is unknown to this browser. */
export function timeIn(timeZone: string, nowMs: number): string | null {
  try {
    const parts = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(nowMs);
    const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
    return `${get('hour')}:${get('minute')}`;
  } catch {
    return null; // RangeError: invalid time zone
  }
}

/** The e-mail addresses and phone numbers among the visitor's answers, whatever the fields are called. */
export function contactPoints(answers: Record<string, string>): { emails: string[]; phones: string[] } {
  const emails: string[] = [];
  const phones: string[] = [];
  for (const v of Object.values(answers)) {
    const value = v.trim();
    if (isEmail(value)) emails.push(value);
    else if (looksLikePhone(value)) phones.push(value);
  }
  return { emails, phones };
}

const digits = (v: string): string => v.replace(/\D/g, '');

/**
 * Whether a typed phone is one the client has. Stored phones are E.164; the visitor may have left out
 * the country code, so a match of the last digits (7 or more) counts.
 */
function hasPhone(client: Client, typed: string): boolean {
  const d = digits(typed);
  return client.phones.some((p) => {
    const s = digits(p);
    return s === d || (d.length >= 7 && (s.endsWith(d) || d.endsWith(s)));
  });
}

/** The visitor's answers the client card does not have yet: what "add to client" offers. */
export function missingPoints(
  answers: Record<string, string>,
  client: Client,
): { emails: string[]; phones: string[] } {
  const { emails, phones } = contactPoints(answers);
  const known = new Set(client.emails.map((e) => e.toLowerCase()));
  return {
    emails: emails.filter((e) => !known.has(e.toLowerCase())),
    phones: phones.filter((p) => !hasPhone(client, p)),
  };
}

/** A new client prefilled from the visitor: their name, e-mails and phones. */
export function clientDraft(contact: ContactSummary): CreateClientBody {
  const { emails, phones } = contactPoints(contact.answers);
  const name = (contact.answers.name ?? contact.visitorName).trim() || contact.visitorName;
  const body: CreateClientBody = { name: name.slice(0, 200) };
  if (contact.answers.company?.trim()) body.company = contact.answers.company.trim();
  if (emails.length) body.emails = emails;
  if (phones.length) body.phones = phones;
  return body;
}

/** Up to two initials for a photo placeholder: "Ada Lovelace" → "AL". */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const chars = words.length > 1 ? [words[0]![0], words[words.length - 1]![0]] : [words[0]?.[0]];
  return chars.filter(Boolean).join('').toUpperCase() || '?';
}

/** Only http(s) URLs become links: a visitor-supplied `javascript:` URL must not be clickable. */
export const safeUrl = (u: string | null | undefined): u is string => !!u && /^https?:\/\//i.test(u);

/** A client photo the card may show: http(s), or an inline image (an <img> runs no script). */
export const safePhoto = (u: string | null | undefined): u is string =>
  !!u && (/^https?:\/\//i.test(u) || /^data:image\//i.test(u));
