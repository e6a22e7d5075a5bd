import { DEFAULT_SITE_SETTINGS, type OperatorProfile, type SiteAdmin } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { sameAsEnglish } from './admin-i18n.js';
import { allowed, hashOf, viewOf } from './route.js';
import {
  fieldKey,
  formChecks,
  operatorChecks,
  operatorForm,
  operatorPatch,
  scriptTag,
  serverProblems,
  siteForm,
  sitePatch,
} from './settings-form.js';

const site: SiteAdmin = {
  id: '00000000-0000-4000-8000-000000000001',
  key: 'site_abc',
  name: 'Shop',
  allowedOrigins: ['https://shop.example'],
  settings: { ...DEFAULT_SITE_SETTINGS, name: 'Shop' },
  hcaptchaSecretSet: false,
  secret: 's',
  routingStrategy: 'least_busy',
  requiredSkills: [],
  defaultCountry: null,
  createProspects: false,
};

describe('site form → PATCH body', () => {
  it('sends nothing when nothing changed', () => {
    expect(sitePatch(site, siteForm(site))).toBeNull();
  });

  it('sends only the changed fields, settings field by field', () => {
    const f = siteForm(site, 'Europe/Budapest');
    f.color = '#ff0000';
    f.greeting = 'Hello';
    f.questionnaire = [
      ...f.questionnaire,
      { name: 'topic', label: 'Topic', kind: 'choice', required: true, options: 'Billing\n Sales \n\n' },
    ];
    f.captcha = 'altcha';
    f.hoursOn = true;
    f.intervals = [{ day: 1, open: '09:00', close: '17:00' }];
    f.waitingMessages = 'One moment\n\nAlmost there';
    f.callbackAfterSeconds = '120';
    f.routingStrategy = 'round_robin';
    f.requiredSkills = 'en, billing';
    f.defaultCountry = 'hu';
    f.createProspects = true;
    expect(sitePatch(site, f)).toEqual({
      settings: {
        color: '#ff0000',
        greeting: 'Hello',
        questionnaire: [
          ...DEFAULT_SITE_SETTINGS.questionnaire,
          { name: 'topic', label: 'Topic', kind: 'choice', required: true, options: ['Billing', 'Sales'] },
        ],
        businessHours: {
          timeZone: 'Europe/Budapest',
          intervals: [{ day: 1, open: '09:00', close: '17:00' }],
        },
        waitingMessages: ['One moment', 'Almost there'],
        callbackAfterSeconds: 120,
        captcha: 'altcha',
      },
      routingStrategy: 'round_robin',
      requiredSkills: ['en', 'billing'],
      defaultCountry: 'HU',
      createProspects: true,
    });
  });

  it('renames the widget with the site, and sends the write-only secret only when typed or removed', () => {
    const f = siteForm(site);
    f.name = ' Store ';
    f.allowedOrigins = 'https://shop.example\nhttps://*.shop.example\n';
    f.hcaptchaSecret = ' sec ';
    expect(sitePatch(site, f)).toEqual({
      name: 'Store',
      allowedOrigins: ['https://shop.example', 'https://*.shop.example'],
      settings: { name: 'Store' },
      hcaptchaSecret: 'sec',
    });
    expect(sitePatch({ ...site, hcaptchaSecretSet: true }, siteForm(site), true)).toEqual({
      hcaptchaSecret: null,
    });
    // Business hours off again: null, not an empty schedule.
    const withHours = {
      ...site,
      settings: { ...site.settings, businessHours: { timeZone: 'UTC', intervals: [] } },
    };
    const g = siteForm(withHours);
    g.hoursOn = false;
    expect(sitePatch(withHours, g)).toEqual({ settings: { businessHours: null } });
  });

  it('checks the obvious things in the browser', () => {
    const f = siteForm(site);
    f.color = 'red';
    f.hoursOn = true;
    f.intervals = [
      { day: 1, open: '17:00', close: '09:00' },
      { day: 2, open: '09:00', close: '17:00' },
    ];
    f.questionnaire = [{ name: 'Topic', label: '', kind: 'choice', required: false, options: '' }];
    f.captcha = 'hcaptcha';
    f.callbackAfterSeconds = 'soon';
    expect(formChecks(f, false)).toEqual({
      color: ['badColor'],
      'businessHours.intervals[0]': ['closesBeforeOpens'],
      'questionnaire[0]': ['badFieldName', 'needsLabel', 'needsOptions'],
      callbackAfterSeconds: ['badNumber'],
      hcaptchaSiteKey: ['needsSiteKey'],
      hcaptchaSecret: ['needsSecret'],
    });
    // A stored secret is enough.
    f.hcaptchaSiteKey = 'key';
    expect(formChecks(f, true).hcaptchaSecret).toBeUndefined();
  });
});

