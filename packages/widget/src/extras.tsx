/**
 * Rarely needed parts of the panel, in a lazy chunk (the chat chunk has a size ceiling): what a
 * queued visitor sees (the site's waiting messages, the callback offer) and the rating after the chat.
 */
import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
import type { Model } from './chat.js';
import { addStyles } from './css.js';
import { phoneOk } from './form.js';
import { fill } from './i18n.js';

/** Called by the chat chunk once it has loaded this one. */
export const styles = (root: ShadowRoot): void =>
  addStyles(
    root,
    '.parley-queue{display:flex;flex-direction:column;gap:8px;padding-top:8px;border-top:1px solid #e5e7eb}.parley-wmsg{padding:8px 10px;border-radius:8px;background:#f9fafb}.parley-rate fieldset{border:0;margin:0;padding:0}.parley-rate legend{padding:0 0 8px;margin:0 auto;color:#374151}.parley-stars{display:flex;gap:6px;justify-content:center}.parley-stars button{font:inherit;font-weight:700;width:40px;height:40px;border:1px solid #d1d5db;border-radius:50%;background:#fff;color:#111827;cursor:pointer}.parley-stars [aria-pressed=true]{background:var(--parley-c,#2563eb);border-color:transparent;color:#fff}',
  );

/** While queued: the site's waiting messages one after another, then the callback offer. */
export function Waiting({ m }: { m: Model }) {
  const { t, site } = m;
  const msgs = site?.waitingMessages || [];
  const after = site?.callbackAfterSeconds ?? null;
  const [i, setI] = useState(0);
  const [, tick] = useReducer((n: number) => n + 1, 0);
  const due = after !== null && Date.now() - m.queued >= after * 1000;
  useEffect(() => {
    if (msgs.length < 2) return;
    const timer = setInterval(() => setI((n) => n + 1), 6000); // 6 s per message
    return () => clearInterval(timer);
  }, [msgs.length]);
  useEffect(() => {
    if (after === null || due) return;
    const timer = setTimeout(tick, m.queued + after * 1000 - Date.now());
    return () => clearTimeout(timer);
  });
  return (
    <div class="parley-queue">
      <p class="parley-wmsg" aria-live="polite" dir="auto">
        {msgs[i % msgs.length]}
      </p>
      {m.called ? (
        <p class="parley-cbdone">{fill(t.cbDone, { phone: m.conn.stored.cb || '' })}</p>
      ) : (
        due && <Callback m={m} />
      )}
    </div>
  );
}

function Callback({ m }: { m: Model }) {
  const { t } = m;
  const [phone, setPhone] = useState('');
  const [bad, setBad] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  return (
    <form
      class="parley-cb"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const v = phone.trim();
        const ok = phoneOk(v);
        setBad(!ok);
        if (!ok) {
          input.current?.focus();
          return;
        }
        m.conn.save({ cb: v });
        m.error = m.conn.post({ type: 'callback', phone: v }) ? '' : t.conn;
        m.update();
      }}
    >
      <p>{t.cbOffer}</p>
      <label for="parley-cb">{t.cbPhone}</label>
      <div class="parley-row">
        <input
          id="parley-cb"
          ref={input}
          type="tel"
          autocomplete="tel"
          maxLength={40}
          value={phone}
          aria-invalid={bad ? 'true' : undefined}
          aria-describedby={bad ? 'parley-cb-e' : undefined}
          onInput={(e) => setPhone(e.currentTarget.value)}
        />
        <button type="submit" class="parley-btn">
          {t.cbBtn}
        </button>
      </div>
      {bad && (
        <span class="parley-ferr" id="parley-cb-e">
          {t.phone}
        </span>
      )}
    </form>
  );
}

/** After the conversation: how was it, 1-5, with an optional comment. */
export function Rate({ m, contactId }: { m: Model; contactId: string }) {
  const { t } = m;
  const [score, setScore] = useState(0);
  const [comment, setComment] = useState('');
  if (m.rated) return <p class="parley-done">{t.thanks}</p>;
  return (
    <form
      class="parley-rate"
      onSubmit={(e) => {
        e.preventDefault();
        const c = comment.trim();
        if (score)
          m.error = m.conn.post({ type: 'rate', contactId, score, ...(c ? { comment: c } : {}) })
            ? ''
            : t.conn;
        m.update();
      }}
    >
      <fieldset>
        <legend>{t.rateQ}</legend>
        <div class="parley-stars">
          {[1, 2, 3, 4, 5].map((n) => (
            <button
              type="button"
              key={n}
              aria-label={fill(t.rateN, { n })}
              aria-pressed={score === n}
              onClick={() => setScore(n)}
            >
              {n}
            </button>
          ))}
        </div>
      </fieldset>
      {score > 0 && (
        <>
          <textarea
            aria-label={t.comment}
            placeholder={t.comment}
            rows={2}
            maxLength={1000}
            value={comment}
            onInput={(e) => setComment(e.currentTarget.value)}
          />
          <button type="submit" class="parley-btn">
            {t.rateSend}
          </button>
        </>
      )}
    </form>
  );
}
