/**
 * TypeBox schemas of every WebSocket frame and REST body. The server validates every inbound
 * value with these; widget and inbox import only the static types from `@parley/protocol`.
 */
import { FormatRegistry, type Static, Type as T } from '@sinclair/typebox';
import { Client } from './clients.js';

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
  kind: T.Union([
    T.Literal('name'),
    T.Literal('email'),
    T.Literal('phone'),
    T.Literal('text'),
    T.Literal('choice'),
  ]),
  required: T.Boolean(),
  /** The answers a `choice` field offers (and the only ones it accepts). */
  options: T.Optional(T.Array(T.String({ minLength: 1, maxLength: 80 }), { minItems: 1, maxItems: 20 })),
});
export type QuestionnaireField = Static<typeof QuestionnaireField>;

const HourMinute = T.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$' });
/** When the team answers, in the site's time zone. No interval on a weekday: closed that day. */
export const BusinessHours = T.Object(
  {
    /** IANA zone, e.g. "Europe/Budapest". */
    timeZone: T.String({ minLength: 1, maxLength: 64 }),
    /** Opening intervals; `day` 0 = Sunday … 6 = Saturday, times "HH:MM" local, `close` after `open`. */
    intervals: T.Array(
      T.Object(
        { day: T.Integer({ minimum: 0, maximum: 6 }), open: HourMinute, close: HourMinute },
        { additionalProperties: false },
      ),
      { maxItems: 28 },
    ),
  },
  { additionalProperties: false },
);
export type BusinessHours = Static<typeof BusinessHours>;

export const CaptchaMode = T.Union([T.Literal('off'), T.Literal('altcha'), T.Literal('hcaptcha')]);
export type CaptchaMode = Static<typeof CaptchaMode>;

