import type { ContactSummary, Message, OperatorStatus, User } from '@parley/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import * as ctl from './controller.js';
import { clock, elapsed } from './format.js';
import { type Key, t } from './i18n.js';
import {
  canAccept,
  type Filter,
  isUnanswered,
  type Pending,
  type State,
  selectedContact,
  type Toast,
  visibleContacts,
  waitingSince,
} from './store.js';

function useStore(): State {
  const [state, setState] = useState(ctl.store.get());
  useEffect(() => ctl.store.subscribe(() => setState(ctl.store.get())), []);
  return state;
}

/** The current time, refreshed every second while `live` (for waiting times). */
function useNow(live: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!live) return;
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, [live]);
  return now;
}

const statusKey = (s: string): Key => `s_${s}` as Key;

export function App() {
  const s = useStore();
  useEffect(() => {
    void ctl.boot();
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || (e.key !== 'ArrowUp' && e.key !== 'ArrowDown')) return;
      e.preventDefault();
      ctl.step(e.key === 'ArrowUp' ? -1 : 1);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  if (s.auth === 'unknown') return <p class="boot">{t('loading')}</p>;
  if (s.auth === 'out' || !s.user) return <Login />;
  const contact = selectedContact(s);
  return (
    <div class="shell">
      <TopBar user={s.user} connection={s.connection} />
      <div class="panes">
        <Queue state={s} />
        {contact ? (
          <Conversation key={contact.id} state={s} contact={contact} />
        ) : (
          <p class="placeholder">{s.connection === 'open' ? t('pick') : t('connecting')}</p>
        )}
      </div>
      <Toasts toasts={s.toasts} />
    </div>
  );
}

function Login() {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    setBusy(true);
    setError(null);
    const message = await ctl.logIn(String(data.get('email') ?? ''), String(data.get('password') ?? ''));
    setBusy(false);
    setError(message);
  };
  return (
    // noValidate: the server's validation message is the one shown, in the alert below.
    <form class="login" onSubmit={onSubmit} noValidate>
      <h1>Parley</h1>
      <label for="login-email">{t('email')}</label>
      <input id="login-email" name="email" type="email" autocomplete="username" required />
      <label for="login-password">{t('password')}</label>
      <input id="login-password" name="password" type="password" autocomplete="current-password" required />
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {t('login')}
      </button>
    </form>
  );
}

function TopBar({ user, connection }: { user: User; connection: State['connection'] }) {
  return (
    <header class="top">
      <span class="brand">Parley</span>
      <span class="me">{user.name}</span>
      <select
        aria-label={t('status')}
        value={user.status}
        onChange={(e) => ctl.setStatus(e.currentTarget.value as OperatorStatus)}
      >
        {(['online', 'away', 'offline'] as const).map((st) => (
          <option key={st} value={st}>
            {t(st)}
          </option>
        ))}
      </select>
      <span role="status" class="conn">
        {connection === 'closed' ? t('reconnecting') : connection === 'connecting' ? t('connecting') : ''}
      </span>
      <button type="button" onClick={() => void ctl.logOut()}>
        {t('logout')}
      </button>
    </header>
  );
}

function Queue({ state }: { state: State }) {
  const list = visibleContacts(state);
  const now = useNow(list.some(isUnanswered));
  return (
    <nav class="queue-pane">
      <fieldset class="filters" aria-label={t('filter')}>
        {(['all', 'mine', 'unassigned'] as Filter[]).map((f) => (
          <button key={f} type="button" aria-pressed={state.filter === f} onClick={() => ctl.setFilter(f)}>
            {t(f)}
          </button>
        ))}
      </fieldset>
      <ul aria-label={t('queue')} class="queue">
        {list.map((c) => (
          <QueueItem key={c.id} contact={c} selected={c.id === state.selectedId} now={now} />
        ))}
      </ul>
      {list.length === 0 && <p class="empty">{t('empty')}</p>}
    </nav>
  );
}

function QueueItem({
  contact: c,
  selected,
  now,
}: {
  contact: ContactSummary;
  selected: boolean;
  now: number;
}) {
  const unanswered = isUnanswered(c);
  const at = c.lastMessageAt ?? c.enqueuedAt ?? c.createdAt;
  return (
    <li>
      <button
        type="button"
        class={`item${unanswered ? ' unanswered' : ''}${selected ? ' selected' : ''}`}
        aria-current={selected ? 'true' : undefined}
        data-contact-id={c.id}
        onClick={() => ctl.select(c.id)}
      >
        <span class="row">
          <span class="name">{c.visitorName}</span>
          <time dateTime={at}>{clock(at)}</time>
        </span>
        <span class="preview">{c.lastMessage ?? ''}</span>
        <span class="row">
          <span class={`badge s-${c.status}`}>{t(statusKey(c.status))}</span>
          {unanswered && (
            <span class="wait">
              {t('waiting')} {elapsed(waitingSince(c), now)}
            </span>
          )}
        </span>
      </button>
    </li>
  );
}

