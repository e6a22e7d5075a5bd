/**
 * When an operator's row certainly said "not online", as one operator socket can tell from what it
 * sent and heard; and whether a routing pass certainly read the operators inside such a span.
 */
import type { OperatorStatus } from '@parley/protocol';

export interface Stamped {
  /** Date.now() of the test process. */
  at: number;
  status: OperatorStatus;
}

/**
 * From hearing its own away/offline presence (published after the commit) until it next sent
 * "online", the operator's row said not online. The k-th presence answers the k-th status frame
 * (one socket's frames are handled in order), so an "online" sent after that frame, even before its
 * presence came back, may end the span.
 */
export function notOnlineSpans(sent: readonly Stamped[], heard: readonly Stamped[]): [number, number][] {
  const spans: [number, number][] = [];
  heard.forEach((p, k) => {
    if (p.status === 'online') return;
    const nextOnline = sent.slice(k + 1).find((s) => s.status === 'online')?.at ?? Number.POSITIVE_INFINITY;
    spans.push([p.at, nextOnline]);
  });
  return spans;
}

/**
 * The span a pass certainly read the operators in, if any. The pass read them after `readFrom` (its
 * "now", stored as assigned_at: taken before the reads, which may then wait tens of milliseconds for
 * the routing lock or a connection) and before `readBy` (any moment after its commit). Strictly
 * inside: both clocks count whole milliseconds, so a "now" in the millisecond the presence was heard
 * may precede the commit, and a bound in the millisecond "online" was sent may follow its commit.
 */
export function readInside(
  spans: readonly [number, number][],
  readFrom: number,
  readBy: number,
): [number, number] | undefined {
  return spans.find(([from, to]) => from < readFrom && readBy < to);
}
