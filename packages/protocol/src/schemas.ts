/**
 * TypeBox schemas of every WebSocket frame and REST body. The server validates every inbound
 * value with these; widget and inbox import only the static types from `@parley/protocol`.
 */
import { FormatRegistry, type Static, Type as T } from '@sinclair/typebox';

// TypeBox checks formats only when they are registered; these are the ones the schemas use.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
if (!FormatRegistry.Has('uuid')) FormatRegistry.Set('uuid', (v) => UUID.test(v));
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => !Number.isNaN(Date.parse(v)));

/** Longest message body, in characters. */
export const MAX_BODY_CHARS = 4000;
/** Longest frame the server accepts on any socket, in bytes. */
export const MAX_FRAME_BYTES = 16 * 1024;

const Id = T.String({ format: 'uuid' });
const ClientMessageId = T.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
const Body = T.String({ minLength: 1, maxLength: MAX_BODY_CHARS });
const Seq = T.Integer({ minimum: 0 });
const IsoTime = T.String({ format: 'date-time' });
const Url = T.String({ maxLength: 2048 });

// ---------------------------------------------------------------------------------------------
// Shared shapes

export const QuestionnaireField = T.Object({
  name: T.String({ minLength: 1, maxLength: 40, pattern: '^[a-z][a-z0-9_]*$' }),
  label: T.String({ minLength: 1, maxLength: 120 }),
  kind: T.Union([T.Literal('name'), T.Literal('email'), T.Literal('phone'), T.Literal('text')]),
  required: T.Boolean(),
});
export type QuestionnaireField = Static<typeof QuestionnaireField>;

export const SiteSettings = T.Object({
  name: T.String(),
  color: T.String(),
  greeting: T.String(),
  questionnaire: T.Array(QuestionnaireField),
});
export type SiteSettings = Static<typeof SiteSettings>;

export const Author = T.Object({
  kind: T.Union([T.Literal('visitor'), T.Literal('operator'), T.Literal('system')]),
  id: T.Union([Id, T.Null()]),
  name: T.String(),
});
export type Author = Static<typeof Author>;

export const Message = T.Object({
  id: Id,
  contactId: Id,
  seq: Seq,
  author: Author,
  body: T.String(),
  quoteId: T.Union([Id, T.Null()]),
  clientId: T.Union([T.String(), T.Null()]),
  createdAt: IsoTime,
});
export type Message = Static<typeof Message>;

export const ContactStatus = T.Union([
  T.Literal('new'),
  T.Literal('queued'),
  T.Literal('assigned'),
  T.Literal('active'),
  T.Literal('closed'),
  T.Literal('abandoned'),
]);
export type ContactStatus = Static<typeof ContactStatus>;

export const OperatorStatus = T.Union([T.Literal('online'), T.Literal('away'), T.Literal('offline')]);
export type OperatorStatus = Static<typeof OperatorStatus>;

/** What the inbox shows of a contact in the queue and the conversation header. */
export const Channel = T.Union([T.Literal('chat'), T.Literal('voice'), T.Literal('callback')]);
export type Channel = Static<typeof Channel>;

export const ContactSummary = T.Object({
  id: Id,
  siteId: Id,
  channel: Channel,
  priority: T.Integer(),
  requiredSkills: T.Array(T.String()),
  clientId: T.Union([Id, T.Null()]),
  /** Phone to call back (E.164) when the channel is `callback`. */
  callbackPhone: T.Union([T.String(), T.Null()]),
  status: ContactStatus,
  visitorName: T.String(),
  answers: T.Record(T.String(), T.String()),
  assigneeId: T.Union([Id, T.Null()]),
  lastSeq: Seq,
  lastMessage: T.Union([T.String(), T.Null()]),
  lastMessageAt: T.Union([IsoTime, T.Null()]),
  enqueuedAt: T.Union([IsoTime, T.Null()]),
  firstResponseAt: T.Union([IsoTime, T.Null()]),
  closedAt: T.Union([IsoTime, T.Null()]),
  createdAt: IsoTime,
  pageUrl: T.Union([T.String(), T.Null()]),
  visitorLastSeenAt: T.Union([IsoTime, T.Null()]),
});
export type ContactSummary = Static<typeof ContactSummary>;

export const User = T.Object({
  id: Id,
  email: T.String(),
  name: T.String(),
  role: T.Union([T.Literal('operator'), T.Literal('supervisor'), T.Literal('admin')]),
  status: OperatorStatus,
});
export type User = Static<typeof User>;

export const ErrorBody = T.Object({
  code: T.String(),
  message: T.String(),
});
export type ErrorBody = Static<typeof ErrorBody>;

// ---------------------------------------------------------------------------------------------
// Visitor socket: GET /ws/visitor?site=SITE_KEY

