/**
 * Which language the widget speaks, and times in the visitor's own locale. DOM-free; the loader
 * uses `pickLocale` too (tree-shaking keeps the rest out of it).
 */

/** The languages with built-in strings (i18n.ts). */
const SUPPORTED = /^(en|ru|ar|vi|az|hu)$/;

/** The built-in language of a BCP 47 tag ("ar-EG" → "ar"), or '' when there is none. */
export const langOf = (tag: string | null | undefined): string => {
  const l = (tag || '').toLowerCase().split(/[-_]/)[0] || '';
  return SUPPORTED.test(l) ? l : '';
};

/**
 * The first tag, in order of precedence (`data-locale` or `Parley.setLocale`, then the site's
 * setting, then the browser's), that names a built-in language; English when none does.
 */
export const pickLocale = (...tags: (string | null | undefined)[]): string => {
  const tag = tags.find((t) => langOf(t));
  if (!tag) return 'en';
  try {
    // "ru_RU" or a malformed region would make Intl throw later: canonical form, or the bare language.
    return Intl.getCanonicalLocales(tag.replace(/_/g, '-'))[0] || langOf(tag);
  } catch {
    return langOf(tag);
  }
};

const DAY_MS = 86_400_000;

/**
 * When the team answers again, for the header: the time alone when that is today, the weekday and
 * time within the coming week, else the date and time. In `locale`, in the visitor's time zone
 * (`timeZone` only for tests).
 */
export function formatOpensAt(iso: string, locale: string, now = new Date(), timeZone?: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return '';
  const day = (d: Date) =>
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
      d,
    );
  const o: Intl.DateTimeFormatOptions = { timeZone, hour: '2-digit', minute: '2-digit' };
  if (day(at) !== day(now)) {
    if (at.getTime() - now.getTime() < 6 * DAY_MS) o.weekday = 'long';
    else {
      o.month = 'short';
      o.day = 'numeric';
    }
  }
  return new Intl.DateTimeFormat(locale, o).format(at);
}
