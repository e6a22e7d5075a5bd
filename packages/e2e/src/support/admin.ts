/**
 * The admin and supervisor screens' tests: a login's HTTP status, a visitor's `welcome` on any
 * site, and operators online on raw sockets (the router assigns chats only to online operators).
 */
import type { OperatorInbound, OperatorOutbound, VisitorInbound, VisitorOutbound } from '@parley/protocol';
import { PROTOCOL_VERSION } from '@parley/protocol';
import { type Cleanup, waitUntil } from './cleanup.js';
import { ok, type Session, VISITOR_ORIGIN } from './inbox.js';
import type { Parley } from './processes.js';
import { FrameSocket, ofType } from './sockets.js';

/** The status POST /auth/login answers with: 200 logs in, 401 does not. */
export async function loginStatus(parley: Parley, email: string, password: string): Promise<number> {
  const res = await fetch(`${parley.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  await res.text();
  return res.status;
}

export type Welcome = Extract<VisitorOutbound, { type: 'welcome' }>;

/** What a new visitor of the site with `siteKey` is told in `welcome`. */
export async function welcomeOf(parley: Parley, cleanup: Cleanup, siteKey: string): Promise<Welcome> {
  const socket = await FrameSocket.open<VisitorOutbound, VisitorInbound>(
    `${parley.url.replace('http', 'ws')}/ws/visitor?site=${encodeURIComponent(siteKey)}`,
    { origin: VISITOR_ORIGIN },
  );
  cleanup.add('visitor socket', () => socket.close());
  socket.send({ type: 'hello', v: PROTOCOL_VERSION, page: { url: `${VISITOR_ORIGIN}/`, title: 'Shop' } });
  const welcome = await socket.waitFor('welcome', ofType('welcome'));
  await socket.close();
  return welcome;
}

export type OperatorSocket = FrameSocket<OperatorOutbound, OperatorInbound>;

/** The session's user online on a raw operator socket. */
export async function online(parley: Parley, cleanup: Cleanup, s: Session): Promise<OperatorSocket> {
  const op = await FrameSocket.open<OperatorOutbound, OperatorInbound>(
    `${parley.url.replace('http', 'ws')}/ws/operator`,
    { cookie: s.cookie, origin: parley.url },
  );
  cleanup.add('operator socket', () => op.close());
  await op.waitFor('ready', ofType('ready'));
  op.send({ type: 'status', status: 'online' });
  await waitUntil(`${s.user.name} online`, async () => {
    const { user } = await ok(s.call<{ user: { status: string } }>('GET', '/api/v1/me'));
    return user.status === 'online';
  });
  return op;
}
