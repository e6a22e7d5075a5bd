import { WebSocket } from 'ws';

export interface Received<T> {
  /** Date.now() when the frame arrived. */
  at: number;
  frame: T;
}

/**
 * A real `ws` client that records every JSON frame it receives, with the time, and lets a test wait
 * for one matching a predicate (searching from a mark, so frames that came early are not missed).
 */
export class FrameSocket<In extends { type: string }, Out extends { type: string }> {
  readonly frames: Received<In>[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters = new Set<() => void>();
  private readonly listeners = new Set<(r: Received<In>) => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const r = { at: Date.now(), frame: JSON.parse(data.toString()) as In };
      this.frames.push(r);
      for (const l of this.listeners) l(r);
      for (const w of [...this.waiters]) w();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        for (const w of [...this.waiters]) w();
        resolve({ code, reason: reason.toString() });
      });
    });
  }

  /** Opens `url` with the given headers (Origin, Cookie); rejects if the upgrade fails. */
  static open<In extends { type: string }, Out extends { type: string }>(
    url: string,
    headers: Record<string, string>,
    timeoutMs = 10_000,
  ): Promise<FrameSocket<In, Out>> {
    const ws = new WebSocket(url, { headers, handshakeTimeout: timeoutMs });
    const socket = new FrameSocket<In, Out>(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)),
      );
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: Out): void {
    this.ws.send(JSON.stringify(frame));
  }

  onFrame(listener: (r: Received<In>) => void): void {
    this.listeners.add(listener);
  }

  /** The index the next frame will get: pass it to `waitFor` to look only at what comes after. */
  mark(): number {
    return this.frames.length;
  }

  /** The first frame at or after `since` that matches; fails after `timeoutMs` or when the socket closes. */
  waitFor<F extends In>(
    what: string,
    match: (frame: In) => frame is F,
    { since = 0, timeoutMs = 10_000 }: { since?: number; timeoutMs?: number } = {},
  ): Promise<F> {
    return new Promise((resolve, reject) => {
      let i = since;
      const check = () => {
        for (; i < this.frames.length; i++) {
          const f = this.frames[i]!.frame;
          if (match(f)) {
            done();
            resolve(f);
            return;
          }
        }
        if (this.ws.readyState === WebSocket.CLOSED) {
          done();
          reject(new Error(`socket closed while waiting for ${what}; frames: ${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; frames: ${this.tail()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The last frames, for failure messages. */
  tail(n = 8): string {
    return this.frames
      .slice(-n)
      .map((r) => JSON.stringify(r.frame).slice(0, 200))
      .join('\n  ');
  }

  /** Closes and waits until the socket is gone. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    const timer = setTimeout(() => this.ws.terminate(), 2000);
    await this.closed;
    clearTimeout(timer);
  }
}

/** A type guard on a frame's `type`, for `waitFor`. */
export const ofType =
  <T extends { type: string }, K extends T['type']>(
    type: K,
    and: (f: Extract<T, { type: K }>) => boolean = () => true,
  ) =>
  (f: T): f is Extract<T, { type: K }> =>
    f.type === type && and(f as Extract<T, { type: K }>);
