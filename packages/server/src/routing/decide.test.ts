import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Channel,
  type Decision,
  decide,
  eligible,
  type OperatorSnapshot,
  plan,
  type QueueItem,
  queueOrder,
  STRATEGIES,
  type Strategy,
} from './decide.js';

const T0 = new Date('2026-11-23T10:00:00Z');
const at = (min: number) => new Date(T0.getTime() + min * 60_000);

const op = (id: string, o: Partial<OperatorSnapshot> = {}): OperatorSnapshot => ({
  id,
  status: 'online',
  skills: [],
  experience: 1,
  costTier: 1,
  maxChats: 4,
  openChats: 0,
  openVoice: 0,
  lastAssignedAt: null,
  lastEndedAt: null,
  ...o,
});
const item = (id: string, o: Partial<QueueItem> = {}): QueueItem => ({
  id,
  siteId: 's1',
  channel: 'chat',
  priority: 0,
  requiredSkills: [],
  minTier: 0,
  enqueuedAt: T0,
  ownerId: null,
  strategy: 'least_busy',
  ...o,
});
const pick = (
  strategy: Strategy,
  ops: OperatorSnapshot[],
  o: Partial<QueueItem> = {},
  rr: string | null = null,
) => decide(item('c', { strategy, ...o }), ops, rr)?.operatorId ?? null;

describe('eligibility, before any strategy', () => {
  it.each<[string, Partial<OperatorSnapshot>, Partial<QueueItem>, boolean]>([
    ['online with room', {}, {}, true],
    ['away', { status: 'away' }, {}, false],
    ['offline', { status: 'offline' }, {}, false],
    ['chats full', { openChats: 4 }, {}, false],
    ['one slot left', { openChats: 3 }, {}, true],
    ['on a call: no chats', { openVoice: 1 }, {}, false],
    ['voice needs the operator whole', { openChats: 1 }, { channel: 'voice' }, false],
    ['voice to a free operator', {}, { channel: 'voice' }, true],
    ['callback is voice too', { openChats: 2 }, { channel: 'callback' }, false],
    ['missing a skill', { skills: ['ru'] }, { requiredSkills: ['ru', 'billing'] }, false],
    ['all skills', { skills: ['billing', 'ru', 'vip'] }, { requiredSkills: ['ru', 'billing'] }, true],
    ['below the escalation floor', { costTier: 1 }, { minTier: 2 }, false],
    ['at the floor', { costTier: 2 }, { minTier: 2 }, true],
  ])('%s', (_name, o, i, expected) => {
    expect(eligible(item('c', i), op('a', o))).toBe(expected);
  });
});

describe('strategies on hand-written tables', () => {
  it('least_busy: lowest load relative to capacity, ties to the longest idle, then id', () => {
    expect(
      pick('least_busy', [
        op('a', { openChats: 2 }),
        op('b', { openChats: 1 }),
        op('c', { openChats: 3, maxChats: 10 }),
      ]),
    ).toBe('b');
    // Relative to capacity: 3 of 10 is less busy than 2 of 4.
    expect(pick('least_busy', [op('a', { openChats: 2 }), op('c', { openChats: 3, maxChats: 10 })])).toBe(
      'c',
    );
    expect(pick('least_busy', [op('a', { lastAssignedAt: at(5) }), op('b', { lastAssignedAt: at(1) })])).toBe(
      'b',
    );
    expect(pick('least_busy', [op('b'), op('a')])).toBe('a');
  });

  it('most_available: idle operators first, the one whose last contact ended longest ago', () => {
    const ops = [
      op('busy', { openChats: 1, lastEndedAt: at(-100) }),
      op('recent', { lastEndedAt: at(-1) }),
      op('rested', { lastEndedAt: at(-30) }),
    ];
    expect(pick('most_available', ops)).toBe('rested');
    expect(pick('most_available', [...ops, op('fresh', { lastEndedAt: null })])).toBe('fresh');
    // Nobody idle: the least busy.
    expect(pick('most_available', [op('x', { openChats: 3 }), op('y', { openChats: 1 })])).toBe('y');
  });

  it('most_experienced: highest experience first, then the least busy', () => {
    const ops = [
      op('junior', { experience: 1 }),
      op('senior', { experience: 5, openChats: 3 }),
      op('mid', { experience: 3 }),
    ];
    expect(pick('most_experienced', ops)).toBe('senior');
    expect(
      pick('most_experienced', [
        op('s1', { experience: 5, openChats: 2 }),
        op('s2', { experience: 5, openChats: 1 }),
      ]),
    ).toBe('s2');
  });

  it('cheapest_first: lowest tier first; an escalated item goes only to higher tiers', () => {
    const ops = [
      op('t3', { costTier: 3 }),
      op('t1', { costTier: 1, openChats: 3 }),
      op('t2', { costTier: 2 }),
    ];
    expect(pick('cheapest_first', ops)).toBe('t1');
    expect(pick('cheapest_first', ops, { minTier: 2 })).toBe('t2');
    expect(pick('cheapest_first', ops, { minTier: 4 })).toBeNull();
  });

  it('round_robin: the next in a stable rotation after the last one, wrapping around', () => {
    const ops = [op('c'), op('a'), op('b')];
    expect(pick('round_robin', ops, {}, null)).toBe('a');
    expect(pick('round_robin', ops, {}, 'a')).toBe('b');
    expect(pick('round_robin', ops, {}, 'c')).toBe('a');
    // The rotation skips whoever is not eligible now, without losing its place.
    expect(pick('round_robin', [op('a'), op('b', { status: 'away' }), op('c')], {}, 'a')).toBe('c');
  });

  it('the owner of the client open order gets the item first, whatever the strategy, when eligible', () => {
    const ops = [op('a'), op('owner', { openChats: 3, experience: 1 }), op('z', { experience: 9 })];
    for (const s of STRATEGIES)
      expect(decide(item('c', { strategy: s, ownerId: 'owner' }), ops)).toMatchObject({
        operatorId: 'owner',
        reason: 'owner',
      });
    // Owner full or away: the strategy decides.
    expect(pick('least_busy', [op('a'), op('owner', { openChats: 4 })], { ownerId: 'owner' })).toBe('a');
    expect(pick('least_busy', [op('a'), op('owner', { status: 'away' })], { ownerId: 'owner' })).toBe('a');
  });
});

