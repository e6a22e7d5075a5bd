/**
 * The chat chunk (`/widget/chat.js`), loaded by the loader on first open or when idle. Draws the
 * panel inside the loader's shadow root; the socket and the outbox live in connection.ts.
 */
import type { QuestionnaireField, SiteSettings, VisitorOutbound } from '@parley/protocol';
import { render } from 'preact';
import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
import { Connection, type ConnState, type StorageLike } from './connection.js';
import { addStyles } from './css.js';
import { fill, lang, type Strings, strings } from './i18n.js';
import { STYLES } from './style.js';

export interface MountOptions {
  root: ShadowRoot;
  launcher: HTMLButtonElement;
  siteKey: string;
  /** The URL of the folder that serves widget.js, ending in '/'. */
  baseUrl: string;
  locale: string;
  open: boolean;
  /** The visitor clicked the launcher (move focus into the panel); false when a reload restores it. */
  clicked: boolean;
  /** From `data-user-id` + `data-user-hash` on the script tag: the host page's logged-in customer. */
  identity?: { userId: string; hash: string } | undefined;
}

type Kind = 'visitor' | 'operator' | 'system';
interface Item {
  key: string;
  /** Sort key: the message seq; notices sit after the seq current when they arrived; pending last. */
  seq: number;
  order: number;
  kind: Kind;
  name: string;
  body: string;
  at: string;
  pending?: boolean;
  /** The server refused it for good. */
  failed?: boolean;
  note?: boolean;
}

interface Model {
  conn: Connection;
  t: Strings;
  rtl: boolean;
  open: boolean;
  /** The conversation was already assigned when this page loaded (no "joined" notice then). */
  quietJoin?: boolean;
  site: SiteSettings | null;
  online: boolean;
  view: 'wait' | 'form' | 'chat';
  starting: boolean;
  ended: boolean;
  items: Map<string, Item>;
  /** Message id → item key (a visitor message is keyed by its clientId). */
  ids: Map<string, string>;
  op: string;
  typing: boolean;
  seenSeq: number;
  error: string;
  state: ConnState;
  update: () => void;
}

let order = 0;
const pad = (n: number) => String(n).padStart(2, '0');
const hhmm = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : `${pad(d.getHours())}:${pad(d.getMinutes())}`;
};
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const put = (m: Model, it: Omit<Item, 'order'>) =>
  m.items.set(it.key, { ...it, order: m.items.get(it.key)?.order ?? order++ });
const note = (m: Model, key: string, body: string) =>
  put(m, {
    key,
    seq: m.conn.seq + 0.5,
    kind: 'system',
    name: '',
    body,
    at: new Date().toISOString(),
    note: true,
  });
const pending = (m: Model, p: { clientId: string; body: string; at: string }) =>
  put(m, { key: p.clientId, seq: Number.POSITIVE_INFINITY, kind: 'visitor', name: '', ...p, pending: true });

let typingTimer: ReturnType<typeof setTimeout> | undefined;

