/**
 * The admin and supervisor screens: sites (widget settings, questionnaire, captcha, hours, routing),
 * users (create, role, password reset, deactivation) and the team's routing attributes. Imported
 * lazily by the app, so operators never download them.
 */
import type { OperatorProfile, SiteAdmin, User } from '@parley/protocol';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import * as adminApi from './admin-api.js';
import { a, af, checkText } from './admin-i18n.js';
import { ApiError } from './api.js';
import * as ctl from './controller.js';
import { locale, t } from './i18n.js';
import { hashOf, type View } from './route.js';
import {
  type Check,
  FIELD_KINDS,
  type FieldForm,
  formChecks,
  type OperatorForm,
  operatorChecks,
  operatorForm,
  operatorPatch,
  type Problems,
  ROUTING_STRATEGIES,
  type SiteForm,
  scriptTag,
  serverProblems,
  siteForm,
  sitePatch,
} from './settings-form.js';

const SITE_KEYS = new Set([
  'name',
  'allowedOrigins',
  'color',
  'avatarUrl',
  'greeting',
  'greetingKnown',
  'questionnaire',
  'businessHours',
  'timeZone',
  'offlineForm',
  'waitingMessages',
  'callbackAfterSeconds',
  'captcha',
  'hcaptchaSiteKey',
  'hcaptchaSecret',
  'routingStrategy',
  'requiredSkills',
  'defaultCountry',
  'createProspects',
  'locale',
]);

/** Problems of a failed call: a 400's per-field list, else one general message. */
function problemsOf(e: unknown, known?: ReadonlySet<string>): Problems {
  if (e instanceof ApiError) {
    if (e.status === 401) ctl.reportError(e);
    if (e.status === 400 || e.status === 409) return serverProblems(e.message, known);
    return { '': [e.message || t('netError')] };
  }
  return { '': [t('netError')] };
}

export function AdminView({ view, user }: { view: View; user: User }) {
  const tabs: [View, string][] =
    view === 'team'
      ? []
      : [
          ['sites', a('sites')],
          ['users', a('users')],
        ];
  return (
    <main class="admin" aria-label={view === 'team' ? a('team') : a('settings')}>
      <header class="admin-head">
        <h1>{view === 'team' ? a('team') : a('settings')}</h1>
        {tabs.length > 0 && (
          <nav class="tabs" aria-label={a('settings')}>
            {tabs.map(([v, label]) => (
              <a key={v} href={hashOf(v)} aria-current={v === view ? 'page' : undefined}>
                {label}
              </a>
            ))}
          </nav>
        )}
        <span class="grow" />
        <a href="#/" class="back">
          {a('backToInbox')}
        </a>
      </header>
      {view === 'sites' && <Sites />}
      {view === 'users' && <Users me={user} />}
      {view === 'team' && <Team />}
    </main>
  );
}

// ---------------------------------------------------------------------------------------------
// Small pieces

/** Writes to the clipboard; without the async API (insecure origin, old browser) a hidden textarea. */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    ta.remove();
    return ok;
  }
}

function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState<'' | 'ok' | 'failed'>('');
  return (
    <span class="copy">
      <button
        type="button"
        aria-label={label}
        onClick={async () => setDone((await copyText(text)) ? 'ok' : 'failed')}
      >
        {a('copy')}
      </button>
      <span role="status" class="hint">
        {done === 'ok' ? a('copied') : done === 'failed' ? a('copyFailed') : ''}
      </span>
    </span>
  );
}

/** A password shown once, with its Copy button. */
function OncePassword({ label, password, onDone }: { label: string; password: string; onDone: () => void }) {
  return (
    <div class="once" role="status" data-field="password-once">
      <span>{label}</span> <code dir="ltr">{password}</code>{' '}
      <CopyButton text={password} label={a('copyPassword')} />
      <span class="hint">{a('shownOnce')}</span>
      <button type="button" class="link" onClick={onDone}>
        {a('hide')}
      </button>
    </div>
  );
}

function Errors({ id, list }: { id: string; list: string[] | undefined }) {
  if (!list?.length) return null;
  return (
    <ul class="field-error" id={id} data-error-for={id.slice(4)}>
      {list.map((m) => (
        <li key={m}>{m}</li>
      ))}
    </ul>
  );
}

const errId = (key: string) => `err-${key}`;

/** Problems to show at a control: the server's from the last save, else the browser's own checks. */
function shownAt(key: string, server: Problems, checks: Record<string, Check[]>): string[] | undefined {
  return server[key] ?? checks[key]?.map(checkText);
}