describe('planning a whole queue', () => {
  it('serves higher priority first, then first come first served', () => {
    const queue = [
      item('late', { enqueuedAt: at(3) }),
      item('vip', { enqueuedAt: at(5), priority: 10 }),
      item('early', { enqueuedAt: at(1) }),
    ];
    expect([...queue].sort(queueOrder).map((q) => q.id)).toEqual(['vip', 'early', 'late']);
    const got = plan(queue, [op('a', { maxChats: 2 })]);
    expect(got.map((d) => d.itemId)).toEqual(['vip', 'early']);
  });

  it('lets a younger item through when no operator can take the older one (skills), and only then', () => {
    const queue = [
      item('ru', { enqueuedAt: at(1), requiredSkills: ['ru'] }),
      item('any', { enqueuedAt: at(2) }),
    ];
    expect(plan(queue, [op('a', { maxChats: 1 })]).map((d) => d.itemId)).toEqual(['any']);
    expect(plan(queue, [op('a', { maxChats: 1, skills: ['ru'] })]).map((d) => d.itemId)).toEqual(['ru']);
  });

  it('spreads a burst by load and keeps every operator within capacity', () => {
    const queue = Array.from({ length: 7 }, (_, i) => item(`c${i}`, { enqueuedAt: at(i) }));
    const got = plan(queue, [op('a', { maxChats: 2 }), op('b', { maxChats: 3 })]);
    const count = (id: string) => got.filter((d) => d.operatorId === id).length;
    expect([count('a'), count('b')]).toEqual([2, 3]);
  });

  it('continues the round-robin rotation within one plan', () => {
    const queue = Array.from({ length: 4 }, (_, i) =>
      item(`c${i}`, { enqueuedAt: at(i), strategy: 'round_robin' }),
    );
    expect(plan(queue, [op('a'), op('b'), op('c')], new Map([['s1', 'a']])).map((d) => d.operatorId)).toEqual(
      ['b', 'c', 'a', 'b'],
    );
  });
});

// ------------------------------------------------------------------------------------------------
// Properties: for any queue and any operators.

const SKILLS = ['ar', 'ru', 'vi', 'billing'] as const;
const arbOp = (i: number) =>
  fc
    .record({
      id: fc.constant(`op${i}`),
      status: fc.constantFrom('online', 'online', 'away', 'offline') as fc.Arbitrary<
        OperatorSnapshot['status']
      >,
      skills: fc.subarray([...SKILLS]),
      experience: fc.integer({ min: 1, max: 5 }),
      costTier: fc.integer({ min: 1, max: 3 }),
      maxChats: fc.integer({ min: 1, max: 4 }),
      openChats: fc.integer({ min: 0, max: 4 }),
      openVoice: fc.constantFrom(0, 0, 0, 1),
      lastAssignedAt: fc.option(fc.integer({ min: 0, max: 600 }).map(at), { nil: null }),
      lastEndedAt: fc.option(fc.integer({ min: 0, max: 600 }).map(at), { nil: null }),
    })
    .map((o) => ({ ...o, openChats: Math.min(o.openChats, o.maxChats) }));
