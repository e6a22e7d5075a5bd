/** REST calls to the same origin; the httpOnly session cookie authenticates them. */
import type {
  Client,
  ClientList,
  ContactDetails,
  CreateClientBody,
  ErrorBody,
  MessageList,
  OperatorProfile,
  SessionReply,
  Task,
  User,
} from '@parley/protocol';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers = { accept: 'application/json', 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  if (res.status === 204) return undefined as T;
  let data: unknown = null;
  try {
    data = await res.json();
  } catch {
    // An empty or non-JSON body (a proxy's error page): fall through with null.
  }
  if (!res.ok) {
    const err = (data ?? {}) as Partial<ErrorBody>;
    throw new ApiError(res.status, err.code ?? '', err.message ?? res.statusText);
  }
  return data as T;
}

/** The logged-in user, or null when the session is missing or expired (401). */
export async function me(): Promise<User | null> {
  try {
    return (await call<SessionReply>('GET', '/api/v1/me')).user;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export async function login(email: string, password: string): Promise<User> {
  return (await call<SessionReply>('POST', '/api/v1/auth/login', { email, password })).user;
}

export async function logout(): Promise<void> {
  await call<void>('POST', '/api/v1/auth/logout');
}

/** The messages after `after`, and those at or below it deleted since (the inbox had them whole). */
export async function messagesAfter(contactId: string, after: number): Promise<MessageList> {
  const url = `/api/v1/contacts/${encodeURIComponent(contactId)}/messages?after=${after}`;
  const list = await call<MessageList>('GET', url);
  return { messages: list.messages ?? [], deleted: list.deleted ?? [] };
}

const contactUrl = (id: string, rest: string) => `/api/v1/contacts/${encodeURIComponent(id)}/${rest}`;
const clientUrl = (id: string, rest = '') =>
  `/api/v1/clients/${encodeURIComponent(id)}${rest ? `/${rest}` : ''}`;

/** The visitor panel's data: browser, pages, local time, the matched client, earlier conversations. */
export function details(contactId: string): Promise<ContactDetails> {
  return call<ContactDetails>('GET', contactUrl(contactId, 'details'));
}

/** Says the visitor is this client; answers with the panel's data as it is now. */
export function linkClient(contactId: string, clientId: string): Promise<ContactDetails> {
  return call<ContactDetails>('PUT', contactUrl(contactId, 'client'), { clientId });
}

export async function searchClients(q: string): Promise<Client[]> {
  return (await call<ClientList>('GET', `/api/v1/clients?q=${encodeURIComponent(q)}&limit=10`)).clients;
}

export function createClient(body: CreateClientBody): Promise<Client> {
  return call<Client>('POST', '/api/v1/clients', body);
}

export function addPhone(clientId: string, phone: string): Promise<Client> {
  return call<Client>('POST', clientUrl(clientId, 'phones'), { phone });
}

export function addEmail(clientId: string, email: string): Promise<Client> {
  return call<Client>('POST', clientUrl(clientId, 'emails'), { email });
}

/** The caller's tasks: open ones, or done ones. */
export async function tasks(open: boolean): Promise<Task[]> {
  return (await call<{ tasks: Task[] }>('GET', `/api/v1/tasks?open=${open}`)).tasks;
}

export function completeTask(id: string): Promise<Task> {
  return call<Task>('POST', `/api/v1/tasks/${encodeURIComponent(id)}/done`);
}

/** The team with skills and status, for transfers. */
export async function users(): Promise<OperatorProfile[]> {
  return (await call<{ users: OperatorProfile[] }>('GET', '/api/v1/users')).users;
}
