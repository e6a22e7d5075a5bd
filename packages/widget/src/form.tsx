/**
 * The questionnaire before a chat, the offline form when nobody can answer, and the captcha in
 * front of both; a lazy chunk. The answers are checked with the same `checkAnswers` the server runs.
 */
import { type AnswerProblem, checkAnswers, looksLikePhone } from '@parley/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import { type Model, withCaptcha } from './chat.js';

/**
 * For the callback offer (extras.tsx). A function of this module, not a re-export: the bundler then
 * keeps the answer checks in this chunk instead of a third one that this chunk would fetch after itself.
 */
export const phoneOk = (v: string): boolean => looksLikePhone(v);

export function Form({ m, offline }: { m: Model; offline: boolean }) {
  const { t, cap } = m;
  const site = m.site!;
  const fields = site.questionnaire;
  const [vals, setVals] = useState<Record<string, string>>({});
  const [body, setBody] = useState('');
  const [errs, setErrs] = useState<Record<string, string>>({});
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (!m.starting) withCaptcha(m, (c) => c.prep(m));
  });
  const said: Record<AnswerProblem, string> = {
    required: t.req,
    email: t.email,
    phone: t.phone,
    choice: t.choice,
    unknown: t.req,
  };

  const go = (answers: Record<string, string>, text: string) => {
    if (site.captcha !== 'off' && !cap.token) {
      // Still solving: go on by itself once the answer is there ("Checking you are human…").
      if (site.captcha === 'altcha' && cap.busy) cap.next = () => go(answers, text);
      else m.error = t.capReq;
      m.update();
      return;
    }
    const token = cap.token || undefined;
    cap.token = null;
    cap.used = !!token;
    m.error = '';
    if (!offline) m.conn.start(answers, token);
    else if (!m.conn.post({ type: 'offline', answers, body: text, ...(token ? { captcha: token } : {}) })) {
      cap.token = token || null;
      m.error = t.conn;
      m.update();
      return;
    }
    m.starting = true;
    m.update();
  };

  const submit = (e: Event) => {
    e.preventDefault();
    const { answers, problems } = checkAnswers(fields, vals);
    const er: Record<string, string> = {};
    for (const p of problems) er[p.field] ||= said[p.problem];
    if (offline && !body.trim()) er['parley-body'] = t.req;
    setErrs(er);
    const bad = Object.keys(er)[0];
    if (bad) {
      form.current
        ?.querySelector<HTMLElement>(bad === 'parley-body' ? '#parley-body' : `#parley-f-${bad}`)
        ?.focus();
      return;
    }
    go(answers, body.trim());
  };

  const err = (id: string, key: string) =>
    errs[key] && (
      <span class="parley-ferr" id={`${id}-e`}>
        {errs[key]}
      </span>
    );
  const aria = (id: string, key: string) => ({
    id,
    'aria-invalid': errs[key] ? ('true' as const) : undefined,
    'aria-describedby': errs[key] ? `${id}-e` : undefined,
  });

  return (
    <form class="parley-form" ref={form} onSubmit={submit} noValidate>
      {offline && <p class="parley-greet">{t.offIntro}</p>}
      {fields.map((f) => {
        const id = `parley-f-${f.name}`;
        const value = vals[f.name] || '';
        const onInput = (e: Event) =>
          setVals({ ...vals, [f.name]: (e.currentTarget as HTMLInputElement).value });
        return (
          <div class="parley-field" key={f.name}>
            <label for={id}>
              {f.label}
              {f.required && ' *'}
            </label>
            {f.kind === 'choice' ? (
              <select
                {...aria(id, f.name)}
                name={f.name}
                required={f.required}
                value={value}
                onChange={onInput}
              >
                <option value="">{t.pick}</option>
                {(f.options || []).map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            ) : f.kind === 'text' ? (
              <textarea
                {...aria(id, f.name)}
                name={f.name}
                required={f.required}
                maxLength={500}
                value={value}
                onInput={onInput}
              />
            ) : (
              <input
                {...aria(id, f.name)}
                name={f.name}
                type={f.kind === 'email' ? 'email' : f.kind === 'phone' ? 'tel' : 'text'}
                autocomplete={
                  f.kind === 'name'
                    ? 'name'
                    : f.kind === 'email'
                      ? 'email'
                      : f.kind === 'phone'
                        ? 'tel'
                        : 'off'
                }
                required={f.required}
                maxLength={500}
                value={value}
                onInput={onInput}
              />
            )}
            {err(id, f.name)}
          </div>
        );
      })}
      {offline && (
        <div class="parley-field">
          <label for="parley-body">{t.msg} *</label>
          <textarea
            {...aria('parley-body', 'parley-body')}
            required
            rows={4}
            maxLength={4000}
            value={body}
            onInput={(e) => setBody(e.currentTarget.value)}
          />
          {err('parley-body', 'parley-body')}
        </div>
      )}
      {site.captcha === 'hcaptcha' && <slot name="parley-hc" />}
      {site.captcha === 'altcha' && cap.busy && (
        <p class="parley-human" role="status">
          {t.human}
        </p>
      )}
      <button type="submit" class="parley-btn" disabled={m.starting || !!cap.next}>
        {offline ? t.offSend : t.start}
      </button>
    </form>
  );
}