const arbOps = fc
  .integer({ min: 0, max: 6 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbOp(i))));
const arbItem = (i: number) =>
  fc.record({
    id: fc.constant(`it${i}`),
    siteId: fc.constantFrom('s1', 's2'),
    channel: fc.constantFrom('chat', 'chat', 'chat', 'voice', 'callback') as fc.Arbitrary<Channel>,
    priority: fc.constantFrom(0, 0, 10),
    requiredSkills: fc.subarray([...SKILLS], { maxLength: 2 }),
    minTier: fc.integer({ min: 0, max: 3 }),
    enqueuedAt: fc.integer({ min: 0, max: 600 }).map(at),
    ownerId: fc.option(
      fc.integer({ min: 0, max: 6 }).map((n) => `op${n}`),
      { nil: null },
    ),
    strategy: fc.constantFrom(...STRATEGIES),
  });
const arbQueue = fc
  .integer({ min: 0, max: 12 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbItem(i))));
const arbRr = fc.option(
  fc.integer({ min: 0, max: 6 }).map((n) => `op${n}`),
  { nil: null },
);

/** Replays a plan step by step: the state each decision was taken in. */
function replay(
  queue: QueueItem[],
  ops: OperatorSnapshot[],
  decisions: Decision[],
  check: (item: QueueItem, state: OperatorSnapshot[], d: Decision) => void,
) {
  const state = ops.map((o) => ({ ...o }));
  const byItem = new Map(queue.map((q) => [q.id, q]));
  for (const d of decisions) {
    const it = byItem.get(d.itemId)!;
    check(it, state, d);
    const o = state.find((x) => x.id === d.operatorId)!;
    if (it.channel === 'chat') o.openChats += 1;
    else o.openVoice += 1;
  }
  return state;
}

describe('routing invariants (fast-check)', () => {
  it('never assigns to an ineligible operator, and never twice the same item', () => {
    fc.assert(
      fc.property(arbQueue, arbOps, (queue, ops) => {
        const decisions = plan(queue, ops);
        expect(new Set(decisions.map((d) => d.itemId)).size).toBe(decisions.length);
        replay(queue, ops, decisions, (it, state, d) => {
          expect(eligible(it, state.find((o) => o.id === d.operatorId)!)).toBe(true);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('never exceeds capacity: chats within the limit, a voice item alone', () => {
    fc.assert(
      fc.property(arbQueue, arbOps, (queue, ops) => {
        const end = replay(queue, ops, plan(queue, ops), () => {});
        for (const [i, o] of end.entries()) {
          const before = ops[i]!;
          const addedChats = o.openChats - before.openChats;
          const addedVoice = o.openVoice - before.openVoice;
          if (addedChats > 0) expect(o.openChats).toBeLessThanOrEqual(o.maxChats);
          if (addedVoice > 0)
            expect(
              addedVoice === 1 && before.openChats === 0 && before.openVoice === 0 && addedChats === 0,
            ).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never starves an older item: no operator goes to a younger item that an older waiting one could have had', () => {
    fc.assert(
      fc.property(arbQueue, arbOps, (queue, ops) => {
        const decisions = plan(queue, ops);
        const assigned = new Set(decisions.map((d) => d.itemId));
        replay(queue, ops, decisions, (it, state, d) => {
          const o = state.find((x) => x.id === d.operatorId)!;
          for (const older of queue) {
            if (assigned.has(older.id) || queueOrder(older, it) >= 0) continue;
            // An older (or higher-priority) item left waiting must not have fitted this operator.
            expect(eligible(older, o)).toBe(false);
          }
        });
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic: equal inputs, in any order, give equal plans', () => {
    fc.assert(
      fc.property(arbQueue, arbOps, arbRr, (queue, ops, rr) => {
        const rrMap = new Map([['s1', rr]]);
        const a = plan(queue, ops, rrMap);
        const b = plan([...queue].reverse(), [...ops].reverse(), rrMap);
        expect(b).toEqual(a);
        expect(plan(queue, ops, rrMap)).toEqual(a);
      }),
      { numRuns: 300 },
    );
  });

  it('assigns every item some eligible operator could take (nothing left waiting for no reason)', () => {
    fc.assert(
      fc.property(arbQueue, arbOps, (queue, ops) => {
        const decisions = plan(queue, ops);
        const end = replay(queue, ops, decisions, () => {});
        const assigned = new Set(decisions.map((d) => d.itemId));
        for (const it of queue)
          if (!assigned.has(it.id)) expect(end.some((o) => eligible(it, o))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
