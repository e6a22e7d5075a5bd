import { describe, expect, it } from 'vitest';
import { isRtl, LANGUAGES, locale, money, pickLocale, setLocale, tf, untranslated } from './i18n.js';

describe('inbox strings', () => {
  it('picks the first supported browser language, English otherwise', () => {
    expect(pickLocale(['fr-FR', 'ru-RU', 'en'])).toBe('ru');
    expect(pickLocale(['ar-EG'])).toBe('ar');
    expect(pickLocale(['de'])).toBe('en');
    expect(LANGUAGES.map((l) => l.code)).toEqual(['en', 'ru', 'ar']);
    expect([isRtl('ar'), isRtl('ru'), isRtl('en')]).toEqual([true, false, false]);
  });

  it('fills placeholders and formats amounts in the current language', () => {
    setLocale('en');
    expect(tf('addToClient', { value: 'a@b.example' })).toBe('Add a@b.example to the client');
    expect(money('1234.5', 'EUR')).toBe('€1,234.50');
    expect(money('oops', 'EUR')).toBe('oops EUR');
    setLocale('ru');
    expect(locale).toBe('ru');
    expect(tf('clientLinked', { name: 'Ада' })).toBe('Привязан к: Ада');
    expect(money('1234.5', 'EUR').replace(/\s/g, ' ')).toBe('1 234,50 €');
    setLocale('xx');
    expect(locale).toBe('en');
  });

  it('has every string in Russian and Arabic (none falls back to English)', () => {
    // `never` is a dash in every language.
    expect(untranslated('ru')).toEqual(['never']);
    expect(untranslated('ar')).toEqual(['never']);
  });
});
