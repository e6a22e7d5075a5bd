/**
 * "Is anyone online?" for every visitor socket of a process, asked of the database once per
 * presence change and workspace, not once per socket: ten thousand open widgets must not mean ten
 * thousand queries when one operator goes away.
 */
import type { EventBus } from '../bus.js';

type Listener = (online: boolean) => void;

export function createOnlineWatch(
  bus: EventBus,
  anyoneOnline: (workspaceId: string) => Promise<boolean>,
  opts: { log?: { warn(obj: unknown, msg?: string): void }; retryMs?: number } = {},
) {
  const retryMs = opts.retryMs ?? 2_000;
  const watched = new Map<
    string,
    { online: boolean | null; listeners: Set<Listener>; check?: Promise<void> }
  >();

  const recheck = (workspaceId: string) => {
    const w = watched.get(workspaceId);
    if (!w || w.check) return;
    w.check = (async () => {
      // Let a burst of presence events (a shift starting) settle into one query.
      await new Promise((r) => setTimeout(r, 20));
      w.check = undefined;
      const online = await anyoneOnline(workspaceId);
      if (online === w.online) return;
      w.online = online;
      for (const l of w.listeners) l(online);
    })().catch((err: unknown) => {
      // The database did not answer (an outage): the widgets keep what they were told, and the
      // question is asked again while anyone watches, not only at the next presence change.
      w.check = undefined;
      opts.log?.warn({ err, workspaceId }, 'could not tell whether anyone is online; asking again');
      setTimeout(() => {
        if (watched.get(workspaceId) === w) recheck(workspaceId);
      }, retryMs).unref?.();
    });
  };
  const unsubscribe = bus.subscribe((e) => {
    if (e.kind === 'presence') recheck(e.workspaceId);
  });
  // A presence change may have been among the events missed: ask again for every workspace watched.
  const unMissed = bus.onMissed(() => {
    for (const workspaceId of watched.keys()) recheck(workspaceId);
  });

  return {
    /** Hears every change of the workspace's online state after `initial` (what the socket was told). */
    watch(workspaceId: string, initial: boolean, l: Listener): () => void {
      let w = watched.get(workspaceId);
      if (!w) {
        w = { online: initial, listeners: new Set() };
        watched.set(workspaceId, w);
      }
      w.listeners.add(l);
      const entry = w;
      return () => {
        entry.listeners.delete(l);
        if (entry.listeners.size === 0 && watched.get(workspaceId) === entry) watched.delete(workspaceId);
      };
    },
    close() {
      unsubscribe();
      unMissed();
    },
  };
}
export type OnlineWatch = ReturnType<typeof createOnlineWatch>;
