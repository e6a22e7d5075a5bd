import { describe, expect, it } from 'vitest';
import type { GeneratorResult } from './generator.js';
import type { SizeRow } from './sizes.js';
import type { Measured } from './table.js';
import { formatVerdicts, judge, missed, type Verdict } from './verdict.js';

/** A run at the targets' load whose every figure is within its limit; tests change one figure. */
function result(over: Partial<GeneratorResult> = {}): GeneratorResult {
  return {
    connectedVisitors: 10_000,
    chattingVisitors: 2_000,
    idleVisitors: 8_000,
    operators: 200,
    targetRate: 5_000,
    windowSeconds: 15,
    deliveredPerSecond: 5_000,
    sentInWindow: 75_000,
    toOperator: [5, 15, 24],
    roundTrip: [12, 30, 45],
    toVisitor: [5, 14, 23],
    assignUnderLoad: [6, 19],
    assignUnderLoadCount: 75,
    assignRamp: [40, 90],
    rssPerIdleSocket: 8 * 1024,
    rssBefore: 1,
    rssAfterIdle: 1,
    rssEnd: 1,
    serverCpuPer1k: 110,
    postgresCpuPer1k: 70,
    walBytesPerMessage: 700,
    walRecordsPerMessage: 5,
    walFpiPer1k: 0,
    serverCpuPercent: 55,
    generatorCpuPercent: 60,
    generatorLoopP99: 3,
    foreignFramesPerSecond: 0,
    skippedSends: 0,
    skippedReplies: 0,
    unacked: 0,
    unanswered: 0,
    queuedVisitors: 0,
    errors: {},
    phaseSeconds: {},
    ...over,
  };
}

const relay = (over: Partial<GeneratorResult> = {}): Measured => ({
  target: 'bare ws relay',
  result: result(over),
});
const postgres = (over: Partial<GeneratorResult> = {}): Measured => ({
  target: 'Parley, PostgreSQL',
  result: result(over),
});
const pglite = (over: Partial<GeneratorResult> = {}): Measured => ({
  target: 'Parley, PGlite',
  result: result(over),
});
const bundle = (gzip: number, budget: number | null): SizeRow => ({
  what: 'widget loader',
  files: [],
  raw: 0,
  gzip,
  budget,
});

const find = (vs: Verdict[], target: string, where = 'Parley, PostgreSQL') => {
  const v = vs.find((x) => x.target.startsWith(target) && x.where === where);
  if (!v) throw new Error(`no verdict for ${target} on ${where}`);
  return v;
};

describe('the run against the issue targets', () => {
  it('meets every target when every figure is within its limit', () => {
    const vs = judge([relay(), postgres()], [bundle(1734, 2048)]);
    expect(vs.map((v) => [v.target, v.outcome])).toEqual([
      ['persisted throughput ÷ the bare relay’s', 'met'],
      ['visitor → operator p99', 'met'],
      ['operator → visitor p99', 'met'],
      ['new chat → assigned p99, under load', 'met'],
      ['server memory per idle visitor socket', 'met'],
      ['widget loader', 'met'],
    ]);
    expect(missed(vs)).toEqual([]);
  });

  it('misses each target whose figure is past its limit, and only that one', () => {
    const cases: [Partial<GeneratorResult>, string, string][] = [
      [{ deliveredPerSecond: 2_400 }, 'persisted throughput', '0.48'],
      [{ toOperator: [5, 15, 25.1] }, 'visitor → operator p99', '25.1 ms'],
      [{ toVisitor: [5, 15, 26] }, 'operator → visitor p99', '26.0 ms'],
      [{ assignUnderLoad: [6, 20.2] }, 'new chat → assigned p99', '20.2 ms'],
      [{ rssPerIdleSocket: 16 * 1024 + 103 }, 'server memory', '16.1 KiB'],
    ];
    for (const [over, target, figure] of cases) {
      const vs = judge([relay(), postgres(over)], []);
      expect(missed(vs).map((v) => [v.target.slice(0, target.length), v.figure])).toEqual([[target, figure]]);
    }
    expect(missed(judge([], [bundle(2049, 2048)])).map((v) => v.figure)).toEqual(['2049 B']);
  });

  it('says when the throughput ratio only shows that both carried the offered rate', () => {
    const offered = judge([relay(), postgres()], []);
    expect(find(offered, 'persisted throughput').note).toContain('both carried the offered rate');
    const saturated = judge(
      [
        relay({ targetRate: 30_000, deliveredPerSecond: 27_000 }),
        postgres({ targetRate: 30_000, deliveredPerSecond: 16_500 }),
      ],
      [],
    );
    const ratio = find(saturated, 'persisted throughput');
    expect([ratio.figure, ratio.outcome, ratio.note]).toEqual(['0.61', 'met', undefined]);
  });

  it('meets a limit it equals', () => {
    const vs = judge([relay(), postgres({ toOperator: [5, 15, 25], assignUnderLoad: [6, 20] })], []);
    expect(missed(vs)).toEqual([]);
  });

  it('does not judge latencies under a load lighter than the targets, and says which part is lighter', () => {
    const vs = judge(
      [postgres({ connectedVisitors: 2_200, toOperator: [5, 15, 60], targetRate: 1_000 })],
      [],
    );
    const p99 = find(vs, 'visitor → operator p99');
    expect(p99.outcome).toEqual({
      notJudged: expect.stringContaining("below the targets' load in 2200 visitors, 1000 msg/s"),
    });
    expect(p99.figure).toBe('60.0 ms');
    expect(missed(vs)).toEqual([]);
  });

  it('does not judge the throughput ratio without a baseline', () => {
    const vs = judge([postgres({ deliveredPerSecond: 10 })], []);
    expect(find(vs, 'persisted throughput').outcome).toEqual({
      notJudged: expect.stringContaining('no baseline'),
    });
    expect(missed(vs)).toEqual([]);
  });

  it('shows PGlite beside the targets, which the issue sets for PostgreSQL, and judges none on it', () => {
    const vs = judge(
      [relay(), pglite({ deliveredPerSecond: 100, toOperator: [5, 15, 80], rssPerIdleSocket: 20 * 1024 })],
      [],
    );
    const onPglite = vs.filter((v) => v.where === 'Parley, PGlite');
    expect(onPglite).toHaveLength(5);
    for (const v of onPglite) expect(v.outcome).toEqual({ notJudged: expect.stringContaining('PostgreSQL') });
    expect(find(vs, 'server memory', 'Parley, PGlite')).toMatchObject({
      figure: '20.0 KiB',
      outcome: { notJudged: expect.stringContaining("the database's own growth") },
    });
    expect(missed(vs)).toEqual([]);
  });

  it('does not judge what was not measured', () => {
    const vs = judge(
      [relay(), postgres({ assignUnderLoad: [null, null], assignUnderLoadCount: 0, rssPerIdleSocket: null })],
      [],
    );
    expect(find(vs, 'new chat → assigned').outcome).toEqual({
      notJudged: expect.stringContaining('--churn 0'),
    });
    expect(find(vs, 'server memory').outcome).toEqual({ notJudged: 'not measured' });
  });

  it('prints one row per target with its outcome', () => {
    const text = formatVerdicts(
      judge([relay(), postgres({ toOperator: [5, 15, 31] })], [bundle(1734, 2048), bundle(9, null)]),
    );
    expect(text).toContain('| visitor → operator p99 | Parley, PostgreSQL | 31.0 ms | ≤ 25 ms | missed |');
    expect(text).toContain('| widget loader | bundles | 1734 B | ≤ 2048 B | met |');
    expect(text.split('\n')).toHaveLength(2 + 6);
  });
});
