import { CloseCode, ErrorCode } from '@parley/protocol';
import { MAX_FRAME_BYTES } from '@parley/protocol/schemas';
import type { TObject, TUnion } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ParleyError } from '../errors.js';

/** The minimal socket the handlers need; `ws` and tests both fit (Hocuspocus's WebSocketLike). */
export interface SocketLike {
  send(data: string): void;
  close(code: number, reason: string): void;
  readonly readyState: number;
}
export const OPEN = 1;

export type Parsed<T> = { ok: true; frame: T } | { ok: false; error: ParleyError };

/**
 * Builds a parser for one socket kind: JSON, size, a known `type`, then that type's schema.
 * Dispatching on `type` first gives errors that name the field instead of a union's noise.
 */
export function frameParser<T extends { type: string }>(union: TUnion<TObject[]>) {
  const byType = new Map(
    union.anyOf.map((s) => {
      const type = (s.properties.type as { const?: string }).const;
      if (!type) throw new Error('frame schema without a literal type');
      return [type, TypeCompiler.Compile(s)] as const;
    }),
  );
  return (raw: string): Parsed<T> => {
    // A UTF-16 unit is at most 3 bytes of UTF-8: only a long string needs counting.
    if (raw.length * 3 > MAX_FRAME_BYTES && Buffer.byteLength(raw) > MAX_FRAME_BYTES) {
      return { ok: false, error: new ParleyError(ErrorCode.FrameTooLarge, String(MAX_FRAME_BYTES)) };
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return { ok: false, error: new ParleyError(ErrorCode.BadJson) };
    }
    if (
      typeof value !== 'object' ||
      value === null ||
      typeof (value as { type?: unknown }).type !== 'string'
    ) {
      return {
        ok: false,
        error: new ParleyError(ErrorCode.BadFrame, 'a frame is an object with a string "type"'),
      };
    }
    const type = (value as { type: string }).type;
    const check = byType.get(type);
    if (!check) return { ok: false, error: new ParleyError(ErrorCode.UnknownFrame, type.slice(0, 40)) };
    if (!check.Check(value)) {
      const first = check.Errors(value).First();
      const where = first?.path ? first.path.replace(/^\//, '').replace(/\//g, '.') : type;
      return {
        ok: false,
        error: new ParleyError(ErrorCode.BadFrame, `${where}: ${first?.message ?? 'invalid'}`),
      };
    }
    return { ok: true, frame: value as T };
  };
}

/** Frames per socket: a burst of `capacity`, refilled at `perSecond`. */
export function tokenBucket(capacity: number, perSecond: number, now: () => number = Date.now) {
  let tokens = capacity;
  let last = now();
  return (): boolean => {
    const t = now();
    tokens = Math.min(capacity, tokens + ((t - last) / 1000) * perSecond);
    last = t;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

/** Runs async handlers one after another so frames of one socket are handled in arrival order. */
export function serial() {
  let chain: Promise<unknown> = Promise.resolve();
  return (task: () => Promise<void>): Promise<void> => {
    const next = chain.then(task);
    chain = next.catch(() => {});
    return next;
  };
}

export function errorFrame(err: unknown, ref?: string) {
  const e = err instanceof ParleyError ? err : new ParleyError(ErrorCode.Internal);
  return JSON.stringify({ type: 'error', code: e.code, message: e.message, ...(ref ? { ref } : {}) });
}

export interface Connection {
  onMessage(raw: string): void;
  onClose(): void;
}

/**
 * The inbound half every socket shares: rate limit, parse, then the handler, one frame at a time.
 * A failing frame yields an error frame (with the frame's clientId as `ref`), never a thrown error.
 *
 * `send` frames do not hold the line while they are written: the handler is started in
 * arrival order, which queues the message in the writer in that order (so seqs follow it), and the
 * next frame goes on at once; its ack follows the commit. Any other frame first waits for the sends
 * before it to settle, so `close` after `send` still finds the message stored.
 */
export function frameLoop<T extends { type: string }>(opts: {
  socket: SocketLike;
  parse: (raw: string) => Parsed<T>;
  allow: () => boolean;
  handle: (frame: T) => Promise<void>;
  log: { error(obj: unknown, msg?: string): void };
  run?: ReturnType<typeof serial>;
}): (raw: string) => void {
  const { socket } = opts;
  const run = opts.run ?? serial();
  // Sends in flight, and who waits for them all to settle. A count, not a set of their promises:
  // the set's table, rebuilt as it emptied after every send, lived until the socket's next frame
  // (a second or so for a visitor) and reached the old generation at 5,000 messages a second.
  let sending = 0;
  let settled: (() => void)[] = [];
  const sendDone = () => {
    if (--sending > 0 || settled.length === 0) return;
    const waiting = settled;
    settled = [];
    for (const go of waiting) go();
  };
  const answerFailed = (err: unknown) => {
    sendDone();
    opts.log.error({ err }, 'answering a failed send failed');
  };
  const reply = (err: unknown, ref?: string) => {
    if (socket.readyState === OPEN) socket.send(errorFrame(err, ref));
  };
  return (raw) => {
    if (!opts.allow()) {
      socket.close(CloseCode.Flood, 'too many frames');
      return;
    }
    const parsed = opts.parse(raw);
    if (!parsed.ok) return reply(parsed.error);
    const frame = parsed.frame;
    const ref = 'clientId' in frame && typeof frame.clientId === 'string' ? frame.clientId : undefined;
    const failed = (err: unknown) => {
      if (!(err instanceof ParleyError)) opts.log.error({ err }, `${frame.type} frame failed`);
      reply(err, ref);
    };
    void run(async () => {
      if (frame.type === 'send') {
        sending++;
        void opts.handle(frame).catch(failed).then(sendDone, answerFailed);
        return;
      }
      // No send starts meanwhile: the frames after this one wait in `run`.
      if (sending > 0) await new Promise<void>((go) => settled.push(go));
      await opts.handle(frame);
    }).catch(failed);
  };
}

/** What `tickBatched` needs of a `ws` WebSocket. */
interface WsSocket extends SocketLike {
  /** ws's underlying TCP socket; not in its public types, present since ws 1. */
  _socket?: { cork(): void; uncork(): void } | null;
}

/**
 * The frames one tick sends to a socket leave in one write. `ws` writes every frame with its own
 * syscall; after a group commit a socket is often sent several (an ack, a message, its echo), and
 * at thousands of frames a second those syscalls were a third of the server's time (BENCHMARKS.md).
 * Corking until the tick ends costs no latency: nothing else runs before the next tick anyway.
 *
 * A class, not an object of closures: every open socket has one, and an object literal with a getter
 * and three closures cost about 450 bytes a socket more (BENCHMARKS.md, fourteenth session).
 */
class TickBatched implements SocketLike {
  #corked = false;
  readonly #ws: WsSocket;
  constructor(ws: WsSocket) {
    this.#ws = ws;
  }
  send(data: string) {
    const raw = this.#ws._socket;
    if (!this.#corked && raw) {
      this.#corked = true;
      raw.cork();
      process.nextTick(uncork, this);
    }
    this.#ws.send(data);
  }
  close(code: number, reason: string) {
    this.#ws.close(code, reason);
  }
  get readyState() {
    return this.#ws.readyState;
  }
  static uncork(s: TickBatched) {
    s.#corked = false;
    s.#ws._socket?.uncork();
  }
}
const uncork = TickBatched.uncork;

export function tickBatched(ws: WsSocket): SocketLike {
  return new TickBatched(ws);
}