function Field({
  k,
  label,
  errors,
  children,
  hint,
}: {
  k: string;
  label: string;
  errors: string[] | undefined;
  children: ComponentChildren;
  hint?: string;
}) {
  return (
    <div class={`field${errors?.length ? ' invalid' : ''}`} data-field={k}>
      <label for={`f-${k}`}>{label}</label>
      {children}
      {hint && <span class="hint">{hint}</span>}
      <Errors id={errId(k)} list={errors} />
    </div>
  );
}

/** Props every text control of the site form gets: id, invalid state and the error's id. */
const ctlProps = (k: string, errors: string[] | undefined) => ({
  id: `f-${k}`,
  'aria-invalid': errors?.length ? ('true' as const) : undefined,
  'aria-describedby': errors?.length ? errId(k) : undefined,
});

function ProblemList({ problems, title }: { problems: Problems; title: string }) {
  const all = Object.entries(problems).flatMap(([k, list]) => list.map((m) => (k ? `${k}: ${m}` : m)));
  if (all.length === 0) return null;
  return (
    <div role="alert" class="problems">
      <strong>{title}</strong>
      <ul>
        {all.map((m) => (
          <li key={m}>{m}</li>
        ))}
      </ul>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Sites

function Sites() {
  const [sites, setSites] = useState<SiteAdmin[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    adminApi
      .sites()
      .then((list) => {
        setSites(list);
        setSelected((s) => s ?? list[0]?.id ?? null);
      })
      .catch((e: unknown) => setLoadError(problemsOf(e)['']?.[0] ?? t('netError')));
  }, []);
  if (loadError)
    return (
      <p role="alert" class="error">
        {loadError}
      </p>
    );
  if (!sites) return <p class="hint">{t('loading')}</p>;
  const site = sites.find((s) => s.id === selected);
  return (
    <div class="sites">
      <aside class="site-list">
        <h2>{a('sites')}</h2>
        <ul aria-label={a('sites')}>
          {sites.map((s) => (
            <li key={s.id}>
              <button
                type="button"
                class="link"
                data-site-id={s.id}
                aria-current={s.id === selected ? 'true' : undefined}
                onClick={() => setSelected(s.id)}
              >
                {s.name}
              </button>
            </li>
          ))}
        </ul>
        <NewSite
          onCreated={(s) => {
            setSites([...sites, s]);
            setSelected(s.id);
          }}
        />
      </aside>
      {site && (
        <SiteEditor
          key={site.id}
          site={site}
          onSaved={(s) => setSites(sites.map((x) => (x.id === s.id ? s : x)))}
        />
      )}
    </div>
  );
}

function NewSite({ onCreated }: { onCreated: (s: SiteAdmin) => void }) {
  const [name, setName] = useState('');
  const [origins, setOrigins] = useState('');
  const [problems, setProblems] = useState<Problems>({});
  const [busy, setBusy] = useState(false);
  const known = new Set(['name', 'allowedOrigins']);
  return (
    <form
      class="new-site"
      aria-label={a('newSite')}
      onSubmit={async (e) => {
        e.preventDefault();
        const allowedOrigins = origins
          .split('\n')
          .map((x) => x.trim())
          .filter(Boolean);
        const local: Problems = {};
        if (!name.trim()) local.name = [a('required')];
        if (allowedOrigins.length === 0) local.allowedOrigins = [checkText('needsOrigin')];
        setProblems(local);
        if (Object.keys(local).length > 0) return;
        setBusy(true);
        try {
          onCreated(await adminApi.createSite({ name: name.trim(), allowedOrigins }));
          setName('');
          setOrigins('');
        } catch (err) {
          setProblems(problemsOf(err, known));
        } finally {
          setBusy(false);
        }
      }}
    >
      <h3>{a('newSite')}</h3>
      <div class="field" data-field="new-name">
        <label for="new-site-name">{a('siteName')}</label>
        <input
          id="new-site-name"
          value={name}
          maxLength={80}
          aria-invalid={problems.name ? 'true' : undefined}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <Errors id="err-new-name" list={problems.name} />
      </div>
      <div class="field" data-field="new-origins">
        <label for="new-site-origins">{a('allowedOrigins')}</label>
        <textarea
          id="new-site-origins"
          rows={2}
          dir="ltr"
          placeholder="https://shop.example"
          value={origins}
          aria-invalid={problems.allowedOrigins ? 'true' : undefined}
          onInput={(e) => setOrigins(e.currentTarget.value)}
        />
        <span class="hint">{a('onePerLine')}</span>
        <Errors id="err-new-origins" list={problems.allowedOrigins} />
      </div>
      <Errors id="err-new-general" list={problems['']} />
      <button type="submit" class="primary" disabled={busy}>
        {a('createSite')}
      </button>
    </form>
  );
}

const WEEK_ORDER = [1, 2, 3, 4, 5, 6, 0]; // Monday first

function weekdayName(day: number): string {
  // 2024-01-07 was a Sunday (day 0).
  return new Intl.DateTimeFormat(locale, { weekday: 'long', timeZone: 'UTC' }).format(
    new Date(Date.UTC(2024, 0, 7 + day)),
  );
}

function timeZones(current: string): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const zones = intl.supportedValuesOf?.('timeZone') ?? [];
  return zones.includes(current) ? zones : [current, ...zones];
}

