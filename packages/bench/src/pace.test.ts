import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { paced } from './pace.js';

describe('the load clock', () => {
  // The window's first figures include a read of PostgreSQL's WAL; waited on in the loop, it held
  // every send back and the window began with a burst.
  it('goes on ticking while the window-start read is under way', async () => {
    const start = performance.now();
    const at = start + 20;
    const order: string[] = [];
    const ticks: number[] = [];
    let begins = 0;
    let readDone = 0;
    await paced({
      end: start + 220,
      everyMs: 2,
      tick: (t) => {
        ticks.push(t);
        if (t >= at && !order.includes('tick')) order.push('tick');
      },
      edge: {
        at,
        begin: async () => {
          begins++;
          order.push('begin');
          await new Promise((r) => setTimeout(r, 100));
          readDone = performance.now();
        },
      },
    });
    expect(begins).toBe(1);
    expect(order).toEqual(['begin', 'tick']); // the window's figures come before its first sends
    const during = ticks.filter((t) => t >= at && t < readDone - 10);
    // 2 ms apart, give or take a busy machine: many ticks, not the one a waiting loop would make.
    expect(during.length).toBeGreaterThan(10);
    // … and no tick was held back for the read's length.
    const gaps = ticks.slice(1).map((t, i) => t - ticks[i]!);
    expect(Math.max(...gaps)).toBeLessThan(60);
  });

  it('reports a failed window-start read once the ticks are done', async () => {
    const start = performance.now();
    let last = 0;
    const run = paced({
      end: start + 60,
      everyMs: 2,
      tick: (t) => {
        last = t;
      },
      edge: { at: start, begin: () => Promise.reject(new Error('WAL not read')) },
    });
    await expect(run).rejects.toThrow('WAL not read');
    expect(last).toBeGreaterThan(start + 40);
  });
});
