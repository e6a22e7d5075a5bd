import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';

/** The server package's folder: `postgres` resolves there as the server resolves it. */
const serverDir = fileURLToPath(new URL('../..', import.meta.url));

// A client that is never connected: a query leaves only when awaited, and these never are.
const unconnected = () => postgres('postgres://nobody@127.0.0.1:1/none', { max: 1 });

/**
 * Our patch of postgres.js (patches/postgres@3.4.9.patch) gives its Query class `resolve` and
 * `reject` methods instead of an arrow per query. V8 allocates closures made in that constructor
 * (a class extending Promise) in the old generation; each held the query's promise through the
 * young collections until it was promoted, with its parameters, its result and whatever else
 * hung on it: at 5,000 messages a second, most of what the server promoted (BENCHMARKS.md,
 * sixteenth session).
 */
describe('postgres.js queries (our patch)', () => {
  it('a settled query is not kept through young collections', () => {
    const script = `
      import postgres from 'postgres';
      import v8 from 'node:v8';
      const sql = postgres('postgres://nobody@127.0.0.1:1/none', { max: 1 });
      const old = () => v8.getHeapSpaceStatistics()
        .filter((s) => s.space_name === 'old_space' || s.space_name === 'large_object_space')
        .reduce((n, s) => n + s.space_used_size, 0);
      gc();
      const before = old();
      for (let i = 0; i < 2000; i++) {
        const q = sql.unsafe('select 1');
        q.payload = new Array(1000).fill(i); // 8 KB that lives exactly as long as the query
        q.resolve([]);
        if (i % 50 === 0) gc({ type: 'minor' });
      }
      gc({ type: 'minor' });
      gc({ type: 'minor' });
      process.stdout.write(String(old() - before));
    `;
    const promoted = Number(
      execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
        cwd: serverDir,
        encoding: 'utf8',
      }),
    );
    // Unpatched: all 2,000 payloads (about 16 MB) reach the old generation.
    expect(promoted).toBeLessThan(2_000_000);
  });

  it('still settles a query through its resolve and reject, and marks it inactive', async () => {
    const sql = unconnected();
    // What the driver calls on a query (not in its public types). The promise is read with the
    // native `then`: the query's own `then` would send it.
    type Settling = Promise<unknown> & {
      active: boolean;
      resolve(x: unknown): void;
      reject(e: unknown): void;
    };
    const settled = (q: Settling) =>
      Promise.prototype.then.call(
        q,
        (v) => v,
        (e: Error) => e.message,
      );
    const ok = sql.unsafe('select 1') as unknown as Settling;
    ok.active = true;
    ok.resolve([{ one: 1 }]);
    expect(ok.active).toBe(false);
    await expect(settled(ok)).resolves.toEqual([{ one: 1 }]);
    expect(Object.hasOwn(ok, 'resolve')).toBe(false); // a method, not an arrow per query

    const failed = sql.unsafe('select 1') as unknown as Settling;
    failed.active = true;
    failed.reject(new Error('refused'));
    expect(failed.active).toBe(false);
    await expect(settled(failed)).resolves.toBe('refused');
  });
});