export const VisitorHello = T.Object({
  type: T.Literal('hello'),
  v: T.Integer({ minimum: 1 }),
  token: T.Optional(T.String({ minLength: 20, maxLength: 200 })),
  page: T.Object({ url: Url, title: T.String({ maxLength: 500 }) }),
  referrer: T.Optional(Url),
  /** A logged-in customer of the site: `data-user-id` and `data-user-hash` (hex HMAC-SHA256 of the id with the site secret). */
  identity: T.Optional(
    T.Object({
      userId: T.String({ minLength: 1, maxLength: 200 }),
      hash: T.String({ minLength: 64, maxLength: 64, pattern: '^[0-9a-fA-F]{64}$' }),
    }),
  ),
  locale: T.Optional(T.String({ maxLength: 35 })),
  timeZone: T.Optional(T.String({ maxLength: 64 })),
});
export const VisitorStart = T.Object({
  type: T.Literal('start'),
  answers: T.Record(T.String({ maxLength: 40 }), T.String({ maxLength: 500 }), { maxProperties: 20 }),
});
export const VisitorSend = T.Object({
  type: T.Literal('send'),
  clientId: ClientMessageId,
  body: Body,
  quoteId: T.Optional(Id),
});
export const VisitorTyping = T.Object({ type: T.Literal('typing'), on: T.Boolean() });
export const VisitorSeen = T.Object({ type: T.Literal('seen'), seq: Seq });
export const VisitorResume = T.Object({ type: T.Literal('resume'), contactId: Id, afterSeq: Seq });
export const VisitorLeave = T.Object({ type: T.Literal('leave') });
/** While queued: call me back at this number instead; the contact keeps its place in the queue. */
export const VisitorCallback = T.Object({
  type: T.Literal('callback'),
  phone: T.String({ minLength: 3, maxLength: 40 }),
});

export const VisitorInbound = T.Union([
  VisitorHello,
  VisitorStart,
  VisitorSend,
  VisitorTyping,
  VisitorSeen,
  VisitorResume,
  VisitorLeave,
  VisitorCallback,
]);
export type VisitorInbound = Static<typeof VisitorInbound>;
export type VisitorHello = Static<typeof VisitorHello>;
export type VisitorStart = Static<typeof VisitorStart>;
export type VisitorSend = Static<typeof VisitorSend>;

/** A `send` was stored: its client id, the stored message's id and seq. */
const Ack = T.Object({
  type: T.Literal('ack'),
  contactId: Id,
  clientId: T.String(),
  id: Id,
  seq: Seq,
  createdAt: IsoTime,
});

const ErrorFrame = T.Object({
  type: T.Literal('error'),
  code: T.String(),
  message: T.String(),
  /** The `clientId` of the frame that failed, when it had one. */
  ref: T.Optional(T.String()),
});

export const OpenContact = T.Object({ id: Id, status: ContactStatus, lastSeq: Seq });

export const VisitorOutbound = T.Union([
  T.Object({
    type: T.Literal('welcome'),
    token: T.String(),
    visitorId: Id,
    site: SiteSettings,
    online: T.Boolean(),
    /** The visitor's conversation that is still open, if any: the widget resumes it. */
    contact: T.Union([OpenContact, T.Null()]),
  }),
  T.Object({
    type: T.Literal('queued'),
    contactId: Id,
    position: T.Integer({ minimum: 1 }),
    /** From the recent waits of this workspace; null while there is no history to estimate from. */
    estimatedWaitSeconds: T.Union([T.Integer({ minimum: 0 }), T.Null()]),
    channel: Channel,
  }),
  T.Object({
    type: T.Literal('assigned'),
    contactId: Id,
    operator: T.Object({ id: Id, name: T.String() }),
  }),
  T.Object({ type: T.Literal('message'), message: Message }),
  Ack,
  T.Object({ type: T.Literal('typing'), on: T.Boolean() }),
  T.Object({ type: T.Literal('seen'), seq: Seq }),
  T.Object({ type: T.Literal('closed'), contactId: Id }),
  ErrorFrame,
]);
export type VisitorOutbound = Static<typeof VisitorOutbound>;

// ---------------------------------------------------------------------------------------------
// Operator socket: GET /ws/operator (session cookie)

export const OperatorStatusFrame = T.Object({ type: T.Literal('status'), status: OperatorStatus });
export const OperatorSend = T.Object({
  type: T.Literal('send'),
  contactId: Id,
  clientId: ClientMessageId,
  body: Body,
  quoteId: T.Optional(Id),
});
export const OperatorTyping = T.Object({ type: T.Literal('typing'), contactId: Id, on: T.Boolean() });
export const OperatorSeen = T.Object({ type: T.Literal('seen'), contactId: Id, seq: Seq });
export const OperatorResume = T.Object({ type: T.Literal('resume'), contactId: Id, afterSeq: Seq });
export const OperatorAccept = T.Object({ type: T.Literal('accept'), contactId: Id });
export const OperatorClose = T.Object({ type: T.Literal('close'), contactId: Id });
const Note = T.String({ maxLength: 1000 });
/** Hand the contact to one operator, or back to the queue for a team (everyone with a skill). */
export const OperatorTransfer = T.Object({
  type: T.Literal('transfer'),
  contactId: Id,
  to: T.Union([T.Object({ operatorId: Id }), T.Object({ skill: T.String({ minLength: 1, maxLength: 40 }) })]),
  note: T.Optional(Note),
});
/** Re-queue for operators of a higher cost tier than the escalating one (`cheapest_first`). */
export const OperatorEscalate = T.Object({
  type: T.Literal('escalate'),
  contactId: Id,
  note: T.Optional(Note),
});

