import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, runBench } from './run.js';
import { errorCount, formatTable } from './table.js';
import { formatTimeline } from './timeline.js';

// A few seconds and a few sockets, so the bench cannot rot; it checks sanity, never speed.
const SMALL = {
  ...DEFAULTS,
  visitors: 6,
  operators: 2,
  rate: 30,
  seconds: 3,
  warmup: 1,
  idle: 20,
  churn: 2,
  log: () => {},
};

describe('bench smoke run', () => {
  it('drives the bare relay and Parley on PGlite and prints the table', async () => {
    const outputDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
    const timelineDir = join(outputDir, 'timeline');
    const run = await runBench({
      ...SMALL,
      db: 'pglite',
      // Each server's node gets the flags and its output is kept: V8's GC trace shows both.
      nodeFlags: ['--trace-gc'],
      outputDir,
      timelineDir,
    });
    expect(run.measured.map((m) => m.target)).toEqual(['bare ws relay', 'Parley, PGlite']);
    for (const { target, result } of run.measured) {
      expect(result.connectedVisitors, target).toBe(26);
      expect(result.operators, target).toBe(2);
      expect(result.deliveredPerSecond, target).toBeGreaterThan(0);
      for (const p of [
        ...result.toOperator,
        ...result.toVisitor,
        ...result.roundTrip,
        ...result.assignRamp,
      ]) {
        expect(Number.isFinite(p), `${target}: ${JSON.stringify(result)}`).toBe(true);
      }
      // The reply's way back is the round trip's second half.
      expect(result.toVisitor[0]!, target).toBeLessThan(result.roundTrip[0]!);
      expect(result.assignUnderLoadCount, target).toBeGreaterThan(0);
      expect(result.rssPerIdleSocket, target).not.toBeNull();
      expect(result.serverCpuPer1k, target).toBeGreaterThan(0);
      expect(result.walBytesPerMessage, `${target}: no PostgreSQL, no WAL figure`).toBeNull();
      expect(errorCount(result), `${target}: ${JSON.stringify(result.errors)}`).toBe(0);
    }
    // --timeline: every window message matched against what each server's preload wrote.
    for (const m of run.measured) {
      const t = m.timeline;
      expect(t, m.target).toBeDefined();
      expect(t!.messages, m.target).toBeGreaterThan(0);
      expect(t!.p99, m.target).toBeCloseTo(m.result.toOperator[2]!, 5);
      expect(formatTimeline(m.target, t!)).toContain('messages at or above the p99');
      // The generator's own collections and gaps, recorded beside the server's.
      expect(t!.generator, m.target).not.toBeNull();
      expect(formatTimeline(m.target, t!)).toContain("the generator's own: major collections");
    }
    const generatorFiles = readdirSync(timelineDir).filter((f) => /^generator-\d+\.jsonl$/.test(f));
    expect(generatorFiles).toHaveLength(2);
    // Each server's preload wrote its collections (a starting server always has some).
    const serverFiles = readdirSync(timelineDir).filter((f) => /^server-\d+\.jsonl$/.test(f));
    expect(serverFiles).toHaveLength(2);
    for (const f of serverFiles)
      expect(readFileSync(join(timelineDir, f), 'utf8'), f).toMatch(/"gc":"minor"/);
    const table = formatTable(run.measured);
    expect(table).toContain('round trip p99 (ms)');
    expect(table).toMatch(/delivered msg\/s.*×\d/);
    for (const name of ['relay', 'pglite']) {
      expect(readFileSync(join(outputDir, `${name}.log`), 'utf8'), name).toMatch(/Scavenge|Mark-Compact/);
    }
    rmSync(outputDir, { recursive: true, force: true });
  });
});

describe('bench smoke run on PostgreSQL', () => {
  it.runIf(process.env.DATABASE_URL)(
    'measures what persisting the messages cost PostgreSQL: CPU and WAL',
    async () => {
      const run = await runBench({
        ...SMALL,
        db: 'postgres',
        baseline: false,
        postgresUrl: process.env.DATABASE_URL!,
      });
      const [measured] = run.measured;
      expect(measured?.target).toBe('Parley, PostgreSQL');
      const r = measured!.result;
      expect(errorCount(r), JSON.stringify(r.errors)).toBe(0);
      expect(r.postgresCpuPer1k).toBeGreaterThan(0);
      // Every stored message is at least its row's insert: one WAL record, well over 100 bytes.
      expect(r.walRecordsPerMessage).toBeGreaterThanOrEqual(1);
      expect(r.walBytesPerMessage).toBeGreaterThan(100);
      expect(r.walFpiPer1k).toBeGreaterThanOrEqual(0);
      expect(formatTable(run.measured)).toMatch(/\| PostgreSQL WAL per message \(bytes\) +\| +[\d,]+ \|/);
    },
  );
});

describe('bundle sizes in the bench', () => {
  it('measures every built widget and inbox file against its budget', async () => {
    const { bundleSizes, formatSizes } = await import('./sizes.js');
    const { rows, missing } = bundleSizes(join(import.meta.dirname, '..', '..', '..'));
    expect(missing).toEqual([]);
    const what = rows.map((r) => r.what);
    expect(what).toEqual(
      expect.arrayContaining([
        'widget loader (widget.js)',
        'widget chat UI (chat.js)',
        'inbox first load (entry + preloads)',
      ]),
    );
    for (const r of rows) {
      expect(r.gzip, r.what).toBeGreaterThan(0);
      expect(r.gzip, r.what).toBeLessThan(r.raw);
    }
    expect(formatSizes(rows)).toMatch(
      /\| widget loader \(widget\.js\) \| [\d.]+ KiB \| [\d.]+ KiB \(\d+ B\) \| 2\.0 KiB \| \d+ % \|/,
    );
  });
});