const localZone = (): string => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
};

function SiteEditor({ site, onSaved }: { site: SiteAdmin; onSaved: (s: SiteAdmin) => void }) {
  const [form, setForm] = useState<SiteForm>(() => siteForm(site, localZone()));
  const [server, setServer] = useState<Problems>({});
  const [removeSecret, setRemoveSecret] = useState(false);
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);
  const checks = formChecks(form, site.hcaptchaSecretSet && !removeSecret);
  const err = (k: string) => shownAt(k, server, checks);
  const set = <K extends keyof SiteForm>(k: K, v: SiteForm[K]) => {
    setForm((f) => ({ ...f, [k]: v }));
    setStatus('');
  };
  const setField = (i: number, patch: Partial<FieldForm>) =>
    set(
      'questionnaire',
      form.questionnaire.map((f, j) => (j === i ? { ...f, ...patch } : f)),
    );
  const moveField = (i: number, d: -1 | 1) => {
    const list = [...form.questionnaire];
    const j = i + d;
    if (j < 0 || j >= list.length) return;
    [list[i], list[j]] = [list[j]!, list[i]!];
    set('questionnaire', list);
  };
  const tag = scriptTag(location.origin, site.key);

  const save = async (e: Event) => {
    e.preventDefault();
    const body = sitePatch(site, form, removeSecret);
    if (!body) {
      setServer({});
      setStatus(a('nothingChanged'));
      return;
    }
    setBusy(true);
    setStatus('');
    try {
      const saved = await adminApi.updateSite(site.id, body);
      setServer({});
      setRemoveSecret(false);
      setForm(siteForm(saved, localZone()));
      onSaved(saved);
      setStatus(a('saved'));
    } catch (err) {
      // The form keeps what was typed: nothing was saved, and the problems say why.
      setServer(problemsOf(err, SITE_KEYS));
    } finally {
      setBusy(false);
    }
  };

  const text = (k: keyof SiteForm & string, label: string, extra: Record<string, unknown> = {}) => (
    <Field k={k} label={label} errors={err(k)}>
      <input
        {...ctlProps(k, err(k))}
        value={form[k] as string}
        onInput={(e) => set(k, e.currentTarget.value as never)}
        {...extra}
      />
    </Field>
  );

  return (
    <form class="site-editor" aria-label={site.name} onSubmit={save} noValidate>
      <h2>{site.name}</h2>
      <section class="script">
        <h3>{a('scriptTag')}</h3>
        <p class="hint">{a('scriptTagHint')}</p>
        <code dir="ltr" data-field="script-tag">
          {tag}
        </code>
        <CopyButton text={tag} label={a('copyScriptTag')} />
      </section>

      <fieldset>
        <legend>{a('general')}</legend>
        {text('name', a('siteName'), { maxLength: 80 })}
        <Field
          k="allowedOrigins"
          label={a('allowedOrigins')}
          errors={err('allowedOrigins')}
          hint={a('onePerLine')}
        >
          <textarea
            {...ctlProps('allowedOrigins', err('allowedOrigins'))}
            rows={3}
            dir="ltr"
            value={form.allowedOrigins}
            onInput={(e) => set('allowedOrigins', e.currentTarget.value)}
          />
        </Field>
      </fieldset>

      <fieldset>
        <legend>{a('appearance')}</legend>
        <Field k="color" label={a('color')} errors={err('color')}>
          <span class="color-row">
            <input
              {...ctlProps('color', err('color'))}
              dir="ltr"
              size={8}
              value={form.color}
              onInput={(e) => set('color', e.currentTarget.value)}
            />
            <input
              type="color"
              aria-label={a('pickColor')}
              value={/^#[0-9a-fA-F]{6}$/.test(form.color) ? form.color : '#000000'}
              onInput={(e) => set('color', e.currentTarget.value)}
            />
          </span>
        </Field>
        {text('avatarUrl', a('avatarUrl'), { dir: 'ltr', placeholder: 'https://…' })}
        <Field k="greeting" label={a('greeting')} errors={err('greeting')}>
          <textarea
            {...ctlProps('greeting', err('greeting'))}
            rows={2}
            maxLength={500}
            value={form.greeting}
            onInput={(e) => set('greeting', e.currentTarget.value)}
          />
        </Field>
        <Field
          k="greetingKnown"
          label={a('greetingKnown')}
          errors={err('greetingKnown')}
          hint={a('greetingKnownHint')}
        >
          <textarea
            {...ctlProps('greetingKnown', err('greetingKnown'))}
            rows={2}
            maxLength={500}
            value={form.greetingKnown}
            onInput={(e) => set('greetingKnown', e.currentTarget.value)}
          />
        </Field>
      </fieldset>

      <fieldset class="questionnaire">
        <legend>{a('questionnaire')}</legend>
        <Errors id={errId('questionnaire')} list={err('questionnaire')} />
        <ol>
          {form.questionnaire.map((f, i) => {
            const k = `questionnaire[${i}]`;
            const errors = err(k);
            const id = `q${i}`;
            return (
              <li key={i} class={`q-field${errors?.length ? ' invalid' : ''}`} data-field={k}>
                <span class="q-controls">
                  <label>
                    {a('fieldName')}
                    <input
                      dir="ltr"
                      size={12}
                      value={f.name}
                      aria-describedby={errors?.length ? errId(k) : undefined}
                      onInput={(e) => setField(i, { name: e.currentTarget.value })}
                    />
                  </label>
                  <label>
                    {a('fieldLabel')}
                    <input value={f.label} onInput={(e) => setField(i, { label: e.currentTarget.value })} />
                  </label>
                  <label>
                    {a('fieldKind')}
                    <select
                      value={f.kind}
                      onChange={(e) => setField(i, { kind: e.currentTarget.value as FieldForm['kind'] })}
                    >
                      {FIELD_KINDS.map((kind) => (
                        <option key={kind} value={kind}>
                          {a(`kind_${kind}`)}
                        </option>
                      ))}
                    </select>
                  </label>
                  <label>
                    <input
                      type="checkbox"
                      checked={f.required}
                      onChange={(e) => setField(i, { required: e.currentTarget.checked })}
                    />{' '}
                    {a('fieldRequired')}
                  </label>
                </span>
                {f.kind === 'choice' && (
                  <label class="options" for={`${id}-options`}>
                    {a('fieldOptions')} <span class="hint">{a('onePerLine')}</span>
                    <textarea
                      id={`${id}-options`}
                      rows={3}
                      value={f.options}
                      onInput={(e) => setField(i, { options: e.currentTarget.value })}
                    />
                  </label>
                )}
                <span class="buttons">
                  <button
                    type="button"
                    aria-label={af('moveUp', { name: f.name || String(i + 1) })}
                    disabled={i === 0}
                    onClick={() => moveField(i, -1)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    aria-label={af('moveDown', { name: f.name || String(i + 1) })}
                    disabled={i === form.questionnaire.length - 1}
                    onClick={() => moveField(i, 1)}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    class="danger"
                    aria-label={af('removeField', { name: f.name || String(i + 1) })}
                    onClick={() =>
                      set(
                        'questionnaire',
                        form.questionnaire.filter((_, j) => j !== i),
                      )
                    }
                  >
                    ×
                  </button>
                </span>
                <Errors id={errId(k)} list={errors} />
              </li>
            );
          })}
        </ol>
        <button
          type="button"
          disabled={form.questionnaire.length >= 12}
          onClick={() =>
            set('questionnaire', [
              ...form.questionnaire,
              { name: '', label: '', kind: 'text', required: false, options: '' },
            ])
          }
        >
          {a('addField')}
        </button>
      </fieldset>

      <fieldset>
        <legend>{a('captcha')}</legend>
        <Field k="captcha" label={a('captchaMode')} errors={err('captcha')}>
          <select
            {...ctlProps('captcha', err('captcha'))}
            value={form.captcha}
            onChange={(e) => set('captcha', e.currentTarget.value as SiteForm['captcha'])}
          >
            <option value="off">{a('captcha_off')}</option>
            <option value="altcha">{a('captcha_altcha')}</option>
            <option value="hcaptcha">{a('captcha_hcaptcha')}</option>
          </select>
        </Field>
        {(form.captcha === 'hcaptcha' || err('hcaptchaSiteKey') || err('hcaptchaSecret')) && (
          <>
            {text('hcaptchaSiteKey', a('hcaptchaSiteKey'), { dir: 'ltr' })}
            <Field
              k="hcaptchaSecret"
              label={a('hcaptchaSecret')}
              errors={err('hcaptchaSecret')}
              hint={site.hcaptchaSecretSet ? a('secretSet') : a('secretNotSet')}
            >
              <input
                {...ctlProps('hcaptchaSecret', err('hcaptchaSecret'))}
                type="password"
                autocomplete="off"
                dir="ltr"
                value={form.hcaptchaSecret}
                onInput={(e) => set('hcaptchaSecret', e.currentTarget.value)}
              />
            </Field>
            {site.hcaptchaSecretSet && (
              <label>
                <input
                  type="checkbox"
                  checked={removeSecret}
                  onChange={(e) => setRemoveSecret(e.currentTarget.checked)}
                />{' '}
                {a('removeSecret')}
              </label>
            )}
          </>
        )}
      </fieldset>

      <fieldset class="hours">
        <legend>{a('businessHours')}</legend>
        <label>
          <input
            type="checkbox"
            id="f-hoursOn"
            checked={form.hoursOn}
            onChange={(e) => set('hoursOn', e.currentTarget.checked)}
          />{' '}
          {a('hoursOn')}
        </label>
        <Errors id={errId('businessHours')} list={err('businessHours')} />
        {form.hoursOn && (
          <>
            <Field k="timeZone" label={a('timeZone')} errors={err('timeZone')}>
              <select
                {...ctlProps('timeZone', err('timeZone'))}
                value={form.timeZone}
                onChange={(e) => set('timeZone', e.currentTarget.value)}
              >
                {timeZones(form.timeZone).map((z) => (
                  <option key={z} value={z}>
                    {z}
                  </option>
                ))}
              </select>
            </Field>
            <table class="week">
              <tbody>
                {WEEK_ORDER.map((day) => {
                  const rows = form.intervals.map((iv, i) => ({ iv, i })).filter((x) => x.iv.day === day);
                  const name = weekdayName(day);
                  return (
                    <tr key={day} data-day={day}>
                      <th scope="row">{name}</th>
                      <td>
                        {rows.length === 0 && <span class="hint">{a('closed')}</span>}
                        {rows.map(({ iv, i }) => {
                          const k = `businessHours.intervals[${i}]`;
                          const errors = err(k);
                          const setIv = (patch: Partial<typeof iv>) =>
                            set(
                              'intervals',
                              form.intervals.map((x, j) => (j === i ? { ...x, ...patch } : x)),
                            );
                          const time = (
                            end: 'open' | 'close',
                            placeholder: string,
                            label: 'opens' | 'closes',
                          ) => (
                            <input
                              dir="ltr"
                              size={5}
                              placeholder={placeholder}
                              aria-label={af(label, { day: name })}
                              aria-invalid={errors?.length ? 'true' : undefined}
                              aria-describedby={errors?.length ? errId(k) : undefined}
                              value={iv[end]}
                              onInput={(e) => setIv({ [end]: e.currentTarget.value })}
                            />
                          );
                          return (
                            <div key={i} class={`interval${errors?.length ? ' invalid' : ''}`} data-field={k}>
                              {time('open', '09:00', 'opens')}–{time('close', '17:00', 'closes')}
                              <button
                                type="button"
                                aria-label={af('removeHours', { day: name })}
                                onClick={() =>
                                  set(
                                    'intervals',
                                    form.intervals.filter((_, j) => j !== i),
                                  )
                                }
                              >
                                ×
                              </button>
                              <Errors id={errId(k)} list={errors} />
                            </div>
                          );
                        })}
                      </td>
                      <td>
                        <button
                          type="button"
                          aria-label={af('addHours', { day: name })}
                          disabled={form.intervals.length >= 28}
                          onClick={() =>
                            set('intervals', [...form.intervals, { day, open: '09:00', close: '17:00' }])
                          }
                        >
                          +
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </>
        )}
      </fieldset>

      <fieldset>
        <legend>{a('waiting')}</legend>
        <label>
          <input
            type="checkbox"
            id="f-offlineForm"
            checked={form.offlineForm}
            onChange={(e) => set('offlineForm', e.currentTarget.checked)}
          />{' '}
          {a('offlineForm')}
        </label>
        <Errors id={errId('offlineForm')} list={err('offlineForm')} />
        <Field
          k="waitingMessages"
          label={a('waitingMessages')}
          errors={err('waitingMessages')}
          hint={a('onePerLine')}
        >
          <textarea
            {...ctlProps('waitingMessages', err('waitingMessages'))}
            rows={3}
            value={form.waitingMessages}
            onInput={(e) => set('waitingMessages', e.currentTarget.value)}
          />
        </Field>
        {text('callbackAfterSeconds', a('callbackAfter'), {
          inputMode: 'numeric',
          size: 6,
          dir: 'ltr',
          placeholder: a('never'),
        })}
      </fieldset>

      <fieldset>
        <legend>{a('routing')}</legend>
        <Field k="routingStrategy" label={a('routingStrategy')} errors={err('routingStrategy')}>
          <select
            {...ctlProps('routingStrategy', err('routingStrategy'))}
            value={form.routingStrategy}
            onChange={(e) => set('routingStrategy', e.currentTarget.value as SiteForm['routingStrategy'])}
          >
            {ROUTING_STRATEGIES.map((r) => (
              <option key={r} value={r}>
                {a(`rs_${r}`)}
              </option>
            ))}
          </select>
        </Field>
        {text('requiredSkills', a('requiredSkills'), { dir: 'ltr', placeholder: 'en, billing' })}
        {text('defaultCountry', a('defaultCountry'), {
          dir: 'ltr',
          size: 3,
          maxLength: 2,
          placeholder: 'HU',
        })}
        <label>
          <input
            type="checkbox"
            id="f-createProspects"
            checked={form.createProspects}
            onChange={(e) => set('createProspects', e.currentTarget.checked)}
          />{' '}
          {a('createProspects')}
        </label>
      </fieldset>

      <ProblemList problems={server} title={a('notSaved')} />
      <div class="buttons save-row">
        <button type="submit" class="primary" disabled={busy}>
          {a('save')}
        </button>
        <button
          type="button"
          onClick={() => {
            setForm(siteForm(site, localZone()));
            setServer({});
            setStatus('');
          }}
        >
          {a('revert')}
        </button>
        <span role="status" class="saved">
          {status}
        </span>
      </div>
    </form>
  );
}

// ---------------------------------------------------------------------------------------------
// Users

const ROLES = ['operator', 'supervisor', 'admin'] as const;
type Role = (typeof ROLES)[number];

function useTeam(): [OperatorProfile[] | null, (list: OperatorProfile[]) => void, string | null] {
  const [list, setList] = useState<OperatorProfile[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    ctl
      .loadTeam()
      .then(setList)
      .catch((e: unknown) => setError(problemsOf(e)['']?.[0] ?? t('netError')));
  }, []);
  return [list, setList, error];
}

function Users({ me }: { me: User }) {
  const [list, setList, error] = useTeam();
  const [created, setCreated] = useState<{ email: string; password: string } | null>(null);
  const [gone, setGone] = useState<OperatorProfile[]>([]);
  const [goneProblem, setGoneProblem] = useState<string[] | undefined>(undefined);
  useEffect(() => {
    adminApi.deactivated().then(setGone, (e: unknown) => setGoneProblem(Object.values(problemsOf(e)).flat()));
  }, []);
  if (error)
    return (
      <p role="alert" class="error">
        {error}
      </p>
    );
  if (!list) return <p class="hint">{t('loading')}</p>;
  return (
    <div class="users">
      <NewUser
        onCreated={(user, password) => {
          setList([...list, user].sort((x, y) => x.name.localeCompare(y.name)));
          setCreated({ email: user.email, password });
        }}
      />
      {created && (
        <OncePassword
          label={af('passwordFor', { email: created.email })}
          password={created.password}
          onDone={() => setCreated(null)}
        />
      )}
      <table class="people" aria-label={a('users')}>
        <thead>
          <tr>
            <th scope="col">{a('name')}</th>
            <th scope="col">{t('email')}</th>
            <th scope="col">{a('role')}</th>
            <th scope="col">{a('actions')}</th>
          </tr>
        </thead>
        <tbody>
          {list.map((u) => (
            <UserRow
              key={u.id}
              user={u}
              self={u.id === me.id}
              onChanged={(x) => setList(list.map((y) => (y.id === x.id ? x : y)))}
              onGone={() => {
                setList(list.filter((y) => y.id !== u.id));
                setGone([...gone, u].sort((x, y) => x.name.localeCompare(y.name)));
              }}
            />
          ))}
        </tbody>
      </table>
      {gone.length > 0 && (
        <section class="deactivated" aria-labelledby="deactivated-h">
          <h2 id="deactivated-h">{a('deactivatedUsers')}</h2>
          <ul>
            {gone.map((u) => (
              <li key={u.id} data-user-id={u.id} data-email={u.email}>
                <span>{u.name}</span> <span dir="ltr">{u.email}</span>{' '}
                <button
                  type="button"
                  aria-label={af('reactivateOf', { name: u.name })}
                  onClick={async () => {
                    setGoneProblem(undefined);
                    try {
                      const back = await adminApi.reactivate(u.id);
                      setGone(gone.filter((y) => y.id !== u.id));
                      setList([...list, back].sort((x, y) => x.name.localeCompare(y.name)));
                    } catch (err) {
                      setGoneProblem(Object.values(problemsOf(err)).flat());
                    }
                  }}
                >
                  {a('reactivate')}
                </button>
              </li>
            ))}
          </ul>
          <Errors id="err-deactivated" list={goneProblem} />
        </section>
      )}
    </div>
  );
}

function NewUser({ onCreated }: { onCreated: (u: OperatorProfile, password: string) => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const [password, setPassword] = useState('');
  const [problems, setProblems] = useState<Problems>({});
  const [busy, setBusy] = useState(false);
  const known = new Set(['email', 'name', 'role', 'password']);
  const field = (
    k: 'email' | 'name' | 'password',
    label: string,
    value: string,
    setter: (v: string) => void,
    extra: Record<string, unknown> = {},
  ) => (
    <div class={`field${problems[k] ? ' invalid' : ''}`} data-field={`new-${k}`}>
      <label for={`new-user-${k}`}>{label}</label>
      <input
        id={`new-user-${k}`}
        value={value}
        aria-invalid={problems[k] ? 'true' : undefined}
        aria-describedby={problems[k] ? `err-new-user-${k}` : undefined}
        onInput={(e) => setter(e.currentTarget.value)}
        {...extra}
      />
      <Errors id={`err-new-user-${k}`} list={problems[k]} />
    </div>
  );
  return (
    <form
      class="new-user"
      aria-label={a('newUser')}
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        const local: Problems = {};
        if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) local.email = [a('badEmail')];
        if (!name.trim()) local.name = [a('required')];
        if (password && password.length < 10) local.password = [a('shortPassword')];
        setProblems(local);
        if (Object.keys(local).length > 0) return;
        setBusy(true);
        try {
          const r = await adminApi.createUser({
            email: email.trim(),
            name: name.trim(),
            role,
            ...(password ? { password } : {}),
          });
          onCreated(r.user, r.password);
          setEmail('');
          setName('');
          setPassword('');
          setRole('operator');
        } catch (err) {
          setProblems(problemsOf(err, known));
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2>{a('newUser')}</h2>
      <div class="row">
        {field('email', t('email'), email, setEmail, { type: 'email', dir: 'ltr', autocomplete: 'off' })}
        {field('name', a('name'), name, setName)}
        <div class="field" data-field="new-role">
          <label for="new-user-role">{a('role')}</label>
          <select id="new-user-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {a(`role_${r}`)}
              </option>
            ))}
          </select>
        </div>
        {field('password', a('passwordOptional'), password, setPassword, {
          type: 'password',
          autocomplete: 'new-password',
          dir: 'ltr',
        })}
      </div>
      <Errors id="err-new-user-general" list={problems['']} />
      <button type="submit" class="primary" disabled={busy}>
        {a('createUser')}
      </button>
    </form>
  );
}

function UserRow({
  user: u,
  self,
  onChanged,
  onGone,
}: {
  user: OperatorProfile;
  self: boolean;
  onChanged: (u: OperatorProfile) => void;
  onGone: () => void;
}) {
  const [password, setPassword] = useState<string | null>(null);
  const [asking, setAsking] = useState(false);
  const [problem, setProblem] = useState<string[] | undefined>(undefined);
  const [status, setStatus] = useState('');
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  const fail = (e: unknown) => setProblem(Object.values(problemsOf(e)).flat());
  const rowErr = `err-user-${u.id}`;
  return (
    <tr data-user-id={u.id} data-email={u.email}>
      <td>{u.name}</td>
      <td dir="ltr">{u.email}</td>
      <td>
        <select
          aria-label={af('roleOf', { name: u.name })}
          value={u.role}
          aria-describedby={problem ? rowErr : undefined}
          onChange={async (e) => {
            const role = e.currentTarget.value as Role;
            const select = e.currentTarget;
            setProblem(undefined);
            setStatus('');
            try {
              onChanged(await adminApi.updateAccount(u.id, { role }));
              setStatus(a('saved'));
            } catch (err) {
              select.value = u.role;
              fail(err);
            }
          }}
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {a(`role_${r}`)}
            </option>
          ))}
        </select>
        <span role="status" class="saved">
          {status}
        </span>
      </td>
      <td>
        <span class="buttons">
          <button
            type="button"
            onClick={async () => {
              setProblem(undefined);
              try {
                setPassword((await adminApi.resetPassword(u.id)).password);
              } catch (err) {
                fail(err);
              }
            }}
          >
            {a('resetPassword')}
          </button>
          {!self && !asking && (
            <button type="button" class="danger" onClick={() => setAsking(true)}>
              {a('deactivate')}
            </button>
          )}
        </span>
        {asking && (
          <span class="confirm">
            {af('deactivateAsk', { name: u.name })}{' '}
            <button
              ref={confirmRef}
              type="button"
              class="danger"
              onClick={async () => {
                setAsking(false);
                try {
                  await adminApi.deactivate(u.id);
                  onGone();
                } catch (err) {
                  fail(err);
                }
              }}
            >
              {a('deactivateYes')}
            </button>{' '}
            <button type="button" onClick={() => setAsking(false)}>
              {t('cancel')}
            </button>
          </span>
        )}
        {password && (
          <OncePassword
            label={af('newPasswordFor', { name: u.name })}
            password={password}
            onDone={() => setPassword(null)}
          />
        )}
        <Errors id={rowErr} list={problem} />
      </td>
    </tr>
  );
}

