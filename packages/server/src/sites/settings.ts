/**
 * Site settings beyond their schema: defaults for rows saved by older versions, the checks that
 * span several fields, and what business hours mean at a given instant.
 */
import { type BusinessHours, DEFAULT_SITE_SETTINGS, type SiteSettings } from '@parley/protocol';

/** A stored settings object with every field present (rows written before a field existed lack it). */
export const withDefaults = (stored: Partial<SiteSettings>): SiteSettings => ({
  ...DEFAULT_SITE_SETTINGS,
  ...stored,
});

/**
 * What the schema cannot say: one human sentence per problem, naming the field. Empty: valid.
 * `hcaptchaSecretSet`: whether the site has (or is being given) an hCaptcha secret.
 */
export function settingsProblems(s: SiteSettings, hcaptchaSecretSet: boolean): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  s.questionnaire.forEach((f, i) => {
    const at = `settings.questionnaire[${i}]`;
    if (names.has(f.name)) problems.push(`${at}.name: "${f.name}" is used by another field`);
    names.add(f.name);
    if (f.kind === 'choice' && !f.options?.length)
      problems.push(`${at}.options: a choice field needs options`);
    if (f.kind !== 'choice' && f.options) problems.push(`${at}.options: only a choice field has options`);
    if (f.options && new Set(f.options).size !== f.options.length) {
      problems.push(`${at}.options: each option must be different`);
    }
  });
  if (s.businessHours) {
    if (!isTimeZone(s.businessHours.timeZone)) {
      problems.push(
        `settings.businessHours.timeZone: "${s.businessHours.timeZone}" is not an IANA time zone`,
      );
    }
    s.businessHours.intervals.forEach((iv, i) => {
      if (minutes(iv.close) <= minutes(iv.open)) {
        problems.push(
          `settings.businessHours.intervals[${i}]: closes (${iv.close}) before it opens (${iv.open})`,
        );
      }
    });
  }
  if (s.captcha === 'hcaptcha') {
    if (!s.hcaptchaSiteKey) problems.push('settings.hcaptchaSiteKey: hCaptcha needs the site key');
    if (!hcaptchaSecretSet) problems.push('hcaptchaSecret: hCaptcha needs the secret key');
  }
  return problems;
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

interface LocalTime {
  year: number;
  month: number;
  day: number;
  minutes: number;
  weekday: number;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const formatters = new Map<string, Intl.DateTimeFormat>();

function localTime(at: number, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
  return {
    year: Number(p.year),
    month: Number(p.month),
    day: Number(p.day),
    minutes: Number(p.hour) * 60 + Number(p.minute),
    weekday: WEEKDAYS.indexOf(p.weekday ?? ''),
  };
}

/** The instant a wall-clock time happens in a zone (the later one when a DST change repeats it). */
function instantOf(year: number, month: number, day: number, mins: number, timeZone: string): number {
  const wanted = Date.UTC(year, month - 1, day, 0, mins);
  let guess = wanted;
  for (let i = 0; i < 3; i++) {
    const l = localTime(guess, timeZone);
    const seen = Date.UTC(l.year, l.month - 1, l.day, 0, l.minutes);
    if (seen === wanted) break;
    guess += wanted - seen;
  }
  return guess;
}

/** Are the hours open at `now`, and if not, when do they open next (within a week)? */
export function hoursState(
  hours: BusinessHours | null,
  now: Date,
): { open: boolean; opensAt: string | null } {
  if (!hours) return { open: true, opensAt: null };
  const local = localTime(now.getTime(), hours.timeZone);
  const today = hours.intervals.filter((iv) => iv.day === local.weekday);
  if (today.some((iv) => minutes(iv.open) <= local.minutes && local.minutes < minutes(iv.close))) {
    return { open: true, opensAt: null };
  }
  for (let ahead = 0; ahead <= 7; ahead++) {
    const weekday = (local.weekday + ahead) % 7;
    const opens = hours.intervals
      .filter((iv) => iv.day === weekday)
      .map((iv) => minutes(iv.open))
      .filter((m) => ahead > 0 || m > local.minutes)
      .sort((a, b) => a - b);
    if (opens.length === 0) continue;
    const date = new Date(Date.UTC(local.year, local.month - 1, local.day + ahead));
    const at = instantOf(
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      opens[0]!,
      hours.timeZone,
    );
    return { open: false, opensAt: new Date(at).toISOString() };
  }
  return { open: false, opensAt: null };
}
