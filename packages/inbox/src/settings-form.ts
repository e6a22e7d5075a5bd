/**
 * The admin screens' pure logic: a site as an editable form and back into a PATCH body, an
 * operator's routing attributes likewise, obvious checks done in the browser, and the server's
 * validation message split into problems per form control. DOM-free, unit-tested.
 */
import type {
  BusinessHours,
  OperatorProfile,
  QuestionnaireField,
  SiteAdmin,
  SiteSettings,
  UpdateOperatorBody,
  UpdateSiteBody,
} from '@parley/protocol';

export type RoutingStrategy = SiteAdmin['routingStrategy'];
export const ROUTING_STRATEGIES: readonly RoutingStrategy[] = [
  'least_busy',
  'most_available',
  'most_experienced',
  'cheapest_first',
  'round_robin',
];
export type FieldKind = QuestionnaireField['kind'];
export const FIELD_KINDS: readonly FieldKind[] = ['name', 'email', 'phone', 'text', 'choice'];

/** A questionnaire field as edited: the options of a choice field one per line. */
export interface FieldForm {
  name: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  options: string;
}

export interface IntervalForm {
  day: number;
  open: string;
  close: string;
}

/** Everything the site screen edits, as the controls hold it (strings where the user types). */
export interface SiteForm {
  name: string;
  /** One origin per line. */
  allowedOrigins: string;
  color: string;
  avatarUrl: string;
  greeting: string;
  greetingKnown: string;
  questionnaire: FieldForm[];
  /** Off: no business hours (the team answers whenever someone is online). */
  hoursOn: boolean;
  timeZone: string;
  intervals: IntervalForm[];
  offlineForm: boolean;
  /** One message per line. */
  waitingMessages: string;
  /** Seconds; empty: never offer a callback. */
  callbackAfterSeconds: string;
  captcha: SiteSettings['captcha'];
  hcaptchaSiteKey: string;
  /** Empty: keep the stored secret (it is write-only). */
  hcaptchaSecret: string;
  routingStrategy: RoutingStrategy;
  /** Comma- or space-separated. */
  requiredSkills: string;
  defaultCountry: string;
  createProspects: boolean;
}

const lines = (s: string): string[] =>
  s
    .split('\n')
    .map((x) => x.trim())
    .filter(Boolean);
export const words = (s: string): string[] =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

export function siteForm(site: SiteAdmin, defaultZone = 'UTC'): SiteForm {
  const s = site.settings;
  return {
    name: site.name,
    allowedOrigins: site.allowedOrigins.join('\n'),
    color: s.color,
    avatarUrl: s.avatarUrl ?? '',
    greeting: s.greeting,
    greetingKnown: s.greetingKnown,
    questionnaire: s.questionnaire.map((f) => ({
      name: f.name,
      label: f.label,
      kind: f.kind,
      required: f.required,
      options: (f.options ?? []).join('\n'),
    })),
    hoursOn: s.businessHours !== null,
    timeZone: s.businessHours?.timeZone ?? defaultZone,
    intervals: (s.businessHours?.intervals ?? []).map((iv) => ({ ...iv })),
    offlineForm: s.offlineForm,
    waitingMessages: s.waitingMessages.join('\n'),
    callbackAfterSeconds: s.callbackAfterSeconds === null ? '' : String(s.callbackAfterSeconds),
    captcha: s.captcha,
    hcaptchaSiteKey: s.hcaptchaSiteKey ?? '',
    hcaptchaSecret: '',
    routingStrategy: site.routingStrategy,
    requiredSkills: site.requiredSkills.join(', '),
    defaultCountry: site.defaultCountry ?? '',
    createProspects: site.createProspects,
  };
}

function fieldOf(f: FieldForm): QuestionnaireField {
  const options = lines(f.options);
  return {
    name: f.name.trim(),
    label: f.label.trim(),
    kind: f.kind,
    required: f.required,
    ...(f.kind === 'choice' ? { options } : {}),
  };
}

