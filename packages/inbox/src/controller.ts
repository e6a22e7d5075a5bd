/**
 * Wires the store to the outside world: REST, the operator socket, sessionStorage and localStorage,
 * sounds and browser notifications. Views call the exported actions; everything they show comes
 * from the store.
 */
import type {
  Client,
  ContactDetails,
  CreateClientBody,
  OperatorProfile,
  OperatorStatus,
} from '@parley/protocol';
import * as api from './api.js';
import { clientId } from './format.js';
import { isRtl, pickLocale, setLocale, t, tf } from './i18n.js';
import { chime, notify, onInboxEvent, raise } from './notify.js';
import { connectOperator, type OperatorSocket, operatorSocketUrl } from './socket.js';
import {
  asFrame,
  type ChannelFilter,
  contiguousSeq,
  createStore,
  eventsFor,
  type Filter,
  initialState,
  lastVisitorSeq,
  neighbour,
  nth,
  type Popup,
  parseDrafts,
  resendable,
  type State,
} from './store.js';

const SELECTED_KEY = 'parley.inbox.selected';
const DRAFTS_KEY = 'parley.inbox.drafts';
const MUTED_KEY = 'parley.inbox.muted';
const LANG_KEY = 'parley.inbox.lang';
const TYPING_IDLE_MS = 3000; // 3 s without input ends "typing"
const DETAILS_REFRESH_MS = 20_000; // 20 s: the visitor's current page and last-seen time move

function readLocal(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage disabled
  }
}

function writeLocal(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // storage disabled or full: the value lasts until the page goes
  }
}

/** The interface language: the one chosen in the menu, else `?lang=`, else the browser's. */
function startLanguage(): string {
  const forced = new URLSearchParams(location.search).get('lang');
  const chosen = readLocal(LANG_KEY);
  const browser = navigator.languages?.length ? navigator.languages : [navigator.language];
  return pickLocale([...(forced ? [forced] : []), ...(chosen ? [chosen] : []), ...browser]);
}

function applyLanguage(lang: string): void {
  setLocale(lang);
  document.documentElement.lang = lang;
  document.documentElement.dir = isRtl(lang) ? 'rtl' : 'ltr';
}

function readSelected(): string | null {
  try {
    return sessionStorage.getItem(SELECTED_KEY);
  } catch {
    return null; // storage disabled
  }
}

function writeSelected(id: string | null): void {
  try {
    if (id) sessionStorage.setItem(SELECTED_KEY, id);
    else sessionStorage.removeItem(SELECTED_KEY);
  } catch {
    // storage disabled: selection is simply not restored
  }
}

const lang = startLanguage();
applyLanguage(lang);
export const store = createStore(
  initialState(readSelected(), 'unknown', {
    drafts: parseDrafts(readLocal(DRAFTS_KEY)),
    muted: readLocal(MUTED_KEY) === '1',
    lang,
  }),
);

let socket: OperatorSocket | null = null;
const loading = new Set<string>();
const loadFailed = new Set<string>();
const seenSent = new Map<string, number>();
let typingFor: string | null = null;
let typingTimer: ReturnType<typeof setTimeout> | null = null;
let detailsTimer: ReturnType<typeof setInterval> | null = null;
const detailsLoading = new Set<string>();

const toast = (code: string, message: string): void => store.dispatch({ type: 'toast', code, message });

function failure(e: unknown): void {
  if (e instanceof api.ApiError) {
    if (e.status === 401) return void endSession();
    toast(e.code, e.message);
  } else {
    toast('', t('netError'));
  }
}

function onFrame(raw: unknown): void {
  for (const event of eventsFor(store.get(), raw)) raise(event);
  const before = store.get();
  store.dispatch({ type: 'frame', frame: raw });
  const f = asFrame(raw);
  // A contact linked to another client (here or by a colleague): the panel's client card is stale.
  if (f?.type === 'contact') {
    const d = before.details[f.contact.id];
    if (d && d.contact.clientId !== f.contact.clientId && store.get().selectedId === f.contact.id) {
      void loadDetails(f.contact.id);
    }
  }
  if (f?.type !== 'ready') return;
  socket?.resetBackoff();
  void loadTasks();
  void loadOperators();
  loadFailed.clear();
  seenSent.clear();
  // Unacknowledged replies go again with the same clientId: the server stores each only once.
  for (const p of resendable(store.get())) {
    socket?.send({
      type: 'send',
      contactId: p.contactId,
      clientId: p.clientId,
      body: p.body,
      ...(p.quoteId ? { quoteId: p.quoteId } : {}),
    });
  }
  // The open conversation may have missed messages while we were away.
  const s = store.get();
  const sel = s.selectedId;
  if (sel && s.conversations[sel]?.loaded) void load(sel);
}

