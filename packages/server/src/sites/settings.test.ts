import { type BusinessHours, DEFAULT_SITE_SETTINGS, type SiteSettings } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { hoursState, settingsProblems, withDefaults } from './settings.js';

const weekdays9to17 = (timeZone: string): BusinessHours => ({
  timeZone,
  intervals: [1, 2, 3, 4, 5].map((day) => ({ day, open: '09:00', close: '17:00' })),
});

describe('business hours', () => {
  it('are open inside an interval in the site’s zone, not the server’s', () => {
    // 2026-11-23 is a Monday. 08:30 UTC is 09:30 in Budapest (UTC+1) and 03:30 in New York.
    const now = new Date('2026-11-23T08:30:00Z');
    expect(hoursState(weekdays9to17('Europe/Budapest'), now)).toEqual({ open: true, opensAt: null });
    expect(hoursState(weekdays9to17('America/New_York'), now)).toEqual({
      open: false,
      opensAt: '2026-11-23T14:00:00.000Z',
    });
  });

  it('point to the next working day after closing, across the weekend', () => {
    // Friday 2026-11-27 18:00 in Baku (UTC+4): next opening is Monday 09:00 Baku = 05:00 UTC.
    expect(hoursState(weekdays9to17('Asia/Baku'), new Date('2026-11-27T14:00:00Z'))).toEqual({
      open: false,
      opensAt: '2026-11-30T05:00:00.000Z',
    });
  });

  it('close at the closing minute and follow a daylight-saving change', () => {
    expect(hoursState(weekdays9to17('UTC'), new Date('2026-11-23T17:00:00Z')).open).toBe(false);
    expect(hoursState(weekdays9to17('UTC'), new Date('2026-11-23T16:59:00Z')).open).toBe(true);
    // Saturday 2026-03-28 in Budapest (UTC+1); Monday 30 March is summer time (UTC+2): 09:00 = 07:00 UTC.
    expect(hoursState(weekdays9to17('Europe/Budapest'), new Date('2026-03-28T12:00:00Z')).opensAt).toBe(
      '2026-03-30T07:00:00.000Z',
    );
  });

  it('are always open when none are set, and never when no interval exists', () => {
    expect(hoursState(null, new Date())).toEqual({ open: true, opensAt: null });
    expect(hoursState({ timeZone: 'UTC', intervals: [] }, new Date())).toEqual({
      open: false,
      opensAt: null,
    });
  });
});

describe('site settings checks', () => {
  const valid: SiteSettings = { ...DEFAULT_SITE_SETTINGS };
  it('accept the defaults and fill fields missing from older rows', () => {
    expect(settingsProblems(valid, false)).toEqual([]);
    expect(withDefaults({ name: 'Old shop', color: '#112233' } as Partial<SiteSettings>)).toMatchObject({
      name: 'Old shop',
      captcha: 'off',
      waitingMessages: [],
    });
  });

  it('name each cross-field problem', () => {
    const problems = settingsProblems(
      {
        ...valid,
        questionnaire: [
          { name: 'topic', label: 'Topic', kind: 'choice', required: true },
          { name: 'topic', label: 'Again', kind: 'text', required: false, options: ['a'] },
        ],
        businessHours: { timeZone: 'Mars/Olympus', intervals: [{ day: 1, open: '18:00', close: '09:00' }] },
        captcha: 'hcaptcha',
      },
      false,
    );
    expect(problems).toEqual([
      'settings.questionnaire[0].options: a choice field needs options',
      'settings.questionnaire[1].name: "topic" is used by another field',
      'settings.questionnaire[1].options: only a choice field has options',
      'settings.businessHours.timeZone: "Mars/Olympus" is not an IANA time zone',
      'settings.businessHours.intervals[0]: closes (09:00) before it opens (18:00)',
      'settings.hcaptchaSiteKey: hCaptcha needs the site key',
      'hcaptchaSecret: hCaptcha needs the secret key',
    ]);
  });
});