/** The widget settings the form describes (every field). */
export function settingsOf(form: SiteForm): Omit<SiteSettings, 'name' | 'locale'> {
  const hours: BusinessHours | null = form.hoursOn
    ? { timeZone: form.timeZone, intervals: form.intervals.map((iv) => ({ ...iv })) }
    : null;
  const callback = form.callbackAfterSeconds.trim();
  return {
    color: form.color.trim(),
    avatarUrl: form.avatarUrl.trim() || null,
    greeting: form.greeting,
    greetingKnown: form.greetingKnown,
    questionnaire: form.questionnaire.map(fieldOf),
    businessHours: hours,
    offlineForm: form.offlineForm,
    waitingMessages: lines(form.waitingMessages),
    // Not a number stays a string: the server names the field instead of us guessing.
    callbackAfterSeconds: callback === '' ? null : Number.isNaN(Number(callback)) ? 0 : Number(callback),
    captcha: form.captcha,
    hcaptchaSiteKey: form.hcaptchaSiteKey.trim() || null,
  };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The PATCH body for what changed between the stored site and the form; null when nothing did.
 * `settings` carries only the changed settings: the server merges them field by field.
 */
export function sitePatch(site: SiteAdmin, form: SiteForm, removeSecret = false): UpdateSiteBody | null {
  const body: UpdateSiteBody = {};
  const name = form.name.trim();
  if (name !== site.name) body.name = name;
  const origins = lines(form.allowedOrigins);
  if (!same(origins, site.allowedOrigins)) body.allowedOrigins = origins;
  const next = settingsOf(form);
  const settings: Partial<SiteSettings> = {};
  for (const k of Object.keys(next) as (keyof typeof next)[]) {
    if (!same(next[k], site.settings[k])) (settings as Record<string, unknown>)[k] = next[k];
  }
  // The widget's title follows the site's name.
  if (name !== site.settings.name) settings.name = name;
  if (Object.keys(settings).length > 0) body.settings = settings;
  if (form.hcaptchaSecret.trim()) body.hcaptchaSecret = form.hcaptchaSecret.trim();
  else if (removeSecret && site.hcaptchaSecretSet) body.hcaptchaSecret = null;
  if (form.routingStrategy !== site.routingStrategy) body.routingStrategy = form.routingStrategy;
  const skills = words(form.requiredSkills);
  if (!same(skills, site.requiredSkills)) body.requiredSkills = skills;
  const country = form.defaultCountry.trim().toUpperCase() || null;
  if (country !== site.defaultCountry) body.defaultCountry = country;
  if (form.createProspects !== site.createProspects) body.createProspects = form.createProspects;
  return Object.keys(body).length > 0 ? body : null;
}

/** Problems per control key (see `fieldKey`); '' holds the ones no control owns. */
export type Problems = Record<string, string[]>;

/**
 * The control a server path belongs to: `settings.businessHours.intervals[0]` → the interval's
 * row, `settings.questionnaire[2].options` → the field's row, `allowedOrigins[1]` → the origins box.
 * TypeBox paths (`settings.questionnaire.2.name`) are read the same way.
 */
export function fieldKey(path: string): string {
  const p = path.replace(/^settings\./, '').replace(/\.(\d+)(?=\.|$)/g, '[$1]');
  const row = /^(questionnaire\[\d+\]|businessHours\.intervals\[\d+\])/.exec(p);
  if (row) return row[1]!;
  if (p.startsWith('businessHours.timeZone')) return 'timeZone';
  return /^[A-Za-z]\w*/.exec(p)?.[0] ?? '';
}

const PROBLEM = /^([A-Za-z_][\w]*(?:\[\d+\]|\.\w+)*): ([\s\S]*)$/;

/** Splits the server's 400 message (`path: text; path: text`) into problems per control. */
export function serverProblems(message: string, known?: ReadonlySet<string>): Problems {
  const out: Problems = {};
  // "; " followed by another `path: ` starts the next problem; a "; " inside a text does not.
  const parts = message.split(/; (?=[A-Za-z_][\w.[\]]*: )/);
  for (const part of parts) {
    const m = PROBLEM.exec(part.trim());
    let key = m ? fieldKey(m[1]!) : '';
    if (known && !known.has(key) && !/^(questionnaire|businessHours\.intervals)\[/.test(key)) key = '';
    const text = m && key ? m[2]! : part.trim();
    if (!text) continue;
    out[key] = [...(out[key] ?? []), text];
  }
  return out;
}

/** Messages of the browser's own checks, by key; the views translate them. */
export type Check =
  | 'badColor'
  | 'closesBeforeOpens'
  | 'badFieldName'
  | 'duplicateName'
  | 'needsLabel'
  | 'needsOptions'
  | 'needsSiteKey'
  | 'needsSecret'
  | 'badNumber'
  | 'badCountry'
  | 'needsOrigin';

const HHMM = /^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$/;
const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The obvious problems, found before asking the server (which stays the authority). */
export function formChecks(form: SiteForm, secretSet: boolean): Record<string, Check[]> {
  const out: Record<string, Check[]> = {};
  const add = (k: string, c: Check) => {
    out[k] = [...(out[k] ?? []), c];
  };
  if (lines(form.allowedOrigins).length === 0) add('allowedOrigins', 'needsOrigin');
  if (!/^#[0-9a-fA-F]{6}$/.test(form.color.trim())) add('color', 'badColor');
  const names = new Set<string>();
  form.questionnaire.forEach((f, i) => {
    const k = `questionnaire[${i}]`;
    if (!/^[a-z][a-z0-9_]*$/.test(f.name.trim())) add(k, 'badFieldName');
    else if (names.has(f.name.trim())) add(k, 'duplicateName');
    names.add(f.name.trim());
    if (!f.label.trim()) add(k, 'needsLabel');
    if (f.kind === 'choice' && lines(f.options).length === 0) add(k, 'needsOptions');
  });
  if (form.hoursOn) {
    form.intervals.forEach((iv, i) => {
      if (HHMM.test(iv.open) && HHMM.test(iv.close) && minutes(iv.close) <= minutes(iv.open)) {
        add(`businessHours.intervals[${i}]`, 'closesBeforeOpens');
      }
    });
  }
  const cb = form.callbackAfterSeconds.trim();
  if (cb && !/^\d+$/.test(cb)) add('callbackAfterSeconds', 'badNumber');
  if (form.captcha === 'hcaptcha') {
    if (!form.hcaptchaSiteKey.trim()) add('hcaptchaSiteKey', 'needsSiteKey');
    if (!secretSet && !form.hcaptchaSecret.trim()) add('hcaptchaSecret', 'needsSecret');
  }
  if (form.defaultCountry.trim() && !/^[A-Za-z]{2}$/.test(form.defaultCountry.trim())) {
    add('defaultCountry', 'badCountry');
  }
  return out;
}

/** The tag a site's pages include: the widget from this server, with the site's key. */
export const scriptTag = (origin: string, key: string): string =>
  `<script src="${origin}/widget.js" data-site="${key}" async></script>`;

/** An operator's routing attributes as edited. */
export interface OperatorForm {
  maxChats: string;
  skills: string;
  experience: string;
  costTier: string;
  extension: string;
}

export const operatorForm = (o: OperatorProfile): OperatorForm => ({
  maxChats: String(o.maxChats),
  skills: o.skills.join(', '),
  experience: String(o.experience),
  costTier: String(o.costTier),
  extension: o.extension ?? '',
});

/** Numbers as typed; a non-number goes as NaN→null-free string so the server names the field. */
const num = (s: string): number => (/^-?\d+$/.test(s.trim()) ? Number(s.trim()) : Number.NaN);

/** The PATCH /users/:id body for what changed; null when nothing did. */
export function operatorPatch(o: OperatorProfile, form: OperatorForm): UpdateOperatorBody | null {
  const body: UpdateOperatorBody = {};
  const ints = [
    ['maxChats', form.maxChats],
    ['experience', form.experience],
    ['costTier', form.costTier],
  ] as const;
  for (const [k, v] of ints) {
    const n = num(v);
    if (n !== o[k]) body[k] = n;
  }
  const skills = words(form.skills.toLowerCase());
  if (!same(skills, o.skills)) body.skills = skills;
  const ext = form.extension.trim() || null;
  if (ext !== o.extension) body.extension = ext;
  return Object.keys(body).length > 0 ? body : null;
}

/** Numbers the form cannot send (empty or not whole): keyed like the server's paths. */
export function operatorChecks(form: OperatorForm): Record<string, Check[]> {
  const out: Record<string, Check[]> = {};
  for (const k of ['maxChats', 'experience', 'costTier'] as const) {
    if (Number.isNaN(num(form[k]))) out[k] = ['badNumber'];
  }
  return out;
}
