import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux we run on). */
const USER_HZ = 100;

/** Resident set size of a process in bytes, from /proc/<pid>/status; null off Linux or once it is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** User + system CPU time of a process in milliseconds (utime + stime of /proc/<pid>/stat). */
export function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
  } catch {
    return null;
  }
}

/** CPU of every process named `postgres` on this machine (the PostgreSQL server and its backends). */
export function postgresCpuMs(): number {
  let total = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue;
    }
    total += cpuMs(Number(name)) ?? 0;
  }
  return total;
}

/** A port nobody listens on right now (the OS picks it, then it is released). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

export interface Child {
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<number | null>;
  running(): boolean;
  /** Waits until the output matches (or the process exits, or `timeoutMs` passes). */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Children still running, killed if the bench exits without stopping them. */
const live = new Set<ChildProcess>();
/** Kills every child still running (they are in sessions of their own: a Ctrl-C does not reach them). */
export function killChildren(): void {
  for (const c of live) c.kill('SIGKILL');
}
process.on('exit', killChildren);

/** Waits for `work` (its failure too), `timeoutMs` at most. */
export async function settledWithin(work: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    work.catch(() => {}),
    new Promise<void>((done) => {
      timer = setTimeout(done, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}

/** Kills every child still running and waits until they are gone (reaped), `timeoutMs` at most. */
export async function killChildrenAndWait(timeoutMs: number): Promise<void> {
  const gone = [...live].map(
    (c) =>
      new Promise<void>((done) => {
        if (c.exitCode !== null || c.signalCode !== null) done();
        else c.once('exit', () => done());
      }),
  );
  killChildren();
  await settledWithin(Promise.all(gone), timeoutMs);
}

/** Spawns `node …args` with exactly `env` added to a clean copy of ours; output is kept (bounded). */
export function spawnNode(args: string[], env: Record<string, string | undefined>, cwd: string): Child {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['DATABASE_URL', 'PORT', 'HOST', 'PUBLIC_URL', 'PARLEY_DATA_DIR', 'VITEST', 'NODE_ENV']) {
    delete childEnv[k];
  }
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  // Each child in a session of its own, as a server and its clients are on a real machine. Linux
  // shares the CPU between sessions first (autogroups) and only then between their processes: in the
  // bench's session the generator's CPU came out of the server's share, and the server's and the
  // generator's threads queued behind each other (BENCHMARKS.md, fifteenth session).
  const child = spawn(process.execPath, args, {
    cwd,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(child);
  let out = '';
  const keep = (d: string) => {
    out += d;
    if (out.length > 1_000_000) out = out.slice(-500_000); // a chatty child must not eat our memory
  };
  child.stdout?.setEncoding('utf8').on('data', keep);
  child.stderr?.setEncoding('utf8').on('data', keep);
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (e) => keep(`\n[spawn error] ${e.message}`));
    child.on('close', (code) => {
      done = true;
      live.delete(child);
      resolve(code);
    });
  });
  return {
    child,
    pid: child.pid ?? -1,
    output: () => out,
    exited,
    running: () => !done,
    waitFor(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out);
          if (m) return resolve(m);
          if (done)
            return reject(new Error(`process exited before printing ${pattern}\n${out.slice(-4000)}`));
          if (Date.now() > deadline) {
            return reject(new Error(`no ${pattern} within ${timeoutMs} ms\n${out.slice(-4000)}`));
          }
          setTimeout(check, 50);
        };
        check();
      });
    },
    async stop(graceMs = 15_000) {
      if (done) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Values at the given percentiles (nearest rank); null when there are no samples. */
export function percentiles(samples: number[], ps: number[]): (number | null)[] {
  if (samples.length === 0) return ps.map(() => null);
  const sorted = Float64Array.from(samples).sort();
  return ps.map(
    (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!,
  );
}