async function loadDetails(id: string): Promise<void> {
  if (detailsLoading.has(id)) return;
  detailsLoading.add(id);
  try {
    store.dispatch({ type: 'details', details: await api.details(id) });
  } catch (e) {
    // The panel falls back to the summary; a missing endpoint must not flood the toasts.
    if (e instanceof api.ApiError && e.status === 401) endSession();
  } finally {
    detailsLoading.delete(id);
  }
}

async function loadTasks(): Promise<void> {
  try {
    const [open, done] = await Promise.all([api.tasks(true), api.tasks(false)]);
    store.dispatch({ type: 'tasks', tasks: [...open, ...done] });
  } catch (e) {
    failure(e);
  }
}

async function loadOperators(): Promise<void> {
  try {
    store.dispatch({ type: 'operators', operators: await api.users() });
  } catch (e) {
    failure(e);
  }
}

// New contacts and tasks: a chime (unless muted) and a browser notification (when allowed). A
// visitor's new message too, in a conversation of mine that is not in front of me (another one is
// open, or the tab is hidden): the operator is answering several at once, all day.
onInboxEvent((event) => {
  if (event.kind === 'new-message') {
    const s = store.get();
    const c = event.contact;
    if (!c || c.assigneeId !== s.user?.id) return;
    if (s.selectedId === c.id && document.visibilityState === 'visible') return;
    if (!s.muted) chime();
    const text =
      event.message.body.length > 120 ? `${event.message.body.slice(0, 119)}…` : event.message.body;
    notify(t('newMessage'), `${c.visitorName}: ${text}`, `message-${c.id}`, () => select(c.id));
    return;
  }
  if (!store.get().muted) chime();
  if (event.kind === 'new-contact') {
    const c = event.contact;
    notify(t('newContact'), c.visitorName, `contact-${c.id}`, () => select(c.id));
  } else {
    const task = event.task;
    notify(t('newTask'), task.title, `task-${task.id}`, () => {
      if (task.contactId) select(task.contactId);
    });
  }
});

async function load(id: string): Promise<void> {
  if (loading.has(id)) return;
  loading.add(id);
  const conv = store.get().conversations[id];
  const after = conv?.loaded ? contiguousSeq(conv.messages) : 0;
  try {
    const { messages, deleted } = await api.messagesAfter(id, after);
    store.dispatch({ type: 'loaded', contactId: id, messages, deleted });
  } catch (e) {
    loadFailed.add(id);
    failure(e);
  } finally {
    loading.delete(id);
  }
}

// null, not the restored selection: the first change after login loads the restored one's panel.
let lastSelected: string | null = null;

let lastDrafts = store.get().drafts;
let lastMuted = store.get().muted;

/** Reacts to state changes that need I/O: loading the selected conversation and its panel, `seen`, storage. */
function afterChange(s: State): void {
  if (s.drafts !== lastDrafts) {
    lastDrafts = s.drafts;
    writeLocal(DRAFTS_KEY, Object.keys(s.drafts).length ? JSON.stringify(s.drafts) : null);
  }
  if (s.muted !== lastMuted) {
    lastMuted = s.muted;
    writeLocal(MUTED_KEY, s.muted ? '1' : null);
  }
  const sel = s.selectedId;
  if (sel !== lastSelected) {
    if (lastSelected) stopTyping();
    lastSelected = sel;
    if (s.auth === 'in') writeSelected(sel);
    if (detailsTimer) clearInterval(detailsTimer);
    detailsTimer = null;
    if (sel && s.auth === 'in') {
      void loadDetails(sel);
      detailsTimer = setInterval(() => void loadDetails(sel), DETAILS_REFRESH_MS);
    }
  }
  if (!sel || s.auth !== 'in') return;
  const conv = s.conversations[sel];
  if (conv && !conv.loaded && !loadFailed.has(sel)) void load(sel);
  // Tell the visitor we read their messages, once per new visitor message, while the tab is visible.
  const seq = lastVisitorSeq(conv);
  if (
    conv?.loaded &&
    seq > (seenSent.get(sel) ?? 0) &&
    s.connection === 'open' &&
    document.visibilityState === 'visible'
  ) {
    if (socket?.send({ type: 'seen', contactId: sel, seq })) seenSent.set(sel, seq);
  }
}
store.subscribe(() => afterChange(store.get()));
document.addEventListener('visibilitychange', () => afterChange(store.get()));

