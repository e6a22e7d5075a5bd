/**
 * Loaded into a server, and into the generator, with `node --import` by `pnpm bench --timeline DIR`:
 * writes what stopped or slowed the process's event loop, with wall-clock times the generator's
 * messages can be matched to. One JSON line each, into DIR/<role>-<pid>.jsonl (the role from
 * TIMELINE_ROLE_ENV, `server` unless set): V8's collections (`gc`: minor, major, incremental, weak;
 * start and duration) and the event loop's gaps (a 2 ms timer that fired late by more than GAP_MS).
 * Nothing else of the process is touched.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, PerformanceObserver, performance } from 'node:perf_hooks';
import { TIMELINE_ENV, TIMELINE_ROLE_ENV } from './timeline.js';

const dir = process.env[TIMELINE_ENV];
const GAP_MS = 15;

if (dir) {
  const file = join(dir, `${process.env[TIMELINE_ROLE_ENV] ?? 'server'}-${process.pid}.jsonl`);
  const kinds: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak',
  };
  const wall = (t: number) => Math.round((performance.timeOrigin + t) * 10) / 10;
  let lines: string[] = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? -1;
      lines.push(JSON.stringify({ gc: kinds[kind] ?? String(kind), at: wall(e.startTime), ms: e.duration }));
    }
  }).observe({ entryTypes: ['gc'] });
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    if (now - last > GAP_MS) lines.push(JSON.stringify({ gap: now - last, at: wall(last) }));
    last = now;
  }, 2).unref();
  const flush = () => {
    if (lines.length === 0) return;
    appendFileSync(file, `${lines.join('\n')}\n`);
    lines = [];
  };
  setInterval(flush, 1000).unref();
  process.on('exit', flush);
}
