import type { ChatEvent, EventBus, Listener } from '../bus.js';

/** The conversation an event is about, if any. */
export function contactOf(e: ChatEvent): string | null {
  switch (e.kind) {
    case 'message':
      return e.message.contactId;
    case 'contact':
      return e.contact.id;
    case 'assigned':
    case 'deleted':
    case 'position':
    case 'typing':
    case 'seen':
      return e.contactId;
    case 'presence':
    case 'signed-out':
    case 'task':
      return null;
  }
}

/**
 * This process's sockets, indexed: one bus subscription for all of them, and each event reaches only
 * the visitor sockets of its conversation and the operator sockets of its workspace. Offering every
 * event to every socket would cost ten thousand calls per message with ten thousand visitors online.
 */
/** An assigned conversation's own traffic: only its operator (and those who watch all) need it. */
function assigneeOf(e: ChatEvent): string | null {
  switch (e.kind) {
    case 'message':
    case 'deleted':
    case 'typing':
    case 'seen':
      return e.assigneeId;
    default:
      return null;
  }
}

/** The close reason of `CloseCode.Resync`. */
export const RESYNC_REASON = 'events may have been missed: reconnect';

/** Who an operator socket listens for: its user, and whether it watches every conversation. */
export interface Scope {
  userId: string;
  watchesAll: boolean;
}

export function createHub(bus: EventBus, onListenerError: (err: unknown) => void = () => {}) {
  const byContact = new Map<string, Set<Listener>>();
  /** Workspace listeners that hear everything (supervisors, admins, unscoped). */
  const byWorkspace = new Map<string, Set<Listener>>();
  /** Operators' listeners by workspace, then user: an assigned chat's message reaches one of them. */
  const byOperator = new Map<string, Map<string, Set<Listener>>>();

  const deliver = (set: Set<Listener> | undefined, e: ChatEvent) => {
    if (!set) return;
    for (const l of set) {
      try {
        l(e);
      } catch (err) {
        // One broken socket must not stop delivery to the others.
        onListenerError(err);
      }
    }
  };
  /**
   * What each socket does when events may have been missed (`EventBus.onMissed`): it closes with
   * `CloseCode.Resync`, and its client reconnects and reads what it missed, as after any drop.
   * Sockets that follow nothing (a visitor with no conversation) are not here and stay open.
   */
  const resyncs = new Set<() => void>();
  const unMissed = bus.onMissed(() => {
    const all = [...resyncs];
    resyncs.clear();
    for (const resync of all) {
      try {
        resync();
      } catch (err) {
        onListenerError(err);
      }
    }
  });
  /** Registers `resync` beside a listener's removal. */
  const withResync = (remove: () => void, resync: (() => void) | undefined) => {
    if (!resync) return remove;
    resyncs.add(resync);
    return () => {
      remove();
      resyncs.delete(resync);
    };
  };
  const unsubscribe = bus.subscribe((e) => {
    const contactId = contactOf(e);
    if (contactId) deliver(byContact.get(contactId), e);
    deliver(byWorkspace.get(e.workspaceId), e);
    const operators = byOperator.get(e.workspaceId);
    if (!operators) return;
    // With 200 operators online, offering each message to all of them was 200 calls a message.
    const assignee = assigneeOf(e);
    if (assignee) deliver(operators.get(assignee), e);
    else for (const set of operators.values()) deliver(set, e);
  });

  const add = (map: Map<string, Set<Listener>>, key: string, l: Listener) => {
    let set = map.get(key);
    if (!set) {
      set = new Set();
      map.set(key, set);
    }
    set.add(l);
    return () => {
      set.delete(l);
      if (set.size === 0 && map.get(key) === set) map.delete(key);
    };
  };

  return {
    /** Events about one conversation (visitor sockets); `resync` when some may have been missed. */
    onContact: (contactId: string, l: Listener, resync?: () => void) =>
      withResync(add(byContact, contactId, l), resync),
    /**
     * The events of a workspace an operator socket needs: all of them for one that watches all;
     * otherwise everything but the messages, typing, read state and deletions of conversations
     * assigned to someone else.
     */
    onWorkspace: (workspaceId: string, l: Listener, scope?: Scope, resync?: () => void) => {
      if (!scope || scope.watchesAll) return withResync(add(byWorkspace, workspaceId, l), resync);
      let users = byOperator.get(workspaceId);
      if (!users) {
        users = new Map();
        byOperator.set(workspaceId, users);
      }
      const remove = add(users, scope.userId, l);
      return withResync(() => {
        remove();
        if (users.size === 0 && byOperator.get(workspaceId) === users) byOperator.delete(workspaceId);
      }, resync);
    },
    /** How many listeners are registered (for tests and metrics). */
    size: () =>
      [
        ...byContact.values(),
        ...byWorkspace.values(),
        ...[...byOperator.values()].flatMap((m) => [...m.values()]),
      ].reduce((n, s) => n + s.size, 0),
    /** Sockets that would be asked to reconnect if events were missed now (tests). */
    resyncing: () => resyncs.size,
    close() {
      unsubscribe();
      unMissed();
    },
  };
}
export type Hub = ReturnType<typeof createHub>;
