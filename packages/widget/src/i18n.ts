/**
 * UI strings. One `|`-separated line per language keeps the chunks small; order follows KEYS.
 * English is built in (the fallback); the other languages are lazy chunks (lang/*.ts), so a visitor
 * downloads one language, not six.
 */
import { langOf } from './locale.js';

export const KEYS = [
  'open',
  'close',
  'on',
  'off',
  'start',
  'msg',
  'send',
  'queue',
  'joined',
  'typing',
  'seen',
  'ended',
  'again',
  'req',
  'email',
  'sending',
  'conn',
  'fail',
  'op',
  'unsent',
  'wait',
  'phone',
  'choice',
  'pick',
  'human',
  'capReq',
  'capFail',
  'badAns',
  'back',
  'cbOffer',
  'cbPhone',
  'cbBtn',
  'cbDone',
  'reply',
  'noReply',
  'mute',
  'rateQ',
  'rateN',
  'comment',
  'rateSend',
  'thanks',
  'offIntro',
  'offSend',
  'offDone',
] as const;
export type Strings = Record<(typeof KEYS)[number], string>;

export const EN =
  "Open chat|Close chat|We're online|We'll reply as soon as we can|Start chat|Message|Send|You are number {n} in the queue|{name} joined the chat|{name} is typing…|Seen|The conversation has ended|Start a new conversation|This field is required|Enter a valid e-mail address|Sending…|Connecting…|The chat is unavailable right now|Operator|Not sent|about {m} min|Enter a valid phone number|Choose one of the options|Choose…|Checking you are human…|Please confirm you are human|The human check failed. Please try again.|Please check your answers|We answer again from {when}|Tired of waiting? We can call you back.|Phone number|Call me back|We'll call you at {phone}|Reply|Cancel reply|Mute sound|How was the conversation?|{n} out of 5|Comment (optional)|Send rating|Thank you for your feedback!|Nobody is here right now. Leave a message and we'll reply by e-mail.|Send message|We got your message; we'll reply by e-mail.";

/** The other languages, each its own chunk. */
const LAZY: Record<string, () => Promise<{ default: string }>> = {
  ru: () => import('./lang/ru.js'),
  ar: () => import('./lang/ar.js'),
  vi: () => import('./lang/vi.js'),
  az: () => import('./lang/az.js'),
  hu: () => import('./lang/hu.js'),
};

/** The built-in language of a BCP 47 tag ("ar-EG" → ar); unknown languages get English. */
export const lang = (locale: string): string => langOf(locale) || 'en';

export const parse = (line: string): Strings => {
  const parts = line.split('|');
  return Object.fromEntries(KEYS.map((k, i) => [k, parts[i] || ''])) as Strings;
};

/** The strings of `locale`'s language; English if its chunk cannot be loaded. */
export const loadStrings = async (locale: string): Promise<Strings> => {
  const load = LAZY[lang(locale)];
  try {
    if (load) return parse((await load()).default);
  } catch (e) {
    console.warn('parley: language chunk failed to load', e);
  }
  return parse(EN);
};

/** Fills `{name}` placeholders. */
export const fill = (s: string, vars: Record<string, string | number>): string =>
  s.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ''));
