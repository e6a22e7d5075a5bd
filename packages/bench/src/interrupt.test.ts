import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './paths.js';
import { driver } from './pg.js';
import { spawnNode } from './proc.js';

const benchMain = join(repoRoot, 'packages/bench/dist/main.js');

/** Starts `pnpm bench` on one target, Ctrl-Cs it while it drives the server, and says what was left. */
async function interrupt(args: string[]) {
  const bench = spawnNode(
    [benchMain, '--no-baseline', '--visitors', '4', '--operators', '2', '--rate', '20', '--idle', '0']
      .concat(['--warmup', '1', '--seconds', '60'])
      .concat(args),
    {},
    repoRoot,
  );
  const [, pid, where] = await bench.waitFor(/\(pid (\d+), [^,]+, data in ([^)]+)\); driving it/, 60_000);
  bench.child.kill('SIGINT');
  const code = await bench.exited;
  return { code, where: where!, serverPid: Number(pid), output: bench.output() };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a Ctrl-C during the bench', () => {
  it('stops the server and removes its PGlite folder', async () => {
    const { code, where, serverPid, output } = await interrupt(['--db', 'pglite']);
    expect(code, output).toBe(130);
    expect(output).toContain('SIGINT: stopped; removing what the servers left');
    expect(where).toMatch(/parley-bench-/);
    expect(existsSync(where), `${where} is still there`).toBe(false);
    expect(alive(serverPid), `server ${serverPid} still runs`).toBe(false);
  }, 90_000);

  it.runIf(process.env.DATABASE_URL)(
    'drops the parley_bench_* database it made on PostgreSQL',
    async () => {
      const url = process.env.DATABASE_URL!;
      const { code, where, serverPid, output } = await interrupt(['--db', 'postgres', '--postgres', url]);
      expect(code, output).toBe(130);
      expect(where).toMatch(/^parley_bench_[0-9a-f]+$/);
      expect(alive(serverPid), `server ${serverPid} still runs`).toBe(false);
      const sql = (await driver())(url, { max: 1, onnotice: () => {} });
      try {
        const rows = await sql`select 1 from pg_database where datname = ${where}`;
        expect(rows, `${where} is still there`).toHaveLength(0);
      } finally {
        await sql.end({ timeout: 1 });
      }
    },
    90_000,
  );
});
