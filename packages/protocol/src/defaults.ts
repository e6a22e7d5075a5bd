import type { SiteSettings } from './schemas.js';

/** What a site gets until someone changes it; also fills fields missing in older rows. */
export const DEFAULT_SITE_SETTINGS: SiteSettings = {
  name: 'Parley',
  color: '#2563eb',
  avatarUrl: null,
  greeting: 'Hi! Ask us anything — we usually answer within a few minutes.',
  greetingKnown: 'Hello, {name}! How can we help?',
  locale: null,
  questionnaire: [
    { name: 'name', label: 'Name', kind: 'name', required: true },
    { name: 'email', label: 'E-mail', kind: 'email', required: true },
  ],
  businessHours: null,
  offlineForm: false,
  waitingMessages: [],
  callbackAfterSeconds: null,
  captcha: 'off',
  hcaptchaSiteKey: null,
};