function Conversation({ state, contact: c }: { state: State; contact: ContactSummary }) {
  const conv = state.conversations[c.id];
  const messages = conv?.messages ?? [];
  const pending = state.pending.filter((p) => p.contactId === c.id);
  const seen = state.seen[c.id] ?? 0;
  const closed = c.status === 'closed';
  const log = useRef<HTMLDivElement>(null);
  const count = messages.length + pending.length;
  useEffect(() => {
    const el = log.current;
    if (el && count >= 0) el.scrollTop = el.scrollHeight;
  }, [count]);
  const byId = new Map(messages.map((m) => [m.id, m]));
  return (
    <section class="conv" aria-label={c.visitorName}>
      <header class="conv-head">
        <h2>{c.visitorName}</h2>
        <span class={`badge s-${c.status}`}>{t(statusKey(c.status))}</span>
        <span class="grow" />
        {canAccept(c) && (
          <button type="button" class="primary" onClick={() => ctl.accept(c.id)}>
            {t('accept')}
          </button>
        )}
        {!closed && (
          <button type="button" onClick={() => ctl.close(c.id)}>
            {t('close')}
          </button>
        )}
      </header>
      <div class="conv-body">
        <div class="thread">
          <div role="log" class="log" ref={log}>
            {conv && !conv.loaded && messages.length === 0 && <p class="hint">{t('loading')}</p>}
            {messages.map((m) => (
              <MessageItem
                key={m.id}
                m={m}
                quoted={m.quoteId ? byId.get(m.quoteId) : undefined}
                seen={seen}
              />
            ))}
            {pending.map((p) => (
              <PendingItem key={p.clientId} p={p} />
            ))}
          </div>
          {state.typing[c.id] && <p class="typing">{t('typing')}</p>}
          <Composer contactId={c.id} disabled={closed} />
        </div>
        <Side contact={c} />
      </div>
    </section>
  );
}

function MessageItem({ m, quoted, seen }: { m: Message; quoted: Message | undefined; seen: number }) {
  const read = m.author.kind === 'operator' && m.seq <= seen;
  return (
    <div class="msg" data-author={m.author.kind} data-seq={m.seq} data-seen={read ? 'true' : undefined}>
      {m.author.kind !== 'system' && <span class="who">{m.author.name}</span>}
      {quoted && <blockquote>{quoted.body}</blockquote>}
      <p class="body">{m.body}</p>
      <span class="meta">
        <time dateTime={m.createdAt}>{clock(m.createdAt)}</time>
        {read && <span title={t('seenUpTo')}> ✓✓</span>}
      </span>
    </div>
  );
}

function PendingItem({ p }: { p: Pending }) {
  return (
    <div class="msg pending" data-author="operator" data-pending={p.failed ? 'failed' : 'true'}>
      <p class="body">{p.body}</p>
      <span class="meta">
        {p.failed ? (
          <>
            {t('notSent')}{' '}
            <button type="button" class="link" onClick={() => ctl.retry(p.clientId)}>
              {t('retry')}
            </button>
          </>
        ) : (
          t('sending')
        )}
      </span>
    </div>
  );
}

function Composer({ contactId, disabled }: { contactId: string; disabled: boolean }) {
  const [text, setText] = useState(ctl.drafts.get(contactId) ?? '');
  const update = (v: string) => {
    setText(v);
    if (v) ctl.drafts.set(contactId, v);
    else ctl.drafts.delete(contactId);
  };
  const submit = () => {
    const body = text.trim();
    if (!body || disabled) return;
    ctl.reply(contactId, body);
    update('');
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <textarea
        aria-label={t('reply')}
        value={text}
        maxLength={4000}
        rows={3}
        disabled={disabled}
        onInput={(e) => {
          update(e.currentTarget.value);
          if (e.currentTarget.value) ctl.typing(contactId);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.isComposing) {
            e.preventDefault();
            submit();
          } else if (e.key === 'Escape') {
            e.currentTarget.blur();
            ctl.stopTyping();
          }
        }}
      />
      <button type="submit" class="primary" disabled={disabled}>
        {t('send')}
      </button>
    </form>
  );
}

/** Only http(s) URLs become links: a visitor-supplied `javascript:` URL must not be clickable. */
const safeUrl = (u: string): boolean => /^https?:\/\//i.test(u);

function Side({ contact: c }: { contact: ContactSummary }) {
  const answers = Object.entries(c.answers ?? {});
  return (
    <aside class="side" aria-label={t('visitor')}>
      {answers.length > 0 && (
        <>
          <h3>{t('answers')}</h3>
          <dl>
            {answers.map(([k, v]) => (
              <div key={k}>
                <dt>{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
        </>
      )}
      <h3>{t('page')}</h3>
      <p class="url">
        {c.pageUrl && safeUrl(c.pageUrl) ? (
          <a href={c.pageUrl} target="_blank" rel="noopener noreferrer">
            {c.pageUrl}
          </a>
        ) : (
          (c.pageUrl ?? t('never'))
        )}
      </p>
      <h3>{t('lastSeen')}</h3>
      <p>
        {c.visitorLastSeenAt ? (
          <time dateTime={c.visitorLastSeenAt}>{clock(c.visitorLastSeenAt)}</time>
        ) : (
          t('never')
        )}
      </p>
    </aside>
  );
}

function Toasts({ toasts }: { toasts: Toast[] }) {
  const first = toasts[0];
  useEffect(() => {
    if (!first) return;
    const id = setTimeout(() => ctl.dismiss(first.id), 8000); // 8 s
    return () => clearTimeout(id);
  }, [first]);
  return (
    <div class="toasts">
      {toasts.map((x) => (
        <div key={x.id} role="alert" class="toast">
          <span>{x.message}</span>
          <button type="button" aria-label={t('dismiss')} onClick={() => ctl.dismiss(x.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
