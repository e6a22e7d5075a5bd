import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GiveUp, waitUntil } from './cleanup.js';
import { demoSiteScript, repoRoot, serverMain } from './paths.js';
import { type FreshDatabase, freshDatabase, testDatabaseUrl } from './postgres.js';

/** Every variable the server or the demo site reads: never inherited from the test's environment. */
const OWN_VARS = [
  'PORT',
  'HOST',
  'PUBLIC_URL',
  'PARLEY_DATA_DIR',
  'ADMIN_EMAIL',
  'ADMIN_PASSWORD',
  'DATABASE_URL',
  'LOG_LEVEL',
  'SMTP_URL',
  'ALERT_FROM',
  'AMI_URL',
  'PBX_WEBHOOK_SECRET',
  'HCAPTCHA_SITEKEY',
  'HCAPTCHA_SECRET',
  'PARLEY_WIDGET_DIR',
  'PARLEY_INBOX_DIR',
  'PARLEY_URL',
  'SITE_KEY',
  'DEMO_PORT',
  'DEMO_HOST',
  'DEMO_LOCALE',
];

function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const k of OWN_VARS) delete out[k];
  // vitest's own markers would make nothing different, but keep the child a plain production run.
  delete out.VITEST;
  delete out.NODE_ENV;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** A port nobody listens on right now (the OS picks it; it is released before we hand it out). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

/** Children still running, killed if the test process exits without cleaning up. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export interface Proc {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Output of both streams, for error messages. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnNode(
  script: string,
  env: Record<string, string | undefined>,
  label: string,
  nodeArgs: readonly string[] = [],
): Proc {
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd: repoRoot,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('error', (e) => {
      err += `\n[spawn error] ${e.message}`;
    });
    child.on('close', (code, signal) => {
      done = true;
      live.delete(child);
      resolve({ code, signal });
    });
  });
  const output = () => `--- ${label} stdout ---\n${out}\n--- ${label} stderr ---\n${err}`;
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    output,
    exited,
    running: () => !done,
    async stop(graceMs = 10_000) {
      if (done) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

export interface StartOptions {
  /** Extra or overriding variables (PORT and PUBLIC_URL are chosen here unless given). */
  env?: Record<string, string | undefined>;
  /** Reuse a data folder (it is then not deleted on stop). Default: a fresh temporary folder. */
  dataDir?: string;
  /**
   * The database: `undefined` = PGlite, or, when the test run has DATABASE_URL, a fresh PostgreSQL
   * database dropped on stop; a string = that database (kept on stop); `null` = PGlite always.
   */
  databaseUrl?: string | null;
  /** ADMIN_PASSWORD; `null` leaves it unset so the server generates one and prints it. */
  adminPassword?: string | null;
  /** How long to wait for /healthz and the start banner. */
  timeoutMs?: number;
  /** Flags for `node` before the script (V8's, for instance). */
  nodeArgs?: string[];
}

export interface Parley {
  url: string;
  port: number;
  siteKey: string;
  adminEmail: string;
  /** The password printed in the banner, or the ADMIN_PASSWORD we set. */
  adminPassword: string;
  dataDir: string;
  databaseUrl: string | null;
  proc: Proc;
  stdout(): string;
  stderr(): string;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export const DEFAULT_ADMIN_EMAIL = 'admin@parley.local';
export const DEFAULT_ADMIN_PASSWORD = 'e2e-secret-password';

/** Runs `node packages/server/dist/main.js` on a free loopback port and waits until it serves. */
export async function startParley(options: StartOptions = {}): Promise<Parley> {
  const port = options.env?.PORT ? Number(options.env.PORT) : await freePort();
  const url = `http://localhost:${port}`;
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'parley-e2e-')));
  let fresh: FreshDatabase | null = null;
  let databaseUrl: string | null = null;
  if (typeof options.databaseUrl === 'string') databaseUrl = options.databaseUrl;
  else if (options.databaseUrl === undefined) {
    const base = testDatabaseUrl();
    if (base) {
      fresh = await freshDatabase(base);
      databaseUrl = fresh.url;
    }
  }
  const adminPassword = options.adminPassword === undefined ? DEFAULT_ADMIN_PASSWORD : options.adminPassword;
  const env = {
    PORT: String(port),
    HOST: 'localhost',
    PUBLIC_URL: url,
    PARLEY_DATA_DIR: dataDir,
    ADMIN_PASSWORD: adminPassword ?? undefined,
    DATABASE_URL: databaseUrl ?? undefined,
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const proc = spawnNode(serverMain, env, `parley :${port}`, options.nodeArgs);
  const release = async () => {
    await fresh?.drop();
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntil(
      `${url}/healthz and the start banner`,
      async () => {
        if (!proc.running()) throw new GiveUp('the process exited');
        if (!/ {2}widget: .*data-site="/.test(proc.stdout())) return false;
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
        return res.status === 200;
      },
      {
        timeoutMs: options.timeoutMs ?? 60_000,
        intervalMs: 150,
        detail: () => `process ${proc.running() ? 'still running' : 'exited'}\n${proc.output()}`,
      },
    );
  } catch (err) {
    await proc.stop(2000);
    await release();
    throw err;
  }
  const stdout = proc.stdout();
  const siteKey = /data-site="([^"]+)"/.exec(stdout)?.[1];
  const admin = / {2}admin: {4}(\S+)(?: \/ (.+))?/.exec(stdout);
  if (!siteKey || !admin?.[1]) {
    await proc.stop(2000);
    await release();
    throw new Error(`could not read the site key and admin from the banner\n${proc.output()}`);
  }
  const printed = admin[2] && !admin[2].startsWith('(') ? admin[2].trim() : null;
  return {
    url,
    port,
    siteKey,
    adminEmail: admin[1],
    adminPassword: printed ?? adminPassword ?? '',
    dataDir,
    databaseUrl,
    proc,
    stdout: proc.stdout,
    stderr: proc.stderr,
    async stop() {
      const result = await proc.stop();
      await release();
      return result;
    },
  };
}

/** Runs the server expecting it to exit by itself (bad configuration); bounded. */
export async function runParleyToExit(
  env: Record<string, string | undefined>,
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawnNode(serverMain, { LOG_LEVEL: 'warn', ...env }, 'parley (bad config)');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
  const { code } = await proc.exited;
  clearTimeout(timer);
  return { code, stdout: proc.stdout(), stderr: proc.stderr() };
}

export interface DemoSite {
  url: string;
  port: number;
  stop(): Promise<unknown>;
}

/** The sample shop of examples/demo-site on its own origin (http://HOST:PORT), embedding the widget. */
export async function startDemoSite(
  parleyUrl: string,
  siteKey: string,
  { host = '127.0.0.1' }: { host?: string } = {},
): Promise<DemoSite> {
  const port = await freePort(host);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const proc = spawnNode(
    demoSiteScript,
    { PARLEY_URL: parleyUrl, SITE_KEY: siteKey, DEMO_PORT: String(port), DEMO_HOST: host },
    `demo site ${url}`,
  );
  try {
    await waitUntil(
      `${url}/`,
      async () => {
        if (!proc.running()) throw new GiveUp('the process exited');
        const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(2000) });
        return res.status === 200;
      },
      { timeoutMs: 20_000, detail: proc.output },
    );
  } catch (err) {
    await proc.stop(2000);
    throw err;
  }
  return { url, port, stop: () => proc.stop() };
}
