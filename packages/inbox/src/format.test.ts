import { describe, expect, it } from 'vitest';
import { clientId, clock, elapsed } from './format.js';
import { pickLocale, setLocale, t } from './i18n.js';

describe('clock', () => {
  it('shows HH:MM today and the date before it otherwise (local time)', () => {
    const at = new Date(2025, 0, 2, 9, 5);
    expect(clock(at.toISOString(), new Date(2025, 0, 2, 18, 0))).toBe('09:05');
    expect(clock(at.toISOString(), new Date(2025, 0, 3, 8, 0))).toBe('2025-01-02 09:05');
    expect(clock('garbage')).toBe('');
  });
});

describe('elapsed', () => {
  it('formats m:ss and h:mm:ss, never negative', () => {
    const t0 = Date.parse('2025-01-01T10:00:00Z');
    expect(elapsed('2025-01-01T10:00:00Z', t0 + 65_000)).toBe('1:05');
    expect(elapsed('2025-01-01T10:00:00Z', t0 + 3_723_000)).toBe('1:02:03');
    expect(elapsed('2025-01-01T10:00:00Z', t0 - 5_000)).toBe('0:00');
    expect(elapsed('nope', t0)).toBe('');
  });
});

describe('clientId', () => {
  it('matches the protocol pattern', () => {
    const id = clientId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(clientId()).not.toBe(id);
  });
});

describe('i18n', () => {
  it('picks the first supported language, English otherwise', () => {
    expect(pickLocale(['ru-RU', 'en'])).toBe('ru');
    expect(pickLocale(['de-DE', 'ar-EG'])).toBe('ar');
    expect(pickLocale(['de'])).toBe('en');
    expect(pickLocale([])).toBe('en');
  });

  it('translates, keeping the English labels the browser tests use', () => {
    setLocale('en');
    expect([t('email'), t('password'), t('login'), t('logout'), t('reply'), t('send')]).toEqual([
      'E-mail',
      'Password',
      'Log in',
      'Log out',
      'Reply',
      'Send',
    ]);
    setLocale('ru');
    expect(t('login')).toBe('Войти');
    setLocale('xx');
    expect(t('login')).toBe('Log in');
  });
});
