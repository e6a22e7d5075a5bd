import type { ContactSummary, OperatorStatus, Task, User } from '@parley/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import * as ctl from './controller.js';
import { Conversation, TransferDialog } from './conversation.js';
import { clock, elapsed } from './format.js';
import { useNow, useStore } from './hooks.js';
import { channelKey, type Key, LANGUAGES, statusKey, t, tf } from './i18n.js';
import { askPermission, type Permission, permission, unlockAudio } from './notify.js';
import { allowed, hashOf, type View, viewOf } from './route.js';
import {
  type ChannelFilter,
  type Filter,
  isOverdue,
  isUnanswered,
  lastVisitorSeq,
  type Popup,
  type State,
  selectedContact,
  type Toast,
  taskLists,
  visibleContacts,
  waitingSince,
} from './store.js';

type Overlay = 'none' | 'help' | 'transfer';

type AdminModule = typeof import('./admin.js');
// The admin screens are a separate chunk: operators never download them.
let adminModule: Promise<AdminModule> | null = null;

function AdminScreen({ view, user }: { view: View; user: User }) {
  const [mod, setMod] = useState<AdminModule | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    adminModule ??= import('./admin.js');
    adminModule.then(
      (m) => setMod(() => m),
      () => {
        adminModule = null; // a later visit tries again
        setFailed(true);
      },
    );
  }, []);
  if (failed)
    return (
      <p role="alert" class="error">
        {t('netError')}
      </p>
    );
  if (!mod) return <p class="boot">{t('loading')}</p>;
  return <mod.AdminView view={view} user={user} />;
}

