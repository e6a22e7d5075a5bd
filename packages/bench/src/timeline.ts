/**
 * `--timeline`: which of the window's slowest messages were sent while the server collected its old
 * generation, or while the whole machine stood still. The generator writes each window message's
 * send time and its visitor → operator latency; the server and the generator (timeline-preload.ts)
 * write their collections and event-loop gaps; this joins them by wall-clock time (one machine, one
 * clock). The generator's own are there to
 * show the instrument did not stall: a message it reads late looks slow.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { percentiles } from './proc.js';

export const TIMELINE_ENV = 'PARLEY_BENCH_TIMELINE';
/** Which process writes (`server` unless set): its file is `<role>-<pid>.jsonl`. */
export const TIMELINE_ROLE_ENV = 'PARLEY_BENCH_TIMELINE_ROLE';

/** A line of a process's file: a collection, or a gap in its event loop (times in epoch ms). */
export type ProcessEvent = Pause | Gap;
type Pause = { gc: string; at: number; ms: number };
type Gap = { gap: number; at: number };
const isPause = (e: ProcessEvent): e is Pause => 'gc' in e;
const isGap = (e: ProcessEvent): e is Gap => 'gap' in e;

/**
 * A message counts as sent "around" a major collection from MARK_LEAD_MS before its final pause
 * (the concurrent marking before it competes for the two cores) to AFTER_MS after the pause ends
 * (the backlog it left).
 */
export const MARK_LEAD_MS = 300;
export const AFTER_MS = 200;
/**
 * The machine stopped: the server's and the generator's event loops paused together for at least
 * this long (ms), and neither pause was the process's own collection. Two processes in sessions of
 * their own, each given a core's share, do not wait together that long for the CPU; a virtual
 * machine whose host took its cores away does (BENCHMARKS.md, twentieth session).
 */
export const STALL_MIN_MS = 10;

export interface TimelineSummary {
  messages: number;
  p99: number;
  /** Major collections whose span overlaps the window. */
  majors: { at: number; ms: number }[];
  /** Messages at or above the p99, and how many of them were sent around a major collection. */
  atOrAboveP99: number;
  aroundMajor: number;
  /** The p99 of the messages not sent around a major collection (null when none are left). */
  p99Elsewhere: number | null;
  /** Minor collections (scavenges) in the window: count and pause p50 / p99 / max (ms). */
  minor: { count: number; p50: number; p99: number; max: number };
  /** Event-loop gaps over 15 ms in the window, and the longest (ms). */
  gaps: number;
  longestGap: number;
  /** The generator's own major collections and event-loop gaps in the window (null: not recorded). */
  generator: { majors: number; gaps: number; longestGap: number } | null;
  /**
   * Stops of the machine in the window (STALL_MIN_MS), and the messages at or above the p99 that
   * were in flight during one or sent up to AFTER_MS after it (the backlog it left); null without
   * the generator's events.
   */
  machine: {
    stops: { at: number; ms: number }[];
    aroundStop: number;
    /** The p99 of the messages around neither a major collection nor a stop. */
    p99Elsewhere: number | null;
  } | null;
}

/** A process's gaps, less those its own collection explains (a pause of at least half the gap in it). */
function unexplainedGaps(events: ProcessEvent[]): Gap[] {
  const pauses = events.filter(isPause);
  return events
    .filter(isGap)
    .filter((g) => !pauses.some((p) => p.at >= g.at && p.at <= g.at + g.gap && p.ms >= g.gap / 2));
}

/** Where the server's and the generator's loops stood still together for STALL_MIN_MS or longer. */
export function machineStops(
  server: ProcessEvent[],
  generator: ProcessEvent[],
): { at: number; ms: number }[] {
  const theirs = unexplainedGaps(generator);
  const stops: { at: number; ms: number }[] = [];
  for (const s of unexplainedGaps(server)) {
    for (const g of theirs) {
      const at = Math.max(s.at, g.at);
      const ms = Math.min(s.at + s.gap, g.at + g.gap) - at;
      if (ms >= STALL_MIN_MS) stops.push({ at, ms });
    }
  }
  return stops.sort((a, b) => a.at - b.at);
}

/** As the table's percentiles (proc.ts), so the p99 here is the table's. */
const percentile = (values: number[], p: number) => percentiles(values, [p])[0] ?? 0;

/**
 * `sent` holds [send time (epoch ms), latency (ms)] pairs of the window's messages; `events` are the
 * server's, `generatorEvents` the generator's (null when it wrote none).
 */
