/**
 * Wires the store to the outside world: REST, the operator socket, sessionStorage. Views call the
 * exported actions; everything they show comes from the store.
 */
import type { OperatorStatus } from '@parley/protocol';
import * as api from './api.js';
import { clientId } from './format.js';
import { t } from './i18n.js';
import { raise } from './notify.js';
import { connectOperator, type OperatorSocket, operatorSocketUrl } from './socket.js';
import {
  asFrame,
  contiguousSeq,
  createStore,
  eventsFor,
  type Filter,
  initialState,
  lastVisitorSeq,
  neighbour,
  resendable,
  type State,
} from './store.js';

const SELECTED_KEY = 'parley.inbox.selected';
const TYPING_IDLE_MS = 3000; // 3 s without input ends "typing"

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

export const store = createStore(initialState(readSelected()));
/** Drafts per conversation, in memory only. */
export const drafts = new Map<string, string>();

let socket: OperatorSocket | null = null;
const loading = new Set<string>();
const loadFailed = new Set<string>();
const seenSent = new Map<string, number>();
let typingFor: string | null = null;
let typingTimer: ReturnType<typeof setTimeout> | null = null;

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
  store.dispatch({ type: 'frame', frame: raw });
  if (asFrame(raw)?.type !== 'ready') return;
  socket?.resetBackoff();
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

async function load(id: string): Promise<void> {
  if (loading.has(id)) return;
  loading.add(id);
  const conv = store.get().conversations[id];
  const after = conv?.loaded ? contiguousSeq(conv.messages) : 0;
  try {
    const messages = await api.messagesAfter(id, after);
    store.dispatch({ type: 'loaded', contactId: id, messages });
  } catch (e) {
    loadFailed.add(id);
    failure(e);
  } finally {
    loading.delete(id);
  }
}

let lastSelected: string | null = store.get().selectedId;

/** Reacts to state changes that need I/O: loading the selected conversation, `seen`, persistence. */
function afterChange(s: State): void {
  const sel = s.selectedId;
  if (sel !== lastSelected) {
    if (lastSelected) stopTyping();
    lastSelected = sel;
    if (s.auth === 'in') writeSelected(sel);
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

function endSession(): void {
  socket?.stop();
  socket = null;
  stopTyping();
  store.dispatch({ type: 'logout' });
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
  drafts.clear();
  endSession();
}

export function select(id: string | null): void {
  loadFailed.delete(id ?? '');
  store.dispatch({ type: 'select', contactId: id });
}

export function step(delta: 1 | -1): void {
  const id = neighbour(store.get(), delta);
  if (id) select(id);
}

export function setFilter(filter: Filter): void {
  store.dispatch({ type: 'filter', filter });
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

export function reply(contactId: string, body: string): void {
  const id = clientId();
  stopTyping();
  store.dispatch({
    type: 'queue',
    pending: { clientId: id, contactId, body, createdAt: new Date().toISOString() },
  });
  // Not connected: the reply stays pending and goes out on the next `ready`.
  socket?.send({ type: 'send', contactId, clientId: id, body });
}

export function retry(id: string): void {
  const p = store.get().pending.find((x) => x.clientId === id);
  if (!p) return;
  store.dispatch({ type: 'retry', clientId: id });
  socket?.send({ type: 'send', contactId: p.contactId, clientId: p.clientId, body: p.body });
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
