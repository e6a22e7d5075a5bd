/**
 * `pnpm bench`: the bare relay, then Parley on PGlite and on PostgreSQL (when reachable), each driven
 * by the same generator; prints one table with every Parley figure as a ratio to the relay's.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { killChildren, killChildrenAndWait } from './proc.js';
import { DEFAULTS, runBench } from './run.js';
import { bundleSizes, formatSizes } from './sizes.js';
import { formatTable } from './table.js';
import { releaseAll } from './targets.js';
import { formatTimeline } from './timeline.js';
import { formatVerdicts, judge, missed } from './verdict.js';

const USAGE = `Usage: pnpm bench [options]
  --visitors N     chatting visitors (default ${DEFAULTS.visitors})
  --operators M    operators, 50 chats each at most (default ${DEFAULTS.operators})
  --rate R         messages per second, visitors' and operators' together (default ${DEFAULTS.rate})
  --seconds S      measured window (default ${DEFAULTS.seconds}), after --warmup seconds (default ${DEFAULTS.warmup})
  --idle K         idle visitor sockets, for the memory figure (default ${DEFAULTS.idle})
  --churn C        new chats per second during the window (default ${DEFAULTS.churn})
  --db D           pglite | postgres | both (default: both; PostgreSQL only when reachable)
  --postgres URL   where to create the fresh database (default: DATABASE_URL or ${DEFAULTS.postgresUrl})
  --no-baseline    skip the bare relay
  --cpu-prof DIR   write each server's V8 CPU profile into DIR/<target>/
  --node-flags=F   extra flags for every server's node, space-separated (e.g. --node-flags="--trace-gc")
  --output DIR     write what each server printed into DIR/<target>.log
  --timeline DIR   record every window message's send time and latency, and each server's garbage
                   collections and event-loop gaps, into DIR; print which slow messages met which
  --json FILE      also write the raw results as JSON
  --check          exit 1 when a target the run speaks to is missed (the table says which)
  --sizes-only     print the bundle sizes (widget, inbox) and stop`;

const { values } = parseArgs({
  options: {
    visitors: { type: 'string' },
    operators: { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    idle: { type: 'string' },
    churn: { type: 'string' },
    db: { type: 'string' },
    postgres: { type: 'string' },
    'no-baseline': { type: 'boolean' },
    'cpu-prof': { type: 'string' },
    'node-flags': { type: 'string' },
    output: { type: 'string' },
    timeline: { type: 'string' },
    json: { type: 'string' },
    'sizes-only': { type: 'boolean' },
    check: { type: 'boolean' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const num = (name: keyof typeof values, fallback: number, min: number, max: number): number => {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name} must be a number from ${min} to ${max}, got "${raw}"\n\n${USAGE}`);
    process.exit(64);
  }
  return n;
};
const db = values.db ?? DEFAULTS.db;
if (db !== 'pglite' && db !== 'postgres' && db !== 'both') {
  console.error(`--db must be pglite, postgres or both\n\n${USAGE}`);
  process.exit(64);
}
const opts = {
  ...DEFAULTS,
  visitors: num('visitors', DEFAULTS.visitors, 1, 20_000),
  operators: num('operators', DEFAULTS.operators, 1, 400),
  rate: num('rate', DEFAULTS.rate, 1, 200_000),
  seconds: num('seconds', DEFAULTS.seconds, 1, 600),
  warmup: num('warmup', DEFAULTS.warmup, 0, 60),
  idle: num('idle', DEFAULTS.idle, 0, 20_000),
  churn: num('churn', DEFAULTS.churn, 0, 100),
  db: db as 'pglite' | 'postgres' | 'both',
  postgresUrl: values.postgres ?? DEFAULTS.postgresUrl,
  baseline: !values['no-baseline'],
  cpuProfDir: values['cpu-prof'] ?? null,
  nodeFlags: (values['node-flags'] ?? '').split(/\s+/).filter(Boolean),
  outputDir: values.output ?? null,
  timelineDir: values.timeline ?? null,
  log: (line: string) => console.error(`[bench] ${line}`),
};
if (opts.operators * 50 < opts.visitors + 20) {
  console.error(
    `[bench] note: ${opts.operators} operators × 50 chats < ${opts.visitors} visitors + new chats; the rest stay queued`,
  );
}

// What browsers download comes first: it needs no server and is the same on every machine.
const sizes = bundleSizes(join(import.meta.dirname, '..', '..', '..'));
console.log(`Bundle sizes (gzip -9 of the built files)\n\n${formatSizes(sizes.rows)}\n`);
for (const m of sizes.missing) console.log(`not built, not measured: ${m}`);
if (values['sizes-only']) process.exit(values.check && missed(judge([], sizes.rows)).length > 0 ? 1 : 0);

// The servers and the generator run in sessions of their own (proc.ts), out of reach of the
// terminal's Ctrl-C: the bench stops them itself, then drops the database and the folder the
// stopped server held (a second Ctrl-C does not wait for that).
let stopping = false;
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.on(signal, () => {
    if (stopping) {
      killChildren();
      process.exit(code);
    }
    stopping = true;
    console.error(`[bench] ${signal}: stopped; removing what the servers left…`);
    // Gone first: a PGlite folder is removed only once its server no longer writes into it.
    void killChildrenAndWait(5_000)
      .then(() => releaseAll(10_000))
      .then(() => process.exit(code));
  });
}

const started = new Date();
const run = await runBench(opts).catch((err: unknown) => {
  // Stopped by a signal: the run failed because its processes were killed; the handler exits.
  if (stopping) return new Promise<never>(() => {});
  throw err;
});
console.log(
  `\nParley bench, ${started.toISOString()} — ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}`,
);
console.log(
  `visitors ${opts.visitors} chatting + ${opts.idle} idle, operators ${opts.operators}, rate ${opts.rate} msg/s, ` +
    `window ${opts.seconds} s after ${opts.warmup} s warm-up, ${opts.churn} new chats/s\n`,
);
console.log(formatTable(run.measured));
for (const m of run.measured) if (m.timeline) console.log(`\n${formatTimeline(m.target, m.timeline)}`);
for (const s of run.skipped) console.log(`skipped: ${s}`);
const verdicts = judge(run.measured, sizes.rows);
console.log(`\nAgainst the issue's targets\n\n${formatVerdicts(verdicts)}`);
if (values.json) {
  const raw = { started, opts: { ...opts, log: undefined }, ...run, verdicts };
  writeFileSync(values.json, JSON.stringify(raw, null, 2));
}
const misses = missed(verdicts);
if (values.check && misses.length > 0) {
  console.log(
    `\nmissed: ${misses.map((v) => `${v.target} (${v.where}: ${v.figure}, ${v.limit})`).join('; ')}`,
  );
  process.exit(1);
}
process.exit(0);
