import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The load's clock: calls `tick(now)` every `everyMs` until `end` (both on `performance.now()`).
 * At the first tick at or after `edge.at` it starts `edge.begin()` (the window's first figures)
 * before that tick, and does not wait for it: the ticks go on while it reads. Resolves once the
 * last tick ran and `begin` has finished; rejects if `begin` failed.
 *
 * Waited on in the loop, the read of PostgreSQL's WAL at the window's start (one query, a few
 * milliseconds under load) held every send back, and the sends due meanwhile then went out in one
 * burst: the window's first 100 ms held up to 40 % of its p99 messages (BENCHMARKS.md, twenty-first
 * session).
 */
export async function paced(opts: {
  end: number;
  everyMs: number;
  tick: (now: number) => void;
  edge: { at: number; begin: () => Promise<void> };
  now?: () => number;
}): Promise<void> {
  const now = opts.now ?? (() => performance.now());
  let begun: Promise<void> | null = null;
  try {
    for (let t = now(); t < opts.end; t = now()) {
      if (!begun && t >= opts.edge.at) {
        begun = opts.edge.begin();
        begun.catch(() => {}); // handled below, once the ticks are done
      }
      opts.tick(t);
      await sleep(opts.everyMs);
    }
  } finally {
    await begun;
  }
}
