/**
 * The chat chunk (`/widget/chat.js`), loaded by the loader on first open or when idle. Draws the
 * panel inside the loader's shadow root; the socket and the outbox live in connection.ts, the forms
 * in form.tsx, the captcha in its own lazy chunk (captcha.ts).
 */
import type { OperatorCard, SiteSettings, VisitorOutbound } from '@parley/protocol';
import { ErrorCode } from '@parley/protocol';
import { render } from 'preact';
import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
import { Connection, type ConnState, type StorageLike } from './connection.js';
import { addStyles } from './css.js';
import { EN, fill, lang, loadStrings, parse, type Strings } from './i18n.js';
import { formatOpensAt, pickLocale } from './locale.js';
import { STYLES } from './style.js';

/** What `Parley.on` listeners hear. */
export type ParleyEvent = 'message' | 'open' | 'close';

export interface MountOptions {
  root: ShadowRoot;
  launcher: HTMLButtonElement;
  siteKey: string;
  /** The URL of the folder that serves widget.js, ending in '/'. */
  baseUrl: string;
  /** `data-locale` on the script tag, or `Parley.setLocale` before the chunk loaded. */
  locale?: string | undefined;
  open: boolean;
  /** The visitor clicked the launcher (move focus into the panel); false when a reload restores it. */
  clicked: boolean;
  /** From `data-user-id` + `data-user-hash` on the script tag: the host page's logged-in customer. */
  identity?: { userId: string; hash: string } | undefined;
  /** Tells the host page's `Parley.on` listeners. */
  emit?: ((event: ParleyEvent, data?: unknown) => void) | undefined;
}

/** What `mount` hands back to the loader for `window.Parley`. */
export interface Controller {
  open(): void;
  close(): void;
  identify(userId: string, hash: string): void;
  setLocale(locale: string): void;
}

type Kind = 'visitor' | 'operator' | 'system';
export interface Item {
  key: string;
  /** The server's message id, once known. */
  id?: string | undefined;
  /** Sort key: the message seq; notices sit after the seq current when they arrived; pending last. */
  seq: number;
  order: number;
  kind: Kind;
  name: string;
  /** The author's id (operators: for their avatar). */
  aid?: string | null | undefined;
  body: string;
  at: string;
  quoteId?: string | null | undefined;
  pending?: boolean;
  /** The server refused it for good. */
  failed?: boolean;
  note?: boolean;
}

export interface Model {
  conn: Connection;
  o: MountOptions;
  t: Strings;
  /** The BCP 47 tag in use (Intl formatting), and the one `Parley.setLocale` asked for. */
  loc: string;
  userLoc?: string;
  rtl: boolean;
  open: boolean;
  /** The conversation was already assigned when this page loaded (no "joined" notice then). */
  quietJoin?: boolean;
  site: SiteSettings | null;
  online: boolean;
  hours: { open: boolean; opensAt: string | null };
  /** A verified customer's name, for `greetingKnown`. */
  known: string | null;
  view: 'wait' | 'form' | 'chat' | 'sent';
  starting: boolean;
  ended: boolean;
  /** The ended conversation the visitor may rate, and whether the rating was stored. */
  rateId: string | null;
  rated: boolean;
  items: Map<string, Item>;
  /** Message id → item key (a visitor message is keyed by its clientId). */
  ids: Map<string, string>;
  op: OperatorCard | null;
  typing: boolean;
  seenSeq: number;
  error: string;
  /** The last status change, for the screen reader's live region. */
  say: string;
  state: ConnState;
  /** Since when the visitor waits in the queue (epoch ms, from the server); 0 when not waiting. */
  queued: number;
  /** The server confirmed the callback (the contact's channel is `callback`). */
  called: boolean;
  /** The message the visitor is replying to. */
  quote: Item | null;
  /**
   * The captcha answer for the next start or offline message: `busy` while one is being fetched or
   * solved, `used` once sent, `next` a submit waiting for it, `reset` asks hCaptcha for a new tick.
   */
  cap: {
    token: string | null;
    busy: boolean;
    used?: boolean;
    next?: (() => void) | undefined;
    reset?: () => void;
  };
  /** Messages above this seq arrived while the page was open: they ring and reach `Parley.on`. */
  live: number;
  update: () => void;
}

