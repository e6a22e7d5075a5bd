import { isAbsolute, resolve } from 'node:path';

/** Everything the server reads from the environment, parsed once at boot and frozen. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly publicUrl: string;
  /** Absent: the embedded PGlite database in `dataDir`. */
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  readonly adminEmail: string;
  readonly adminPassword: string | null;
  readonly smtpUrl: string | null;
  readonly alertFrom: string | null;
  readonly amiUrl: string | null;
  readonly pbxWebhookSecret: string | null;
  readonly hcaptchaSitekey: string | null;
  readonly hcaptchaSecret: string | null;
  /**
   * Fastify's `trustProxy`: behind a reverse proxy, take the client's address from X-Forwarded-For
   * (rate limits and the visitor panel need the real one). false, true, or the proxies' addresses.
   */
  readonly trustProxy: boolean | string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Where the built widget and inbox live; tests may point elsewhere. */
  readonly assetsDir: { widget: string; inbox: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const packagesDir = resolve(import.meta.dirname, '..', '..');

/** Parses the environment; every bad value is reported with its variable's name, all at once. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const str = (name: string): string | null => {
    const v = env[name]?.trim();
    return v ? v : null;
  };

  const port = parsePort(str('PORT') ?? '3000');
  if (port === null) problems.push(`PORT must be a whole number from 0 to 65535, got "${env.PORT}"`);

  const host = str('HOST') ?? 'localhost';

  const publicUrlRaw = str('PUBLIC_URL') ?? `http://localhost:${port ?? 3000}`;
  let publicUrl = publicUrlRaw;
  try {
    const u = new URL(publicUrlRaw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
    publicUrl = u.href.replace(/\/$/, '');
  } catch {
    problems.push(
      `PUBLIC_URL must be an http(s) URL such as https://chat.example.com, got "${publicUrlRaw}"`,
    );
  }

  const databaseUrl = str('DATABASE_URL');
  if (databaseUrl !== null && !/^postgres(ql)?:\/\/.+/.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a PostgreSQL URL such as postgres://user:pass@host:5432/db');
  }

  const dataDirRaw = str('PARLEY_DATA_DIR') ?? '.parley';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(process.cwd(), dataDirRaw);

  const adminEmail = (str('ADMIN_EMAIL') ?? 'admin@parley.local').toLowerCase();
  if (!isEmail(adminEmail)) problems.push(`ADMIN_EMAIL must be an e-mail address, got "${env.ADMIN_EMAIL}"`);

  const adminPassword = str('ADMIN_PASSWORD');
  if (adminPassword !== null && adminPassword.length < 8) {
    problems.push('ADMIN_PASSWORD must be at least 8 characters long');
  }

  const smtpUrl = str('SMTP_URL');
  if (smtpUrl !== null && !/^smtps?:\/\/.+/.test(smtpUrl)) {
    problems.push('SMTP_URL must look like smtp://user:pass@host:587 or smtps://host:465');
  }
  const alertFrom = str('ALERT_FROM');
  if (alertFrom !== null && !isEmail(alertFrom.replace(/^.*<(.+)>$/, '$1'))) {
    problems.push(`ALERT_FROM must be an e-mail address, got "${alertFrom}"`);
  }
  const amiUrl = str('AMI_URL');
  if (amiUrl !== null && !/^ami:\/\/[^:@/]+:[^@/]+@[^:/]+(:\d+)?\/?$/.test(amiUrl)) {
    problems.push('AMI_URL must look like ami://user:secret@host:5038');
  }
  const hcaptchaSitekey = str('HCAPTCHA_SITEKEY');
  const hcaptchaSecret = str('HCAPTCHA_SECRET');
  if ((hcaptchaSitekey === null) !== (hcaptchaSecret === null)) {
    problems.push('HCAPTCHA_SITEKEY and HCAPTCHA_SECRET must be set together');
  }

  const trustRaw = str('TRUST_PROXY');
  let trustProxy: boolean | string = false;
  if (trustRaw !== null) {
    if (/^(true|false)$/i.test(trustRaw)) trustProxy = trustRaw.toLowerCase() === 'true';
    else if (/^[\d.:a-fA-F/]+(\s*,\s*[\d.:a-fA-F/]+)*$/.test(trustRaw)) trustProxy = trustRaw;
    else
      problems.push(
        `TRUST_PROXY must be true, false or a comma-separated list of proxy addresses, got "${trustRaw}"`,
      );
  }

  const logLevel = (str('LOG_LEVEL') ?? 'warn') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    port: port ?? 3000,
    host,
    publicUrl,
    databaseUrl,
    dataDir,
    adminEmail,
    adminPassword,
    smtpUrl,
    alertFrom,
    amiUrl,
    pbxWebhookSecret: str('PBX_WEBHOOK_SECRET'),
    hcaptchaSitekey,
    hcaptchaSecret,
    trustProxy,
    logLevel,
    assetsDir: Object.freeze({
      widget: str('PARLEY_WIDGET_DIR') ?? resolve(packagesDir, 'widget', 'dist'),
      inbox: str('PARLEY_INBOX_DIR') ?? resolve(packagesDir, 'inbox', 'dist'),
    }),
  });
}

function parsePort(v: string): number | null {
  if (!/^\d+$/.test(v)) return null;
  const n = Number(v);
  return n <= 65535 ? n : null;
}

export function isEmail(v: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) || /^[^\s@]+@[^\s@.]+\.local$/.test(v);
}
