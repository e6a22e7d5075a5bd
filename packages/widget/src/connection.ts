/**
 * The visitor socket, DOM-free: hello/welcome, resume, the outbox and reconnects. The UI only reads
 * state and calls methods; everything that must survive a reload lives in `storage` under
 * `parley:<siteKey>`.
 */
import type { VisitorInbound, VisitorOutbound } from '@parley/protocol';
import { CloseCode, ErrorCode, PROTOCOL_VERSION } from '@parley/protocol';

/** Error codes that refuse a `send` for good; anything else (an outage, a rate limit) is retried. */
const REFUSED: string[] = [
  ErrorCode.BadFrame,
  ErrorCode.Validation,
  ErrorCode.FrameTooLarge,
  ErrorCode.ContactClosed,
  ErrorCode.Forbidden,
  ErrorCode.NotFound,
];

/** The part of the browser WebSocket this module uses; `ws` in Node provides the same. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  // `never` parameters: both the DOM's and `ws`'s event types fit; handlers annotate what they read.
  onopen: ((ev: never) => unknown) | null;
  onmessage: ((ev: never) => unknown) | null;
  onclose: ((ev: never) => unknown) | null;
  onerror: ((ev: never) => unknown) | null;
}
export type SocketCtor = new (url: string) => SocketLike;
export type StorageLike = Pick<Storage, 'getItem' | 'setItem'>;

export interface Pending {
  clientId: string;
  body: string;
  /** When it was typed (ISO); shown until the ack brings the server's time. */
  at: string;
  /** The message it replies to. */
  quoteId?: string | undefined;
}

/** What `parley:<siteKey>` holds. */
export interface Stored {
  token?: string;
  /** The panel was open: a reload reopens it. */
  open?: boolean;
  contactId?: string | null;
  /** Highest seq the visitor has read (panel open); operator messages above it are unread. */
  lastSeq?: number;
  outbox?: Pending[];
  /** Site colour, so the loader draws the right launcher before the chunk loads. */
  color?: string;
  /** The site's language setting from the last welcome, so the next page starts in it. */
  loc?: string | null;
  /** The visitor turned the new-message sound off. */
  mute?: boolean;
  /** The number the visitor asked to be called back at (shown while they wait). */
  cb?: string;
  /** The launcher's name in the visitor's language, for the loader on the next page. */
  label?: string;
  /**
   * The conversation that ended on screen (its last seq, whether the visitor rated it): a reload shows
   * it again, rating and all, until the visitor starts a new one.
   */
  ended?: { id: string; seq: number; rated?: boolean } | null;
}

type HelloInfo = Omit<Extract<VisitorInbound, { type: 'hello' }>, 'type' | 'v' | 'token'>;

export type ConnState = 'connecting' | 'open' | 'failed';

export interface ConnectionOptions {
  url: string;
  siteKey: string;
  WebSocket: SocketCtor;
  storage: StorageLike;
  hello: () => HelloInfo;
  /** A logged-in customer of the host page (`data-user-id`, `data-user-hash`): sent in every hello. */
  identity?: { userId: string; hash: string } | undefined;
  onFrame?: (frame: VisitorOutbound) => void;
  onState?: (state: ConnState, closeCode?: number) => void;
  /** First reconnect delay and ceiling, in ms. */
  backoff?: { min: number; max: number };
  random?: () => number;
  newId?: () => string;
}

/** Close codes after which reconnecting cannot help. */
export const FINAL_CLOSE_CODES: readonly number[] = [
  CloseCode.BadOrigin,
  CloseCode.Unauthorized,
  CloseCode.UnknownSite,
  CloseCode.UnsupportedVersion,
];

const OPEN = 1;

const sendFrame = (p: Pending): VisitorInbound => ({
  type: 'send',
  clientId: p.clientId,
  body: p.body,
  ...(p.quoteId ? { quoteId: p.quoteId } : {}),
});

export const newClientId = (): string =>
  typeof crypto !== 'undefined' && crypto.randomUUID
    ? crypto.randomUUID().replace(/-/g, '')
    : Math.random().toString(36).slice(2) + Date.now().toString(36);

export class Connection {
  state: ConnState = 'connecting';
  /** Highest message seq received on this page; `resume` asks for everything after it. */
  seq = 0;
  stored: Stored;
  private ws: SocketLike | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private ready = false;
  /** A `start` not yet answered by `queued`: re-sent after a reconnect if no contact exists. */
  private pendingStart: Extract<VisitorInbound, { type: 'start' }> | null = null;
  private readonly key: string;
  /** The ended conversation whose history was asked for on this socket, until a message of it comes. */
  private restoring: string | null = null;

  constructor(private readonly o: ConnectionOptions) {
    this.key = `parley:${o.siteKey}`;
    let s: Stored = {};
    try {
      s = JSON.parse(o.storage.getItem(this.key) || '{}') || {};
    } catch {}
    this.stored = s;
  }

  get outbox(): Pending[] {
    return this.stored.outbox || [];
  }

  get contactId(): string | null {
    return this.stored.contactId || null;
  }

  save(patch: Partial<Stored>): void {
    Object.assign(this.stored, patch);
    try {
      this.o.storage.setItem(this.key, JSON.stringify(this.stored));
    } catch {
      // Storage full or blocked: keep going in memory.
    }
  }

