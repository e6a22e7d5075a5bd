import { CloseCode, type OperatorInbound, type OperatorOutbound } from '@parley/protocol';
import { OperatorInbound as OperatorInboundSchema } from '@parley/protocol/schemas';
import { toUser } from '../auth/repo.js';
import type { ChatEvent } from '../bus.js';
import type { ChatService } from '../chat/service.js';
import type { SessionUser } from '../db/schema/index.js';
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
import { ackFrame, wireFrame } from './wire.js';

const parse = frameParser<OperatorInbound>(OperatorInboundSchema);

export interface OperatorConnectionContext {
  user: SessionUser;
  chat: ChatService;
  hub: Hub;
  log: { error(obj: unknown, msg?: string): void };
}

/** One operator socket, already authenticated by its session cookie. */
export function handleOperatorConnection(socket: SocketLike, ctx: OperatorConnectionContext): Connection {
  const { chat, user } = ctx;
  const run = serial();
  const allow = tokenBucket(100, 30);
  const send = (frame: OperatorOutbound) => {
    if (socket.readyState === OPEN) socket.send(JSON.stringify(frame));
  };

  // Events that arrive while the snapshot is being read are held, then replayed after `ready`,
  // so nothing committed between the snapshot and the subscription is missed.
  let held: ChatEvent[] | null = [];
  const unsubscribe = ctx.hub.onWorkspace(
    user.workspaceId,
    (e) => {
      if (held) held.push(e);
      else forward(e);
    },
    { userId: user.id, watchesAll: user.role !== 'operator' },
    () => socket.close(CloseCode.Resync, RESYNC_REASON),
  );

  // A conversation's traffic goes to whoever has it; while it waits, to everyone who could take it;
  // supervisors and admins watch them all. The queue itself (contact frames) is everyone's.
  const mine = (assigneeId: string | null) =>
    assigneeId === null || assigneeId === user.id || user.role !== 'operator';
  const put = (e: ChatEvent) => {
    const wire = wireFrame(e);
    if (wire && socket.readyState === OPEN) socket.send(wire);
  };

  function forward(e: ChatEvent) {
    switch (e.kind) {
      case 'contact':
      case 'presence':
        return put(e);
      case 'message':
      case 'deleted':
        if (mine(e.assigneeId)) put(e);
        return;
      case 'typing':
        if (e.from === 'visitor' && mine(e.assigneeId)) put(e);
        return;
      case 'seen':
        if (e.by === 'visitor' && mine(e.assigneeId)) put(e);
        return;
      case 'task':
        if (e.userId === user.id) put(e);
        return;
      case 'signed-out':
        if (e.userId === user.id) socket.close(CloseCode.Unauthorized, 'signed out');
        return;
    }
  }

  const ready = run(async () => {
    const contacts = await chat.openContacts(user.workspaceId);
    send({ type: 'ready', user: toUser(user), contacts });
    const pending = held ?? [];
    held = null;
    for (const e of pending) forward(e);
  });
  ready.catch((err: unknown) => {
    ctx.log.error({ err }, 'operator snapshot failed');
    socket.close(1011, 'snapshot failed');
  });

  async function handle(frame: OperatorInbound) {
    switch (frame.type) {
      case 'status':
        user.status = frame.status;
        return chat.setStatus(user, frame.status);
      case 'send': {
        const { message } = await chat.postOperatorMessage(user, frame.contactId, frame);
        send(ackFrame(frame.clientId, message));
        return;
      }
      case 'typing':
        await chat.contactFor(user, frame.contactId);
        chat.typing(user.workspaceId, frame.contactId, user.id, 'operator', frame.on);
        return;
      case 'seen':
        return chat.operatorSeen(user, frame.contactId, frame.seq);
      case 'resume': {
        const { messages, deleted } = await chat.messagesForOperator(user, frame.contactId, frame.afterSeq);
        for (const d of deleted) send({ type: 'deleted', contactId: frame.contactId, ...d });
        for (const message of messages) send({ type: 'message', message });
        return;
      }
      case 'accept':
        return chat.accept(user, frame.contactId);
      case 'close':
        return chat.closeByOperator(user, frame.contactId);
      case 'transfer':
        return chat.transfer(user, frame.contactId, frame.to, frame.note);
      case 'escalate':
        return chat.escalate(user, frame.contactId, frame.note);
      case 'delete':
        return chat.deleteMessage(user, frame.contactId, frame.messageId);
    }
  }

  return {
    onMessage: frameLoop({ socket, parse, allow, handle, log: ctx.log, run }),
    onClose() {
      unsubscribe();
    },
  };
}
