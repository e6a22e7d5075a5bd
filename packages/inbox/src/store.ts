/**
 * The inbox state and the reducer that applies server frames and user actions to it. DOM-free and
 * pure, so every ordering case (late acks, duplicate messages, stale contact frames) is unit-tested.
 */
import type {
  Channel,
  ContactDetails,
  ContactSummary,
  Deletion,
  Message,
  OperatorOutbound,
  OperatorProfile,
  OperatorStatus,
  Task,
  User,
} from '@parley/protocol';

export type Filter = 'all' | 'mine' | 'unassigned';
/** The queue's channel filter: one channel, or every channel. */
export type ChannelFilter = Channel | 'any';
export type Connection = 'connecting' | 'open' | 'closed';
/** unknown: GET /me has not answered yet; out: show the login page; in: the inbox. */
export type Auth = 'unknown' | 'out' | 'in';

/** A reply typed by this operator and sent, not yet acknowledged as stored. */
export interface Pending {
  clientId: string;
  contactId: string;
  body: string;
  quoteId?: string;
  createdAt: string;
  /** The server answered with an error frame naming this clientId; not re-sent automatically. */
  failed?: boolean;
}

export interface Conversation {
  /** Sorted by seq, unique by id. */
  messages: Message[];
  /** False until the REST load after selection has been merged. */
  loaded: boolean;
}

export interface Toast {
  id: number;
  code: string;
  message: string;
}

/** An in-app pop-up for something that needs the operator: a new contact or a new task. */
export interface Popup {
  id: number;
  kind: 'contact' | 'task';
  /** The task's title, or the visitor's name. */
  text: string;
  /** The conversation the pop-up opens, if any. */
  contactId: string | null;
}

export interface State {
  auth: Auth;
  user: User | null;
  /** The open contacts this operator may see. */
  contacts: Record<string, ContactSummary>;
  /** The selected contact after it left the open list (closed, or no longer ours), so it stays readable. */
  detached: ContactSummary | null;
  /** Ids seen closed since the last `ready`: a stale frame must not bring them back. */
  closedIds: Record<string, true>;
  conversations: Record<string, Conversation>;
  pending: Pending[];
  typing: Record<string, boolean>;
  /** Highest seq the visitor has read, per contact. */
  seen: Record<string, number>;
  presence: Record<string, OperatorStatus>;
  selectedId: string | null;
  filter: Filter;
  channel: ChannelFilter;
  connection: Connection;
  toasts: Toast[];
  nextToastId: number;
  /** Unsent text per conversation (persisted by the controller, so it survives a reload). */
  drafts: Record<string, string>;
  /** The message the next reply quotes, per conversation. */
  quoting: Record<string, string>;
  /** Visitor messages that arrived while another conversation was open, per contact. */
  unread: Record<string, number>;
  /** This operator's tasks, open and done, by id. */
  tasks: Record<string, Task>;
  /** The visitor panel's data, per contact (GET /contacts/:id/details). */
  details: Record<string, ContactDetails>;
  /** The team, for transfers (GET /users); kept current by presence frames. */
  operators: OperatorProfile[];
  popups: Popup[];
  nextPopupId: number;
  /** No sound for new contacts and tasks. */
  muted: boolean;
  /** The interface language (en, ru, ar). */
  lang: string;
}

/** What the controller restores from storage at start-up. */
export interface Restored {
  drafts?: Record<string, string>;
  muted?: boolean;
  lang?: string;
}