function connect(): void {
  socket?.stop();
  socket = connectOperator({
    url: operatorSocketUrl(location),
    onFrame,
    onState: (connection) => store.dispatch({ type: 'connection', connection }),
    onUnauthorized: () => endSession(),
  });
}

/** `forget`: a deliberate logout, which also drops the drafts kept for this browser. */
function endSession(forget = false): void {
  socket?.stop();
  socket = null;
  stopTyping();
  if (detailsTimer) clearInterval(detailsTimer);
  detailsTimer = null;
  lastSelected = null;
  store.dispatch({ type: 'logout', forget });
}

// ---------------------------------------------------------------------------------------------
// Actions for the views

export async function boot(): Promise<void> {
  try {
    const user = await api.me();
    if (!user) return void store.dispatch({ type: 'logout' });
    store.dispatch({ type: 'login', user });
    connect();
  } catch (e) {
    store.dispatch({ type: 'logout' });
    failure(e);
  }
}

/** Resolves to an error message to show, or null on success. */
export async function logIn(email: string, password: string): Promise<string | null> {
  try {
    const user = await api.login(email, password);
    store.dispatch({ type: 'login', user });
    connect();
    return null;
  } catch (e) {
    if (e instanceof api.ApiError) {
      if (e.status === 429) return e.message || t('tooMany');
      return e.message || t('loginFailed');
    }
    return t('netError');
  }
}

export async function logOut(): Promise<void> {
  try {
    await api.logout();
  } catch {
    // Leave anyway: the socket closes and the login page shows; a stale cookie fails GET /me later.
  }
  writeSelected(null);
  endSession(true);
}

export function select(id: string | null): void {
  loadFailed.delete(id ?? '');
  store.dispatch({ type: 'select', contactId: id });
}

export function step(delta: 1 | -1): void {
  const id = neighbour(store.get(), delta);
  if (id) select(id);
}

/** Alt+1…9: the n-th conversation of the visible queue. */
export function jump(n: number): void {
  const id = nth(store.get(), n);
  if (id) select(id);
}

export function setFilter(filter: Filter): void {
  store.dispatch({ type: 'filter', filter });
}

export function setChannel(channel: ChannelFilter): void {
  store.dispatch({ type: 'channel', channel });
}

export function setDraft(contactId: string, text: string): void {
  store.dispatch({ type: 'draft', contactId, text });
}

export function quote(contactId: string, messageId: string | null): void {
  store.dispatch({ type: 'quote', contactId, messageId });
}

/** Deletes a reply sent by mistake; the `deleted` frame that follows updates every inbox and widget. */
export function deleteMessage(contactId: string, messageId: string): void {
  socket?.send({ type: 'delete', contactId, messageId });
}

export function transfer(
  contactId: string,
  to: { operatorId: string } | { skill: string },
  note: string,
): void {
  const text = note.trim();
  socket?.send({ type: 'transfer', contactId, to, ...(text ? { note: text } : {}) });
}

/** A supervisor or admin takes the conversation from its assignee. */
export function takeOver(contactId: string): void {
  const me = store.get().user?.id;
  if (me) transfer(contactId, { operatorId: me }, '');
}

/** The team with routing attributes, for the admin screens; the transfer list gets it too. */
export async function loadTeam(): Promise<OperatorProfile[]> {
  const operators = await api.users();
  store.dispatch({ type: 'operators', operators });
  return operators;
}

/** A failed call of the admin screens that they do not show themselves (an expired session ends it). */
export function reportError(e: unknown): void {
  failure(e);
}

