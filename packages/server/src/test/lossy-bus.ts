import { createLocalBus, type EventBus } from '../bus.js';

/** The local bus, able to say that events were missed, as the PostgreSQL bus does when its link drops. */
export function lossyBus(): EventBus & { miss(): void } {
  const bus = createLocalBus();
  const handlers = new Set<() => void>();
  return {
    ...bus,
    onMissed(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    miss: () => {
      for (const h of handlers) h();
    },
  };
}
