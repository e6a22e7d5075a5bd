import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { GeneratorConfig, GeneratorResult } from './generator.js';
import { repoRoot } from './paths.js';
import { spawnNode } from './proc.js';
import type { Measured } from './table.js';
import { benchDist, postgresReachable, startParley, startRelay, type Target } from './targets.js';
import { readTimeline, TIMELINE_ENV, TIMELINE_ROLE_ENV } from './timeline.js';

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchOptions {
  visitors: number;
  operators: number;
  /** Messages per second, both directions together. */
  rate: number;
  seconds: number;
  warmup: number;
  idle: number;
  /** New chats per second during the window. */
  churn: number;
  /** Which Parley databases: PGlite, PostgreSQL, or both (PostgreSQL only when reachable). */
  db: 'pglite' | 'postgres' | 'both';
  postgresUrl: string;
  /** Skip the relay (its column is then missing and no ratios are printed). */
  baseline: boolean;
  /** Write each server's V8 CPU profile (node --cpu-prof) into this folder. */
  cpuProfDir: string | null;
  /** Extra flags for every server's `node` (the relay's too), e.g. V8's GC flags. */
  nodeFlags: string[];
  /** Write what each server printed into this folder as `<target>.log`. */
  outputDir: string | null;
  /**
   * Record each window message's send time and latency, and each server's collections and event-loop
   * gaps, into this folder, and match them (timeline.ts).
   */
  timelineDir: string | null;
  log: (line: string) => void;
}

export const DEFAULTS: Omit<BenchOptions, 'log'> = {
  visitors: 200,
  operators: 20,
  rate: 1000,
  seconds: 15,
  warmup: 3,
  idle: 1000,
  churn: 5,
  db: 'both',
  postgresUrl: process.env.DATABASE_URL?.trim() || DEFAULT_POSTGRES_URL,
  baseline: true,
  cpuProfDir: null,
  nodeFlags: [],
  outputDir: null,
  timelineDir: null,
};

export interface BenchRun {
  measured: Measured[];
  skipped: string[];
}

/** Runs the generator against each target in turn (baseline first), each target its own process. */
export async function runBench(opts: BenchOptions): Promise<BenchRun> {
  const starts: { name: string; start: () => Promise<Target> }[] = [];
  const skipped: string[] = [];
  if (opts.timelineDir) mkdirSync(opts.timelineDir, { recursive: true });
  // Where each server's preload writes its collections (only `--timeline` loads the preload).
  const env: Record<string, string> = opts.timelineDir ? { [TIMELINE_ENV]: opts.timelineDir } : {};
  const nodeArgs = (label: string) => {
    const args = [...opts.nodeFlags];
    if (opts.timelineDir) args.push('--import', join(benchDist, 'timeline-preload.js'));
    if (!opts.cpuProfDir) return args;
    const dir = join(opts.cpuProfDir, label);
    mkdirSync(dir, { recursive: true });
    return [...args, '--cpu-prof', `--cpu-prof-dir=${dir}`];
  };
  if (opts.baseline)
    starts.push({
      name: 'relay',
      start: () => startRelay({ operators: opts.operators, nodeArgs: nodeArgs('relay'), env }),
    });
  if (opts.db !== 'postgres') {
    starts.push({
      name: 'pglite',
      start: () =>
        startParley({ operators: opts.operators, postgresUrl: null, nodeArgs: nodeArgs('pglite'), env }),
    });
  }
  if (opts.db !== 'pglite') {
    if (await postgresReachable(opts.postgresUrl)) {
      starts.push({
        name: 'postgres',
        start: () =>
          startParley({
            operators: opts.operators,
            postgresUrl: opts.postgresUrl,
            nodeArgs: nodeArgs('postgres'),
            env,
          }),
      });
    } else if (opts.db === 'postgres') {
      throw new Error(`PostgreSQL does not answer at ${opts.postgresUrl}`);
    } else {
      skipped.push(`PostgreSQL (not reachable at ${opts.postgresUrl})`);
    }
  }

  const measured: Measured[] = [];
  for (const { name, start } of starts) {
    const target = await start();
    const where = target.database ? `, data in ${target.database}` : '';
    opts.log(`${target.name}: started (pid ${target.pid}, ${target.url}${where}); driving it…`);
    try {
      const messages = opts.timelineDir ? join(opts.timelineDir, `${name}-messages.json`) : null;
      const { result, generatorPid } = await drive(target, opts, messages);
      const timeline = messages ? readTimeline(messages, target.pid, generatorPid) : undefined;
      measured.push({ target: target.name, result, ...(timeline ? { timeline } : {}) });
      opts.log(
        `${target.name}: ${result.deliveredPerSecond.toFixed(0)} msg/s delivered, phases ${JSON.stringify(result.phaseSeconds)}` +
          (Object.keys(result.errors).length ? `, errors ${JSON.stringify(result.errors)}` : ''),
      );
    } finally {
      await target.stop();
      if (opts.outputDir) {
        mkdirSync(opts.outputDir, { recursive: true });
        writeFileSync(join(opts.outputDir, `${name}.log`), target.output());
      }
    }
  }
  return { measured, skipped };
}