let order = 0;
const pad = (n: number) => String(n).padStart(2, '0');
const hhmm = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : `${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

const put = (m: Model, it: Omit<Item, 'order'>) =>
  m.items.set(it.key, { ...it, order: m.items.get(it.key)?.order ?? order++ });
const note = (m: Model, key: string, body: string, after = m.conn.seq) =>
  put(m, {
    key,
    seq: after + 0.5,
    kind: 'system',
    name: '',
    body,
    at: new Date().toISOString(),
    note: true,
  });
const pending = (m: Model, p: { clientId: string; body: string; at: string; quoteId?: string | undefined }) =>
  put(m, { key: p.clientId, seq: Number.POSITIVE_INFINITY, kind: 'visitor', name: '', ...p, pending: true });
/** The questionnaire for a new conversation, nothing of the last one left on screen. */
const startOver = (m: Model) => {
  m.items.clear();
  m.ids.clear();
  m.ended = false;
  m.error = '';
  m.seenSeq = 0;
  m.live = 0;
  m.op = null;
  m.rateId = null;
  need(m, 'form');
  m.view = 'form';
};
const drop = (m: Model, id: string) => {
  const key = m.ids.get(id);
  if (key) m.items.delete(key);
  if (m.quote?.id === id) m.quote = null;
};

let audio: AudioContext | undefined;
/** Browsers start audio only after a gesture: the first click or key in the panel unlocks it. */
const unlockAudio = () => {
  try {
    audio ||= new AudioContext();
    if (audio.state === 'suspended') audio.resume().catch(() => {});
  } catch {}
};
/** A short two-tone chime, synthesized (no audio file to fetch or allow in CSP). */
const ding = (m: Model) => {
  if (m.conn.stored.mute) return;
  try {
    audio ||= new AudioContext();
    const a = audio;
    const t = a.currentTime;
    const osc = a.createOscillator();
    const gain = a.createGain();
    osc.frequency.setValueAtTime(880, t);
    osc.frequency.setValueAtTime(1320, t + 0.12);
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.12, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.45);
    osc.connect(gain).connect(a.destination);
    osc.start(t);
    osc.stop(t + 0.5);
  } catch {}
};

/**
 * Parts of the panel in lazy chunks, fetched when first needed (the chat chunk has a size ceiling):
 * the questionnaire and offline form (a visitor resuming a conversation never needs it), and the
 * extras: waiting messages, the callback offer and the rating.
 */
const LAZY = { form: () => import('./form.js'), extras: () => import('./extras.js') };
const lazy: { form?: typeof import('./form.js'); extras?: typeof import('./extras.js') } = {};
const loading: Record<string, Promise<void>> = {};
const need = (m: Model, part: keyof typeof LAZY) => {
  loading[part] ||= LAZY[part]().then(
    (x) => {
      if ('styles' in x) x.styles(m.o.root);
      Object.assign(lazy, { [part]: x });
      m.update();
    },
    (e) => {
      delete loading[part];
      console.warn('parley: chunk failed to load', e);
    },
  );
};

let chunk: Promise<typeof import('./captcha.js')> | undefined;
/**
 * Runs `f` with the captcha chunk (altcha-lib, the hCaptcha loader and what drives them), which is
 * fetched only for sites that ask for a captcha.
 */
export const withCaptcha = (m: Model, f: (c: typeof import('./captcha.js')) => void): void => {
  if (!m.site || m.site.captcha === 'off') return;
  chunk ||= import('./captcha.js');
  chunk.then(f, (e) => {
    // Said once: the form re-renders and asks again, the failed import answers at once.
    if (m.error !== m.t.capFail) {
      m.error = m.t.capFail;
      console.warn('parley: captcha chunk failed to load', e);
      m.update();
    }
  });
};

let typingTimer: ReturnType<typeof setTimeout> | undefined;
let warned = false;

const onFrame = (m: Model, f: VisitorOutbound) => {
  const { t, o } = m;
  switch (f.type) {
    case 'welcome': {
      m.site = f.site;
      m.online = f.online;
      m.hours = f.hours;
      const id = f.identity;
      m.known = id.status === 'verified' ? id.name : null;
      if (id.status === 'rejected' && !warned) {
        warned = true;
        // For the site's developer: the visitor still chats, only not as the customer.
        console.warn(
          'parley: data-user-hash does not match data-user-id (it must be the hex HMAC-SHA256 of the id with the site secret); chatting anonymously',
        );
      }
      // The conversation that ended before this page loaded comes back (its history follows).
      const ended = f.contact ? null : m.conn.stored.ended;
      if (m.live < 0) m.live = f.contact ? f.contact.lastSeq : (ended?.seq ?? 0);
      // Assigned before this page loaded: its "joined" notice would sort above the replayed history.
      m.quietJoin = f.contact !== null && f.contact.status !== 'queued';
      if (f.contact) m.view = 'chat';
      else if (ended && !m.ended) {
        need(m, 'extras');
        m.view = 'chat';
        m.ended = true;
        m.rateId = ended.id;
        m.rated = !!ended.rated;
        note(m, 'end', t.ended, ended.seq);
      } else if (!m.ended && m.view !== 'sent') {
        need(m, 'form');
        m.view = 'form';
        m.items.clear();
      }
      // An altcha challenge asked on the previous socket will not be answered on this one.
      if (f.site.captcha === 'altcha' && !m.cap.token) m.cap.busy = false;
      m.conn.save({ loc: f.site.locale });
      void applyLocale(m);
      break;
    }
    case 'online':
      m.online = f.online;
      break;
    case 'queued':
      need(m, 'extras');
      m.view = 'chat';
      m.starting = m.ended = false;
      // The server's clock says since when: a reload does not restart the wait for the callback offer.
      m.queued = Date.parse(f.waitingSince) || m.queued || Date.now();
      if (f.channel === 'callback' && !m.called) m.say = fill(t.cbDone, { phone: m.conn.stored.cb || '' });
      m.called = f.channel === 'callback';
      // The server sends no estimate rather than a made-up one (no history, nobody online).
      note(
        m,
        'q',
        fill(t.queue, { n: f.position }) +
          (f.estimatedWaitSeconds === null
            ? ''
            : ` · ${fill(t.wait, { m: Math.max(1, Math.round(f.estimatedWaitSeconds / 60)) })}`),
      );
      break;
    case 'assigned':
      // Straight to an operator when one is free: no `queued` before it.
      m.view = 'chat';
      m.starting = m.ended = false;
      m.op = f.operator;
      m.queued = 0;
      if (m.quietJoin) {
        m.quietJoin = false;
        break;
      }
      note(m, `a${f.operator.id}`, fill(t.joined, { name: f.operator.name }));
      break;
    case 'message': {
      const x = f.message;
      const key = m.ids.get(x.id) || (x.clientId && m.items.has(x.clientId) ? x.clientId : x.id);
      // Deleted by an operator (the body comes empty on resume): not shown at all.
      if (x.deletedAt) {
        m.items.delete(key);
        drop(m, x.id);
        break;
      }
      const fresh = !m.ids.has(x.id) && x.seq > m.live;
      m.ids.set(x.id, key);
      const { kind, name, id: aid } = x.author;
      put(m, {
        key,
        id: x.id,
        seq: x.seq,
        kind,
        name,
        aid,
        body: x.body,
        at: x.createdAt,
        quoteId: x.quoteId,
      });
      if (kind === 'operator') {
        m.typing = false;
        if (fresh) ding(m);
      }
      if (fresh) o.emit?.('message', { id: x.id, author: kind, name, body: x.body, at: x.createdAt });
      break;
    }
    case 'ack': {
      const it = m.items.get(f.clientId);
      if (it) put(m, { ...it, id: f.id, seq: f.seq, at: f.createdAt, pending: false });
      if (it && !m.ids.has(f.id))
        o.emit?.('message', { id: f.id, author: 'visitor', name: '', body: it.body, at: f.createdAt });
      m.ids.set(f.id, f.clientId);
      break;
    }
    case 'deleted':
      drop(m, f.messageId);
      break;
    case 'typing':
      m.typing = f.on;
      clearTimeout(typingTimer);
      // An operator whose socket dropped never sends on:false; do not show "typing" forever.
      if (f.on)
        typingTimer = setTimeout(() => {
          m.typing = false;
          m.update();
        }, 10_000); // 10 s
      break;
    case 'seen':
      m.seenSeq = Math.max(m.seenSeq, f.seq);
      break;
    case 'closed':
      need(m, 'extras');
      m.ended = true;
      m.typing = false;
      m.queued = 0;
      m.quote = null;
      m.rateId = f.contactId;
      m.rated = false;
      note(m, 'end', t.ended);
      break;
    case 'challenge':
      withCaptcha(m, (c) => c.solve(m, f.challenge));
      break;
    case 'offline-received':
      m.view = 'sent';
      m.starting = false;
      m.say = t.offDone;
      break;
    case 'rated':
      m.rated = true;
      m.say = t.thanks;
      break;
    case 'error': {
      const c = f.code;
      // The ended conversation shown again is gone (the connection forgot it): a new one, then.
      if (c === ErrorCode.NotFound && m.ended && !m.conn.contactId && !m.conn.stored.ended) {
        startOver(m);
        break;
      }
      m.error =
        c === ErrorCode.CaptchaRequired
          ? t.capReq
          : c === ErrorCode.CaptchaFailed
            ? t.capFail
            : c === ErrorCode.BadAnswers
              ? t.badAns
              : f.message;
      if (m.starting) {
        // The start or offline message was refused: its captcha answer is spent, get a new one.
        m.starting = false;
        withCaptcha(m, (c) => c.prep(m));
      }
      // The connection gave up a refused send: show it as not sent instead of "Sending…" forever.
      const it = f.ref ? m.items.get(f.ref) : undefined;
      if (it?.pending && !m.conn.outbox.some((p) => p.clientId === f.ref)) {
        put(m, { ...it, pending: false, failed: true });
      }
      break;
    }
  }
  m.update();
};

let localeRun = 0;
/** Speaks `data-locale` / `setLocale` > the site's locale > the browser's, loading its strings first. */
const applyLocale = async (m: Model) => {
  const loc = pickLocale(
    m.userLoc || m.o.locale,
    m.site ? m.site.locale : m.conn.stored.loc,
    navigator.language,
  );
  if (loc === m.loc) return;
  const run = ++localeRun;
  const t = await loadStrings(loc);
  if (run !== localeRun) return;
  m.loc = loc;
  m.t = t;
  m.rtl = lang(loc) === 'ar';
  m.o.launcher.setAttribute('aria-label', t.open);
  m.conn.save({ label: t.open });
  m.o.launcher.classList.toggle('parley-rtl', m.rtl);
  m.update();
};

const initials = (name: string) =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => [...w][0])
    .join('')
    .toUpperCase();

function Avatar({ url, name }: { url: string | null | undefined; name: string }) {
  const [broken, setBroken] = useState('');
  return url && broken !== url ? (
    <img class="parley-av" src={url} alt="" onError={() => setBroken(url)} />
  ) : (
    <span class="parley-av" aria-hidden="true">
      {initials(name)}
    </span>
  );
}

function Composer({ m }: { m: Model }) {
  const [draft, setDraft] = useState('');
  const typing = useRef({ on: false, last: 0, idle: undefined as ReturnType<typeof setTimeout> | undefined });
  const stopTyping = () => {
    const s = typing.current;
    clearTimeout(s.idle);
    if (s.on) {
      s.on = false;
      m.conn.typing(false);
    }
  };
  const input = (v: string) => {
    setDraft(v);
    const s = typing.current;
    const now = Date.now();
    // At most one typing:true every 2 s; typing:false after 3 s without a keystroke.
    if (!s.on || now - s.last > 2000) {
      s.on = true;
      s.last = now;
      m.conn.typing(true);
    }
    clearTimeout(s.idle);
    s.idle = setTimeout(stopTyping, 3000);
  };
  const send = (e?: Event) => {
    e?.preventDefault();
    const body = draft.trim();
    if (!body) return;
    stopTyping();
    m.error = '';
    pending(m, m.conn.send(body, m.quote?.id));
    m.quote = null;
    setDraft('');
    m.update();
  };
  const { t, quote } = m;
  return (
    <form class="parley-comp" onSubmit={send}>
      {quote && (
        <div class="parley-qbar">
          <blockquote class="parley-quote" dir="auto">
            {quote.body}
          </blockquote>
          <button
            type="button"
            class="parley-x"
            aria-label={t.noReply}
            onClick={() => {
              m.quote = null;
              m.update();
            }}
          >
            ×
          </button>
        </div>
      )}
      <div class="parley-row">
        <textarea
          aria-label={t.msg}
          dir="auto"
          rows={2}
          maxLength={4000}
          value={draft}
          onInput={(e) => input(e.currentTarget.value)}
          onKeyDown={(e) => {
            // isComposing: Enter confirms an IME candidate (Vietnamese, etc.), it must not send.
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) send(e);
          }}
        />
        <button type="submit" class="parley-btn">
          {t.send}
        </button>
      </div>
    </form>
  );
}

function Log({ m }: { m: Model }) {
  const ref = useRef<HTMLDivElement>(null);
  const items = [...m.items.values()].sort((a, b) => a.seq - b.seq || a.order - b.order);
  let lastVisitor: Item | undefined;
  for (const it of items) if (it.kind === 'visitor' && !it.pending) lastVisitor = it;
  useEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  });
  const { t, site, op } = m;
  return (
    <div class="parley-log" role="log" aria-live="polite" ref={ref}>
      {items.map((it) => {
        if (it.note)
          return (
            <p class="parley-note" key={it.key}>
              {it.body}
            </p>
          );
        const quoted = it.quoteId ? m.items.get(m.ids.get(it.quoteId) || '') : undefined;
        return (
          <div
            class="parley-msg"
            key={it.key}
            data-author={it.kind}
            data-id={it.id}
            data-seq={it.pending ? undefined : it.seq}
            data-pending={it.pending ? '' : undefined}
            data-failed={it.failed ? '' : undefined}
          >
            {it.kind === 'operator' && (
              <b class="parley-name">
                <Avatar
                  url={site?.avatarUrl || (op && op.id === it.aid ? op.avatarUrl : null)}
                  name={it.name}
                />
                {it.name}
              </b>
            )}
            {quoted && (
              <blockquote class="parley-quote" dir="auto">
                {quoted.body}
              </blockquote>
            )}
            <p class="parley-text" dir="auto">
              {it.body}
            </p>
            <span class="parley-meta">
              <time dateTime={it.at}>{hhmm(it.at)}</time>
              {it.pending && ` · ${t.sending}`}
              {it.failed && ` · ${t.unsent}`}
              {it === lastVisitor && it.seq <= m.seenSeq && ` · ${t.seen}`}
              {it.kind === 'operator' && it.id && !m.ended && (
                <button
                  type="button"
                  class="parley-reply"
                  onClick={() => {
                    m.quote = it;
                    m.update();
                    m.o.root.querySelector<HTMLElement>('.parley-comp textarea')?.focus();
                  }}
                >
                  {t.reply}
                </button>
              )}
            </span>
          </div>
        );
      })}
    </div>
  );
}

function App({ m }: { m: Model }) {
  const [, force] = useReducer((n: number) => n + 1, 0);
  m.update = () => force(0);
  const { t, site, conn, o } = m;
  const readSeq = conn.stored.lastSeq || 0;
  const unread = [...m.items.values()].filter((i) => i.kind === 'operator' && i.seq > readSeq).length;

  useEffect(() => {
    const l = o.launcher;
    l.setAttribute('aria-expanded', String(m.open));
    let badge = l.querySelector<HTMLElement>('.parley-badge');
    if (unread && !m.open) {
      if (!badge) {
        badge = l.appendChild(document.createElement('span'));
        badge.className = 'parley-badge';
        badge.id = 'parley-badge';
        l.setAttribute('aria-describedby', badge.id);
      }
      badge.textContent = unread > 9 ? '9+' : String(unread);
    } else if (badge) {
      badge.remove();
      l.removeAttribute('aria-describedby');
    }
    // The visitor sees the log: tell the server (and the unread count) they read it all.
    if (unread && m.open && m.view === 'chat' && document.visibilityState === 'visible') {
      conn.seen(conn.seq);
      m.update();
    }
  });

  // When the view changes under an open panel (form after welcome, composer after start), move focus
  // to its first field unless the visitor is already elsewhere in the panel. Focus on the host page
  // (a panel restored by a reload) stays where it is.
  // The form's chunk may still be on its way: until it is drawn, the panel is still waiting.
  const shown = m.view === 'form' && !lazy.form ? 'wait' : m.view;
  const view = useRef(shown);
  useEffect(() => {
    const from = view.current;
    if (from === shown) return;
    view.current = shown;
    const a = o.root.activeElement;
    // The visitor's own step (start, offline form, start again) removed the focused button.
    const lost = !a && from !== 'wait' && document.activeElement === document.body;
    if (m.open && (lost || a === o.launcher || a?.classList.contains('parley-x'))) focusPanel(o);
  });

  const away = !m.online || !m.hours.open;
  // A refused chat says so once, in the alert below; the header then shows no status line.
  const status =
    m.state === 'open'
      ? !m.hours.open && m.hours.opensAt
        ? fill(t.back, { when: formatOpensAt(m.hours.opensAt, m.loc) })
        : away
          ? t.off
          : t.on
      : m.state === 'failed'
        ? ''
        : t.conn;
  const greeting =
    m.known && site?.greetingKnown ? fill(site.greetingKnown, { name: m.known }) : site?.greeting;
  const muted = !!conn.stored.mute;
  return (
    <section
      class="parley-panel"
      dir={m.rtl ? 'rtl' : 'ltr'}
      lang={lang(m.loc)}
      aria-label={site?.name || t.open}
      hidden={!m.open}
      onKeyDown={(e) => {
        unlockAudio();
        if (e.key === 'Escape') setOpen(m, false, true);
      }}
      onPointerDown={unlockAudio}
    >
      <header class="parley-head">
        {site && <Avatar url={site.avatarUrl || m.op?.avatarUrl} name={m.op?.name || site.name} />}
        <div class="parley-who">
          <strong>{site?.name}</strong>
          <span class="parley-status" role="status">
            {status && <i class={!away && m.state === 'open' ? 'parley-dot parley-on' : 'parley-dot'} />}
            {status}
          </span>
        </div>
        <button
          type="button"
          class="parley-mute"
          aria-label={t.mute}
          aria-pressed={muted}
          onClick={() => {
            conn.save({ mute: !muted });
            m.update();
          }}
        >
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path
              d={
                muted ? 'M3 9v6h4l5 4V5L7 9H3zM16 9l6 6m0-6-6 6' : 'M3 9v6h4l5 4V5L7 9H3zM16 8a5 5 0 0 1 0 8'
              }
            />
          </svg>
        </button>
        <button type="button" class="parley-x" aria-label={t.close} onClick={() => setOpen(m, false, true)}>
          ×
        </button>
      </header>
      <div class="parley-body">
        {greeting && (
          <p class="parley-greet" dir="auto">
            {greeting}
          </p>
        )}
        <p class="parley-err" role="alert">
          {m.error}
        </p>
        {m.view === 'form' && site && lazy.form && (
          <lazy.form.Form m={m} offline={away && site.offlineForm} />
        )}
        {m.view === 'sent' && <p class="parley-done">{t.offDone}</p>}
        {m.view === 'chat' && <Log m={m} />}
        {m.view === 'chat' && m.typing && (
          <p class="parley-typing">{fill(t.typing, { name: m.op?.name || t.op })}</p>
        )}
        {m.view === 'chat' && m.queued > 0 && !m.ended && lazy.extras && <lazy.extras.Waiting m={m} />}
      </div>
      <p class="parley-sr" role="status">
        {m.say}
      </p>
      {m.view === 'chat' &&
        (m.ended ? (
          <div class="parley-end">
            {m.rateId && lazy.extras && <lazy.extras.Rate m={m} contactId={m.rateId} key={m.rateId} />}
            <button
              type="button"
              class="parley-btn"
              onClick={() => {
                conn.reset();
                startOver(m);
                m.update();
              }}
            >
              {t.again}
            </button>
          </div>
        ) : (
          <Composer m={m} />
        ))}
    </section>
  );
}

/** Opens or closes the panel; `back` returns focus to the launcher (Escape, the close button). */
const setOpen = (m: Model, open: boolean, back = m.o.root.activeElement !== null) => {
  if (m.open === open) return;
  m.open = open;
  m.conn.save({ open });
  m.update();
  m.o.emit?.(open ? 'open' : 'close');
  if (open) focusPanel(m.o);
  else if (back) m.o.launcher.focus();
};

// After Preact has shown the panel: the first field, the composer, or the close button.
const focusPanel = (o: MountOptions) =>
  setTimeout(() =>
    ['.parley-comp textarea', ':is(input,select,textarea)', '.parley-btn', '.parley-x']
      .map((s) => o.root.querySelector<HTMLElement>(`.parley-panel ${s}`))
      .find(Boolean)
      ?.focus(),
  );

const memoryStorage = (): StorageLike => {
  const map = new Map<string, string>();
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
};

/** Entry point called by the loader; the controller backs `window.Parley`. */
export function mount(o: MountOptions): Controller {
  let storage: StorageLike;
  try {
    storage = window.localStorage;
  } catch {
    // Storage blocked (sandboxed frame, strict privacy mode): the chat works for this page view.
    storage = memoryStorage();
  }
  const host = o.root.host as HTMLElement;
  const m = {
    o,
    t: parse(EN),
    loc: '',
    rtl: false,
    open: o.open,
    site: null,
    online: false,
    hours: { open: true, opensAt: null },
    known: null,
    view: 'wait',
    starting: false,
    ended: false,
    rateId: null,
    rated: false,
    items: new Map(),
    ids: new Map(),
    op: null,
    typing: false,
    seenSeq: 0,
    error: '',
    say: '',
    state: 'connecting',
    queued: 0,
    called: false,
    quote: null,
    cap: { token: null, busy: false },
    live: -1,
    update: () => {},
  } as Omit<Model, 'conn'> as Model;
  m.conn = new Connection({
    url: `${o.baseUrl.replace(/^http/, 'ws')}ws/visitor?site=${encodeURIComponent(o.siteKey)}`,
    siteKey: o.siteKey,
    WebSocket,
    storage,
    identity: o.identity,
    hello: () => ({
      page: { url: location.href.slice(0, 2048), title: document.title.slice(0, 500) },
      referrer: document.referrer.slice(0, 2048) || undefined,
      locale: navigator.language.slice(0, 35),
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    }),
    onFrame: (f) => {
      if (f.type === 'welcome' && CSS.supports?.('color', f.site.color)) {
        host.style.setProperty('--parley-c', f.site.color);
        m.conn.save({ color: f.site.color });
      }
      onFrame(m, f);
    },
    onState: (s, code) => {
      m.state = s;
      if (s === 'failed') {
        m.error = `${m.t.fail} (${code})`;
        // For the site owner reading the console: 4001 is the usual cause after installing the tag.
        console.warn(
          `parley: the server refused the chat (close code ${code}${code === 4001 ? ': this page’s origin is not in the site’s allowed origins' : ''})`,
        );
      }
      m.update();
    },
  });
  for (const p of m.conn.outbox) pending(m, p);
  // No conversation to resume: the questionnaire comes next, fetched while the socket connects.
  if (!m.conn.contactId) need(m, 'form');
  addStyles(o.root, STYLES);
  const el = document.createElement('div');
  o.root.appendChild(el);
  o.launcher.addEventListener('click', () => {
    unlockAudio();
    setOpen(m, !m.open);
  });
  // The first paint and the notices wait for the language's strings (a lazy chunk): no English flash.
  void applyLocale(m).then(() => {
    render(<App m={m} />, el);
    m.conn.connect();
    if (m.open) {
      // Remember the open panel so a reload restores it, as one opened later by setOpen is.
      m.conn.save({ open: true });
      o.emit?.('open');
      // Focus only follows a click: a reload must not pull focus away from the host page.
      if (o.clicked) focusPanel(o);
    }
  });
  document.addEventListener('visibilitychange', () => m.update());
  return {
    open: () => setOpen(m, true),
    close: () => setOpen(m, false),
    identify: (userId, hash) => {
      warned = false;
      m.conn.identify({ userId, hash });
    },
    setLocale: (locale) => {
      m.userLoc = locale;
      void applyLocale(m);
    },
  };
}