// ---------------------------------------------------------------------------------------------
// The team's routing attributes (supervisors and admins)

function Team() {
  const [list, setList, error] = useTeam();
  if (error)
    return (
      <p role="alert" class="error">
        {error}
      </p>
    );
  if (!list) return <p class="hint">{t('loading')}</p>;
  return (
    <div class="team">
      <p class="hint">{a('teamHint')}</p>
      <table class="people" aria-label={a('team')}>
        <thead>
          <tr>
            <th scope="col">{a('name')}</th>
            <th scope="col">{t('status')}</th>
            <th scope="col">{a('maxChats')}</th>
            <th scope="col">{a('skills')}</th>
            <th scope="col">{a('experience')}</th>
            <th scope="col">{a('costTier')}</th>
            <th scope="col">{a('extension')}</th>
            <th scope="col">
              <span class="sr-only">{a('actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.map((o) => (
            <TeamRow key={o.id} op={o} onSaved={(x) => setList(list.map((y) => (y.id === x.id ? x : y)))} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

const TEAM_KEYS = new Set(['maxChats', 'skills', 'experience', 'costTier', 'extension']);

function TeamRow({ op, onSaved }: { op: OperatorProfile; onSaved: (o: OperatorProfile) => void }) {
  const [form, setForm] = useState<OperatorForm>(() => operatorForm(op));
  const [server, setServer] = useState<Problems>({});
  const [status, setStatus] = useState('');
  const checks = operatorChecks(form);
  const err = (k: string) => shownAt(k, server, checks);
  const cell = (k: keyof OperatorForm, label: string, extra: Record<string, unknown>) => {
    const errors = err(k);
    const id = `err-${op.id}-${k}`;
    return (
      <td data-field={k} class={errors?.length ? 'invalid' : undefined}>
        <input
          aria-label={`${label} — ${op.name}`}
          value={form[k]}
          aria-invalid={errors?.length ? 'true' : undefined}
          aria-describedby={errors?.length ? id : undefined}
          onInput={(e) => {
            setForm({ ...form, [k]: e.currentTarget.value });
            setStatus('');
          }}
          {...extra}
        />
        <Errors id={id} list={errors} />
      </td>
    );
  };
  return (
    <tr data-user-id={op.id} data-email={op.email}>
      <th scope="row">{op.name}</th>
      <td>{t(op.status)}</td>
      {cell('maxChats', a('maxChats'), { inputMode: 'numeric', size: 3, dir: 'ltr' })}
      {cell('skills', a('skills'), { dir: 'ltr', placeholder: 'en, billing' })}
      {cell('experience', a('experience'), { inputMode: 'numeric', size: 3, dir: 'ltr' })}
      {cell('costTier', a('costTier'), { inputMode: 'numeric', size: 3, dir: 'ltr' })}
      {cell('extension', a('extension'), { inputMode: 'tel', size: 6, dir: 'ltr' })}
      <td>
        <button
          type="button"
          aria-label={af('saveFor', { name: op.name })}
          onClick={async () => {
            if (Object.keys(checks).length > 0) return;
            const body = operatorPatch(op, form);
            if (!body) return setStatus(a('nothingChanged'));
            try {
              const saved = await adminApi.updateOperator(op.id, body);
              setServer({});
              setForm(operatorForm(saved));
              onSaved(saved);
              setStatus(a('saved'));
            } catch (e) {
              setServer(problemsOf(e, TEAM_KEYS));
            }
          }}
        >
          {a('save')}
        </button>
        <span role="status" class="saved">
          {status}
        </span>
        <Errors id={`err-${op.id}-general`} list={server['']} />
      </td>
    </tr>
  );
}
