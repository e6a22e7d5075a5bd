/**
 * What an open socket keeps: not the upgrade's request. It holds the headers, the request's logger
 * and an unused response, about 3 KB a socket (BENCHMARKS.md, memory per idle visitor socket). Nor
 * the visitor's row, with its token hash, user agent and dates: the socket needs only the id.
 */
import type { IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contacts } from '../db/schema/index.js';
import { type Harness, startHarness } from '../test/harness.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let h: Harness;
const upgrades: WeakRef<IncomingMessage>[] = [];
beforeAll(async () => {
  h = await startHarness();
  h.app.server.on('upgrade', (req: IncomingMessage) => upgrades.push(new WeakRef(req)));
});
afterAll(() => h.close());

async function collected(refs: WeakRef<object>[]): Promise<number> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 20));
    gc();
  }
  return refs.filter((r) => r.deref() === undefined).length;
}

describe('memory an open socket keeps', () => {
  it("lets go of the upgrade request once a visitor's socket is set up", async () => {
    const from = upgrades.length;
    const sockets = [];
    for (let i = 0; i < 3; i++) {
      const v = await h.visitor();
      await v.hello();
      sockets.push(v);
    }
    const refs = upgrades.slice(from);
    expect(refs).toHaveLength(3);
    expect(await collected(refs)).toBe(3);
    // Still open and working.
    sockets[0]!.send({ type: 'start', answers: { name: 'Still here', email: 'here@example.com' } });
    await sockets[0]!.next('queued');
  });

  it("keeps the visitor's id, not the visitor's row (token hash included), for the socket's life", async () => {
    const rows: WeakRef<object>[] = [];
    const hashes: string[] = [];
    const hello = h.chat.hello;
    h.chat.hello = async (...args) => {
      const result = await hello(...args);
      rows.push(new WeakRef(result.visitor));
      hashes.push(result.visitor.tokenHash);
      return result;
    };
    try {
      const v = await h.visitor();
      const welcome = await v.hello();
      expect(rows).toHaveLength(1);
      expect(hashes[0]).toMatch(/\S{20,}/);
      expect(await collected(rows)).toBe(1);
      // The socket still knows who it serves: a chat starts and a message is stored for this visitor.
      v.send({ type: 'start', answers: { name: 'Row-less', email: 'rowless@example.com' } });
      const queued = await v.next('queued');
      v.send({ type: 'send', clientId: 'c-1', body: 'still me' });
      const ack = await v.next('ack');
      expect(ack.contactId).toBe(queued.contactId);
      const [contact] = await h.database.db
        .select({ visitorId: contacts.visitorId })
        .from(contacts)
        .where(eq(contacts.id, queued.contactId));
      expect(contact?.visitorId).toBe(welcome.visitorId);
    } finally {
      h.chat.hello = hello;
    }
  });

  it("lets go of the upgrade request once an operator's socket is ready", async () => {
    const op = await h.createOperator('Mira');
    const from = upgrades.length;
    const s = await h.operator(op.cookie);
    await s.next('ready');
    const refs = upgrades.slice(from);
    expect(refs).toHaveLength(1);
    expect(await collected(refs)).toBe(1);
  });
});