export type Action =
  | { type: 'frame'; frame: unknown }
  | { type: 'login'; user: User }
  /** `forget`: the operator logged out on purpose, so their drafts go too (not on an expired session). */
  | { type: 'logout'; forget?: boolean }
  | { type: 'connection'; connection: Connection }
  | { type: 'select'; contactId: string | null }
  | { type: 'filter'; filter: Filter }
  | { type: 'channel'; channel: ChannelFilter }
  | { type: 'draft'; contactId: string; text: string }
  | { type: 'quote'; contactId: string; messageId: string | null }
  | { type: 'tasks'; tasks: Task[] }
  | { type: 'details'; details: ContactDetails }
  | { type: 'operators'; operators: OperatorProfile[] }
  | { type: 'popup-dismiss'; id: number }
  | { type: 'mute'; muted: boolean }
  | { type: 'lang'; lang: string }
  /** `deleted`: messages the inbox may have had whole that were deleted since (by id). */
  | { type: 'loaded'; contactId: string; messages: Message[]; deleted?: Deletion[] }
  | { type: 'queue'; pending: Pending }
  | { type: 'retry'; clientId: string }
  | { type: 'status'; status: OperatorStatus }
  | { type: 'toast'; code: string; message: string }
  | { type: 'dismiss'; id: number };

export function initialState(
  selectedId: string | null = null,
  auth: Auth = 'unknown',
  restored: Restored = {},
): State {
  return {
    auth,
    user: null,
    contacts: {},
    detached: null,
    closedIds: {},
    conversations: {},
    pending: [],
    typing: {},
    seen: {},
    presence: {},
    selectedId,
    filter: 'all',
    channel: 'any',
    connection: 'closed',
    toasts: [],
    nextToastId: 1,
    drafts: restored.drafts ?? {},
    quoting: {},
    unread: {},
    tasks: {},
    details: {},
    operators: [],
    popups: [],
    nextPopupId: 1,
    muted: restored.muted ?? false,
    lang: restored.lang ?? 'en',
  };
}

const MAX_TOASTS = 5;
const MAX_POPUPS = 4;

// ---------------------------------------------------------------------------------------------
// Frame guards: the server validates what it sends, but a proxy, a version skew or a bug must never
// crash the inbox. Anything that fails these is dropped.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function isContact(v: unknown): v is ContactSummary {
  return (
    isObj(v) && isStr(v.id) && isStr(v.status) && isStr(v.createdAt) && isSeq(v.lastSeq) && isObj(v.answers)
  );
}

function isMessage(v: unknown): v is Message {
  return (
    isObj(v) &&
    isStr(v.id) &&
    isStr(v.contactId) &&
    isSeq(v.seq) &&
    isStr(v.body) &&
    isStr(v.createdAt) &&
    isObj(v.author) &&
    isStr(v.author.kind)
  );
}

function isTask(v: unknown): v is Task {
  return isObj(v) && isStr(v.id) && isStr(v.title) && isStr(v.assigneeId) && isStr(v.createdAt);
}

function isUser(v: unknown): v is User {
  return isObj(v) && isStr(v.id) && isStr(v.name) && isStr(v.status);
}