/** The screen the URL hash names, kept in step with back/forward and links. */
function useView(): View {
  const [view, setView] = useState<View>(() => viewOf(location.hash));
  useEffect(() => {
    const on = () => setView(viewOf(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return view;
}

/** Typing into a field: single-key shortcuts such as `?` must not fire. */
const inField = (e: KeyboardEvent): boolean => {
  const el = e.target as HTMLElement | null;
  return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
};

export function App() {
  const s = useStore();
  const [overlay, setOverlay] = useState<Overlay>('none');
  const [tasksOpen, setTasksOpen] = useState(false);
  const view = useView();
  // The handler is registered once; it reads the latest state and setters through this ref.
  const live = useRef({ s, overlay });
  live.current = { s, overlay };

  useEffect(() => {
    void ctl.boot();
    const onKey = (e: KeyboardEvent) => {
      const { s, overlay } = live.current;
      if (s.auth !== 'in') return;
      if (e.key === 'Escape') {
        if (overlay !== 'none') setOverlay('none');
        else if (s.selectedId && s.quoting[s.selectedId]) ctl.quote(s.selectedId, null);
        else setTasksOpen(false);
        return;
      }
      if (overlay !== 'none') return;
      if (e.key === '?' && !inField(e) && !e.altKey && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        setOverlay('help');
        return;
      }
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      // e.code, not e.key: on macOS Alt turns digits and letters into other characters.
      const digit = /^Digit([1-9])$/.exec(e.code);
      if (e.key === 'ArrowUp' || e.key === 'ArrowDown') ctl.step(e.key === 'ArrowUp' ? -1 : 1);
      else if (digit) ctl.jump(Number(digit[1]));
      else if (e.code === 'KeyR') document.getElementById('reply')?.focus();
      else if (e.code === 'KeyT') setTasksOpen((v) => !v);
      else if (e.code === 'KeyQ' && s.selectedId) {
        const seq = lastVisitorSeq(s.conversations[s.selectedId]);
        const m = s.conversations[s.selectedId]?.messages.find((x) => x.seq === seq);
        if (m) {
          ctl.quote(s.selectedId, m.id);
          document.getElementById('reply')?.focus();
        }
      } else return;
      e.preventDefault();
    };
    // Audio may only start after a user gesture; the first one unlocks the chime for later frames.
    const unlock = () => unlockAudio();
    document.addEventListener('keydown', onKey);
    document.addEventListener('pointerdown', unlock);
    document.addEventListener('keydown', unlock);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('pointerdown', unlock);
      document.removeEventListener('keydown', unlock);
    };
  }, []);

  if (s.auth === 'unknown') return <p class="boot">{t('loading')}</p>;
  if (s.auth === 'out' || !s.user) return <Login />;
  const contact = selectedContact(s);
  const screen = view !== 'inbox' && allowed(view, s.user.role) ? view : 'inbox';
  return (
    <div class="shell">
      <TopBar
        state={s}
        user={s.user}
        view={screen}
        tasksOpen={tasksOpen}
        onTasks={() => setTasksOpen((v) => !v)}
        onHelp={() => setOverlay('help')}
      />
      {screen !== 'inbox' ? (
        <AdminScreen key={screen === 'team' ? 'team' : 'settings'} view={screen} user={s.user} />
      ) : (
        <div class="panes">
          <Queue state={s} />
          {contact ? (
            <Conversation
              key={contact.id}
              state={s}
              contact={contact}
              onTransfer={() => setOverlay('transfer')}
            />
          ) : (
            <p class="placeholder">{s.connection === 'open' ? t('pick') : t('connecting')}</p>
          )}
          {tasksOpen && <Tasks state={s} onClose={() => setTasksOpen(false)} />}
        </div>
      )}
      <Popups popups={s.popups} />
      <Toasts toasts={s.toasts} />
      {overlay === 'help' && <Help onClose={() => setOverlay('none')} />}
      {overlay === 'transfer' && contact && (
        <TransferDialog state={s} contact={contact} onClose={() => setOverlay('none')} />
      )}
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

function TopBar({
  state,
  user,
  view,
  tasksOpen,
  onTasks,
  onHelp,
}: {
  state: State;
  user: User;
  view: View;
  tasksOpen: boolean;
  onTasks: () => void;
  onHelp: () => void;
}) {
  const [perm, setPerm] = useState<Permission>(permission());
  const open = taskLists(state).open.length;
  const connection = state.connection;
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
      {view !== 'inbox' && (
        <a class="nav" href="#/">
          {t('queue')}
        </a>
      )}
      {allowed('team', user.role) && (
        <a class="nav" href={hashOf('team')} aria-current={view === 'team' ? 'page' : undefined}>
          {t('team')}
        </a>
      )}
      {allowed('sites', user.role) && (
        <a
          class="nav"
          href={hashOf('sites')}
          aria-current={view === 'sites' || view === 'users' ? 'page' : undefined}
        >
          {t('settings')}
        </a>
      )}
      <button type="button" aria-expanded={tasksOpen} onClick={onTasks}>
        {t('tasks')}
        {open > 0 && <span class="count"> {open}</span>}
      </button>
      <button
        type="button"
        aria-pressed={state.muted}
        aria-label={t('mute')}
        title={t('mute')}
        onClick={() => ctl.setMuted(!state.muted)}
      >
        <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" class="icon">
          <path
            d="M12 3a6 6 0 0 0-6 6v4l-2 3h16l-2-3V9a6 6 0 0 0-6-6Zm-2 15a2 2 0 0 0 4 0"
            fill="none"
            stroke="currentColor"
            stroke-width="2"
            stroke-linejoin="round"
          />
          {state.muted && <path d="M4 4l16 16" stroke="currentColor" stroke-width="2" />}
        </svg>
      </button>
      {perm === 'default' && (
        // A user gesture: browsers refuse permission prompts that no click asked for.
        <button type="button" onClick={async () => setPerm(await askPermission())}>
          {t('notifications')}
        </button>
      )}
      <select
        aria-label={t('language')}
        value={state.lang}
        onChange={(e) => ctl.setLanguage(e.currentTarget.value)}
      >
        {LANGUAGES.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>
            {l.name}
          </option>
        ))}
      </select>
      <button type="button" aria-label={t('help')} title={t('help')} onClick={onHelp}>
        ?
      </button>
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
    <nav class="queue-pane" aria-label={t('queue')}>
      <div class="filters">
        <fieldset aria-label={t('filter')}>
          {(['all', 'mine', 'unassigned'] as Filter[]).map((f) => (
            <button key={f} type="button" aria-pressed={state.filter === f} onClick={() => ctl.setFilter(f)}>
              {t(f)}
            </button>
          ))}
        </fieldset>
        <select
          aria-label={t('channel')}
          value={state.channel}
          onChange={(e) => ctl.setChannel(e.currentTarget.value as ChannelFilter)}
        >
          <option value="any">{t('anyChannel')}</option>
          {(['chat', 'voice', 'callback'] as const).map((ch) => (
            <option key={ch} value={ch}>
              {t(channelKey(ch))}
            </option>
          ))}
        </select>
      </div>
      <ul aria-label={t('queue')} class="queue">
        {list.map((c) => (
          <QueueItem
            key={c.id}
            contact={c}
            assignee={
              c.assigneeId && c.assigneeId !== state.user?.id
                ? (state.operators.find((o) => o.id === c.assigneeId)?.name ?? t('someoneElse'))
                : null
            }
            selected={c.id === state.selectedId}
            unread={state.unread[c.id] ?? 0}
            draft={!!state.drafts[c.id]}
            now={now}
          />
        ))}
      </ul>
      {list.length === 0 && <p class="empty">{t('empty')}</p>}
    </nav>
  );
}

function QueueItem({
  contact: c,
  assignee,
  selected,
  unread,
  draft,
  now,
}: {
  contact: ContactSummary;
  /** Someone else's conversation (supervisors and admins see them): whose. */
  assignee: string | null;
  selected: boolean;
  unread: number;
  draft: boolean;
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
        data-channel={c.channel}
        onClick={() => ctl.select(c.id)}
      >
        <span class="row">
          <span class="name">{c.visitorName}</span>
          <time dateTime={at}>{clock(at)}</time>
        </span>
        <span class="preview">
          {draft && <span class="draft-mark">✎ </span>}
          {c.lastMessage ?? ''}
        </span>
        <span class="row">
          <span class="tags">
            <span class={`badge ch ch-${c.channel}`}>{t(channelKey(c.channel))}</span>
            <span class={`badge s-${c.status}`}>{t(statusKey(c.status))}</span>
            {assignee && (
              <span class="badge assignee" data-assignee={c.assigneeId}>
                {tf('assignedTo', { name: assignee })}
              </span>
            )}
            {unread > 0 && (
              <span class="badge unread" data-unread={unread}>
                {unread} {t('unread')}
              </span>
            )}
          </span>
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

function Tasks({ state, onClose }: { state: State; onClose: () => void }) {
  const { open, done } = taskLists(state);
  const now = useNow(true);
  useEffect(() => ctl.refreshTasks(), []);
  return (
    <section class="drawer" aria-label={t('tasks')}>
      <header class="drawer-head">
        <h2>{t('tasks')}</h2>
        <button type="button" aria-label={t('close')} onClick={onClose}>
          ×
        </button>
      </header>
      <h3>{t('openTasks')}</h3>
      {open.length ? (
        <ul class="tasks" aria-label={t('openTasks')}>
          {open.map((task) => (
            <TaskItem key={task.id} task={task} now={now} />
          ))}
        </ul>
      ) : (
        <p class="hint">{t('noTasks')}</p>
      )}
      {done.length > 0 && (
        <>
          <h3>{t('doneTasks')}</h3>
          <ul class="tasks done" aria-label={t('doneTasks')}>
            {done.slice(0, 20).map((task) => (
              <TaskItem key={task.id} task={task} now={now} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function TaskItem({ task, now }: { task: Task; now: number }) {
  const overdue = isOverdue(task, now);
  return (
    <li data-task-id={task.id} data-done={task.doneAt ? 'true' : undefined} class={overdue ? 'overdue' : ''}>
      <span class="task-title">{task.title}</span>
      <span class="meta">
        {task.dueAt && (
          <span data-field="due">
            {t('due')}: <time dateTime={task.dueAt}>{clock(task.dueAt)}</time>
            {overdue && <strong> {t('overdue')}</strong>}
          </span>
        )}
        {task.doneAt && (
          <span data-field="done">
            {t('doneAt')}: <time dateTime={task.doneAt}>{clock(task.doneAt)}</time>
          </span>
        )}
      </span>
      <span class="buttons">
        {task.contactId && (
          <button type="button" class="link" onClick={() => ctl.select(task.contactId)}>
            {t('openConversation')}
          </button>
        )}
        {!task.doneAt && (
          <button type="button" onClick={() => void ctl.completeTask(task.id)}>
            {t('markDone')}
          </button>
        )}
      </span>
    </li>
  );
}

function Popups({ popups }: { popups: Popup[] }) {
  const first = popups[0];
  useEffect(() => {
    if (!first) return;
    const id = setTimeout(() => ctl.dismissPopup(first.id), 30_000); // 30 s
    return () => clearTimeout(id);
  }, [first]);
  return (
    <div class="popups">
      {popups.map((p) => (
        <div
          key={p.id}
          class={`popup popup-${p.kind}`}
          role="alertdialog"
          aria-label={p.kind === 'task' ? t('newTask') : t('newContact')}
        >
          <strong>{p.kind === 'task' ? t('newTask') : t('newContact')}</strong>
          <span class="popup-text">{p.text}</span>
          <span class="buttons">
            {p.contactId && (
              <button type="button" class="primary" onClick={() => ctl.openPopup(p)}>
                {t('open')}
              </button>
            )}
            <button type="button" aria-label={t('dismiss')} onClick={() => ctl.dismissPopup(p.id)}>
              ×
            </button>
          </span>
        </div>
      ))}
    </div>
  );
}

const SHORTCUTS: [string, Key][] = [
  ['Alt+↓', 'k_next'],
  ['Alt+↑', 'k_prev'],
  ['Alt+1…9', 'k_nth'],
  ['Alt+R', 'k_reply'],
  ['Alt+Q', 'k_quote'],
  ['Enter', 'k_send'],
  ['Alt+T', 'k_tasks'],
  ['?', 'k_help'],
  ['Esc', 'k_escape'],
];

function Help({ onClose }: { onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => close.current?.focus(), []);
  return (
    <div class="overlay">
      <div class="dialog" role="dialog" aria-modal="true" aria-label={t('help')}>
        <h2>{t('help')}</h2>
        <dl class="shortcuts">
          {SHORTCUTS.map(([keys, what]) => (
            <div key={keys}>
              <dt>
                <kbd dir="ltr">{keys}</kbd>
              </dt>
              <dd>{t(what)}</dd>
            </div>
          ))}
        </dl>
        <div class="buttons">
          <button ref={close} type="button" onClick={onClose}>
            {t('close')}
          </button>
        </div>
      </div>
    </div>
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
