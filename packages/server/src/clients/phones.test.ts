import { describe, expect, it } from 'vitest';
import { normalizePhone, phoneCountry } from './phones.js';

describe('normalizePhone', () => {
  it.each([
    // [written, site country, E.164]
    ['06 30 123 4567', 'HU', '+36301234567'],
    ['+36 30 123 4567', null, '+36301234567'],
    ['0036 30 123 4567', 'HU', '+36301234567'],
    ['(06-1) 234-5678', 'HU', '+3612345678'],
    ['050 123 45 67', 'AZ', '+994501234567'],
    ['+994 50 123 45 67', 'HU', '+994501234567'],
    ['0912 345 678', 'VN', '+84912345678'],
    ['+84 912 345 678', null, '+84912345678'],
    ['8 (912) 345-67-89', 'RU', '+79123456789'],
    ['+7 912 345-67-89', 'VN', '+79123456789'],
    ['06 30 123 4567', 'hu', '+36301234567'],
  ])('%s in %s is %s', (raw, country, e164) => {
    expect(normalizePhone(raw, country)).toBe(e164);
  });

  it('reads the same national digits differently per country', () => {
    expect(normalizePhone('0912345678', 'VN')).toBe('+84912345678');
    expect(normalizePhone('0912345678', 'HU')).toBeNull();
  });

  it('refuses a national number when no country is known, and junk anywhere', () => {
    expect(normalizePhone('06 30 123 4567', null)).toBeNull();
    expect(normalizePhone('06 30 123 4567', undefined)).toBeNull();
    expect(normalizePhone('06 30 123 4567', 'XX')).toBeNull();
    for (const junk of [
      '',
      '   ',
      'hello',
      '123',
      '+36 30',
      '06301234567abc',
      '+0 123 456 789',
      '1'.repeat(80),
    ]) {
      expect(normalizePhone(junk, 'HU'), junk).toBeNull();
    }
  });

  it('knows the countries libphonenumber-js knows', () => {
    expect(phoneCountry(' az ')).toBe('AZ');
    expect(phoneCountry('Hungary')).toBeNull();
    expect(phoneCountry(null)).toBeNull();
  });
});
