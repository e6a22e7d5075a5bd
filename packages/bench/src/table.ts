import type { GeneratorResult } from './generator.js';
import type { TimelineSummary } from './timeline.js';

export interface Measured {
  target: string;
  result: GeneratorResult;
  /** With `--timeline`: the window's slowest messages against the server's collections. */
  timeline?: TimelineSummary;
}

type Cell = number | null | undefined;
interface Row {
  label: string;
  value: (r: GeneratorResult) => Cell;
  digits?: number;
  /** Not divided by the baseline (counts that describe the run, not the target). */
  noRatio?: boolean;
}

const ms = (label: string, value: (r: GeneratorResult) => Cell): Row => ({
  label: `${label} (ms)`,
  value,
  digits: 1,
});

const ROWS: Row[] = [
  { label: 'connected visitors (chatting + idle)', value: (r) => r.connectedVisitors, noRatio: true },
  { label: 'operators', value: (r) => r.operators, noRatio: true },
  { label: 'target rate (msg/s, both directions)', value: (r) => r.targetRate, noRatio: true },
  { label: 'delivered msg/s (acked; Parley: persisted)', value: (r) => r.deliveredPerSecond },
  ms('visitor → operator p50', (r) => r.toOperator[0]),
  ms('visitor → operator p95', (r) => r.toOperator[1]),
  ms('visitor → operator p99', (r) => r.toOperator[2]),
  ms('operator → visitor p50', (r) => r.toVisitor[0]),
  ms('operator → visitor p95', (r) => r.toVisitor[1]),
  ms('operator → visitor p99', (r) => r.toVisitor[2]),
  ms('round trip p50', (r) => r.roundTrip[0]),
  ms('round trip p95', (r) => r.roundTrip[1]),
  ms('round trip p99', (r) => r.roundTrip[2]),
  ms('new chat → assigned p50, under load', (r) => r.assignUnderLoad[0]),
  ms('new chat → assigned p99, under load', (r) => r.assignUnderLoad[1]),
  // How far to trust that p99: with 75 new chats it is the slowest one or two (`--churn`, `--seconds`).
  { label: 'new chats timed under load', value: (r) => r.assignUnderLoadCount, noRatio: true },
  ms('new chat → assigned p50, ramp-up', (r) => r.assignRamp[0]),
  ms('new chat → assigned p99, ramp-up', (r) => r.assignRamp[1]),
  {
    label: 'server RSS per idle visitor socket (KiB)',
    value: (r) => (r.rssPerIdleSocket === null ? null : r.rssPerIdleSocket / 1024),
    digits: 1,
  },
  { label: 'server CPU per 1,000 msgs (ms)', value: (r) => r.serverCpuPer1k, digits: 1 },
  { label: 'PostgreSQL CPU per 1,000 msgs (ms)', value: (r) => r.postgresCpuPer1k, digits: 1, noRatio: true },
  // The whole cluster's WAL in the window (pg_stat_wal): what persisting a message costs the disk.
  { label: 'PostgreSQL WAL per message (bytes)', value: (r) => r.walBytesPerMessage, noRatio: true },
  {
    label: 'PostgreSQL WAL records per message',
    value: (r) => r.walRecordsPerMessage,
    digits: 1,
    noRatio: true,
  },
  {
    label: 'PostgreSQL full-page images per 1,000 msgs',
    value: (r) => r.walFpiPer1k,
    digits: 1,
    noRatio: true,
  },
  { label: 'server CPU (% of one core)', value: (r) => r.serverCpuPercent, digits: 0 },
  { label: 'generator CPU (% of one core)', value: (r) => r.generatorCpuPercent, digits: 0, noRatio: true },
  // What the measuring side itself adds to every latency above: its own event loop's stalls.
  { ...ms('generator event-loop delay p99', (r) => r.generatorLoopP99), noRatio: true },
  { label: 'frames to operators not for them (/s)', value: (r) => r.foreignFramesPerSecond, noRatio: true },
  { label: 'sends skipped (backlog) / replies skipped', value: () => null, noRatio: true },
  { label: 'errors (frames, closes, unacked)', value: (r) => errorCount(r), noRatio: true },
];

export function errorCount(r: GeneratorResult): number {
  return Object.values(r.errors).reduce((a, b) => a + b, 0) + r.unacked;
}

function fmt(v: Cell, digits = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function ratio(v: Cell, base: Cell): string {
  if (v === null || v === undefined || base === null || base === undefined || base === 0) return '';
  const x = v / base;
  return `×${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)}`;
}

/** One table: a row per figure, a column per target, each Parley figure beside its ratio to the first (the baseline). */
export function formatTable(measured: Measured[]): string {
  const [base, ...rest] = measured;
  if (!base) return '(nothing measured)';
  const header = ['', base.target, ...rest.flatMap((m) => [m.target, 'ratio'])];
  const lines: string[][] = [header];
  for (const row of ROWS) {
    const cell = (r: GeneratorResult) =>
      row.label.startsWith('sends skipped')
        ? `${fmt(r.skippedSends)} / ${fmt(r.skippedReplies)}`
        : fmt(row.value(r), row.digits);
    const line = [row.label, cell(base.result)];
    for (const m of rest) {
      line.push(cell(m.result), row.noRatio ? '' : ratio(row.value(m.result), row.value(base.result)));
    }
    lines.push(line);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  const render = (l: string[]) =>
    `| ${l.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [render(lines[0]!), rule, ...lines.slice(1).map(render)].join('\n');
}
