import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { VisitorInbound, VisitorOutbound } from '@parley/protocol';
import { CloseCode, DEFAULT_SITE_SETTINGS, ErrorCode, PROTOCOL_VERSION } from '@parley/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { Connection, type ConnState, type Stored } from './connection.js';

/** One accepted server-side socket, with the frames the widget sent on it. */
class Peer {
  frames: VisitorInbound[] = [];
  closed = false;
  private read = 0;
  private wake: (() => void) | undefined;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.frames.push(JSON.parse(String(d)));
      this.wake?.();
    });
    ws.on('close', () => {
      this.closed = true;
    });
  }
  /** The next frame not yet read, waiting for it if needed. */
  async next(): Promise<VisitorInbound> {
    const deadline = Date.now() + 3000;
    while (this.read >= this.frames.length) {
      if (Date.now() > deadline) throw new Error(`no frame after ${JSON.stringify(this.frames)}`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
    return this.frames[this.read++]!;
  }
  send(f: VisitorOutbound): void {
    this.ws.send(JSON.stringify(f));
  }
}

const site = { ...DEFAULT_SITE_SETTINGS, name: 'Shop', greeting: 'Hi', questionnaire: [] };
const TOKEN = 'v'.repeat(32);
const welcome = (contact: { id: string; lastSeq: number } | null): VisitorOutbound => ({
  type: 'welcome',
  token: TOKEN,
  visitorId: randomUUID(),
  site,
  online: true,
  hours: { open: true, opensAt: null },
  identity: { status: 'none' },
  contact: contact && { ...contact, status: 'assigned' },
});

/** An operator's message `m<seq>` in the conversation. */
const operatorMessage = (contactId: string, seq: number): VisitorOutbound => ({
  type: 'message',
  message: {
    id: randomUUID(),
    contactId,
    seq,
    author: { kind: 'operator', id: randomUUID(), name: 'Bob' },
    body: `m${seq}`,
    quoteId: null,
    clientId: null,
    createdAt: new Date().toISOString(),
    deletedAt: null,
  },
});

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  opts: {
    storage?: Map<string, string>;
    backoff?: { min: number; max: number };
    identity?: { userId: string; hash: string };
  } = {},
) {
  const wss = new WebSocketServer({ port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const peers: Peer[] = [];
  const attempts: number[] = [];
  const urls: string[] = [];
  let waiting: (() => void) | undefined;
  wss.on('connection', (ws, req) => {
    attempts.push(Date.now());
    urls.push(req.url || '');
    peers.push(new Peer(ws));
    waiting?.();
  });
  const map = opts.storage || new Map<string, string>();
  const storage = {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => map.set(k, v),
  };
  const states: [ConnState, number | undefined][] = [];
  const frames: VisitorOutbound[] = [];
  const conn = new Connection({
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws/visitor?site=abc`,
    siteKey: 'abc',
    WebSocket,
    storage,
    identity: opts.identity,
    hello: () => ({ page: { url: 'https://shop.test/p', title: 'P' }, locale: 'en-US', timeZone: 'UTC' }),
    onFrame: (f) => frames.push(f),
    onState: (s, code) => states.push([s, code]),
    backoff: opts.backoff || { min: 20, max: 200 },
  });
  cleanups.push(async () => {
    conn.stop();
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  });
  /** The n-th accepted connection (0-based), waiting for it. */
  const peer = async (n: number): Promise<Peer> => {
    const deadline = Date.now() + 5000;
    while (!peers[n]) {
      if (Date.now() > deadline) throw new Error(`connection ${n} never came`);
      await new Promise<void>((r) => {
        waiting = r;
        setTimeout(r, 50);
      });
    }
    return peers[n]!;
  };
  const stored = (): Stored => JSON.parse(map.get('parley:abc') || '{}');
  return { wss, conn, peer, peers, attempts, urls, states, frames, stored, map };
}

/** Connects, is welcomed into an open conversation and answers its `resume`: the socket, ready. */
async function inConversation(t: Awaited<ReturnType<typeof setup>>, contactId: string) {
  t.conn.connect();
  const p0 = await t.peer(0);
  await p0.next(); // hello
  p0.send(welcome({ id: contactId, lastSeq: 0 }));
  await p0.next(); // resume
  return p0;
}

const until = async (cond: () => boolean, what: string) => {
  const deadline = Date.now() + 3000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('Connection against a real ws server', () => {
  it('says hello, stores the welcome token and sends it on the next connection', async () => {
    const t = await setup();
    t.conn.connect();
    const p0 = await t.peer(0);
    expect(t.urls[0]).toBe('/ws/visitor?site=abc');
    const hello = await p0.next();
    expect(hello).toEqual({
      type: 'hello',
      v: PROTOCOL_VERSION,
      page: { url: 'https://shop.test/p', title: 'P' },
      locale: 'en-US',
      timeZone: 'UTC',
    });
    p0.send(welcome(null));
    await until(() => t.conn.state === 'open', 'open');
    expect(t.stored().token).toBe(TOKEN);
    expect(t.frames[0]?.type).toBe('welcome');

    // A reload: a new Connection over the same storage presents the token.
    const again = await setup({ storage: t.map });
    again.conn.connect();
    const hello2 = await (await again.peer(0)).next();
    expect(hello2).toMatchObject({ type: 'hello', token: TOKEN });
  });

  it('carries the host page identity (data-user-id, data-user-hash) in every hello, reconnects included', async () => {
    const identity = { userId: 'cust-42', hash: 'ab'.repeat(32) };
    const t = await setup({ identity });
    t.conn.connect();
    const p0 = await t.peer(0);
    expect(await p0.next()).toEqual({
      type: 'hello',
      v: PROTOCOL_VERSION,
      identity,
      page: { url: 'https://shop.test/p', title: 'P' },
      locale: 'en-US',
      timeZone: 'UTC',
    });
    p0.send(welcome(null));
    await until(() => t.conn.state === 'open', 'open');
    p0.ws.terminate();
    expect(await (await t.peer(1)).next()).toMatchObject({ type: 'hello', token: TOKEN, identity });
  });

  it('sends start, remembers the contact from queued, and resends start if the socket dropped first', async () => {
    const t = await setup();
    t.conn.connect();
    const p0 = await t.peer(0);
    await p0.next();
    p0.send(welcome(null));
    await until(() => t.conn.state === 'open', 'open');
    t.conn.start({ name: 'Ann' });
    expect(await p0.next()).toEqual({ type: 'start', answers: { name: 'Ann' } });
    p0.ws.terminate(); // dropped before `queued`

    const p1 = await t.peer(1);
    await p1.next(); // hello
    p1.send(welcome(null));
    expect(await p1.next()).toEqual({ type: 'start', answers: { name: 'Ann' } });
    const contactId = randomUUID();
    p1.send({
      type: 'queued',
      contactId,
      position: 2,
      estimatedWaitSeconds: null,
      channel: 'chat',
      waitingSince: new Date().toISOString(),
    });
    await until(() => t.conn.contactId === contactId, 'contactId');
    expect(t.stored().contactId).toBe(contactId);
  });

  it('sends the captcha answer with start, and again with the start re-sent after a drop', async () => {
    const t = await setup();
    t.conn.connect();
    const p0 = await t.peer(0);
    await p0.next();
    p0.send(welcome(null));
    await until(() => t.conn.state === 'open', 'open');
    t.conn.start({ name: 'Ann' }, 'c2FsdA==');
    expect(await p0.next()).toEqual({ type: 'start', answers: { name: 'Ann' }, captcha: 'c2FsdA==' });
    p0.ws.terminate();
    const p1 = await t.peer(1);
    await p1.next();
    p1.send(welcome(null));
    expect(await p1.next()).toEqual({ type: 'start', answers: { name: 'Ann' }, captcha: 'c2FsdA==' });
  });

  it('post sends a one-off frame only on a ready socket', async () => {
    const t = await setup();
    expect(t.conn.post({ type: 'challenge' })).toBe(false);
    t.conn.connect();
    const p0 = await t.peer(0);
    await p0.next();
    p0.send(welcome(null));
    await until(() => t.conn.state === 'open', 'open');
    expect(t.conn.post({ type: 'challenge' })).toBe(true);
    expect(await p0.next()).toEqual({ type: 'challenge' });
  });

  it('identify reconnects at once with the new identity in hello', async () => {
    const t = await setup();
    t.conn.connect();
    const p0 = await t.peer(0);
    expect(await p0.next()).not.toHaveProperty('identity');
    p0.send(welcome(null));
    await until(() => t.conn.state === 'open', 'open');
    const identity = { userId: 'cust-7', hash: 'cd'.repeat(32) };
    t.conn.identify(identity);
    expect(await (await t.peer(1)).next()).toMatchObject({ type: 'hello', token: TOKEN, identity });
    await until(() => p0.closed, 'the old socket closed');
  });

  it('keeps the quoted message id of a reply through the outbox and its re-send', async () => {
    const contactId = randomUUID();
    const quoteId = randomUUID();
    const t = await setup();
    t.conn.connect();
    const p0 = await t.peer(0);
    await p0.next();
    p0.send(welcome({ id: contactId, lastSeq: 0 }));
    await p0.next(); // resume
    const p = t.conn.send('yes, that one', quoteId);
    expect(await p0.next()).toEqual({ type: 'send', clientId: p.clientId, body: 'yes, that one', quoteId });
    p0.ws.terminate();
    const p1 = await t.peer(1);
    await p1.next();
    p1.send(welcome({ id: contactId, lastSeq: 0 }));
    await p1.next(); // resume
    expect(await p1.next()).toEqual({ type: 'send', clientId: p.clientId, body: 'yes, that one', quoteId });
  });

  it('re-sends the outbox with the same clientIds after the server drops the socket mid-burst', async () => {
    const t = await setup();
    const contactId = randomUUID();
    t.conn.connect();
    const p0 = await t.peer(0);
    await p0.next();
    p0.send(welcome({ id: contactId, lastSeq: 0 }));
    expect(await p0.next()).toEqual({ type: 'resume', contactId, afterSeq: 0 });

    // 1. Three messages in a burst; each is in the stored outbox before it goes out.
    const sent = ['one', 'two', 'three'].map((b) => t.conn.send(b));
    expect(t.stored().outbox?.map((p) => p.body)).toEqual(['one', 'two', 'three']);
    for (const p of sent) expect(p.clientId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    const first = await p0.next();
    expect(first).toMatchObject({ type: 'send', clientId: sent[0]!.clientId, body: 'one' });
    // 2. Only the first is acknowledged, then the server drops the socket.
    p0.send({
      type: 'ack',
      contactId,
      clientId: sent[0]!.clientId,
      id: randomUUID(),
      seq: 1,
      createdAt: new Date().toISOString(),
    });
    await until(() => t.conn.outbox.length === 2, 'first ack');
    p0.ws.terminate();

    // 3. After reconnecting: hello with the token, resume, then the two unacknowledged sends again.
    const p1 = await t.peer(1);
    expect(await p1.next()).toMatchObject({ type: 'hello', token: TOKEN });
    p1.send(welcome({ id: contactId, lastSeq: 1 }));
    expect(await p1.next()).toEqual({ type: 'resume', contactId, afterSeq: 0 });
    const resent = [await p1.next(), await p1.next()];
    expect(resent).toEqual([
      { type: 'send', clientId: sent[1]!.clientId, body: 'two' },
      { type: 'send', clientId: sent[2]!.clientId, body: 'three' },
    ]);
    // 4. The echo of a message (with its clientId) also clears it; the ack of the other clears the rest.
    p1.send({
      type: 'message',
      message: {
        id: randomUUID(),
        contactId,
        seq: 2,
        author: { kind: 'visitor', id: null, name: 'Ann' },
        body: 'two',
        quoteId: null,
        deletedAt: null,
        clientId: sent[1]!.clientId,
        createdAt: new Date().toISOString(),
      },
    });
    p1.send({
      type: 'ack',
      contactId,
      clientId: sent[2]!.clientId,
      id: randomUUID(),
      seq: 3,
      createdAt: new Date().toISOString(),
    });
    await until(() => t.conn.outbox.length === 0, 'outbox drained');
    expect(t.stored().outbox).toEqual([]);
  });

  it('drops a message the server refused for good, but keeps one that failed for a passing reason', async () => {
    const t = await setup();
    const contactId = randomUUID();
    const p0 = await inConversation(t, contactId);
    const refused = t.conn.send('refused');
    const passing = t.conn.send('passing');
    await p0.next();
    await p0.next();
    // 1. A validation error naming the first: it would fail again on every reconnect, so it leaves the outbox.
    p0.send({ type: 'error', code: ErrorCode.Validation, message: 'no', ref: refused.clientId });
    // 2. An internal error naming the second: it stays and is re-sent after the next reconnect.
    p0.send({ type: 'error', code: ErrorCode.Internal, message: 'oops', ref: passing.clientId });
    await until(() => t.frames.filter((f) => f.type === 'error').length === 2, 'both errors');
    expect(t.conn.outbox.map((p) => p.body)).toEqual(['passing']);
    expect(t.stored().outbox?.map((p) => p.body)).toEqual(['passing']);
  });

  it('survives a reload with a pending message: the new page re-sends it after resume from 0', async () => {
    const t = await setup();
    const contactId = randomUUID();
    t.conn.connect();
    const p0 = await t.peer(0);
    await p0.next();
    p0.send(welcome({ id: contactId, lastSeq: 4 }));
    await p0.next(); // resume
    p0.ws.pause(); // the server never reads it: no ack
    const pending = t.conn.send('lost?');
    t.conn.stop();

    const again = await setup({ storage: t.map });
    again.conn.connect();
    const p = await again.peer(0);
    expect(await p.next()).toMatchObject({ type: 'hello', token: TOKEN });
    p.send(welcome({ id: contactId, lastSeq: 4 }));
    expect(await p.next()).toEqual({ type: 'resume', contactId, afterSeq: 0 });
    expect(await p.next()).toEqual({ type: 'send', clientId: pending.clientId, body: 'lost?' });
  });

  it('resumes from the highest seq it received after a drop', async () => {
    const t = await setup();
    const contactId = randomUUID();
    t.conn.connect();
    const p0 = await t.peer(0);
    await p0.next();
    p0.send(welcome({ id: contactId, lastSeq: 3 }));
    expect(await p0.next()).toEqual({ type: 'resume', contactId, afterSeq: 0 });
    for (const seq of [1, 2, 3]) p0.send(operatorMessage(contactId, seq));
    await until(() => t.conn.seq === 3, 'seq 3');
    p0.ws.close(1001);

    const p1 = await t.peer(1);
    await p1.next();
    p1.send(welcome({ id: contactId, lastSeq: 3 }));
    expect(await p1.next()).toEqual({ type: 'resume', contactId, afterSeq: 3 });
  });

  it('reconnects with exponential backoff while the server keeps refusing', async () => {
    const t = await setup({ backoff: { min: 40, max: 160 } });
    // Every connection is dropped at once, before any welcome, so the delay keeps doubling.
    t.wss.on('connection', (ws) => ws.close(1011));
    t.conn.connect();
    await until(() => t.attempts.length >= 5, '5 attempts');
    const gaps = t.attempts.slice(1).map((at, i) => at - t.attempts[i]!);
    // Expected 40, 80, 160, 160 ms ±25 % jitter (plus connection time, never less).
    const expected = [40, 80, 160, 160];
    gaps.slice(0, 4).forEach((g, i) => {
      expect(g).toBeGreaterThanOrEqual(expected[i]! * 0.75 - 5);
      expect(g).toBeLessThan(expected[i]! * 1.25 + 400);
    });
    expect(t.states.some(([s]) => s === 'failed')).toBe(false);
  });

  it('resets the backoff after a welcome', async () => {
    const t = await setup({ backoff: { min: 30, max: 5000 } });
    t.conn.connect();
    for (let i = 0; i < 4; i++) {
      const p = await t.peer(i);
      await p.next();
      p.send(welcome(null));
      await until(() => t.frames.length === i + 1, 'welcome');
      p.ws.terminate();
    }
    const gaps = t.attempts.slice(1).map((at, i) => at - t.attempts[i]!);
    // Without the reset the 4th wait would be 30 * 2^2 = 120 ms or more.
    expect(Math.max(...gaps)).toBeLessThan(120 * 0.75 + 60);
  });

  it.each([CloseCode.BadOrigin, CloseCode.Unauthorized, CloseCode.UnknownSite, CloseCode.UnsupportedVersion])(
    'stops reconnecting after close code %i',
    async (code) => {
      const t = await setup({ backoff: { min: 10, max: 20 } });
      t.wss.on('connection', (ws) => ws.close(code));
      t.conn.connect();
      await until(() => t.conn.state === 'failed', 'failed');
      expect(t.states.at(-1)).toEqual(['failed', code]);
      await new Promise((r) => setTimeout(r, 200));
      expect(t.attempts).toHaveLength(1);
    },
  );

  it('keeps reconnecting after a handshake timeout or flood close', async () => {
    const t = await setup({ backoff: { min: 10, max: 20 } });
    let n = 0;
    t.wss.on('connection', (ws) => ws.close(n++ ? CloseCode.Flood : CloseCode.HandshakeTimeout));
    t.conn.connect();
    await until(() => t.attempts.length >= 3, '3 attempts');
    expect(t.conn.state).not.toBe('failed');
  });

  it('reconnects after a resync close (the server may have missed events) and resumes after the last message it had', async () => {
    const t = await setup({ backoff: { min: 10, max: 20 } });
    const contactId = randomUUID();
    const p0 = await inConversation(t, contactId);
    p0.send(operatorMessage(contactId, 1));
    await until(() => t.frames.some((f) => f.type === 'message'), 'message 1');
    p0.ws.close(CloseCode.Resync, 'events may have been missed: reconnect');
    const p1 = await t.peer(1);
    expect(await p1.next()).toMatchObject({ type: 'hello', token: TOKEN });
    p1.send(welcome({ id: contactId, lastSeq: 3 }));
    // Messages 2 and 3 came while the server's events were lost: the resume brings them.
    expect(await p1.next()).toEqual({ type: 'resume', contactId, afterSeq: 1 });
    expect(t.states.map(([s]) => s)).not.toContain('failed');
  });

  it('sends seen once per new seq and forgets the conversation (and its outbox) on reset', async () => {
    const t = await setup();
    const contactId = randomUUID();
    t.conn.connect();
    const p0 = await t.peer(0);
    await p0.next();
    p0.send(welcome({ id: contactId, lastSeq: 2 }));
    await p0.next(); // resume
    t.conn.seen(2);
    t.conn.seen(2); // already told: nothing sent
    t.conn.typing(true);
    expect(await p0.next()).toEqual({ type: 'seen', seq: 2 });
    expect(await p0.next()).toEqual({ type: 'typing', on: true });
    expect(t.stored().lastSeq).toBe(2);

    p0.ws.pause(); // no ack for the next message
    t.conn.send('never acknowledged');
    p0.send({ type: 'closed', contactId });
    await until(() => t.conn.contactId === null, 'closed');
    t.conn.reset();
    expect(t.stored()).toMatchObject({ contactId: null, lastSeq: 0, outbox: [] });
  });

  it('keeps the ended conversation through a reload: its history is asked for again, with the rating', async () => {
    const t = await setup();
    const contactId = randomUUID();
    const p0 = await inConversation(t, contactId);
    p0.send(operatorMessage(contactId, 1));
    p0.send(operatorMessage(contactId, 2));
    p0.send({ type: 'closed', contactId });
    await until(() => t.stored().ended?.id === contactId, 'closed');
    expect(t.stored()).toMatchObject({ contactId: null, ended: { id: contactId, seq: 2 } });
    p0.send({ type: 'rated', contactId });
    await until(() => t.stored().ended?.rated === true, 'rated');
    t.conn.stop();

    // The next page: no open conversation, so the ended one's history comes back from the start.
    const again = await setup({ storage: t.map });
    again.conn.connect();
    const p = await again.peer(0);
    await p.next();
    p.send(welcome(null));
    expect(await p.next()).toEqual({ type: 'resume', contactId, afterSeq: 0 });
    expect(again.stored().ended).toEqual({ id: contactId, seq: 2, rated: true });
    // A new conversation (here from another tab) replaces it.
    p.send({
      type: 'queued',
      contactId: randomUUID(),
      position: 1,
      waitingSince: new Date().toISOString(),
      estimatedWaitSeconds: null,
      channel: 'chat',
    });
    await until(() => again.stored().ended === null, 'the new conversation');

    // "Start a new conversation" forgets it too.
    const third = await setup({
      storage: new Map([['parley:abc', JSON.stringify({ token: TOKEN, ended: { id: contactId, seq: 2 } })]]),
    });
    third.conn.reset();
    expect(third.stored().ended).toBeNull();
  });

  it('forgets an ended conversation the server no longer knows, and asks for it only once', async () => {
    const contactId = randomUUID();
    const storage = new Map([
      ['parley:abc', JSON.stringify({ token: TOKEN, ended: { id: contactId, seq: 3 } })],
    ]);
    const t = await setup({ storage });
    t.conn.connect();
    const p0 = await t.peer(0);
    await p0.next();
    p0.send(welcome(null));
    expect(await p0.next()).toEqual({ type: 'resume', contactId, afterSeq: 0 });
    p0.send({ type: 'error', code: ErrorCode.NotFound, message: 'The conversation was not found.' });
    await until(() => t.stored().ended === null, 'forgotten');
    expect(t.frames.at(-1)).toMatchObject({ type: 'error', code: ErrorCode.NotFound });
    // The next connection asks for nothing.
    p0.ws.close();
    const p1 = await t.peer(1);
    await p1.next();
    p1.send(welcome(null));
    t.conn.typing(true); // nothing open: not sent either
    await new Promise((r) => setTimeout(r, 100));
    expect(p1.frames).toHaveLength(1);
  });

  it('ignores frames that are not JSON and keeps working', async () => {
    const t = await setup();
    t.conn.connect();
    const p0 = await t.peer(0);
    await p0.next();
    p0.ws.send('not json{');
    p0.send(welcome(null));
    await until(() => t.conn.state === 'open', 'open');
    expect(t.frames.map((f) => f.type)).toEqual(['welcome']);
  });
});
