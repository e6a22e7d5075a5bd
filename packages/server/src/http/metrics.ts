import { and, count, eq } from 'drizzle-orm';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db/client.js';
import { contacts } from '../db/schema/index.js';

/** One registry per app (tests build many apps in one process). */
export function createMetrics(db: Db) {
  const registry = new Registry();
  const openSockets = new Gauge({
    name: 'parley_open_sockets',
    help: 'WebSocket connections open now, by kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const messagesStored = new Counter({
    name: 'parley_messages_stored_total',
    help: 'Messages persisted (duplicates by client id are not counted).',
    registers: [registry],
  });
  new Gauge({
    name: 'parley_contacts_waiting',
    help: 'Contacts queued and not yet assigned to an operator.',
    registers: [registry],
    async collect() {
      const [row] = await db
        .select({ n: count() })
        .from(contacts)
        .where(and(eq(contacts.status, 'queued')));
      this.set(Number(row?.n ?? 0));
    },
  });
  const newChatRouting = new Counter({
    name: 'parley_new_chat_routing_total',
    help:
      "New chats by how they were routed: by a pass of their own, on the workspace's snapshot in one " +
      'round trip (snapshot), on a snapshot that had changed, then by reading (snapshot_stale), by ' +
      'reading (read); or stored on their own and routed by the next pass, one being under way (after_pass).',
    labelNames: ['how'] as const,
    registers: [registry],
  });
  const eventsMissed = new Counter({
    name: 'parley_events_missed_total',
    help:
      'Times this process may have missed events from the other server processes (its LISTEN ' +
      'connection dropped, a gap in what another sent) and asked its sockets to reconnect.',
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'parley_http_request_duration_seconds',
    help: 'HTTP request latency, by method, route and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  openSockets.set({ kind: 'visitor' }, 0);
  openSockets.set({ kind: 'operator' }, 0);
  for (const how of ['snapshot', 'snapshot_stale', 'read', 'after_pass']) newChatRouting.inc({ how }, 0);
  return { registry, openSockets, messagesStored, newChatRouting, eventsMissed, httpDuration };
}
export type Metrics = ReturnType<typeof createMetrics>;
