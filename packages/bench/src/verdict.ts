/**
 * The run against the issue's targets: each figure beside its limit, met or missed, or why it was not
 * judged (a load lighter than the targets', no baseline to compare with). `pnpm bench --check` exits 1
 * when a judged target is missed.
 */
import type { SizeRow } from './sizes.js';
import type { Measured } from './table.js';

/** The load the latency targets are set for: 10,000 connected visitors, 200 operators, 5,000 msg/s. */
export const TARGET_LOAD = { connectedVisitors: 10_000, operators: 200, rate: 5_000 } as const;

export const LIMITS = {
  throughputRatio: 0.5,
  oneWayP99Ms: 25,
  assignedP99Ms: 20,
  idleSocketBytes: 16 * 1024,
} as const;

export interface Verdict {
  target: string;
  /** Which column of the table (a Parley server), or 'bundles'. */
  where: string;
  figure: string;
  limit: string;
  /** 'met', 'missed', or the reason it was not judged. */
  outcome: 'met' | 'missed' | { notJudged: string };
  /** What the outcome does not say by itself. */
  note?: string;
}

const RELAY = 'bare ws relay';
const POSTGRES = /postgres/i;

const num = (v: number | null | undefined, digits: number) =>
  v === null || v === undefined || !Number.isFinite(v) ? null : v.toFixed(digits);

/** One figure against its limit (`atMost`: the figure may not exceed it; else it may not fall below). */
function limited(v: {
  target: string;
  where: string;
  value: number | null | undefined;
  limit: number;
  unit: string;
  digits: number;
  atMost: boolean;
  /** Why this figure does not speak to the target, if it does not. */
  notJudged: string | null;
}): Verdict {
  const { target, where, value, limit, unit, notJudged } = v;
  const shown = num(value, v.digits);
  const limitText = `${v.atMost ? '≤' : '≥'} ${limit}${unit}`;
  const figure = shown === null ? '—' : `${shown}${unit}`;
  if (notJudged) return { target, where, figure, limit: limitText, outcome: { notJudged } };
  if (shown === null || value === null || value === undefined) {
    return { target, where, figure, limit: limitText, outcome: { notJudged: 'not measured' } };
  }
  const met = v.atMost ? value <= limit : value >= limit;
  return { target, where, figure, limit: limitText, outcome: met ? 'met' : 'missed' };
}

/** Why a run's latencies do not speak to the targets, or null when its load is the targets' or heavier. */
function lighterLoad(m: Measured): string | null {
  const r = m.result;
  const short: string[] = [];
  if (r.connectedVisitors < TARGET_LOAD.connectedVisitors) short.push(`${r.connectedVisitors} visitors`);
  if (r.operators < TARGET_LOAD.operators) short.push(`${r.operators} operators`);
  if (r.targetRate < TARGET_LOAD.rate) short.push(`${r.targetRate} msg/s`);
  if (short.length === 0) return null;
  return `below the targets' load in ${short.join(', ')} (the targets: ${TARGET_LOAD.connectedVisitors} visitors, ${TARGET_LOAD.operators} operators, ${TARGET_LOAD.rate} msg/s)`;
}

/** Every target the run speaks to, judged on PostgreSQL, the database the issue sets them for. */
export function judge(measured: Measured[], sizes: SizeRow[]): Verdict[] {
  const verdicts: Verdict[] = [];
  const relay = measured.find((m) => m.target === RELAY);
  for (const m of measured) {
    if (m === relay) continue;
    const r = m.result;
    const where = m.target;
    // The issue sets its targets for PostgreSQL beside the server; the embedded default is measured.
    const embedded = POSTGRES.test(m.target) ? null : 'the targets are set for PostgreSQL beside the server';
    const ratio =
      relay && relay.result.deliveredPerSecond > 0
        ? r.deliveredPerSecond / relay.result.deliveredPerSecond
        : null;
    const throughput = limited({
      target: 'persisted throughput ÷ the bare relay’s',
      where,
      value: ratio,
      limit: LIMITS.throughputRatio,
      unit: '',
      digits: 2,
      atMost: false,
      notJudged: embedded ?? (relay ? null : 'no baseline in this run (--no-baseline)'),
    });
    // Below both servers' capacity the ratio is 1 whatever the capacities are.
    const carried = (x: Measured) => x.result.deliveredPerSecond >= 0.98 * x.result.targetRate;
    if (relay && carried(relay) && carried(m)) {
      throughput.note = 'both carried the offered rate; a higher --rate compares their capacities';
    }
    verdicts.push(throughput);
    const latencyNotJudged = embedded ?? lighterLoad(m);
    const p99 = (target: string, value: number | null | undefined, limit: number, notJudged: string | null) =>
      limited({ target, where, value, limit, unit: ' ms', digits: 1, atMost: true, notJudged });
    // End to end, each way: the visitor's message to the operator, the operator's reply back.
    verdicts.push(
      p99('visitor → operator p99', r.toOperator[2], LIMITS.oneWayP99Ms, latencyNotJudged),
      p99('operator → visitor p99', r.toVisitor[2], LIMITS.oneWayP99Ms, latencyNotJudged),
      p99(
        'new chat → assigned p99, under load',
        r.assignUnderLoad[1],
        LIMITS.assignedP99Ms,
        latencyNotJudged ?? (r.assignUnderLoadCount === 0 ? 'no new chat timed (--churn 0)' : null),
      ),
      limited({
        target: 'server memory per idle visitor socket',
        where,
        value: r.rssPerIdleSocket === null ? null : r.rssPerIdleSocket / 1024,
        limit: LIMITS.idleSocketBytes / 1024,
        unit: ' KiB',
        digits: 1,
        atMost: true,
        // PGlite's memory is the server's: its figure holds what the database grew by as well.
        notJudged: embedded && `${embedded} (on PGlite it includes the database's own growth)`,
      }),
    );
  }
  for (const s of sizes) {
    if (s.budget === null) continue;
    verdicts.push(
      limited({
        target: s.what,
        where: 'bundles',
        value: s.gzip,
        limit: s.budget,
        unit: ' B',
        digits: 0,
        atMost: true,
        notJudged: null,
      }),
    );
  }
  return verdicts;
}

export const missed = (verdicts: Verdict[]) => verdicts.filter((v) => v.outcome === 'missed');

export function formatVerdicts(verdicts: Verdict[]): string {
  const lines = ['| target | where | figure | limit | |', '| --- | --- | ---: | ---: | --- |'];
  for (const v of verdicts) {
    const judged = typeof v.outcome === 'string' ? v.outcome : `not judged: ${v.outcome.notJudged}`;
    const outcome = v.note ? `${judged} (${v.note})` : judged;
    lines.push(`| ${v.target} | ${v.where} | ${v.figure} | ${v.limit} | ${outcome} |`);
  }
  return lines.join('\n');
}