const onFrame = (m: Model, f: VisitorOutbound) => {
  const { t } = m;
  switch (f.type) {
    case 'welcome':
      m.site = f.site;
      // Assigned before this page loaded: its "joined" notice would sort above the replayed history.
      m.quietJoin = f.contact !== null && f.contact.status !== 'queued';
      m.online = f.online;
      if (f.contact) m.view = 'chat';
      else if (!m.ended) {
        m.view = 'form';
        m.items.clear();
      }
      break;
    case 'queued':
      m.view = 'chat';
      m.starting = m.ended = false;
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
      m.op = f.operator.name;
      if (m.quietJoin) {
        m.quietJoin = false;
        break;
      }
      note(m, `a${f.operator.id}`, fill(t.joined, { name: f.operator.name }));
      break;
    case 'message': {
      const x = f.message;
      const key = m.ids.get(x.id) || (x.clientId && m.items.has(x.clientId) ? x.clientId : x.id);
      m.ids.set(x.id, key);
      put(m, { key, seq: x.seq, kind: x.author.kind, name: x.author.name, body: x.body, at: x.createdAt });
      if (x.author.kind === 'operator') {
        m.op = x.author.name;
        m.typing = false;
      }
      break;
    }
    case 'ack': {
      const it = m.items.get(f.clientId);
      if (it) put(m, { ...it, seq: f.seq, at: f.createdAt, pending: false });
      m.ids.set(f.id, f.clientId);
      break;
    }
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
      m.ended = true;
      m.typing = false;
      note(m, 'end', t.ended);
      break;
    case 'error': {
      m.starting = false;
      m.error = f.message;
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

function Form({ m, fields }: { m: Model; fields: QuestionnaireField[] }) {
  const { t } = m;
  const [vals, setVals] = useState<Record<string, string>>({});
  const [errs, setErrs] = useState<Record<string, string>>({});
  const form = useRef<HTMLFormElement>(null);
  const submit = (e: Event) => {
    e.preventDefault();
    const er: Record<string, string> = {};
    const answers: Record<string, string> = {};
    for (const f of fields) {
      const v = (vals[f.name] || '').trim();
      if (v) answers[f.name] = v;
      if (!v && f.required) er[f.name] = t.req;
      else if (v && f.kind === 'email' && !EMAIL.test(v)) er[f.name] = t.email;
    }
    setErrs(er);
    const bad = Object.keys(er)[0];
    if (bad) {
      form.current?.querySelector<HTMLElement>(`#parley-f-${bad}`)?.focus();
      return;
    }
    m.error = '';
    m.starting = true;
    m.conn.start(answers);
    m.update();
  };
  return (
    <form class="parley-form" ref={form} onSubmit={submit} noValidate>
      {fields.map((f) => {
        const id = `parley-f-${f.name}`;
        const Tag = f.kind === 'text' ? 'textarea' : 'input';
        return (
          <div class="parley-field" key={f.name}>
            <label for={id}>
              {f.label}
              {f.required && ' *'}
            </label>
            <Tag
              id={id}
              name={f.name}
              type={f.kind === 'email' ? 'email' : f.kind === 'phone' ? 'tel' : 'text'}
              autocomplete={
                f.kind === 'name' ? 'name' : f.kind === 'email' ? 'email' : f.kind === 'phone' ? 'tel' : 'off'
              }
              required={f.required}
              maxLength={500}
              value={vals[f.name] || ''}
              aria-invalid={errs[f.name] ? 'true' : undefined}
              aria-describedby={errs[f.name] ? `${id}-e` : undefined}
              onInput={(e) => setVals({ ...vals, [f.name]: (e.currentTarget as HTMLInputElement).value })}
            />
            {errs[f.name] && (
              <span class="parley-ferr" id={`${id}-e`}>
                {errs[f.name]}
              </span>
            )}
          </div>
        );
      })}
      <button type="submit" class="parley-btn" disabled={m.starting}>
        {t.start}
      </button>
    </form>
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
    pending(m, m.conn.send(body));
    setDraft('');
    m.update();
  };
  return (
    <form class="parley-comp" onSubmit={send}>
      <textarea
        aria-label={m.t.msg}
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
        {m.t.send}
      </button>
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
  return (
    <div class="parley-log" role="log" aria-live="polite" ref={ref}>
      {items.map((it) =>
        it.note ? (
          <p class="parley-note" key={it.key}>
            {it.body}
          </p>
        ) : (
          <div
            class="parley-msg"
            key={it.key}
            data-author={it.kind}
            data-seq={it.pending ? undefined : it.seq}
            data-pending={it.pending ? '' : undefined}
            data-failed={it.failed ? '' : undefined}
          >
            {it.kind === 'operator' && <b class="parley-name">{it.name}</b>}
            <p class="parley-text">{it.body}</p>
            <span class="parley-meta">
              <time dateTime={it.at}>{hhmm(it.at)}</time>
              {it.pending && ` · ${m.t.sending}`}
              {it.failed && ` · ${m.t.unsent}`}
              {it === lastVisitor && it.seq <= m.seenSeq && ` · ${m.t.seen}`}
            </span>
          </div>
        ),
      )}
    </div>
  );
}

function App({ m, o }: { m: Model; o: MountOptions }) {
  const [, force] = useReducer((n: number) => n + 1, 0);
  m.update = () => force(0);
  const panel = useRef<HTMLElement>(null);
  const { t, site, conn } = m;
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
  const view = useRef(m.view);
  useEffect(() => {
    if (view.current === m.view) return;
    view.current = m.view;
    const a = o.root.activeElement;
    if (m.open && a && (a === o.launcher || a.classList.contains('parley-x'))) focusPanel(o);
  });

  // A refused chat says so once, in the alert below; the header then shows no status line.
  const status = m.state === 'open' ? (m.online ? t.on : t.off) : m.state === 'failed' ? '' : t.conn;
  return (
    <section
      class="parley-panel"
      ref={panel}
      dir={m.rtl ? 'rtl' : 'ltr'}
      lang={lang(o.locale)}
      aria-label={site?.name || t.open}
      hidden={!m.open}
      onKeyDown={(e) => {
        if (e.key === 'Escape') setOpen(m, o, false);
      }}
    >
      <header class="parley-head">
        <div>
          <strong>{site?.name}</strong>
          {status && (
            <span class="parley-status">
              <i class={m.online && m.state === 'open' ? 'parley-dot parley-on' : 'parley-dot'} />
              {status}
            </span>
          )}
        </div>
        <button type="button" class="parley-x" aria-label={t.close} onClick={() => setOpen(m, o, false)}>
          ×
        </button>
      </header>
      <div class="parley-body">
        {site?.greeting && <p class="parley-greet">{site.greeting}</p>}
        <p class="parley-err" role="alert">
          {m.error}
        </p>
        {m.view === 'form' && site && <Form m={m} fields={site.questionnaire} />}
        {m.view === 'chat' && <Log m={m} />}
        {m.view === 'chat' && m.typing && (
          <p class="parley-typing">{fill(t.typing, { name: m.op || t.op })}</p>
        )}
      </div>
      {m.view === 'chat' &&
        (m.ended ? (
          <div class="parley-end">
            <button
              type="button"
              class="parley-btn"
              onClick={() => {
                conn.reset();
                m.items.clear();
                m.ids.clear();
                m.ended = false;
                m.error = '';
                m.seenSeq = 0;
                m.op = '';
                m.view = 'form';
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

const setOpen = (m: Model, o: MountOptions, open: boolean) => {
  if (m.open === open) return;
  m.open = open;
  m.conn.save({ open });
  m.update();
  if (open) focusPanel(o);
  else o.launcher.focus();
};

// After Preact has shown the panel: the first field, the composer, or the close button.
const focusPanel = (o: MountOptions) =>
  setTimeout(() =>
    ['input', 'textarea', '.parley-btn', '.parley-x']
      .map((s) => o.root.querySelector<HTMLElement>(`.parley-panel ${s}`))
      .find(Boolean)
      ?.focus(),
  );

const memoryStorage = (): StorageLike => {
  const map = new Map<string, string>();
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
};

/** Entry point called by the loader. */
export function mount(o: MountOptions): void {
  let storage: StorageLike;
  try {
    storage = window.localStorage;
  } catch {
    // Storage blocked (sandboxed frame, strict privacy mode): the chat works for this page view.
    storage = memoryStorage();
  }
  const host = o.root.host as HTMLElement;
  const t = strings(o.locale);
  o.launcher.setAttribute('aria-label', t.open);
  const m = {
    t,
    rtl: lang(o.locale) === 'ar',
    open: o.open,
    site: null,
    online: false,
    view: 'wait',
    starting: false,
    ended: false,
    items: new Map(),
    ids: new Map(),
    op: '',
    typing: false,
    seenSeq: 0,
    error: '',
    state: 'connecting',
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
        m.error = `${t.fail} (${code})`;
        // For the site owner reading the console: 4001 is the usual cause after installing the tag.
        console.warn(
          `parley: the server refused the chat (close code ${code}${code === 4001 ? ': this page’s origin is not in the site’s allowed origins' : ''})`,
        );
      }
      m.update();
    },
  });
  for (const p of m.conn.outbox) pending(m, p);
  addStyles(o.root, STYLES);
  const el = document.createElement('div');
  o.root.appendChild(el);
  render(<App m={m} o={o} />, el);
  o.launcher.addEventListener('click', () => setOpen(m, o, !m.open));
  if (m.open) {
    // Remember the open panel so a reload restores it, as one opened later by setOpen is.
    m.conn.save({ open: true });
    // Focus only follows a click: a reload must not pull focus away from the host page.
    if (o.clicked) focusPanel(o);
  }
  document.addEventListener('visibilitychange', () => m.update());
  m.conn.connect();
}