  connect(): void {
    this.stopped = false;
    this.ready = false;
    this.setState('connecting');
    let ws: SocketLike;
    try {
      ws = new this.o.WebSocket(this.o.url);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      const { stored, o } = this;
      const token = stored.token;
      const identity = o.identity;
      this.raw({
        type: 'hello',
        v: PROTOCOL_VERSION,
        ...(token ? { token } : {}),
        ...(identity ? { identity } : {}),
        ...o.hello(),
      });
    };
    ws.onmessage = (ev: { data: unknown }) => {
      let f: VisitorOutbound;
      try {
        f = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      if (f && typeof f === 'object') this.handle(f);
    };
    ws.onclose = (ev: { code: number }) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.ready = false;
      if (FINAL_CLOSE_CODES.includes(ev.code)) {
        this.stopped = true;
        this.setState('failed', ev.code);
      } else this.retry();
    };
    ws.onerror = () => {};
  }

  /** Stops for good (page teardown, tests). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    ws?.close();
  }

  /** Starts a conversation; re-sent after a reconnect until the server answers `queued`. */
  start(answers: Record<string, string>, captcha?: string): void {
    this.pendingStart = { type: 'start', answers, ...(captcha ? { captcha } : {}) };
    if (this.ready) this.raw(this.pendingStart);
  }

  /** A frame that is not retried (challenge, offline, rate, callback): false when the socket is not ready. */
  post(frame: VisitorInbound): boolean {
    if (!this.ready) return false;
    this.raw(frame);
    return true;
  }

  /** Queues a message in the outbox (persisted first), then sends it if the socket is ready. */
  send(body: string, quoteId?: string): Pending {
    const p: Pending = { clientId: (this.o.newId || newClientId)(), body, at: new Date().toISOString() };
    if (quoteId) p.quoteId = quoteId;
    this.save({ outbox: [...this.outbox, p] });
    if (this.ready && this.contactId) this.raw(sendFrame(p));
    return p;
  }

  /** A new identity of the host page's customer (`Parley.identify`): reconnects so hello carries it. */
  identify(identity: { userId: string; hash: string }): void {
    this.o.identity = identity;
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    clearTimeout(this.timer);
    this.attempt = 0;
    this.connect();
  }

  typing(on: boolean): void {
    if (this.ready && this.contactId) this.raw({ type: 'typing', on });
  }

  /** The visitor has read up to `seq`: remembered for the unread count and told to the server. */
  seen(seq: number): void {
    if (seq <= (this.stored.lastSeq || 0)) return;
    this.save({ lastSeq: seq });
    if (this.ready && this.contactId) this.raw({ type: 'seen', seq });
  }

  /**
   * Forgets the ended conversation so the questionnaire can start a new one. Messages still pending
   * belonged to the closed conversation: sending them into the next one would be wrong.
   */
  reset(): void {
    this.seq = 0;
    this.pendingStart = null;
    this.save({ contactId: null, lastSeq: 0, outbox: [], ended: null });
  }

  private handle(f: VisitorOutbound): void {
    switch (f.type) {
      case 'welcome':
        this.ready = true;
        this.attempt = 0;
        // An open conversation (begun in another tab, say) replaces the ended one on screen.
        this.save({
          token: f.token,
          contactId: f.contact ? f.contact.id : null,
          ...(f.contact && { ended: null }),
        });
        this.setState('open');
        this.restoring = null;
        if (f.contact) {
          this.raw({ type: 'resume', contactId: f.contact.id, afterSeq: this.seq });
          this.flush();
        } else if (this.pendingStart) {
          this.raw(this.pendingStart);
        } else if (this.stored.ended) {
          this.restoring = this.stored.ended.id;
          this.raw({ type: 'resume', contactId: this.restoring, afterSeq: this.seq });
        }
        break;
      case 'queued':
      case 'assigned':
        this.pendingStart = null;
        if (f.contactId !== this.contactId) {
          this.save({ contactId: f.contactId, ended: null });
          this.flush();
        }
        break;
      case 'ack':
        this.drop(f.clientId);
        break;
      case 'message':
        if (f.message.seq > this.seq) this.seq = f.message.seq;
        if (f.message.clientId) this.drop(f.message.clientId);
        if (f.message.contactId === this.restoring) this.restoring = null;
        break;
      case 'closed':
        if (f.contactId === this.contactId)
          this.save({ contactId: null, ended: { id: f.contactId, seq: this.seq } });
        break;
      case 'rated': {
        const e = this.stored.ended;
        if (e && e.id === f.contactId) this.save({ ended: { ...e, rated: true } });
        break;
      }
      case 'error':
        // A send refused for what it is would be refused again on every reconnect: give it up.
        if (f.ref && REFUSED.includes(f.code)) this.drop(f.ref);
        // The ended conversation is gone (erased, or this is another visitor now): forget it.
        if (this.restoring && f.code === ErrorCode.NotFound) {
          this.restoring = null;
          this.save({ ended: null });
        }
        break;
    }
    try {
      this.o.onFrame?.(f);
    } catch (e) {
      // A UI bug must not break the socket loop.
      console.error(e);
    }
  }

  /** Re-sends every pending message with its original clientId; the server stores each once. */
  private flush(): void {
    for (const p of this.outbox) this.raw(sendFrame(p));
  }

  private drop(clientId: string): void {
    if (this.outbox.some((p) => p.clientId === clientId))
      this.save({ outbox: this.outbox.filter((p) => p.clientId !== clientId) });
  }

  private raw(frame: VisitorInbound): void {
    if (this.ws && this.ws.readyState === OPEN) this.ws.send(JSON.stringify(frame));
  }

  private retry(): void {
    if (this.stopped) return;
    this.setState('connecting');
    const { min, max } = this.o.backoff || { min: 500, max: 15_000 };
    const base = Math.min(max, min * 2 ** this.attempt++);
    // ±25 % jitter so a server restart is not hit by every visitor at the same instant.
    const delay = base * (0.75 + (this.o.random || Math.random)() * 0.5);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  private setState(s: ConnState, code?: number): void {
    this.state = s;
    this.o.onState?.(s, code);
  }
}
