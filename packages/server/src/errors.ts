import { ErrorCode } from '@parley/protocol';

/**
 * The server's error catalog: every code the API or a socket can answer with, its HTTP status and
 * its human message. Codes come from the protocol package so clients can switch on them.
 */
export const catalog = {
  [ErrorCode.BadJson]: { status: 400, message: 'The frame is not valid JSON.' },
  [ErrorCode.BadFrame]: { status: 400, message: 'The frame does not match its schema: %s' },
  [ErrorCode.UnknownFrame]: { status: 400, message: 'Unknown frame type "%s".' },
  [ErrorCode.FrameTooLarge]: { status: 413, message: 'The frame is larger than %s bytes.' },
  [ErrorCode.NotReady]: { status: 409, message: '%s' },
  [ErrorCode.Validation]: { status: 400, message: '%s' },
  [ErrorCode.NoContact]: { status: 409, message: 'There is no open conversation; send "start" first.' },
  [ErrorCode.ContactClosed]: { status: 409, message: 'This conversation is closed.' },
  [ErrorCode.NotFound]: { status: 404, message: '%s was not found.' },
  [ErrorCode.Forbidden]: { status: 403, message: '%s' },
  [ErrorCode.Unauthorized]: { status: 401, message: 'Log in first.' },
  [ErrorCode.BadCredentials]: { status: 401, message: 'Wrong e-mail or password.' },
  [ErrorCode.UnknownSite]: { status: 404, message: 'No site has the key "%s".' },
  [ErrorCode.BadOrigin]: { status: 403, message: 'The origin "%s" is not allowed for this site.' },
  [ErrorCode.RateLimited]: { status: 429, message: 'Too many requests; try again in a moment.' },
  [ErrorCode.Conflict]: { status: 409, message: '%s' },
  [ErrorCode.CaptchaRequired]: {
    status: 400,
    message: 'This site asks for a captcha before a new conversation.',
  },
  [ErrorCode.CaptchaFailed]: { status: 400, message: 'The captcha was not passed: %s.' },
  [ErrorCode.BadAnswers]: { status: 400, message: '%s' },
  [ErrorCode.Internal]: { status: 500, message: 'Something went wrong on our side; it has been logged.' },
} as const satisfies Record<ErrorCode, { status: number; message: string }>;

export class ParleyError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    detail?: string,
    options?: ErrorOptions,
  ) {
    const entry = catalog[code];
    super(entry.message.replace('%s', detail ?? ''), options);
    this.name = 'ParleyError';
    this.statusCode = entry.status;
  }

  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}

export const fail = (code: ErrorCode, detail?: string): never => {
  throw new ParleyError(code, detail);
};
