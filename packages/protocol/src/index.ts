/**
 * Parley's wire protocol: frame and body types, close codes, error codes. Types only plus a few
 * constants, so the widget pays nothing for importing it. Schemas live in `@parley/protocol/schemas`.
 */

export { DEFAULT_SITE_SETTINGS } from './defaults.js';
export {
  type AnswerCheck,
  type AnswerProblem,
  checkAnswers,
  isEmail,
  looksLikePhone,
} from './questionnaire.js';
export type {
  AddEmailBody,
  AddPhoneBody,
  Author,
  BusinessHours,
  CaptchaMode,
  Channel,
  Client,
  ClientCategory,
  ClientList,
  ContactDetails,
  ContactList,
  ContactStatus,
  ContactSummary,
  CreateClientBody,
  CreateOrderBody,
  CreateSiteBody,
  CreateUserBody,
  Deletion,
  ErrorBody,
  ImportProblem,
  ImportReport,
  LinkClientBody,
  LoginBody,
  Message,
  MessageList,
  OperatorCard,
  OperatorInbound,
  OperatorOutbound,
  OperatorProfile,
  OperatorStatus,
  Order,
  PasswordReply,
  QuestionnaireField,
  RecontactBody,
  SessionReply,
  SiteAdmin,
  SiteList,
  SiteSettings,
  Task,
  UpdateAccountBody,
  UpdateClientBody,
  UpdateOperatorBody,
  UpdateOrderBody,
  UpdateSiteBody,
  User,
  VisitorHello,
  VisitorInbound,
  VisitorOutbound,
} from './schemas.js';

/** Sent by the visitor in `hello.v`; the server refuses versions it does not speak. */
export const PROTOCOL_VERSION = 1;

/** WebSocket close codes the server uses when a peer must go away (4000-4999 are ours). */
export const CloseCode = {
  /** The Origin header is not in the site's allowed list. */
  BadOrigin: 4001,
  /** Missing or invalid session cookie, visitor token or site key. */
  Unauthorized: 4003,
  /** The site key names no site. */
  UnknownSite: 4004,
  /** The first frame did not arrive in time, or frames before `hello` exceeded the limit. */
  HandshakeTimeout: 4008,
  /** Too many frames or bytes: rate limit. */
  Flood: 4029,
  /** The protocol version in `hello` is not supported. */
  UnsupportedVersion: 4010,
  /**
   * Events for this socket may have been missed (the server's link to the other server processes
   * dropped for a moment): reconnect, and resume from the last seq, as after any other drop.
   */
  Resync: 4012,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Codes of `error` frames and REST error bodies. The server's catalog maps each to a message. */
export const ErrorCode = {
  BadJson: 'PARLEY_ERR_BAD_JSON',
  BadFrame: 'PARLEY_ERR_BAD_FRAME',
  UnknownFrame: 'PARLEY_ERR_UNKNOWN_FRAME',
  FrameTooLarge: 'PARLEY_ERR_FRAME_TOO_LARGE',
  NotReady: 'PARLEY_ERR_NOT_READY',
  Validation: 'PARLEY_ERR_VALIDATION',
  NoContact: 'PARLEY_ERR_NO_CONTACT',
  ContactClosed: 'PARLEY_ERR_CONTACT_CLOSED',
  NotFound: 'PARLEY_ERR_NOT_FOUND',
  Forbidden: 'PARLEY_ERR_FORBIDDEN',
  Unauthorized: 'PARLEY_ERR_UNAUTHORIZED',
  BadCredentials: 'PARLEY_ERR_BAD_CREDENTIALS',
  UnknownSite: 'PARLEY_ERR_UNKNOWN_SITE',
  BadOrigin: 'PARLEY_ERR_BAD_ORIGIN',
  RateLimited: 'PARLEY_ERR_RATE_LIMITED',
  /** What was asked for is someone else's: a phone, e-mail or external id of another client, a taken login. */
  Conflict: 'PARLEY_ERR_CONFLICT',
  /** The site asks for a captcha on new conversations and none was sent. */
  CaptchaRequired: 'PARLEY_ERR_CAPTCHA_REQUIRED',
  /** The captcha answer was wrong, expired or already used. */
  CaptchaFailed: 'PARLEY_ERR_CAPTCHA_FAILED',
  /** The questionnaire answers were refused; the message lists each field. */
  BadAnswers: 'PARLEY_ERR_BAD_ANSWERS',
  Internal: 'PARLEY_ERR_INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
