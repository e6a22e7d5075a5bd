import type { ChatEvent, EventBus } from '../bus.js';
import type { Db } from '../db/client.js';
import { type RoutingSnapshot, routingSnapshot } from './repo.js';

/** Events after which a workspace's routing inputs may have changed. */
const CHANGES: ReadonlySet<ChatEvent['kind']> = new Set(['contact', 'assigned', 'presence', 'signed-out']);
/** How long a workspace's snapshot is kept current after a new chat last asked for it (ms). */
const KEEP_MS = 10 * 60_000;

/**
 * The routing inputs of the workspaces new chats come to, read again after every change this process
 * hears of, so that a new chat's pass can decide before it reads (see `routeWith`). A snapshot is
 * offered only while no change has been heard since its read began; a change nobody announced (an
 * operator's skills edited, another process's event still on its way) is caught by the pass, which
 * checks the snapshot's key under the routing lock. One read at a time per workspace; changes heard
 * during a read ask for one more after it. None while `busy` (a routing pass of the workspace is
 * under way here: what it writes would make the read stale at once, and a burst of new chats, each
 * announced, kept a read going back to back); `idle` says when to catch up.
 *
 * A workspace no new chat has asked about for `keepMs` is let go at its next change: no read of
 * its operators after every change for as long as the process lives, and no entry kept for it. The
 * next new chat finds no snapshot, as the first did, and is routed by reading.
 */
export function createSnapshots(deps: {
  db: Db;
  bus: EventBus;
  busy: (workspaceId: string) => boolean;
  log?: { warn(obj: object, msg?: string): void };
  keepMs?: number;
  /** Milliseconds on any steady clock (tests move it). */
  now?: () => number;
}) {
  interface Entry {
    /** Changes heard so far. */
    changes: number;
    /** The last snapshot read and the changes heard when its read began. */
    snapshot: RoutingSnapshot | null;
    readAt: number;
    reading: boolean;
    /** When a new chat last asked for it (`now`). */
    askedAt: number;
  }
  const entries = new Map<string, Entry>();
  const keepMs = deps.keepMs ?? KEEP_MS;
  const now = deps.now ?? (() => performance.now());
  let closed = false;

  /** The workspace's entry, unless no new chat asked for it for too long: then it is let go. */
  const kept = (workspaceId: string): Entry | undefined => {
    const entry = entries.get(workspaceId);
    if (!entry || now() - entry.askedAt <= keepMs) return entry;
    entries.delete(workspaceId); // a read under way finishes into the entry let go
    return undefined;
  };

  const changed = (workspaceId: string) => {
    const entry = kept(workspaceId);
    if (!entry) return;
    entry.changes++;
    void read(workspaceId, entry);
  };
  const unsubscribe = deps.bus.subscribe((e) => {
    if (CHANGES.has(e.kind)) changed(e.workspaceId);
  });
  // Any change may have been among the events missed: every snapshot is read again. (A pass would
  // catch a stale one by its key, but then every new chat would be routed by reading until the next
  // change this process hears of.)
  const unMissed = deps.bus.onMissed(() => {
    for (const workspaceId of [...entries.keys()]) changed(workspaceId);
  });

  async function read(workspaceId: string, entry: Entry) {
    if (entry.reading || closed) return;
    entry.reading = true;
    try {
      while (entry.readAt !== entry.changes && !closed && !deps.busy(workspaceId)) {
        const at = entry.changes;
        entry.snapshot = await routingSnapshot(deps.db, workspaceId);
        entry.readAt = at;
      }
    } catch (err) {
      // Nothing is lost: new chats are routed by reading, as without snapshots, until the next change.
      entry.snapshot = null;
      deps.log?.warn({ err, workspaceId }, 'routing snapshot not read; new chats are routed by reading');
    } finally {
      entry.reading = false;
    }
  }

  return {
    /**
     * The workspace's snapshot if no change was heard since its read began; else null, and the
     * workspace's snapshots are kept from now on. Either way, asking keeps them (`keepMs`).
     */
    current(workspaceId: string): RoutingSnapshot | null {
      const entry = kept(workspaceId);
      if (!entry) {
        const made: Entry = { changes: 1, snapshot: null, readAt: 0, reading: false, askedAt: now() };
        entries.set(workspaceId, made);
        void read(workspaceId, made);
        return null;
      }
      entry.askedAt = now();
      if (entry.readAt === entry.changes) return entry.snapshot;
      void read(workspaceId, entry); // a read that failed is tried again here
      return null;
    },
    /** No longer `busy`: a snapshot that missed changes meanwhile is read again. */
    idle(workspaceId: string) {
      const entry = kept(workspaceId);
      if (entry) void read(workspaceId, entry);
    },
    close() {
      closed = true;
      unsubscribe();
      unMissed();
    },
  };
}
export type Snapshots = ReturnType<typeof createSnapshots>;
