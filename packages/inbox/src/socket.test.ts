import { CloseCode } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { backoffDelay, connectOperator, operatorSocketUrl, type SocketLike } from './socket.js';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: string[] = [];
  closed = false;
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.closed = true;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const frames: unknown[] = [];
  const states: string[] = [];
  let unauthorized = 0;
  const sock = connectOperator({
    url: 'ws://h/ws/operator',
    onFrame: (f) => frames.push(f),
    onState: (s) => states.push(s),
    onUnauthorized: () => unauthorized++,
    create: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    random: () => 0,
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => {},
  });
  return { sock, sockets, timers, frames, states, unauthorized: () => unauthorized };
}

describe('backoffDelay', () => {
  it('starts at 0.5 s, doubles, caps at 15 s, and adds up to 30 % jitter', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map((a) => backoffDelay(a, () => 0))).toEqual([
      500, 1000, 2000, 4000, 8000, 15000, 15000, 15000,
    ]);
    expect(backoffDelay(0, () => 1)).toBe(650);
    expect(backoffDelay(10, () => 1)).toBe(19500);
  });
});

describe('operatorSocketUrl', () => {
  it('follows the page scheme', () => {
    expect(operatorSocketUrl({ protocol: 'https:', host: 'a.example:8443' })).toBe(
      'wss://a.example:8443/ws/operator',
    );
    expect(operatorSocketUrl({ protocol: 'http:', host: 'localhost:3000' })).toBe(
      'ws://localhost:3000/ws/operator',
    );
  });
});

describe('connectOperator', () => {
  it('parses frames, ignores non-JSON, sends only when open', () => {
    const h = harness();
    const ws = h.sockets[0]!;
    expect(h.sock.send({ type: 'status', status: 'online' })).toBe(false);
    ws.open();
    expect(h.sock.send({ type: 'status', status: 'online' })).toBe(true);
    expect(JSON.parse(ws.sent[0]!)).toEqual({ type: 'status', status: 'online' });
    ws.onmessage?.({ data: '{"type":"ready"}' });
    ws.onmessage?.({ data: 'not json{' });
    ws.onmessage?.({ data: new ArrayBuffer(2) });
    expect(h.frames).toEqual([{ type: 'ready' }]);
    expect(h.states).toEqual(['connecting', 'open']);
  });

  it('reconnects with growing delays and resets them after ready', () => {
    const h = harness();
    h.sockets[0]!.drop();
    expect(h.timers.map((t) => t.ms)).toEqual([500]);
    h.timers[0]!.fn();
    h.sockets[1]!.drop();
    h.timers[1]!.fn();
    h.sockets[2]!.drop();
    expect(h.timers.map((t) => t.ms)).toEqual([500, 1000, 2000]);
    h.timers[2]!.fn();
    h.sock.resetBackoff();
    h.sockets[3]!.drop();
    expect(h.timers.at(-1)?.ms).toBe(500);
    expect(h.sockets).toHaveLength(4);
  });

  it('reconnects after a resync close (4012): the server may have missed events, and ready brings them', () => {
    const h = harness();
    h.sockets[0]!.open();
    h.sockets[0]!.drop(CloseCode.Resync);
    expect(h.unauthorized()).toBe(0);
    expect(h.timers.map((t) => t.ms)).toEqual([500]);
    h.timers[0]!.fn();
    expect(h.sockets).toHaveLength(2);
  });

  it('stops and reports on 4003 (not logged in)', () => {
    const h = harness();
    h.sockets[0]!.drop(CloseCode.Unauthorized);
    expect(h.unauthorized()).toBe(1);
    expect(h.timers).toHaveLength(0);
  });

  it('stop() closes and never reconnects; late events of the old socket are ignored', () => {
    const h = harness();
    const ws = h.sockets[0]!;
    ws.open();
    h.sock.stop();
    expect(ws.closed).toBe(true);
    ws.onmessage?.({ data: '{"type":"ready"}' });
    ws.drop();
    expect(h.frames).toEqual([]);
    expect(h.timers).toHaveLength(0);
  });
});
