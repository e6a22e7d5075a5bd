import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, URL-safe: session cookies and visitor tokens. */
export const newToken = (): string => randomBytes(32).toString('base64url');
/** Only this is stored, so a database leak yields no usable token. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('base64url');
