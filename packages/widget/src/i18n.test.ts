/** Every language has every string, with the same placeholders, and is a translation. */
import { describe, expect, it } from 'vitest';
import { EN, fill, KEYS, lang, loadStrings, parse } from './i18n.js';
import ar from './lang/ar.js';
import az from './lang/az.js';
import hu from './lang/hu.js';
import ru from './lang/ru.js';
import vi from './lang/vi.js';

const LINES = { ar, az, hu, ru, vi };
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
/** Strings that are the same word in English and the other language. */
const SAME = new Set(['az:op']);

describe('UI strings', () => {
  it('English has one non-empty string per key', () => {
    expect(EN.split('|')).toHaveLength(KEYS.length);
    for (const [k, v] of Object.entries(parse(EN))) expect(v, k).not.toBe('');
  });

  for (const [code, line] of Object.entries(LINES)) {
    it(`${code} has every string, with the placeholders of the English one, translated`, () => {
      const parts = line.split('|');
      expect(parts).toHaveLength(KEYS.length);
      const en = parse(EN);
      const t = parse(line);
      for (const k of KEYS) {
        expect(t[k], `${code}.${k}`).not.toBe('');
        expect(placeholders(t[k]), `${code}.${k}`).toEqual(placeholders(en[k]));
        if (!SAME.has(`${code}:${k}`)) expect(t[k], `${code}.${k} is English`).not.toBe(en[k]);
      }
    });
  }

  it('loads the language of a BCP 47 tag, English for anything else', async () => {
    expect((await loadStrings('ru-RU')).start).toBe('Начать чат');
    expect((await loadStrings('ar-EG')).send).toBe('إرسال');
    expect((await loadStrings('fr')).start).toBe('Start chat');
    expect(lang('hu-HU')).toBe('hu');
  });

  it('fills placeholders', () => {
    expect(fill(parse(EN).cbDone, { phone: '+36 1 234 5678' })).toBe("We'll call you at +36 1 234 5678");
  });
});