/** Narrows an unknown parsed value to a well-formed operator frame, or null. */
export function asFrame(v: unknown): OperatorOutbound | null {
  if (!isObj(v) || !isStr(v.type)) return null;
  switch (v.type) {
    case 'ready':
      return isUser(v.user) && Array.isArray(v.contacts) ? (v as OperatorOutbound) : null;
    case 'contact':
      return isContact(v.contact) ? (v as OperatorOutbound) : null;
    case 'message':
      return isMessage(v.message) ? (v as OperatorOutbound) : null;
    case 'ack':
      return isStr(v.clientId) && isStr(v.id) && isSeq(v.seq) && isStr(v.createdAt)
        ? (v as OperatorOutbound)
        : null;
    case 'typing':
      return isStr(v.contactId) && typeof v.on === 'boolean' ? (v as OperatorOutbound) : null;
    case 'seen':
      return isStr(v.contactId) && isSeq(v.seq) ? (v as OperatorOutbound) : null;
    case 'presence':
      return isStr(v.userId) && isStr(v.status) ? (v as OperatorOutbound) : null;
    case 'error':
      return isStr(v.code) && isStr(v.message) ? (v as OperatorOutbound) : null;
    case 'deleted':
      return isStr(v.contactId) && isStr(v.messageId) && isStr(v.at) ? (v as OperatorOutbound) : null;
    case 'task':
      return isTask(v.task) ? (v as OperatorOutbound) : null;
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

const isClosed = (c: ContactSummary): boolean => c.status === 'closed';

/** Inserts messages into a seq-sorted list, dropping ids already present. Returns the same array if nothing changed. */
export function mergeMessages(list: Message[], incoming: Message[]): Message[] {
  const ids = new Set(list.map((m) => m.id));
  const fresh: Message[] = [];
  for (const m of incoming) {
    if (!isMessage(m) || ids.has(m.id)) continue;
    ids.add(m.id);
    fresh.push(m);
  }
  if (fresh.length === 0) return list;
  return [...list, ...fresh].sort((a, b) => a.seq - b.seq);
}

/**
 * The highest seq up to which the list has no gap, counted from its first message: the `after`
 * for re-fetching what was missed while disconnected (a frame that arrived after the gap must not
 * make us skip it). 0 for an empty list.
 */
export function contiguousSeq(list: Message[]): number {
  const first = list[0];
  if (!first) return 0;
  let last = first.seq;
  for (const m of list) {
    if (m.seq === last + 1) last = m.seq;
    else if (m.seq > last) break;
  }
  return last;
}

/** When the contact last saw activity, for sorting the queue newest first. */
export function activityAt(c: ContactSummary): string {
  return c.lastMessageAt ?? c.enqueuedAt ?? c.createdAt;
}

/** No operator has replied yet and the contact is still open. */
export function isUnanswered(c: ContactSummary): boolean {
  return c.firstResponseAt === null && !isClosed(c);
}

/** Since when the visitor has been waiting for a first reply. */
export function waitingSince(c: ContactSummary): string {
  return c.enqueuedAt ?? c.createdAt;
}

export function canAccept(c: ContactSummary): boolean {
  return c.status === 'queued' && c.assigneeId === null;
}

/** The contact shown in the conversation pane, open or detached. */
export function selectedContact(state: State): ContactSummary | undefined {
  const id = state.selectedId;
  if (!id) return undefined;
  return state.contacts[id] ?? (state.detached?.id === id ? state.detached : undefined);
}

/** The queue as shown: open contacts passing the filter, newest activity first. */
export function visibleContacts(state: State): ContactSummary[] {
  const me = state.user?.id ?? null;
  return Object.values(state.contacts)
    .filter((c) => {
      if (isClosed(c)) return false;
      if (state.channel !== 'any' && c.channel !== state.channel) return false;
      if (state.filter === 'mine') return me !== null && c.assigneeId === me;
      if (state.filter === 'unassigned') return c.assigneeId === null;
      return true;
    })
    .sort((a, b) => {
      const at = Date.parse(activityAt(a));
      const bt = Date.parse(activityAt(b));
      if (at !== bt) return (Number.isNaN(bt) ? 0 : bt) - (Number.isNaN(at) ? 0 : at);
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
}

/** The contact after (delta 1) or before (delta -1) the selected one in the visible queue. */
export function neighbour(state: State, delta: 1 | -1): string | null {
  const list = visibleContacts(state);
  if (list.length === 0) return null;
  const at = list.findIndex((c) => c.id === state.selectedId);
  if (at === -1) return (delta === 1 ? list[0] : list[list.length - 1])?.id ?? null;
  const next = list[Math.min(list.length - 1, Math.max(0, at + delta))];
  return next?.id ?? null;
}

/** The n-th (1-based) contact of the visible queue, for Alt+1…9. */
export function nth(state: State, n: number): string | null {
  return visibleContacts(state)[n - 1]?.id ?? null;
}

/** Whether this operator may delete the message: their own replies; supervisors and admins any reply. */
export function canDelete(m: Message, user: User | null): boolean {
  if (!user || m.author.kind !== 'operator' || m.deletedAt) return false;
  return m.author.id === user.id || user.role !== 'operator';
}

/** Open tasks (earliest due first, undated last, then oldest) and done tasks (latest first). */
export function taskLists(state: State): { open: Task[]; done: Task[] } {
  const all = Object.values(state.tasks);
  const time = (v: string | null): number => (v ? Date.parse(v) : Number.POSITIVE_INFINITY);
  const open = all
    .filter((t) => !t.doneAt)
    .sort((a, b) => time(a.dueAt) - time(b.dueAt) || Date.parse(a.createdAt) - Date.parse(b.createdAt));
  const done = all.filter((t) => t.doneAt).sort((a, b) => Date.parse(b.doneAt!) - Date.parse(a.doneAt!));
  return { open, done };
}

/** A task is overdue when it is open and its due time has passed. */
export function isOverdue(t: Task, nowMs: number): boolean {
  return !t.doneAt && t.dueAt !== null && Date.parse(t.dueAt) < nowMs;
}

/** Highest visitor message seq in a loaded conversation, for the `seen` frame; 0 if none. */
export function lastVisitorSeq(conv: Conversation | undefined): number {
  if (!conv) return 0;
  for (let i = conv.messages.length - 1; i >= 0; i--) {
    const m = conv.messages[i]!;
    if (m.author.kind === 'visitor') return m.seq;
  }
  return 0;
}

/** Pending replies to re-send after a reconnect, in their original order. */
export function resendable(state: State): Pending[] {
  return state.pending.filter((p) => !p.failed);
}

/** Updates the queue item's preview when a message newer than what it shows arrives. */
function withMessage(contact: ContactSummary, m: Message): ContactSummary {
  if (m.seq < contact.lastSeq) return contact;
  const next: ContactSummary = {
    ...contact,
    lastSeq: m.seq,
    lastMessage: m.body,
    lastMessageAt: m.createdAt,
  };
  // The server also sends a contact frame when the first reply makes the contact active; clearing
  // the red mark here avoids a flash of "unanswered" between the two frames.
  if (m.author.kind === 'operator' && next.firstResponseAt === null) next.firstResponseAt = m.createdAt;
  return next;
}

function applyMessage(state: State, m: Message): State {
  const contact = state.contacts[m.contactId];
  const conv = state.conversations[m.contactId];
  const pending = m.clientId ? state.pending.filter((p) => p.clientId !== m.clientId) : state.pending;
  const next: State = { ...state, pending };
  if (conv) {
    const messages = mergeMessages(conv.messages, [m]);
    if (messages !== conv.messages)
      next.conversations = { ...state.conversations, [m.contactId]: { ...conv, messages } };
  }
  if (contact) next.contacts = { ...state.contacts, [m.contactId]: withMessage(contact, m) };
  if (m.author.kind === 'visitor' && state.typing[m.contactId]) {
    next.typing = { ...state.typing, [m.contactId]: false };
  }
  // A visitor message for a conversation not on screen: counted until the operator opens it.
  const isNew = contact ? m.seq > contact.lastSeq : !conv?.messages.some((x) => x.id === m.id);
  if (m.author.kind === 'visitor' && m.contactId !== state.selectedId && contact && isNew) {
    next.unread = { ...state.unread, [m.contactId]: (state.unread[m.contactId] ?? 0) + 1 };
  }
  return next;
}

function upsertContact(state: State, incoming: ContactSummary): State {
  const id = incoming.id;
  if (state.closedIds[id] && !isClosed(incoming)) return state; // stale: closed is terminal
  const prev = state.contacts[id];
  let c = incoming;
  if (prev) {
    // A message frame may have advanced the preview past what this contact frame carries.
    if (prev.lastSeq > c.lastSeq) {
      c = { ...c, lastSeq: prev.lastSeq, lastMessage: prev.lastMessage, lastMessageAt: prev.lastMessageAt };
    }
    if (c.firstResponseAt === null && prev.firstResponseAt !== null && !isClosed(c)) {
      c = { ...c, firstResponseAt: prev.firstResponseAt };
    }
  }
  const contacts = { ...state.contacts };
  let closedIds = state.closedIds;
  let detached = state.detached?.id === id ? null : state.detached;
  if (isClosed(c)) {
    closedIds = { ...closedIds, [id]: true };
    delete contacts[id];
    if (state.selectedId === id) detached = c;
  } else {
    contacts[id] = c;
  }
  return { ...state, contacts, closedIds, detached };
}

function toast(state: State, code: string, message: string): State {
  const toasts = [...state.toasts, { id: state.nextToastId, code, message }].slice(-MAX_TOASTS);
  return { ...state, toasts, nextToastId: state.nextToastId + 1 };
}

function popup(state: State, p: Omit<Popup, 'id'>): State {
  const popups = [...state.popups, { ...p, id: state.nextPopupId }].slice(-MAX_POPUPS);
  return { ...state, popups, nextPopupId: state.nextPopupId + 1 };
}

function applyFrame(before: State, raw: unknown): State {
  const f = asFrame(raw);
  if (!f) return before;
  let state = before;
  // The pop-ups come from the same judgement as the sounds and browser notifications.
  for (const e of eventsFor(before, raw)) {
    if (e.kind === 'new-contact') {
      state = popup(state, { kind: 'contact', text: e.contact.visitorName, contactId: e.contact.id });
    } else if (e.kind === 'new-task') {
      state = popup(state, { kind: 'task', text: e.task.title, contactId: e.task.contactId });
    }
  }
  switch (f.type) {
    case 'ready': {
      const contacts: Record<string, ContactSummary> = {};
      for (const c of f.contacts) if (isContact(c) && !isClosed(c)) contacts[c.id] = c;
      let sel = state.selectedId;
      // Keep the open conversation readable even if it is no longer in the open list.
      const selected = selectedContact(state);
      const detached = sel && !contacts[sel] && selected ? { ...selected } : null;
      if (sel && !contacts[sel] && !detached) sel = null; // restored from a previous session and gone since
      // Other conversations may have missed messages while disconnected: drop them; they reload on select.
      const conversations: Record<string, Conversation> = {};
      if (sel) conversations[sel] = state.conversations[sel] ?? { messages: [], loaded: false };
      return {
        ...state,
        auth: 'in',
        user: f.user,
        contacts,
        detached,
        closedIds: {},
        conversations,
        selectedId: sel,
        typing: {},
        connection: 'open',
      };
    }
    case 'contact':
      return upsertContact(state, f.contact);
    case 'message':
      return applyMessage(state, f.message);
    case 'ack': {
      const p = state.pending.find((x) => x.clientId === f.clientId);
      if (!p) return state; // already resolved by the echoed message, or not ours
      const user = state.user;
      const m: Message = {
        id: f.id,
        contactId: p.contactId,
        seq: f.seq,
        author: { kind: 'operator', id: user?.id ?? null, name: user?.name ?? '' },
        body: p.body,
        quoteId: p.quoteId ?? null,
        clientId: p.clientId,
        createdAt: f.createdAt,
        deletedAt: null,
      };
      return applyMessage(state, m);
    }
    case 'typing':
      return { ...state, typing: { ...state.typing, [f.contactId]: f.on } };
    case 'seen': {
      const was = state.seen[f.contactId] ?? 0;
      return f.seq > was ? { ...state, seen: { ...state.seen, [f.contactId]: f.seq } } : state;
    }
    case 'presence': {
      const presence = { ...state.presence, [f.userId]: f.status };
      const user =
        state.user && state.user.id === f.userId ? { ...state.user, status: f.status } : state.user;
      const operators = state.operators.some((o) => o.id === f.userId)
        ? state.operators.map((o) => (o.id === f.userId ? { ...o, status: f.status } : o))
        : state.operators;
      return { ...state, presence, user, operators };
    }
    case 'error': {
      const next = toast(state, f.code, f.message);
      if (f.ref && state.pending.some((p) => p.clientId === f.ref)) {
        next.pending = state.pending.map((p) => (p.clientId === f.ref ? { ...p, failed: true } : p));
      }
      return next;
    }
    case 'task':
      return withTasks(state, [f.task]);
    case 'deleted': {
      // Keep the message's place, drop its text: the conversation shows that something was deleted.
      const conv = state.conversations[f.contactId];
      if (!conv) return state;
      const messages = conv.messages.map((m) =>
        m.id === f.messageId ? { ...m, body: '', deletedAt: f.at } : m,
      );
      return { ...state, conversations: { ...state.conversations, [f.contactId]: { ...conv, messages } } };
    }
  }
}

/** Upserts tasks; a task already done stays done (a late frame must not reopen it). */
function withTasks(state: State, incoming: Task[]): State {
  const tasks = { ...state.tasks };
  for (const t of incoming) {
    if (!isTask(t)) continue;
    const prev = tasks[t.id];
    tasks[t.id] = prev?.doneAt && !t.doneAt ? { ...t, doneAt: prev.doneAt } : t;
  }
  return { ...state, tasks };
}

function without<T>(map: Record<string, T>, key: string): Record<string, T> {
  if (!(key in map)) return map;
  const next = { ...map };
  delete next[key];
  return next;
}

export function reduce(state: State, action: Action): State {
  switch (action.type) {
    case 'frame':
      return applyFrame(state, action.frame);
    case 'login':
      return { ...state, auth: 'in', user: action.user };
    case 'logout':
      return initialState(null, 'out', {
        drafts: action.forget ? {} : state.drafts,
        muted: state.muted,
        lang: state.lang,
      });
    case 'connection':
      return state.connection === action.connection ? state : { ...state, connection: action.connection };
    case 'select': {
      const id = action.contactId;
      if (id === state.selectedId && (!id || state.conversations[id])) return state;
      const next: State = { ...state, selectedId: id };
      if (id) next.unread = without(state.unread, id);
      // Its pop-up has done its job once the conversation is open.
      if (id && state.popups.some((p) => p.contactId === id)) {
        next.popups = state.popups.filter((p) => p.contactId !== id);
      }
      // Create the conversation now, so messages arriving while its history loads are kept.
      if (id && !state.conversations[id]) {
        next.conversations = { ...state.conversations, [id]: { messages: [], loaded: false } };
      }
      // A contact that left the list stays only while it is selected.
      if (state.detached && state.detached.id !== id) next.detached = null;
      return next;
    }
    case 'filter':
      return { ...state, filter: action.filter };
    case 'channel':
      return { ...state, channel: action.channel };
    case 'draft': {
      if ((state.drafts[action.contactId] ?? '') === action.text) return state;
      const drafts = action.text
        ? { ...state.drafts, [action.contactId]: action.text }
        : without(state.drafts, action.contactId);
      return { ...state, drafts };
    }
    case 'quote': {
      const quoting = action.messageId
        ? { ...state.quoting, [action.contactId]: action.messageId }
        : without(state.quoting, action.contactId);
      return quoting === state.quoting ? state : { ...state, quoting };
    }
    case 'tasks':
      return withTasks(state, action.tasks);
    case 'details':
      return { ...state, details: { ...state.details, [action.details.contact.id]: action.details } };
    case 'operators':
      return { ...state, operators: action.operators };
    case 'popup-dismiss':
      return { ...state, popups: state.popups.filter((p) => p.id !== action.id) };
    case 'mute':
      return state.muted === action.muted ? state : { ...state, muted: action.muted };
    case 'lang':
      return state.lang === action.lang ? state : { ...state, lang: action.lang };
    case 'loaded': {
      const conv = state.conversations[action.contactId] ?? { messages: [], loaded: false };
      const gone = new Map((action.deleted ?? []).map((d) => [d.messageId, d.at]));
      const kept = gone.size
        ? conv.messages.map((m) => {
            const at = gone.get(m.id);
            return at && !m.deletedAt ? { ...m, body: '', deletedAt: at } : m;
          })
        : conv.messages;
      const messages = mergeMessages(
        kept,
        action.messages.filter((m) => isMessage(m) && m.contactId === action.contactId),
      );
      // A stored message may be the echo of a pending reply whose ack was lost with the socket.
      const clientIds = new Set(messages.map((m) => m.clientId).filter(isStr));
      const pending = state.pending.filter((p) => !clientIds.has(p.clientId));
      let contacts = state.contacts;
      const last = messages[messages.length - 1];
      const contact = state.contacts[action.contactId];
      if (contact && last && last.seq > contact.lastSeq) {
        contacts = { ...contacts, [contact.id]: withMessage(contact, last) };
      }
      return {
        ...state,
        contacts,
        pending: pending.length === state.pending.length ? state.pending : pending,
        conversations: { ...state.conversations, [action.contactId]: { messages, loaded: true } },
      };
    }
    case 'queue': {
      // The reply leaves the composer: its text and its quote are spent.
      const id = action.pending.contactId;
      return {
        ...state,
        pending: [...state.pending, action.pending],
        drafts: without(state.drafts, id),
        quoting: without(state.quoting, id),
      };
    }
    case 'retry':
      return {
        ...state,
        pending: state.pending.map((p) => (p.clientId === action.clientId ? { ...p, failed: false } : p)),
      };
    case 'status':
      return state.user ? { ...state, user: { ...state.user, status: action.status } } : state;
    case 'toast':
      return toast(state, action.code, action.message);
    case 'dismiss':
      return { ...state, toasts: state.toasts.filter((t) => t.id !== action.id) };
  }
}

// ---------------------------------------------------------------------------------------------
// Events for pop-ups, sounds and browser notifications: computed here, raised in one place.

export type InboxEvent =
  | { kind: 'new-contact'; contact: ContactSummary }
  | { kind: 'new-message'; message: Message; contact: ContactSummary | undefined }
  | { kind: 'new-task'; task: Task };

/** What a frame means to the operator's attention, judged against the state before it is applied. */
export function eventsFor(state: State, raw: unknown): InboxEvent[] {
  const f = asFrame(raw);
  if (!f) return [];
  if (f.type === 'contact') {
    const c = f.contact;
    if (!state.contacts[c.id] && !state.closedIds[c.id] && !isClosed(c))
      return [{ kind: 'new-contact', contact: c }];
  }
  if (f.type === 'task' && !state.tasks[f.task.id] && !f.task.doneAt)
    return [{ kind: 'new-task', task: f.task }];
  if (f.type === 'message' && f.message.author.kind === 'visitor') {
    const m = f.message;
    const contact = state.contacts[m.contactId];
    const known = state.conversations[m.contactId]?.messages.some((x) => x.id === m.id);
    if (!known && (!contact || m.seq > contact.lastSeq))
      return [{ kind: 'new-message', message: m, contact }];
  }
  return [];
}

/** Drafts saved by a previous page; anything malformed is dropped rather than trusted. */
export function parseDrafts(raw: string | null): Record<string, string> {
  if (!raw) return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
    const out: Record<string, string> = {};
    for (const [k, text] of Object.entries(v)) if (typeof text === 'string' && text) out[k] = text;
    return out;
  } catch {
    return {};
  }
}

/** A minimal observable holder for the state; the UI re-renders on change. */
export interface Store {
  get(): State;
  dispatch(action: Action): void;
  subscribe(fn: () => void): () => void;
}

export function createStore(init: State): Store {
  let state = init;
  const subs = new Set<() => void>();
  return {
    get: () => state,
    dispatch(action) {
      const next = reduce(state, action);
      if (next === state) return;
      state = next;
      for (const fn of subs) fn();
    },
    subscribe(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
  };
}
