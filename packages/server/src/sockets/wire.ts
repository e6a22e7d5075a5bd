import type { Message, OperatorOutbound } from '@parley/protocol';
import type { ChatEvent } from '../bus.js';

/** The `ack` of a stored message, to the socket that sent it (`clientId`: the sender's id for it). */
export const ackFrame = (clientId: string, m: Message) =>
  ({
    type: 'ack',
    contactId: m.contactId,
    clientId,
    id: m.id,
    seq: m.seq,
    createdAt: m.createdAt,
  }) as const;

// One event goes to many operator sockets: turn it into its frame's JSON once, not once per socket.
// (A message's frame is the same for its visitor: their socket sends this one too.)
const wired = new WeakMap<ChatEvent, string | null>();
export function wireFrame(e: ChatEvent): string | null {
  let wire = wired.get(e);
  if (wire === undefined) {
    const frame = toFrame(e);
    wire = frame ? JSON.stringify(frame) : null;
    wired.set(e, wire);
  }
  return wire;
}

function toFrame(e: ChatEvent): OperatorOutbound | null {
  switch (e.kind) {
    case 'contact':
      return { type: 'contact', contact: e.contact };
    case 'message':
      return { type: 'message', message: e.message };
    case 'typing':
      return { type: 'typing', contactId: e.contactId, on: e.on };
    case 'seen':
      return { type: 'seen', contactId: e.contactId, seq: e.seq };
    case 'presence':
      return { type: 'presence', userId: e.userId, status: e.status };
    case 'task':
      return { type: 'task', task: e.task };
    case 'deleted':
      return { type: 'deleted', contactId: e.contactId, messageId: e.messageId, by: e.by, at: e.at };
    default:
      return null;
  }
}