describe("the server's problems, per control", () => {
  it('maps every path prefix to its control', () => {
    expect(fieldKey('settings.businessHours.intervals[0]')).toBe('businessHours.intervals[0]');
    expect(fieldKey('settings.businessHours.timeZone')).toBe('timeZone');
    expect(fieldKey('settings.questionnaire[2].options')).toBe('questionnaire[2]');
    // TypeBox's paths name array items with a dot.
    expect(fieldKey('settings.questionnaire.1.name')).toBe('questionnaire[1]');
    expect(fieldKey('settings.color')).toBe('color');
    expect(fieldKey('settings.waitingMessages.3')).toBe('waitingMessages');
    expect(fieldKey('allowedOrigins[1]')).toBe('allowedOrigins');
    expect(fieldKey('hcaptchaSecret')).toBe('hcaptchaSecret');
    expect(fieldKey('requiredSkills.0')).toBe('requiredSkills');
  });

  it('splits the message at each problem and keeps the texts', () => {
    const message =
      'settings.businessHours.intervals[0]: closes (09:00) before it opens (17:00); ' +
      'settings.hcaptchaSiteKey: hCaptcha needs the site key; hcaptchaSecret: hCaptcha needs the secret key';
    expect(serverProblems(message)).toEqual({
      'businessHours.intervals[0]': ['closes (09:00) before it opens (17:00)'],
      hcaptchaSiteKey: ['hCaptcha needs the site key'],
      hcaptchaSecret: ['hCaptcha needs the secret key'],
    });
  });

  it('keeps "; " inside a text and puts unknown or pathless problems in the general list', () => {
    expect(
      serverProblems(
        'allowedOrigins[0]: "x; y" is not an origin; body: must have at least 1 properties',
        new Set(['allowedOrigins']),
      ),
    ).toEqual({
      allowedOrigins: ['"x; y" is not an origin'],
      '': ['body: must have at least 1 properties'],
    });
    expect(serverProblems('You cannot deactivate yourself.')).toEqual({
      '': ['You cannot deactivate yourself.'],
    });
    expect(serverProblems('email: a@b.example already has an account')).toEqual({
      email: ['a@b.example already has an account'],
    });
  });
});

describe('the rest of the admin screens', () => {
  it('builds the script tag', () => {
    expect(scriptTag('https://chat.example', 'site_abc')).toBe(
      '<script src="https://chat.example/widget.js" data-site="site_abc" async></script>',
    );
  });

  it("sends an operator's changed routing attributes only", () => {
    const op: OperatorProfile = {
      id: 'u1',
      name: 'Amira',
      email: 'a@x.example',
      role: 'operator',
      status: 'online',
      maxChats: 3,
      skills: ['en'],
      experience: 1,
      costTier: 1,
      extension: null,
      avatarUrl: null,
    };
    expect(operatorPatch(op, operatorForm(op))).toBeNull();
    const f = {
      ...operatorForm(op),
      maxChats: '5',
      skills: 'EN, billing  vip',
      costTier: '3',
      extension: ' 204 ',
    };
    expect(operatorPatch(op, f)).toEqual({
      maxChats: 5,
      skills: ['en', 'billing', 'vip'],
      costTier: 3,
      extension: '204',
    });
    expect(operatorPatch({ ...op, extension: '204' }, { ...operatorForm(op), extension: '' })).toEqual({
      extension: null,
    });
    expect(operatorChecks({ ...f, experience: 'x', maxChats: '' })).toEqual({
      maxChats: ['badNumber'],
      experience: ['badNumber'],
    });
  });

  it('keeps the screen in the URL hash and shows it to the right roles', () => {
    for (const v of ['sites', 'users', 'team'] as const) expect(viewOf(hashOf(v))).toBe(v);
    expect(viewOf('#/settings/sites')).toBe('sites');
    expect(viewOf('')).toBe('inbox');
    expect(viewOf('#/elsewhere')).toBe('inbox');
    expect(allowed('sites', 'admin')).toBe(true);
    expect(allowed('users', 'supervisor')).toBe(false);
    expect(allowed('team', 'supervisor')).toBe(true);
    expect(allowed('team', 'operator')).toBe(false);
  });

  it('has the admin strings in Russian and Arabic', () => {
    // Product names and the address field's name read the same in every language.
    const same = ['captcha_hcaptcha', 'kind_email'];
    expect(sameAsEnglish('ru').filter((k) => !same.includes(k))).toEqual([]);
    expect(sameAsEnglish('ar').filter((k) => !same.includes(k))).toEqual([]);
  });
});
