import {
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  type VisitorHello,
  type VisitorInbound,
  type VisitorOutbound,
} from '@parley/protocol';
import { VisitorInbound as VisitorInboundSchema } from '@parley/protocol/schemas';
import type { ChatEvent } from '../bus.js';
import type { Captcha } from '../captcha/captcha.js';
import type { ChatService } from '../chat/service.js';
import type { IdentityStatus } from '../clients/repo.js';
import { type Clock, systemClock } from '../clock.js';
import type { ContactRow, SiteRow } from '../db/schema/index.js';
import { ParleyError } from '../errors.js';
import { hoursState } from '../sites/settings.js';
import {
  type Connection,
  frameLoop,
  frameParser,
  OPEN,
  type SocketLike,
  serial,
  tokenBucket,
} from './frames.js';
import { type Hub, RESYNC_REASON } from './hub.js';
import type { OnlineWatch } from './online.js';
import type { VisitorPresence } from './presence.js';
import { ackFrame, wireFrame } from './wire.js';

const parse = frameParser<VisitorInbound>(VisitorInboundSchema);

/** `hello` must arrive within this time of the upgrade; later traffic does not extend it. */
export const HELLO_DEADLINE_MS = 10_000;
/** Frames accepted before `hello` (a pre-authentication cap). */
const MAX_FRAMES_BEFORE_HELLO = 3;

export interface VisitorConnectionContext {
  site: SiteRow;
  ip: string | null;
  userAgent: string | null;
  chat: ChatService;
  hub: Hub;
  captcha: Captcha;
  online: OnlineWatch;
  presence?: VisitorPresence;
  /** Checks `hello.identity` against the site's secret and finds the client's name. */
  describeIdentity: (site: SiteRow, identity: VisitorHello['identity']) => Promise<IdentityStatus>;
  clock?: Clock;
  log: { error(obj: unknown, msg?: string): void };
}

/**
 * One visitor socket, transport-free: the route hands in anything with send/close/readyState and
 * feeds frames to `onMessage`. Frames are handled one at a time, in order.
 */