/** What the widget is told about its site: public, sent in `welcome`. */
export const SiteSettings = T.Object(
  {
    name: T.String({ minLength: 1, maxLength: 80 }),
    /** Launcher and header colour. */
    color: T.String({ pattern: '^#[0-9a-fA-F]{6}$' }),
    /** Logo or photo shown as the chat avatar (https URL or a data: image). */
    avatarUrl: T.Union([T.String({ maxLength: 100_000, pattern: '^(https?://|data:image/)' }), T.Null()]),
    greeting: T.String({ maxLength: 500 }),
    /** The greeting for an identified customer; `{name}` is replaced by their name. */
    greetingKnown: T.String({ maxLength: 500 }),
    /** Forces the widget's language (en, ru, ar, vi, az, hu); null follows the browser. */
    locale: T.Union([T.String({ pattern: '^[a-z]{2}$' }), T.Null()]),
    questionnaire: T.Array(QuestionnaireField, { maxItems: 12 }),
    /** Null: no hours, the team answers whenever someone is online. */
    businessHours: T.Union([BusinessHours, T.Null()]),
    /** When nobody is online: a form whose message waits in the inbox (off: the chat starts and waits in the queue). */
    offlineForm: T.Boolean(),
    /** Shown one after another while the visitor waits in the queue. */
    waitingMessages: T.Array(T.String({ minLength: 1, maxLength: 300 }), { maxItems: 10 }),
    /** After this long in the queue the widget offers a callback; null never. */
    callbackAfterSeconds: T.Union([T.Integer({ minimum: 0, maximum: 86_400 }), T.Null()]),
    /** A challenge before a new conversation. `altcha` is self-hosted proof of work. */
    captcha: CaptchaMode,
    /** Public hCaptcha site key, when `captcha` is `hcaptcha`. */
    hcaptchaSiteKey: T.Union([T.String({ minLength: 1, maxLength: 100 }), T.Null()]),
  },
  { additionalProperties: false },
);
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
  /** Deleted by an operator: visitors get the message with an empty body and hide it. */
  deletedAt: T.Union([IsoTime, T.Null()]),
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
  /** The note of the latest transfer or escalation, for whoever takes the contact next. */
  handoffNote: T.Union([T.String(), T.Null()]),
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
const Answers = T.Record(T.String({ maxLength: 40 }), T.String({ maxLength: 500 }), { maxProperties: 20 });
/** The site's captcha answer: an hCaptcha token, or the altcha payload (base64 JSON of challenge + solution). */
const CaptchaAnswer = T.String({ minLength: 1, maxLength: 8192 });
export const VisitorStart = T.Object({
  type: T.Literal('start'),
  answers: Answers,
  captcha: T.Optional(CaptchaAnswer),
});
/** Asks for a fresh altcha challenge (sites with `captcha: 'altcha'`). */
export const VisitorChallenge = T.Object({ type: T.Literal('challenge') });
/** Nobody is online: a message left through the offline form; it waits in the inbox. */
export const VisitorOffline = T.Object({
  type: T.Literal('offline'),
  answers: Answers,
  body: Body,
  captcha: T.Optional(CaptchaAnswer),
});
/** Satisfaction with an ended conversation: 1 (bad) … 5 (great), with an optional comment. */
export const VisitorRate = T.Object({
  type: T.Literal('rate'),
  contactId: Id,
  score: T.Integer({ minimum: 1, maximum: 5 }),
  comment: T.Optional(T.String({ maxLength: 1000 })),
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
  VisitorChallenge,
  VisitorOffline,
  VisitorRate,
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
/** The operator as the visitor sees them. */
export const OperatorCard = T.Object({
  id: Id,
  name: T.String(),
  avatarUrl: T.Union([T.String(), T.Null()]),
});
export type OperatorCard = Static<typeof OperatorCard>;

export const VisitorOutbound = T.Union([
  T.Object({
    type: T.Literal('welcome'),
    token: T.String(),
    visitorId: Id,
    site: SiteSettings,
    /** Some operator is online now. */
    online: T.Boolean(),
    /** The site's business hours now: open (or no hours set), else when they open next. */
    hours: T.Object({ open: T.Boolean(), opensAt: T.Union([IsoTime, T.Null()]) }),
    /** `hello.identity`: checked and matched (`name` is the client's), refused (wrong hash), or absent. */
    identity: T.Union([
      T.Object({ status: T.Literal('verified'), name: T.Union([T.String(), T.Null()]) }),
      T.Object({ status: T.Literal('rejected') }),
      T.Object({ status: T.Literal('none') }),
    ]),
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
    /** When the contact joined the queue (a transfer keeps it): the callback offer counts from here. */
    waitingSince: IsoTime,
  }),
  T.Object({
    type: T.Literal('assigned'),
    contactId: Id,
    operator: OperatorCard,
  }),
  T.Object({ type: T.Literal('message'), message: Message }),
  Ack,
  T.Object({ type: T.Literal('typing'), on: T.Boolean() }),
  T.Object({ type: T.Literal('seen'), seq: Seq }),
  T.Object({ type: T.Literal('closed'), contactId: Id }),
  /** An operator deleted a message: remove it from the conversation. */
  T.Object({ type: T.Literal('deleted'), contactId: Id, messageId: Id }),
  /** Someone came online or everyone went offline. */
  T.Object({ type: T.Literal('online'), online: T.Boolean() }),
  /** An altcha challenge to solve (answer to `challenge`). */
  T.Object({ type: T.Literal('challenge'), challenge: T.Record(T.String(), T.Unknown()) }),
  /** The offline form's message was stored. */
  T.Object({ type: T.Literal('offline-received'), contactId: Id }),
  /** The rating was stored. */
  T.Object({ type: T.Literal('rated'), contactId: Id }),
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

/** Delete a message sent by mistake (the visitor's widget removes it live; the audit log keeps it). */
export const OperatorDelete = T.Object({ type: T.Literal('delete'), contactId: Id, messageId: Id });

export const OperatorInbound = T.Union([
  OperatorDelete,
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
  /** A message was deleted, by whom and when. */
  T.Object({ type: T.Literal('deleted'), contactId: Id, messageId: Id, by: Id, at: IsoTime }),
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

/** A message deleted after a client may have had it whole: which one, who deleted it, when. */
export const Deletion = T.Object({ messageId: Id, by: Id, at: IsoTime });
export type Deletion = Static<typeof Deletion>;

export const MessageList = T.Object({
  messages: T.Array(Message),
  /**
   * The messages at or below `after` that are deleted: a client that loads or resumes after a drop had
   * them whole, and a deletion meanwhile reached it only as an event it may have missed.
   */
  deleted: T.Array(Deletion),
});
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
    /** Photo visitors see beside this operator's replies. */
    avatarUrl: T.Optional(
      T.Union([T.String({ maxLength: 100_000, pattern: '^(https?://|data:image/)' }), T.Null()]),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateOperatorBody = Static<typeof UpdateOperatorBody>;

const Role = T.Union([T.Literal('operator'), T.Literal('supervisor'), T.Literal('admin')]);
/** An admin adds someone to the team; without a password one is generated and shown once. */
export const CreateUserBody = T.Object(
  {
    email: T.String({ minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' }),
    name: T.String({ minLength: 1, maxLength: 120 }),
    role: Role,
    password: T.Optional(T.String({ minLength: 10, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type CreateUserBody = Static<typeof CreateUserBody>;
/** An admin changes someone's name or role. */
export const UpdateAccountBody = T.Object(
  { name: T.Optional(T.String({ minLength: 1, maxLength: 120 })), role: T.Optional(Role) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateAccountBody = Static<typeof UpdateAccountBody>;
/** A password for the user, shown once: the one given, or a generated one. */
export const PasswordReply = T.Object({ password: T.String() });
export type PasswordReply = Static<typeof PasswordReply>;

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
  avatarUrl: T.Union([T.String(), T.Null()]),
});
export type OperatorProfile = Static<typeof OperatorProfile>;

/** Who gets a site's contacts among the eligible operators (packages/server/README.md#routing). */
export const RoutingStrategy = T.Union([
  T.Literal('least_busy'),
  T.Literal('most_available'),
  T.Literal('most_experienced'),
  T.Literal('cheapest_first'),
  T.Literal('round_robin'),
]);
export type RoutingStrategy = Static<typeof RoutingStrategy>;

export const SiteAdmin = T.Object({
  id: Id,
  key: T.String(),
  name: T.String(),
  allowedOrigins: T.Array(T.String()),
  settings: SiteSettings,
  /** Whether an hCaptcha secret is stored (the secret itself is never sent back). */
  hcaptchaSecretSet: T.Boolean(),
  /** Signs `data-user-hash`: hex HMAC-SHA256 of the customer's id with this secret (on the site's server). */
  secret: T.String(),
  routingStrategy: RoutingStrategy,
  requiredSkills: T.Array(T.String()),
  defaultCountry: T.Union([T.String(), T.Null()]),
  createProspects: T.Boolean(),
});
export type SiteAdmin = Static<typeof SiteAdmin>;

export const SiteList = T.Object({ sites: T.Array(SiteAdmin) });

export const CreateSiteBody = T.Object(
  {
    name: T.String({ minLength: 1, maxLength: 80 }),
    allowedOrigins: T.Array(T.String({ minLength: 1, maxLength: 300 }), { minItems: 1, maxItems: 50 }),
  },
  { additionalProperties: false },
);
export type CreateSiteBody = Static<typeof CreateSiteBody>;

/** What an admin changes on a site; every field optional, `settings` merged field by field. */
export const UpdateSiteBody = T.Object(
  {
    name: T.Optional(T.String({ minLength: 1, maxLength: 80 })),
    allowedOrigins: T.Optional(T.Array(T.String({ minLength: 1, maxLength: 300 }), { maxItems: 50 })),
    settings: T.Optional(T.Partial(SiteSettings, { additionalProperties: false })),
    /** hCaptcha secret (write-only: never read back); null removes it. */
    hcaptchaSecret: T.Optional(T.Union([T.String({ minLength: 1, maxLength: 200 }), T.Null()])),
    routingStrategy: T.Optional(RoutingStrategy),
    /** Skills every chat of this site requires (a language, a product line). */
    requiredSkills: T.Optional(
      T.Array(T.String({ minLength: 1, maxLength: 40, pattern: '^[a-z0-9][a-z0-9_-]*$' }), {
        maxItems: 10,
        uniqueItems: true,
      }),
    ),
    /** ISO 3166 country for phone numbers written without a country code; null: none. */
    defaultCountry: T.Optional(T.Union([T.String({ pattern: '^[A-Z]{2}$' }), T.Null()])),
    /** No client matched: make a prospect client from the questionnaire. */
    createProspects: T.Optional(T.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateSiteBody = Static<typeof UpdateSiteBody>;
export type SiteList = Static<typeof SiteList>;

/** A page of the visitor's site. */
const Page = T.Object({ url: T.Union([T.String(), T.Null()]), title: T.Union([T.String(), T.Null()]) });

/** Everything the inbox's visitor panel shows about a contact: GET /api/v1/contacts/:id/details. */
export const ContactDetails = T.Object({
  contact: ContactSummary,
  ip: T.Union([T.String(), T.Null()]),
  /** Raw User-Agent; the inbox names browser, OS and device from it (ua-parser-js). */
  userAgent: T.Union([T.String(), T.Null()]),
  /** Where the chat started. */
  startPage: Page,
  /** Where the visitor is now (their widget's latest hello). */
  currentPage: Page,
  referrer: T.Union([T.String(), T.Null()]),
  /** The visitor's browser language and IANA time zone (for their local time). */
  locale: T.Union([T.String(), T.Null()]),
  timeZone: T.Union([T.String(), T.Null()]),
  /** How the client was found: identity, email, phone, history, created, linked. */
  clientMatch: T.Union([T.String(), T.Null()]),
  client: T.Union([Client, T.Null()]),
  /** Earlier conversations of the same client or visitor, newest first (at most 20). */
  earlier: T.Array(
    T.Object({
      id: Id,
      channel: Channel,
      status: ContactStatus,
      createdAt: IsoTime,
      closedAt: T.Union([IsoTime, T.Null()]),
      lastMessage: T.Union([T.String(), T.Null()]),
      csatScore: T.Union([T.Integer(), T.Null()]),
    }),
  ),
  /** The visitor's rating of this conversation, once ended and rated. */
  csat: T.Union([
    T.Object({
      score: T.Integer({ minimum: 1, maximum: 5 }),
      comment: T.Union([T.String(), T.Null()]),
      at: IsoTime,
    }),
    T.Null(),
  ]),
});
export type ContactDetails = Static<typeof ContactDetails>;

/** Link a contact (and its visitor's later contacts) to an existing client. */
export const LinkClientBody = T.Object({ clientId: Id }, { additionalProperties: false });
export type LinkClientBody = Static<typeof LinkClientBody>;

export const Health = T.Object({ status: T.Union([T.Literal('ok'), T.Literal('unavailable')]) });

export * from './clients.js';
