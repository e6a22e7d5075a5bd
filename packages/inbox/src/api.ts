/** REST calls to the same origin; the httpOnly session cookie authenticates them. */
import type { ErrorBody, Message, MessageList, SessionReply, User } from '@parley/protocol';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
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

export async function messagesAfter(contactId: string, after: number): Promise<Message[]> {
  const url = `/api/v1/contacts/${encodeURIComponent(contactId)}/messages?after=${after}`;
  return (await call<MessageList>('GET', url)).messages ?? [];
}