export function handleVisitorConnection(socket: SocketLike, ctx: VisitorConnectionContext): Connection {
  const { chat, site } = ctx;
  // The visitor's id, not their row: a row per open socket kept its token hash, user agent and
  // dates in memory for the socket's life, and nothing here reads them after `hello`.
  let visitorId: string | null = null;
  let contactId: string | null = null;
  let name = 'Visitor';
  let page: { url?: string; title?: string; referrer?: string | undefined } = {};
  let identity: { userId: string; hash: string } | undefined;
  let framesBeforeHello = 0;
  let unwatch: (() => void) | null = null;
  let unwatchOnline: (() => void) | null = null;
  const gone = ctx.presence?.register({ visitorId: () => visitorId, contactId: () => contactId });
  /** The operator who has this visitor's conversation, as `assigned` told us: typing goes to them. */
  let assigneeId: string | null = null;
  /** Hears the events of this conversation only (or none). */
  const follow = (id: string | null) => {
    if (id === contactId && (unwatch || !id)) return;
    unwatch?.();
    contactId = id;
    // Its resync made here, not per socket: most visitor sockets never follow a conversation.
    unwatch = id ? ctx.hub.onContact(id, onEvent, () => socket.close(CloseCode.Resync, RESYNC_REASON)) : null;
  };
  const run = serial();
  const allow = tokenBucket(60, 20); // a reconnecting widget may flush a queued burst at once

  const send = (frame: VisitorOutbound) => {
    if (socket.readyState === OPEN) socket.send(JSON.stringify(frame));
  };

  let deadline: ReturnType<typeof setTimeout> | null = setTimeout(() => {
    if (!visitorId) socket.close(CloseCode.HandshakeTimeout, 'hello not received in time');
  }, HELLO_DEADLINE_MS);
  const stopDeadline = () => {
    if (deadline) clearTimeout(deadline);
    deadline = null; // a cleared timer kept for the socket's life is memory every socket pays
  };

  function onEvent(e: ChatEvent) {
    if (e.workspaceId !== site.workspaceId) return;
    switch (e.kind) {
      case 'message':
        // The same frame as the operators' (`{type: 'message', message}`), made once for all of them.
        if (e.message.contactId === contactId && socket.readyState === OPEN) socket.send(wireFrame(e)!);
        break;
      case 'assigned':
        if (e.contactId === contactId) {
          assigneeId = e.operator.id;
          send({ type: 'assigned', contactId: e.contactId, operator: e.operator });
        }
        break;
      case 'position':
        if (e.contactId === contactId) {
          send({
            type: 'queued',
            contactId: e.contactId,
            position: e.position,
            estimatedWaitSeconds: e.estimatedWaitSeconds,
            channel: e.channel,
            waitingSince: e.waitingSince,
          });
        }
        break;
      case 'typing':
        if (e.contactId === contactId && e.from === 'operator') send({ type: 'typing', on: e.on });
        break;
      case 'deleted':
        if (e.contactId === contactId)
          send({ type: 'deleted', contactId: e.contactId, messageId: e.messageId });
        break;
      case 'seen':
        if (e.contactId === contactId && e.by === 'operator') send({ type: 'seen', seq: e.seq });
        break;
      case 'contact':
        if (e.contact.id === contactId) assigneeId = e.contact.assigneeId;
        if (
          e.contact.id === contactId &&
          (e.contact.status === 'closed' || e.contact.status === 'abandoned')
        ) {
          send({ type: 'closed', contactId: e.contact.id });
          follow(null);
        }
        break;
    }
  }

  async function handle(frame: VisitorInbound) {
    if (frame.type === 'hello') {
      if (visitorId) throw new ParleyError(ErrorCode.NotReady, 'hello was already received on this socket.');
      if (frame.v !== PROTOCOL_VERSION) {
        socket.close(CloseCode.UnsupportedVersion, `protocol version ${PROTOCOL_VERSION} required`);
        return;
      }
      const result = await chat.hello(site, frame.token, {
        ip: ctx.ip,
        userAgent: ctx.userAgent,
        locale: frame.locale,
        timeZone: frame.timeZone,
        pageUrl: frame.page.url,
        pageTitle: frame.page.title,
      });
      visitorId = result.visitor.id;
      stopDeadline();
      page = { url: frame.page.url, title: frame.page.title, referrer: frame.referrer };
      identity = frame.identity;
      follow(result.open?.id ?? null);
      if (result.open) name = result.open.answers.name ?? name;
      const online = await chat.anyoneOnline(site.workspaceId);
      unwatchOnline = ctx.online.watch(site.workspaceId, online, (now) =>
        send({ type: 'online', online: now }),
      );
      send({
        type: 'welcome',
        token: result.token,
        visitorId: result.visitor.id,
        site: site.settings,
        online,
        hours: hoursState(site.settings.businessHours, (ctx.clock ?? systemClock).now()),
        identity: await ctx.describeIdentity(site, frame.identity),
        contact: result.open
          ? { id: result.open.id, status: result.open.status, lastSeq: result.open.lastSeq }
          : null,
      });
      if (result.open) await announceState(result.open);
      return;
    }
    if (!visitorId) {
      if (++framesBeforeHello > MAX_FRAMES_BEFORE_HELLO) {
        socket.close(CloseCode.HandshakeTimeout, 'too many frames before hello');
        return;
      }
      throw new ParleyError(ErrorCode.NotReady, 'Send "hello" first.');
    }
    switch (frame.type) {
      case 'start': {
        // A new conversation passes the site's captcha; resuming an open one does not ask again.
        if (!contactId) await ctx.captcha.check(site, frame.captcha, ctx.ip);
        // A new conversation is followed as soon as it is stored: its `assigned` (or its place in
        // the queue) reaches the socket from the routing pass itself. A resumed one is announced.
        let created = false;
        const c = await chat.start(site, visitorId, frame.answers, meta(), identity, (made) => {
          created = true;
          follow(made.id);
        });
        follow(c.id);
        name = c.answers.name ?? name;
        if (!created) await announceState(c);
        return;
      }
      case 'send': {
        const id = requireContact();
        const { message } = await chat.postVisitorMessage(visitorId, id, frame, name);
        send(ackFrame(frame.clientId, message));
        return;
      }
      case 'resume': {
        const { messages, deleted } = await chat.messagesForVisitor(
          visitorId,
          frame.contactId,
          frame.afterSeq,
        );
        // Deleted while this widget was away: it shows them still.
        for (const d of deleted)
          send({ type: 'deleted', contactId: frame.contactId, messageId: d.messageId });
        for (const message of messages) send({ type: 'message', message });
        return;
      }
      case 'typing':
        chat.typing(site.workspaceId, requireContact(), assigneeId, 'visitor', frame.on);
        return;
      case 'seen':
        await chat.visitorSeen(visitorId, requireContact(), frame.seq);
        return;
      case 'leave':
        await chat.leave(visitorId, requireContact());
        return;
      case 'challenge':
        send({ type: 'challenge', challenge: { ...(await ctx.captcha.challenge(site)) } });
        return;
      case 'offline': {
        if (!contactId) await ctx.captcha.check(site, frame.captcha, ctx.ip);
        const c = await chat.leaveMessage(site, visitorId, frame.answers, frame.body, meta(), identity);
        send({ type: 'offline-received', contactId: c.id });
        return;
      }
      case 'rate':
        await chat.rate(visitorId, frame.contactId, frame.score, frame.comment);
        send({ type: 'rated', contactId: frame.contactId });
        return;
      case 'callback': {
        const id = requireContact();
        await chat.requestCallback(site, visitorId, id, frame.phone);
        const c = await chat.contactById(id);
        if (c) await announceState(c);
        return;
      }
    }
  }

  /**
   * Tells a (re)connected visitor where their conversation stands. Read afresh: events published
   * before `contactId` was known here (routing inside `start`) were not forwarded.
   */
  async function announceState(contact: ContactRow) {
    const c = (await chat.contactById(contact.id)) ?? contact;
    const position = await chat.positionOf(c);
    if (position !== null) send({ type: 'queued', contactId: c.id, ...position });
    const op = await chat.assigneeOf(c);
    assigneeId = op?.id ?? null;
    if (op) send({ type: 'assigned', contactId: c.id, operator: op });
  }

  function meta() {
    return {
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      pageUrl: page.url,
      pageTitle: page.title,
      referrer: page.referrer,
    };
  }

  function requireContact(): string {
    if (!contactId) throw new ParleyError(ErrorCode.NoContact);
    return contactId;
  }

  return {
    onMessage: frameLoop({ socket, parse, allow, handle, log: ctx.log, run }),
    onClose() {
      stopDeadline();
      unwatch?.();
      unwatchOnline?.();
      gone?.();
    },
  };
}
