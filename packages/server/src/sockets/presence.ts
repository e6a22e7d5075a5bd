/**
 * Which visitors are still there. A visitor who closes the tab while waiting in the queue must not
 * wait for an operator forever (nor take one's slot when their turn comes): each process keeps the
 * visitors with an open conversation on its sockets marked as seen, and any process abandons queued
 * chats whose visitor has not been seen for a while — a lost contact, as if they had left.
 */
import type { ChatService } from '../chat/service.js';
import { type Clock, systemClock } from '../clock.js';

/** How often live visitors are marked as seen. */
export const HEARTBEAT_MS = 30_000;
/** Gone this long (a reload, a train tunnel are shorter) and a queued chat is abandoned. */
export const ABANDON_AFTER_MS = 120_000;

interface Live {
  visitorId(): string | null;
  contactId(): string | null;
}

export function createVisitorPresence(deps: {
  chat: Pick<ChatService, 'touchVisitors' | 'abandonGone'>;
  clock?: Clock;
  log: { error(obj: unknown, msg?: string): void };
}) {
  const clock = deps.clock ?? systemClock;
  const live = new Set<Live>();
  let timer: ReturnType<typeof setInterval> | null = null;

  /** Marks every visitor with an open conversation on this process as seen now. */
  async function heartbeat(): Promise<void> {
    const ids = new Set<string>();
    for (const l of live) {
      const v = l.visitorId();
      if (v && l.contactId()) ids.add(v);
    }
    if (ids.size > 0) await deps.chat.touchVisitors([...ids], clock.now());
  }

  /** Abandons queued chats of visitors not seen since `ABANDON_AFTER_MS` before `now`. */
  function sweep(now = clock.now()): Promise<number> {
    return deps.chat.abandonGone(new Date(now.getTime() - ABANDON_AFTER_MS));
  }

  return {
    /** A visitor socket; the returned function is called when it closes. */
    register(entry: Live): () => void {
      live.add(entry);
      return () => {
        live.delete(entry);
        const v = entry.visitorId();
        // The moment they left is when the grace period starts.
        if (v && entry.contactId()) {
          deps.chat
            .touchVisitors([v], clock.now())
            .catch((err) => deps.log.error({ err }, 'visitor presence'));
        }
      };
    },
    heartbeat,
    sweep,
    start(): void {
      timer ??= setInterval(() => {
        heartbeat()
          .then(() => sweep())
          .catch((err) => deps.log.error({ err }, 'visitor presence sweep failed'));
      }, HEARTBEAT_MS);
      timer.unref?.();
    },
    stop(): void {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
export type VisitorPresence = ReturnType<typeof createVisitorPresence>;
