import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';

/** Longest input worth parsing; anything longer is not a phone number. */
const MAX_RAW = 64;

/** An ISO 3166 alpha-2 code libphonenumber-js knows (`HU`, `az` …), upper-cased; otherwise null. */
export function phoneCountry(code: string | null | undefined): CountryCode | null {
  const upper = code?.trim().toUpperCase() ?? '';
  return upper && isSupportedCountry(upper) ? upper : null;
}

/**
 * A phone number in E.164 (`+36301234567`), or null when it is not a valid number. Numbers written
 * without a country code are read in `defaultCountry` (the site's); `00` and `+` prefixes work anywhere.
 */
export function normalizePhone(raw: string, defaultCountry?: string | null): string | null {
  const text = raw.trim();
  if (!text || text.length > MAX_RAW) return null;
  const country = phoneCountry(defaultCountry);
  const parsed = country
    ? parsePhoneNumberFromString(text, { defaultCountry: country, extract: false })
    : parsePhoneNumberFromString(text, { extract: false });
  return parsed?.isValid() ? parsed.number : null;
}
