import { describe, expect, it } from 'vitest';
import {
  AFTER_MS,
  analyzeTimeline,
  formatTimeline,
  MARK_LEAD_MS,
  machineStops,
  type ProcessEvent,
  STALL_MIN_MS,
} from './timeline.js';

const T0 = 1_700_000_000_000;

/** 1,000 messages a second for 10 s; those sent within `slowFrom..slowTo` took `slowMs`. */
function messages(slowFrom: number, slowTo: number, slowMs: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < 10_000; i++) {
    const at = T0 + i;
    out.push([at, at >= slowFrom && at < slowTo ? slowMs : 3 + (i % 7)]);
  }
  return out;
}

describe('the timeline of the slowest messages', () => {
  it('counts the slow messages sent around a major collection, and the p99 without them', () => {
    const major = T0 + 5_000;
    const events: ProcessEvent[] = [
      { gc: 'minor', at: T0 + 1_000, ms: 4 },
      { gc: 'minor', at: T0 + 2_000, ms: 9 },
      { gc: 'incremental', at: major - 100, ms: 6 },
      { gc: 'major', at: major, ms: 12 },
      { gap: 60, at: major - 40 },
      { gap: 16, at: T0 + 20_000 }, // after the window: not counted
      { gc: 'major', at: T0 - 60_000, ms: 30 }, // long before: not in the window
    ];
    // The 150 messages sent in the 150 ms before the pause waited 90 ms.
    const t = analyzeTimeline(messages(major - 150, major, 90), events)!;
    expect(t.messages).toBe(10_000);
    expect(t.p99).toBe(90);
    expect(t.majors).toEqual([{ at: major, ms: 12 }]);
    expect(t.atOrAboveP99).toBe(150);
    expect(t.aroundMajor).toBe(150);
    expect(t.p99Elsewhere).toBe(9);
    expect(t.minor).toEqual({ count: 2, p50: 4, p99: 9, max: 9 });
    expect(t.gaps).toBe(1);
    expect(t.longestGap).toBe(60);
    const text = formatTimeline('Parley, PostgreSQL', t);
    expect(text).toContain('major collections in the window: 1 (12.0 ms pause)');
    expect(text).toContain('messages at or above the p99: 150, sent around a major collection: 150');
    expect(text).toContain('p99 of the messages not sent around one: 9.0 ms');
  });

  it("reports the generator's own stalls in the window, apart from the server's", () => {
    const server: ProcessEvent[] = [{ gc: 'major', at: T0 + 2_000, ms: 10 }];
    const generator: ProcessEvent[] = [
      { gc: 'major', at: T0 + 7_000, ms: 8 },
      { gc: 'major', at: T0 - 30_000, ms: 20 }, // before the window
      { gap: 32, at: T0 + 7_001 },
      { gap: 18, at: T0 + 9_000 },
      { gap: 50, at: T0 + 40_000 }, // after it
    ];
    const t = analyzeTimeline(messages(T0 + 7_000, T0 + 7_040, 45), server, generator)!;
    expect(t.majors).toEqual([{ at: T0 + 2_000, ms: 10 }]);
    expect(t.gaps).toBe(0);
    expect(t.generator).toEqual({ majors: 1, gaps: 2, longestGap: 32 });
    expect(formatTimeline('Parley, PGlite', t)).toContain(
      "the generator's own: major collections 1, event-loop gaps over 15 ms 2, longest 32.0 ms",
    );
    // Not recorded (an older generator, or a run without it): nothing is said of it.
    const without = analyzeTimeline(messages(0, 0, 0), server)!;
    expect(without.generator).toBeNull();
    expect(without.machine).toBeNull();
    expect(formatTimeline('Parley, PGlite', without)).not.toContain('generator');
    expect(formatTimeline('Parley, PGlite', without)).not.toContain('stood still');
  });

  it('finds where the whole machine stood still: both loops paused together, neither collecting', () => {
    const stop = T0 + 4_000;
    const server: ProcessEvent[] = [
      { gap: 41, at: stop - 1 },
      { gc: 'minor', at: T0 + 1_000, ms: 3 },
    ];
    const generator: ProcessEvent[] = [{ gap: 43, at: stop }];
    // Sent in the 20 ms before the stop (in flight when it came) and in its backlog after.
    const sent = messages(stop - 20, stop + 40 + AFTER_MS, 60);
    // Slow for another reason, well after it: counted against neither.
    for (let i = 8_000; i < 8_010; i++) sent[i] = [T0 + i, 70];
    const t = analyzeTimeline(sent, server, generator)!;
    expect(t.machine!.stops).toEqual([{ at: stop, ms: 40 }]);
    expect(t.atOrAboveP99).toBe(270);
    expect(t.machine!.aroundStop).toBe(260);
    expect(t.p99Elsewhere).toBe(60); // no major collection: the stop is still in it
    expect(t.machine!.p99Elsewhere).toBe(9);
    const text = formatTimeline('Parley, PostgreSQL', t);
    expect(text).toContain(
      'the machine stood still (both loops paused, neither collecting): 1 (40.0 ms); messages at or above the p99 caught in one or its backlog: 260',
    );
    expect(text).toContain('p99 of the messages around neither a major collection nor a standstill: 9.0 ms');
  });

  it("does not call a process's own collection, or gaps that barely overlap, a standstill", () => {
    // The server's gap is its own major collection's pause; the generator was stopped meanwhile.
    expect(
      machineStops(
        [
          { gc: 'major', at: T0 + 5, ms: 30 },
          { gap: 40, at: T0 },
        ],
        [{ gap: 40, at: T0 }],
      ),
    ).toEqual([]);
    // Two gaps that share less than STALL_MIN_MS.
    expect(machineStops([{ gap: 20, at: T0 }], [{ gap: 20, at: T0 + 20 - (STALL_MIN_MS - 1) }])).toEqual([]);
    // A short collection inside a long gap does not explain it.
    expect(
      machineStops(
        [
          { gc: 'minor', at: T0 + 10, ms: 4 },
          { gap: 40, at: T0 },
        ],
        [{ gap: 30, at: T0 + 5 }],
      ),
    ).toEqual([{ at: T0 + 5, ms: 30 }]);
  });

  it('does not blame a collection for slow messages sent well away from it', () => {
    const major = T0 + 5_000;
    const slowFrom = major + 12 + AFTER_MS + 1_000;
    const t = analyzeTimeline(messages(slowFrom, slowFrom + 200, 80), [{ gc: 'major', at: major, ms: 12 }])!;
    expect(t.atOrAboveP99).toBe(200);
    expect(t.aroundMajor).toBe(0);
    expect(t.p99Elsewhere).toBe(80);
    // The span starts MARK_LEAD_MS before the pause: a message just inside it counts.
    const edge = analyzeTimeline(messages(major - MARK_LEAD_MS, major - MARK_LEAD_MS + 150, 70), [
      { gc: 'major', at: major, ms: 12 },
    ])!;
    expect(edge.aroundMajor).toBe(150);
  });

  it("reads a long window: ten minutes at the issue's rate is 1.5 million messages", () => {
    const sent: [number, number][] = [];
    for (let i = 0; i < 1_500_000; i++) sent.push([T0 + i / 2.5, 5]);
    const t = analyzeTimeline(sent, [{ gc: 'minor', at: T0 + 10, ms: 3 }])!;
    expect(t.messages).toBe(1_500_000);
    expect(t.minor.count).toBe(1);
  });

  it('has nothing to say without messages', () => {
    expect(analyzeTimeline([], [{ gc: 'major', at: T0, ms: 5 }])).toBeNull();
  });
});