export function analyzeTimeline(
  sent: [number, number][],
  events: ProcessEvent[],
  generatorEvents: ProcessEvent[] | null = null,
): TimelineSummary | null {
  if (sent.length === 0) return null;
  // A loop, not Math.min(...list): a long window's messages are more arguments than a call takes.
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const [at] of sent) {
    from = Math.min(from, at);
    to = Math.max(to, at);
  }
  const p99 = percentile(
    sent.map((s) => s[1]),
    99,
  );
  const gcs = events.filter(isPause);
  const spans = gcs
    .filter((e) => e.gc === 'major')
    .map((e) => ({ at: e.at, ms: e.ms, start: e.at - MARK_LEAD_MS, end: e.at + e.ms + AFTER_MS }))
    .filter((s) => s.end >= from && s.start <= to);
  const around = (t: number) => spans.some((s) => t >= s.start && t <= s.end);
  const slow = sent.filter((s) => s[1] >= p99);
  const elsewhere = sent.filter((s) => !around(s[0])).map((s) => s[1]);
  const minor = gcs.filter((e) => e.gc === 'minor' && e.at >= from && e.at <= to).map((e) => e.ms);
  const gapsIn = (list: ProcessEvent[]) => list.filter(isGap).filter((e) => e.at >= from && e.at <= to);
  const gaps = gapsIn(events);
  const longest = (list: { gap: number }[]) =>
    percentile(
      list.map((g) => g.gap),
      100,
    );
  const generatorGaps = generatorEvents ? gapsIn(generatorEvents) : [];
  const stops = generatorEvents
    ? machineStops(events, generatorEvents).filter((s) => s.at + s.ms + AFTER_MS >= from && s.at <= to)
    : [];
  // In flight while the machine stood still, or sent into the backlog it left.
  const aroundStop = ([at, latency]: [number, number]) =>
    stops.some((s) => at <= s.at + s.ms + AFTER_MS && at + latency >= s.at);
  return {
    messages: sent.length,
    p99,
    majors: spans.map(({ at, ms }) => ({ at, ms })),
    atOrAboveP99: slow.length,
    aroundMajor: slow.filter((s) => around(s[0])).length,
    p99Elsewhere: elsewhere.length > 0 ? percentile(elsewhere, 99) : null,
    minor: {
      count: minor.length,
      p50: percentile(minor, 50),
      p99: percentile(minor, 99),
      max: percentile(minor, 100),
    },
    gaps: gaps.length,
    longestGap: longest(gaps),
    generator: generatorEvents
      ? {
          majors: generatorEvents.filter(
            (e) => isPause(e) && e.gc === 'major' && e.at + e.ms >= from && e.at <= to,
          ).length,
          gaps: generatorGaps.length,
          longestGap: longest(generatorGaps),
        }
      : null,
    machine: generatorEvents ? machineSummary() : null,
  };

  function machineSummary(): NonNullable<TimelineSummary['machine']> {
    const neither = sent.filter((s) => !around(s[0]) && !aroundStop(s)).map((s) => s[1]);
    return {
      stops,
      aroundStop: slow.filter(aroundStop).length,
      p99Elsewhere: neither.length > 0 ? percentile(neither, 99) : null,
    };
  }
}

/**
 * Reads what the generator (`messagesFile`, and its own events when its pid is given) and the
 * server with this pid wrote into one folder.
 */
export function readTimeline(
  messagesFile: string,
  serverPid: number,
  generatorPid: number | null = null,
): TimelineSummary | null {
  if (!existsSync(messagesFile)) return null;
  const sent = JSON.parse(readFileSync(messagesFile, 'utf8')) as [number, number][];
  const eventsOf = (role: string, pid: number) => {
    const file = join(dirname(messagesFile), `${role}-${pid}.jsonl`);
    return existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as ProcessEvent)
      : null;
  };
  return analyzeTimeline(
    sent,
    eventsOf('server', serverPid) ?? [],
    generatorPid === null ? null : eventsOf('generator', generatorPid),
  );
}

const ms = (n: number) => n.toFixed(1);

export function formatTimeline(target: string, t: TimelineSummary): string {
  const majors = t.majors.length ? t.majors.map((m) => `${ms(m.ms)} ms pause`).join(', ') : 'none';
  return [
    `${target}: ${t.messages} messages, visitor → operator p99 ${ms(t.p99)} ms`,
    `  major collections in the window: ${t.majors.length} (${majors})`,
    `  messages at or above the p99: ${t.atOrAboveP99}, sent around a major collection: ${t.aroundMajor}`,
    `  p99 of the messages not sent around one: ${t.p99Elsewhere === null ? '—' : `${ms(t.p99Elsewhere)} ms`}`,
    `  minor collections: ${t.minor.count}, pause p50 / p99 / max ${ms(t.minor.p50)} / ${ms(t.minor.p99)} / ${ms(t.minor.max)} ms`,
    `  event-loop gaps over 15 ms: ${t.gaps}, longest ${ms(t.longestGap)} ms`,
    ...(t.generator
      ? [
          `  the generator's own: major collections ${t.generator.majors}, event-loop gaps over 15 ms ${t.generator.gaps}` +
            (t.generator.gaps > 0 ? `, longest ${ms(t.generator.longestGap)} ms` : ''),
        ]
      : []),
    ...(t.machine
      ? [
          `  the machine stood still (both loops paused, neither collecting): ${t.machine.stops.length}` +
            (t.machine.stops.length > 0
              ? ` (${t.machine.stops.map((s) => `${ms(s.ms)} ms`).join(', ')})`
              : '') +
            `; messages at or above the p99 caught in one or its backlog: ${t.machine.aroundStop}`,
          `  p99 of the messages around neither a major collection nor a standstill: ${
            t.machine.p99Elsewhere === null ? '—' : `${ms(t.machine.p99Elsewhere)} ms`
          }`,
        ]
      : []),
  ].join('\n');
}