export function setMuted(muted: boolean): void {
  store.dispatch({ type: 'mute', muted });
}

export function setLanguage(lang: string): void {
  applyLanguage(lang);
  writeLocal(LANG_KEY, lang);
  store.dispatch({ type: 'lang', lang });
}

export function dismissPopup(id: number): void {
  store.dispatch({ type: 'popup-dismiss', id });
}

export function openPopup(p: Popup): void {
  if (p.contactId) select(p.contactId);
  dismissPopup(p.id);
}

export async function completeTask(id: string): Promise<void> {
  try {
    store.dispatch({ type: 'tasks', tasks: [await api.completeTask(id)] });
  } catch (e) {
    failure(e);
  }
}

export function refreshTasks(): void {
  void loadTasks();
}

// --- the visitor panel's client actions: each resolves true on success, after a toast saying so

function shown(d: ContactDetails, message: string): true {
  store.dispatch({ type: 'details', details: d });
  toast('', message);
  return true;
}

export async function searchClients(q: string): Promise<Client[]> {
  try {
    return await api.searchClients(q);
  } catch (e) {
    failure(e);
    return [];
  }
}

/** Creates a client from the visitor's answers and links the visitor to it. */
export async function createClientFor(contactId: string, body: CreateClientBody): Promise<boolean> {
  try {
    const client = await api.createClient(body);
    return shown(await api.linkClient(contactId, client.id), t('clientCreated'));
  } catch (e) {
    failure(e);
    return false;
  }
}

export async function linkClient(contactId: string, client: Client): Promise<boolean> {
  try {
    return shown(await api.linkClient(contactId, client.id), tf('clientLinked', { name: client.name }));
  } catch (e) {
    failure(e);
    return false;
  }
}

/** Adds the visitor's phone or e-mail to the client linked to the contact. */
export async function addToClient(
  contactId: string,
  clientId: string,
  kind: 'phone' | 'email',
  value: string,
): Promise<boolean> {
  try {
    if (kind === 'phone') await api.addPhone(clientId, value);
    else await api.addEmail(clientId, value);
    return shown(await api.details(contactId), tf('pointAdded', { value }));
  } catch (e) {
    failure(e);
    return false;
  }
}

export function setStatus(status: OperatorStatus): void {
  store.dispatch({ type: 'status', status });
  socket?.send({ type: 'status', status });
}

export function accept(contactId: string): void {
  socket?.send({ type: 'accept', contactId });
}

export function close(contactId: string): void {
  socket?.send({ type: 'close', contactId });
}

/** Sends the reply, quoting the message chosen for this conversation, if any. */
export function reply(contactId: string, body: string): void {
  const id = clientId();
  const quoteId = store.get().quoting[contactId];
  stopTyping();
  store.dispatch({
    type: 'queue',
    pending: {
      clientId: id,
      contactId,
      body,
      createdAt: new Date().toISOString(),
      ...(quoteId ? { quoteId } : {}),
    },
  });
  // Not connected: the reply stays pending and goes out on the next `ready`.
  socket?.send({ type: 'send', contactId, clientId: id, body, ...(quoteId ? { quoteId } : {}) });
}

export function retry(id: string): void {
  const p = store.get().pending.find((x) => x.clientId === id);
  if (!p) return;
  store.dispatch({ type: 'retry', clientId: id });
  socket?.send({
    type: 'send',
    contactId: p.contactId,
    clientId: p.clientId,
    body: p.body,
    ...(p.quoteId ? { quoteId: p.quoteId } : {}),
  });
}

/** Call on every keystroke in the composer; sends `typing on` once and `off` after a pause. */
export function typing(contactId: string): void {
  if (typingFor !== contactId) {
    stopTyping();
    typingFor = contactId;
    socket?.send({ type: 'typing', contactId, on: true });
  }
  if (typingTimer) clearTimeout(typingTimer);
  typingTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
}

export function stopTyping(): void {
  if (typingTimer) clearTimeout(typingTimer);
  typingTimer = null;
  if (typingFor) socket?.send({ type: 'typing', contactId: typingFor, on: false });
  typingFor = null;
}

export function dismiss(id: number): void {
  store.dispatch({ type: 'dismiss', id });
}
