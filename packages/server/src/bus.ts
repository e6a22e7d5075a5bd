import type { Channel, ContactSummary, Message, OperatorCard, OperatorStatus, Task } from '@parley/protocol';

/** Everything sockets need to hear about. Published only after the transaction that caused it commits. */
export type ChatEvent =
  | { kind: 'contact'; workspaceId: string; contact: ContactSummary }
  /** `assigneeId`: who has the conversation (null while queued); operators hear only their own. */
  | { kind: 'message'; workspaceId: string; message: Message; assigneeId: string | null }
  | { kind: 'assigned'; workspaceId: string; contactId: string; operator: OperatorCard }
  /** An operator deleted a message; `assigneeId` as for `message`. */
  | {
      kind: 'deleted';
      workspaceId: string;
      contactId: string;
      messageId: string;
      assigneeId: string | null;
      by: string;
      at: string;
    }
  | {
      kind: 'position';
      workspaceId: string;
      contactId: string;
      position: number;
      estimatedWaitSeconds: number | null;
      channel: Channel;
      waitingSince: string;
    }
  | { kind: 'task'; workspaceId: string; userId: string; task: Task }
  | {
      kind: 'typing';
      workspaceId: string;
      contactId: string;
      assigneeId: string | null;
      from: 'visitor' | 'operator';
      on: boolean;
    }
  | {
      kind: 'seen';
      workspaceId: string;
      contactId: string;
      assigneeId: string | null;
      by: 'visitor' | 'operator';
      seq: number;
    }
  | { kind: 'presence'; workspaceId: string; userId: string; status: OperatorStatus }
  /** The user was deactivated or their password reset: their open sockets close. */
  | { kind: 'signed-out'; workspaceId: string; userId: string };

export type Listener = (event: ChatEvent) => void;

/** The port between the domain and the sockets; in-process here, Postgres LISTEN/NOTIFY across processes. */
export interface EventBus {
  publish(event: ChatEvent): void;
  subscribe(listener: Listener): () => void;
  /**
   * Called when events published elsewhere may not have reached this process (a bus across
   * processes whose link dropped): whatever was kept up to date by events must be read again.
   */
  onMissed(handler: () => void): () => void;
}

export function createLocalBus(onListenerError: (err: unknown) => void = () => {}): EventBus {
  const listeners = new Set<Listener>();
  return {
    publish(event) {
      for (const l of listeners) {
        try {
          l(event);
        } catch (err) {
          // One broken socket must not stop delivery to the others.
          onListenerError(err);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    // In one process every event reaches every listener: none is ever missed.
    onMissed: () => () => {},
  };
}
