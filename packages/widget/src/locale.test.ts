import { describe, expect, it } from 'vitest';
import { formatOpensAt, langOf, pickLocale } from './locale.js';

describe('pickLocale', () => {
  it('prefers data-locale, then the site setting, then the browser', () => {
    expect(pickLocale('hu', 'ru', 'en-US')).toBe('hu');
    expect(pickLocale(undefined, 'ru', 'en-US')).toBe('ru');
    expect(pickLocale(undefined, null, 'vi-VN')).toBe('vi-VN');
    expect(pickLocale('', null, 'az-Latn-AZ')).toBe('az-Latn-AZ');
  });

  it('skips a tag of a language without strings, and falls back to English', () => {
    expect(pickLocale('fr', 'ar', 'de-DE')).toBe('ar');
    expect(pickLocale('fr', null, 'de-DE')).toBe('en');
    expect(pickLocale(undefined, undefined, '')).toBe('en');
  });

  it('returns a tag Intl accepts, even from a sloppy attribute', () => {
    expect(pickLocale('ru_RU')).toBe('ru-RU');
    expect(pickLocale('AR-eg')).toBe('ar-EG');
    expect(pickLocale('ru-!!')).toBe('ru');
    expect(() => new Intl.DateTimeFormat(pickLocale('hu_hu!'))).not.toThrow();
  });

  it('maps a tag to its built-in language', () => {
    expect(langOf('ar-EG')).toBe('ar');
    expect(langOf('EN_gb')).toBe('en');
    expect(langOf('fr')).toBe('');
    expect(langOf(null)).toBe('');
  });
});

describe('formatOpensAt', () => {
  // Wednesday 2025-03-12 15:00 in Budapest (UTC+1).
  const now = new Date('2025-03-12T14:00:00Z');
  const tz = 'Europe/Budapest';

  it('says only the time when the team is back later today', () => {
    expect(formatOpensAt('2025-03-12T17:00:00Z', 'en-GB', now, tz)).toBe('18:00');
    expect(formatOpensAt('2025-03-12T17:00:00Z', 'hu', now, tz)).toBe('18:00');
  });

  it('adds the weekday within the coming week, in the visitor’s language and time zone', () => {
    expect(formatOpensAt('2025-03-13T08:00:00Z', 'en-GB', now, tz)).toBe('Thursday 09:00');
    expect(formatOpensAt('2025-03-13T08:00:00Z', 'ru', now, tz)).toBe('четверг 09:00');
    // The same instant is still Wednesday evening in New York (EDT, UTC-4).
    expect(formatOpensAt('2025-03-13T02:00:00Z', 'en-US', now, 'America/New_York')).toMatch(/^10:00\sPM$/);
  });

  it('gives the date when it is a week or more away', () => {
    expect(formatOpensAt('2025-03-24T08:00:00Z', 'en-GB', now, tz)).toBe('24 Mar, 09:00');
  });

  it('is empty for a value that is not a time', () => {
    expect(formatOpensAt('soon', 'en', now, tz)).toBe('');
  });
});
