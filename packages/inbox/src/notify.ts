/**
 * The one place where the inbox raises "new contact" and "new message" events. Sounds and browser
 * notifications (a later issue) hook in here; until then the events go to listeners only.
 */
import type { InboxEvent } from './store.js';

type Listener = (event: InboxEvent) => void;
const listeners = new Set<Listener>();

export function onInboxEvent(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function raise(event: InboxEvent): void {
  for (const fn of listeners) {
    try {
      fn(event);
    } catch {
      // A broken listener must not stop frame handling.
    }
  }
}
