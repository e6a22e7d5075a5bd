/**
 * The operator socket with reconnection. Transport only: frames go to `onFrame` as parsed JSON
 * (the store validates them); the WebSocket constructor and timers are injected for tests.
 */
import { CloseCode, type OperatorInbound } from '@parley/protocol';

export interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface SocketOptions {
  url: string;
  onFrame(frame: unknown): void;
  onState(state: 'connecting' | 'open' | 'closed'): void;
  /** The server refused the session (close code 4003): show the login page, do not reconnect. */
  onUnauthorized(): void;
  create?: (url: string) => SocketLike;
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

export interface OperatorSocket {
  send(frame: OperatorInbound): boolean;
  /** Call when `ready` arrives: the connection is good, so the next drop starts from the shortest delay. */
  resetBackoff(): void;
  stop(): void;
}

const OPEN = 1;
const BASE_MS = 500; // 0.5 s
const MAX_MS = 15_000; // 15 s

/** Delay before reconnect attempt `attempt` (0-based): 0.5 s doubling to 15 s, plus up to 30 % jitter. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_MS, BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.round(base + base * 0.3 * random());
}

export function operatorSocketUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/ws/operator`;
}

export function connectOperator(opts: SocketOptions): OperatorSocket {
  const create = opts.create ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
  const random = opts.random ?? Math.random;
  const setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = opts.clearTimer ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>));
  let ws: SocketLike | null = null;
  let attempt = 0;
  let timer: unknown = null;
  let stopped = false;

  const open = (): void => {
    timer = null;
    if (stopped) return;
    opts.onState('connecting');
    const sock = create(opts.url);
    ws = sock;
    sock.onopen = () => {
      if (ws === sock) opts.onState('open');
    };
    sock.onmessage = (ev) => {
      if (ws !== sock || typeof ev.data !== 'string') return;
      let frame: unknown;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return; // not JSON: ignore rather than break the loop
      }
      opts.onFrame(frame);
    };
    sock.onerror = () => {};
    sock.onclose = (ev) => {
      if (ws !== sock) return;
      ws = null;
      opts.onState('closed');
      if (stopped) return;
      if (ev.code === CloseCode.Unauthorized) {
        stopped = true;
        opts.onUnauthorized();
        return;
      }
      timer = setTimer(open, backoffDelay(attempt++, random));
    };
  };

  open();

  return {
    send(frame) {
      if (!ws || ws.readyState !== OPEN) return false;
      ws.send(JSON.stringify(frame));
      return true;
    },
    resetBackoff() {
      attempt = 0;
    },
    stop() {
      stopped = true;
      if (timer !== null) clearTimer(timer);
      timer = null;
      const sock = ws;
      ws = null;
      sock?.close(1000);
    },
  };
}
