/**
 * The routing decision: pure functions over a snapshot of the queue and the operators. The service
 * reads the snapshot under row locks, calls `plan`, and applies the result in the same transaction.
 */
export const STRATEGIES = [
  'least_busy',
  'most_available',
  'most_experienced',
  'cheapest_first',
  'round_robin',
] as const;
export type Strategy = (typeof STRATEGIES)[number];

export type Channel = 'chat' | 'voice' | 'callback';

/** What the router knows of one operator when it decides. */
export interface OperatorSnapshot {
  id: string;
  status: 'online' | 'away' | 'offline';
  skills: readonly string[];
  /** 1 and up; `most_experienced` prefers the highest. */
  experience: number;
  /** 1 and up; `cheapest_first` prefers the lowest; escalation raises an item's floor. */
  costTier: number;
  maxChats: number;
  /** Chats assigned to or active with this operator now. */
  openChats: number;
  /** Voice items (calls, callbacks) assigned to or active with this operator now. */
  openVoice: number;
  /** When this operator last got a contact; null = never. */
  lastAssignedAt: Date | null;
  /** When this operator's last contact ended; null = never. */
  lastEndedAt: Date | null;
}

export interface QueueItem {
  id: string;
  siteId: string;
  channel: Channel;
  priority: number;
  requiredSkills: readonly string[];
  /** Only operators of at least this cost tier (0 = anyone). */
  minTier: number;
  enqueuedAt: Date;
  /** The responsible employee of the client's open order: offered the item before any strategy. */
  ownerId: string | null;
  strategy: Strategy;
}

export interface Decision {
  itemId: string;
  operatorId: string;
  /** `owner`: the client's order owner took it; `strategy`: the site's strategy picked. */
  reason: 'owner' | 'strategy';
}

export const isVoice = (channel: Channel): boolean => channel !== 'chat';

/**
 * Why this operator cannot take this item now, in words an operator reads; null when they can.
 * Online, every required skill, the item's tier floor, and room: a voice item takes the operator
 * whole (no other contact open), and an operator on a voice item takes no chats.
 */
export function whyNot(item: QueueItem, op: OperatorSnapshot): string | null {
  if (op.status !== 'online') return 'is not online';
  const missing = item.requiredSkills.filter((s) => !op.skills.includes(s));
  if (missing.length > 0) return `lacks the skill ${missing.map((s) => `"${s}"`).join(', ')}`;
  if (op.costTier < item.minTier) return `is below tier ${item.minTier}, where this contact was escalated`;
  if (op.openVoice > 0) return 'is on a call';
  if (isVoice(item.channel))
    return op.openChats === 0 ? null : 'has chats open; a call needs the operator whole';
  return op.openChats < op.maxChats ? null : `has no free chat slot (${op.openChats} of ${op.maxChats})`;
}

export const eligible = (item: QueueItem, op: OperatorSnapshot): boolean => whyNot(item, op) === null;

const time = (d: Date | null): number => d?.getTime() ?? Number.NEGATIVE_INFINITY;
const byId = (a: OperatorSnapshot, b: OperatorSnapshot) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const load = (op: OperatorSnapshot) => (op.openChats + op.openVoice) / Math.max(1, op.maxChats);

/** Fewest open contacts relative to capacity; ties: longest since the last assignment, then id. */
const leastBusy = (a: OperatorSnapshot, b: OperatorSnapshot) =>
  load(a) - load(b) || time(a.lastAssignedAt) - time(b.lastAssignedAt) || byId(a, b);

const ORDER: Record<
  Exclude<Strategy, 'round_robin'>,
  (a: OperatorSnapshot, b: OperatorSnapshot) => number
> = {
  least_busy: leastBusy,
  // Idle operators (nothing open) first, the one whose last contact ended longest ago first.
  most_available: (a, b) => {
    const idleA = a.openChats + a.openVoice === 0;
    const idleB = b.openChats + b.openVoice === 0;
    if (idleA !== idleB) return idleA ? -1 : 1;
    return idleA ? time(a.lastEndedAt) - time(b.lastEndedAt) || byId(a, b) : leastBusy(a, b);
  },
  most_experienced: (a, b) => b.experience - a.experience || leastBusy(a, b),
  cheapest_first: (a, b) => a.costTier - b.costTier || leastBusy(a, b),
};

/**
 * Who takes one item, or null when nobody can. `rrLast` is the operator who got the item's site's
 * previous contact under `round_robin`: the rotation continues after them, in id order.
 */
export function decide(
  item: QueueItem,
  operators: readonly OperatorSnapshot[],
  rrLast: string | null = null,
): Decision | null {
  const candidates = operators.filter((op) => eligible(item, op));
  if (candidates.length === 0) return null;
  const owner = item.ownerId ? candidates.find((op) => op.id === item.ownerId) : undefined;
  if (owner) return { itemId: item.id, operatorId: owner.id, reason: 'owner' };
  let pick: OperatorSnapshot;
  if (item.strategy === 'round_robin') {
    const ring = [...candidates].sort(byId);
    pick = (rrLast ? ring.find((op) => op.id > rrLast) : undefined) ?? ring[0]!;
  } else {
    pick = [...candidates].sort(ORDER[item.strategy])[0]!;
  }
  return { itemId: item.id, operatorId: pick.id, reason: 'strategy' };
}

/** Service order: higher priority first, then first come, first served, then id (deterministic). */
export function queueOrder(a: QueueItem, b: QueueItem): number {
  return (
    b.priority - a.priority ||
    a.enqueuedAt.getTime() - b.enqueuedAt.getTime() ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/**
 * Assigns as much of the queue as the operators can take, in service order: an older item always
 * gets the first pick, so a younger one is never given an operator the older one could have had.
 * Pure and deterministic; the inputs are not modified.
 */
export function plan(
  queue: readonly QueueItem[],
  operators: readonly OperatorSnapshot[],
  rrLast: ReadonlyMap<string, string | null> = new Map(),
  // The latest possible instant by default: an operator just given an item is the least idle.
  now: Date = new Date(8.64e15),
): Decision[] {
  const ops = operators.map((op) => ({ ...op }));
  const rotation = new Map(rrLast);
  const out: Decision[] = [];
  for (const item of [...queue].sort(queueOrder)) {
    const d = decide(item, ops, rotation.get(item.siteId) ?? null);
    if (!d) continue;
    const op = ops.find((o) => o.id === d.operatorId)!;
    if (isVoice(item.channel)) op.openVoice += 1;
    else op.openChats += 1;
    op.lastAssignedAt = now;
    if (item.strategy === 'round_robin' && d.reason === 'strategy') rotation.set(item.siteId, op.id);
    out.push(d);
  }
  return out;
}