/**
 * The generator's `node` flags. It plays thousands of browsers that would each collect on their own
 * machine: a pause of its own delays every message it reads meanwhile, and the table would count it
 * as the server's. A 64 MB young generation lets a message's objects die young (14 young collections
 * in a 15 s window instead of 55), and a fixed growing factor keeps the old generation from being
 * collected in the window at all: with V8's own factor, which it lowers for a program that promotes
 * little, it collected every 1-3 s in some runs, each time stalling for 15-40 ms (BENCHMARKS.md,
 * seventeenth session).
 */
export const GENERATOR_NODE_FLAGS = ['--max-semi-space-size=64', '--heap-growing-percent=400'];

/** The generator in its own process against one target; bounded by a hard deadline. */
async function drive(
  target: Target,
  opts: BenchOptions,
  timelineFile: string | null,
): Promise<{ result: GeneratorResult; generatorPid: number }> {
  // Setup (logins, idle and chatting sockets) scales with the counts; the window with the seconds.
  const setupMs = 60_000 + (opts.idle + opts.visitors) * 20 + opts.operators * 500;
  const hardDeadlineMs = setupMs + (opts.warmup + opts.seconds) * 1000 + 30_000;
  const config: GeneratorConfig = {
    url: target.url,
    siteKey: target.siteKey,
    operators: target.operators,
    visitors: opts.visitors,
    idle: opts.idle,
    rate: opts.rate,
    seconds: opts.seconds,
    warmupSeconds: opts.warmup,
    churnPerSecond: opts.churn,
    serverPid: target.pid,
    postgresCpu: target.postgres,
    databaseUrl: target.databaseUrl,
    hardDeadlineMs,
    timelineFile,
  };
  const timeline = timelineFile
    ? {
        args: ['--import', join(benchDist, 'timeline-preload.js')],
        env: { [TIMELINE_ENV]: dirname(timelineFile), [TIMELINE_ROLE_ENV]: 'generator' },
      }
    : { args: [], env: {} };
  const gen = spawnNode(
    [...GENERATOR_NODE_FLAGS, ...timeline.args, join(benchDist, 'generator.js')],
    { BENCH_CONFIG: JSON.stringify(config), ...timeline.env },
    repoRoot,
  );
  const timer = setTimeout(() => gen.child.kill('SIGKILL'), hardDeadlineMs + 5000);
  const code = await gen.exited;
  clearTimeout(timer);
  const line = /^BENCH_RESULT (.+)$/m.exec(gen.output())?.[1];
  if (code !== 0 || !line)
    throw new Error(
      `the generator failed (exit ${code}) against ${target.name}:\n${gen.output().slice(-4000)}`,
    );
  return { result: JSON.parse(line) as GeneratorResult, generatorPid: gen.pid };
}
