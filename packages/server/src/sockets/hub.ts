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
export function createHub(bus: EventBus, onListenerError: (err: unknown) => void = () => {}) {
  const byContact = new Map<string, Set<Listener>>();
  const byWorkspace = new Map<string, Set<Listener>>();

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
  const unsubscribe = bus.subscribe((e) => {
    const contactId = contactOf(e);
    if (contactId) deliver(byContact.get(contactId), e);
    deliver(byWorkspace.get(e.workspaceId), e);
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
    /** Events about one conversation (visitor sockets). */
    onContact: (contactId: string, l: Listener) => add(byContact, contactId, l),
    /** Every event of a workspace (operator sockets). */
    onWorkspace: (workspaceId: string, l: Listener) => add(byWorkspace, workspaceId, l),
    /** How many listeners are registered (for tests and metrics). */
    size: () => [...byContact.values(), ...byWorkspace.values()].reduce((n, s) => n + s.size, 0),
    close: unsubscribe,
  };
}
export type Hub = ReturnType<typeof createHub>;
