// The `hcaptcha` package (server-side token check) ships no types; this is its one function.
declare module 'hcaptcha' {
  export interface VerifyResponse {
    success: boolean;
    challenge_ts?: string;
    hostname?: string;
    'error-codes'?: string[];
  }
  /** POSTs to https://hcaptcha.com/siteverify. */
  export function verify(
    secret: string,
    token: string,
    remoteip?: string | null,
    sitekey?: string | null,
  ): Promise<VerifyResponse>;
}
