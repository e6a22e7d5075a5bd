/** Admins change a site over REST: validated per field, all or nothing, secrets write-only. */
import { ErrorCode, type SiteAdmin } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test/harness.js';

let h: Harness;
let admin: string;
let site: SiteAdmin;
beforeAll(async () => {
  h = await startHarness();
  admin = await h.login(h.boot.admin.email, h.adminPassword);
  const list = await h.app.inject({ method: 'GET', url: '/api/v1/sites', headers: { cookie: admin } });
  site = (list.json() as { sites: SiteAdmin[] }).sites[0]!;
});
afterAll(() => h.close());

const patch = (payload: unknown, cookie = admin) =>
  h.app.inject({
    method: 'PATCH',
    url: `/api/v1/sites/${site.id}`,
    headers: { cookie },
    payload: payload as object,
  });

describe('PATCH /api/v1/sites/:id', () => {
  it('merges settings field by field and keeps the hCaptcha secret write-only', async () => {
    const res = await patch({
      name: 'Shop Baku',
      allowedOrigins: ['https://shop.az', 'https://*.shop.az'],
      settings: {
        captcha: 'hcaptcha',
        hcaptchaSiteKey: '10000000-ffff-ffff-ffff-000000000001',
        offlineForm: true,
      },
      hcaptchaSecret: '0xsecret',
    });
    expect(res.statusCode).toBe(200);
    const saved = res.json() as SiteAdmin;
    expect(saved).toMatchObject({
      name: 'Shop Baku',
      allowedOrigins: ['https://shop.az', 'https://*.shop.az'],
      hcaptchaSecretSet: true,
      settings: { captcha: 'hcaptcha', offlineForm: true, greeting: site.settings.greeting },
    });
    expect(res.body).not.toContain('0xsecret');
    // Another field later leaves these alone.
    const again = (await patch({ settings: { color: '#111827' } })).json() as SiteAdmin;
    expect(again.settings).toMatchObject({ color: '#111827', captcha: 'hcaptcha', offlineForm: true });
  });

  it('sets the routing strategy, required skills, default phone country and prospect creation', async () => {
    const res = await patch({
      routingStrategy: 'round_robin',
      requiredSkills: ['hungarian'],
      defaultCountry: 'HU',
      createProspects: false,
    });
    expect(res.json()).toMatchObject({
      routingStrategy: 'round_robin',
      requiredSkills: ['hungarian'],
      defaultCountry: 'HU',
      createProspects: false,
    });
    for (const bad of [
      { routingStrategy: 'random' },
      { defaultCountry: 'Hungary' },
      { requiredSkills: ['Has Space'] },
    ]) {
      expect((await patch(bad)).statusCode, JSON.stringify(bad)).toBe(400);
    }
    await patch({
      routingStrategy: 'least_busy',
      requiredSkills: [],
      defaultCountry: null,
      createProspects: true,
    });
  });

  it('names every bad field in one answer and saves nothing', async () => {
    const before = (await patch({ settings: { greeting: 'Before' } })).json() as SiteAdmin;
    const res = await patch({
      allowedOrigins: ['shop.az'],
      settings: {
        greeting: 'After',
        businessHours: {
          timeZone: 'Europe/Atlantis',
          intervals: [{ day: 1, open: '17:00', close: '09:00' }],
        },
        questionnaire: [{ name: 'topic', label: 'Topic', kind: 'choice', required: true }],
      },
      hcaptchaSecret: null,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      code: ErrorCode.Validation,
      message: [
        'allowedOrigins[0]: "shop.az" is not an origin like https://shop.example or https://*.shop.example',
        'settings.questionnaire[0].options: a choice field needs options',
        'settings.businessHours.timeZone: "Europe/Atlantis" is not an IANA time zone',
        'settings.businessHours.intervals[0]: closes (09:00) before it opens (17:00)',
        'hcaptchaSecret: hCaptcha needs the secret key',
      ].join('; '),
    });
    const list = await h.app.inject({ method: 'GET', url: '/api/v1/sites', headers: { cookie: admin } });
    const now = (list.json() as { sites: SiteAdmin[] }).sites[0]!;
    expect(now).toEqual(before);
  });

  it('refuses what the schema forbids, naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ settings: { color: 'red' } }, 'settings.color'],
      [{ settings: { captcha: 'recaptcha' } }, 'settings.captcha'],
      [{ settings: { waitingMessages: [''] } }, 'settings.waitingMessages'],
      [{ settings: { shoeSize: 44 } }, 'settings'],
      [{ settings: { callbackAfterSeconds: -1 } }, 'settings.callbackAfterSeconds'],
      [{}, 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await patch(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect((res.json() as { message: string }).message.startsWith(field), res.body).toBe(true);
    }
  });

  it('names every schema problem of one request, each with its field', async () => {
    const res = await patch({ settings: { color: 'red', captcha: 'recaptcha', shoeSize: 44 }, name: '' });
    expect(res.statusCode).toBe(400);
    const problems = (res.json() as { message: string }).message.split('; ');
    expect(problems.map((p) => p.slice(0, p.indexOf(':')))).toEqual(
      expect.arrayContaining(['name', 'settings', 'settings.color', 'settings.captcha']),
    );
    expect(problems).toContain('settings: must NOT have additional properties (shoeSize)');
    expect(problems).toHaveLength(4);
  });

  it('is for admins only, and only for sites of their workspace', async () => {
    const op = await h.createOperator('Nobody');
    expect((await patch({ name: 'Mine now' }, op.cookie)).statusCode).toBe(403);
    const res = await h.app.inject({
      method: 'PATCH',
      url: '/api/v1/sites/00000000-0000-4000-8000-000000000000',
      headers: { cookie: admin },
      payload: { name: 'Ghost' },
    });
    expect(res.statusCode).toBe(404);
  });
});