export const OperatorInbound = T.Union([
  OperatorStatusFrame,
  OperatorSend,
  OperatorTyping,
  OperatorSeen,
  OperatorResume,
  OperatorAccept,
  OperatorClose,
  OperatorTransfer,
  OperatorEscalate,
]);
export type OperatorInbound = Static<typeof OperatorInbound>;

export const Task = T.Object({
  id: Id,
  title: T.String(),
  assigneeId: Id,
  contactId: T.Union([Id, T.Null()]),
  clientId: T.Union([Id, T.Null()]),
  orderId: T.Union([Id, T.Null()]),
  dueAt: T.Union([IsoTime, T.Null()]),
  doneAt: T.Union([IsoTime, T.Null()]),
  createdAt: IsoTime,
});
export type Task = Static<typeof Task>;

export const OperatorOutbound = T.Union([
  /** First frame after the upgrade: who you are and every open contact you may see. */
  T.Object({ type: T.Literal('ready'), user: User, contacts: T.Array(ContactSummary) }),
  T.Object({ type: T.Literal('contact'), contact: ContactSummary }),
  T.Object({ type: T.Literal('message'), message: Message }),
  Ack,
  T.Object({ type: T.Literal('typing'), contactId: Id, on: T.Boolean() }),
  T.Object({ type: T.Literal('seen'), contactId: Id, seq: Seq }),
  T.Object({ type: T.Literal('presence'), userId: Id, status: OperatorStatus }),
  /** A task for this operator (a contact of a client whose order they own). */
  T.Object({ type: T.Literal('task'), task: Task }),
  ErrorFrame,
]);
export type OperatorOutbound = Static<typeof OperatorOutbound>;

// ---------------------------------------------------------------------------------------------
// REST bodies: /api/v1/…

export const LoginBody = T.Object({
  email: T.String({ minLength: 3, maxLength: 254 }),
  password: T.String({ minLength: 1, maxLength: 200 }),
});
export type LoginBody = Static<typeof LoginBody>;

export const SessionReply = T.Object({ user: User });
export type SessionReply = Static<typeof SessionReply>;

export const ContactList = T.Object({ contacts: T.Array(ContactSummary) });
export type ContactList = Static<typeof ContactList>;

export const MessageList = T.Object({ messages: T.Array(Message) });
export type MessageList = Static<typeof MessageList>;

/** Someone called or texted an abandoned visitor back. */
export const RecontactBody = T.Object({
  channel: T.Union([T.Literal('call'), T.Literal('sms')]),
  note: T.Optional(T.String({ maxLength: 1000 })),
});
export type RecontactBody = Static<typeof RecontactBody>;
/** What a supervisor sets per operator; every field optional, the rest left as it is. */
export const UpdateOperatorBody = T.Object(
  {
    maxChats: T.Optional(T.Integer({ minimum: 1, maximum: 50 })),
    skills: T.Optional(
      T.Array(T.String({ minLength: 1, maxLength: 40, pattern: '^[a-z0-9][a-z0-9_-]*$' }), {
        maxItems: 30,
        uniqueItems: true,
      }),
    ),
    experience: T.Optional(T.Integer({ minimum: 1, maximum: 10 })),
    costTier: T.Optional(T.Integer({ minimum: 1, maximum: 10 })),
    extension: T.Optional(T.Union([T.String({ pattern: '^[0-9*#]{1,15}$' }), T.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateOperatorBody = Static<typeof UpdateOperatorBody>;

export const OperatorProfile = T.Object({
  id: Id,
  name: T.String(),
  email: T.String(),
  role: T.String(),
  status: OperatorStatus,
  maxChats: T.Integer(),
  skills: T.Array(T.String()),
  experience: T.Integer(),
  costTier: T.Integer(),
  extension: T.Union([T.String(), T.Null()]),
});
export type OperatorProfile = Static<typeof OperatorProfile>;

export const SiteAdmin = T.Object({
  id: Id,
  key: T.String(),
  name: T.String(),
  allowedOrigins: T.Array(T.String()),
  settings: SiteSettings,
});
export type SiteAdmin = Static<typeof SiteAdmin>;

export const SiteList = T.Object({ sites: T.Array(SiteAdmin) });
export type SiteList = Static<typeof SiteList>;

export const Health = T.Object({ status: T.Union([T.Literal('ok'), T.Literal('unavailable')]) });

export * from './clients.js';
