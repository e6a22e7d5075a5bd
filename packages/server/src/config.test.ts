import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('configuration from the environment', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      host: 'localhost',
      publicUrl: 'http://localhost:3000',
      databaseUrl: null,
    });
    expect(c.dataDir).toMatch(/\.parley$/);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reports every bad value with its variable name, all at once', () => {
    let err: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        PUBLIC_URL: 'ftp://x',
        DATABASE_URL: 'mysql://x',
        ADMIN_EMAIL: 'nobody',
        ADMIN_PASSWORD: 'short',
        SMTP_URL: 'mail.example.com',
        AMI_URL: 'http://x',
        HCAPTCHA_SITEKEY: 'k',
        TRUST_PROXY: 'the caddy box',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const names = (err as ConfigError).problems.map((p) => p.split(' ')[0]);
    expect(names).toEqual([
      'PORT',
      'PUBLIC_URL',
      'DATABASE_URL',
      'ADMIN_EMAIL',
      'ADMIN_PASSWORD',
      'SMTP_URL',
      'AMI_URL',
      'HCAPTCHA_SITEKEY',
      'TRUST_PROXY',
    ]);
    expect((err as ConfigError).message).toContain(
      'PORT must be a whole number from 0 to 65535, got "eighty"',
    );
  });

  it('accepts a full production setting', () => {
    const c = loadConfig({
      PORT: '8080',
      PUBLIC_URL: 'https://chat.example.com/',
      DATABASE_URL: 'postgres://u:p@db:5432/parley',
      AMI_URL: 'ami://parley:secret@pbx.local:5038',
      SMTP_URL: 'smtp://u:p@mail:587',
      TRUST_PROXY: '10.0.0.0/8, 172.16.0.0/12',
    });
    expect(c.trustProxy).toBe('10.0.0.0/8, 172.16.0.0/12');
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '10.1.2.3' }).trustProxy).toBe('10.1.2.3');
    expect(c).toMatchObject({
      port: 8080,
      publicUrl: 'https://chat.example.com',
      databaseUrl: 'postgres://u:p@db:5432/parley',
    });
  });
});
