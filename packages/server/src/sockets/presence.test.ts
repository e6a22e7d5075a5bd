/**
 * A visitor who closes the tab while queued becomes a lost contact after a grace period; one still
 * on the page, one who comes back in time, and one waiting for a callback keep their place.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactEvents, contacts } from '../db/schema/index.js';
import { type Harness, startHarness } from '../test/harness.js';
import { ABANDON_AFTER_MS } from './presence.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

async function queued(name: string) {
  const v = await h.visitor();
  const welcome = await v.hello();
  v.send({ type: 'start', answers: { name, email: `${name.toLowerCase()}@example.com` } });
  const { contactId } = await v.next('queued');
  return { v, token: welcome.token, contactId };
}
const statusOf = async (id: string) =>
  (await h.database.db.select().from(contacts).where(eq(contacts.id, id)))[0]!.status;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('visitors who leave the page while queued', () => {
  it('are abandoned once gone longer than the grace period; the others keep their place and move up', async () => {
    const stays = await queued('Stays');
    const leaves = await queued('Leaves');
    const returns = await queued('Returns');
    const calls = await queued('Calls');
    calls.v.send({ type: 'callback', phone: '+36 20 555 0101' });
    await calls.v.next('queued', (f) => f.channel === 'callback');

    leaves.v.ws.close();
    returns.v.ws.close();
    calls.v.ws.close();
    await pause(100);
    // "Returns" reloads the page: a new socket with the same token, the conversation resumed.
    const back = await h.visitor();
    expect((await back.hello(returns.token)).contact?.id).toBe(returns.contactId);
    await pause(50);

    // The grace period has passed for those who left: this process vouches for its live sockets first.
    await h.presence.heartbeat();
    const abandoned = await h.presence.sweep(new Date(Date.now() - 20 + ABANDON_AFTER_MS));
    expect(abandoned).toBe(1);
    expect(await statusOf(leaves.contactId)).toBe('abandoned');
    expect(await statusOf(stays.contactId)).toBe('queued');
    expect(await statusOf(returns.contactId)).toBe('queued');
    expect(await statusOf(calls.contactId)).toBe('queued'); // a callback waits for the call
    const [event] = await h.database.db
      .select()
      .from(contactEvents)
      .where(eq(contactEvents.contactId, leaves.contactId))
      .orderBy(contactEvents.at)
      .then((rows) => rows.filter((r) => r.kind === 'abandoned'));
    expect(event?.data).toEqual({ reason: 'visitor gone' });

    // It is a lost contact now, for someone to call back; "Returns" moved up past it.
    const admin = await h.login(h.boot.admin.email, h.adminPassword);
    const lost = await h.app.inject({
      method: 'GET',
      url: '/api/v1/contacts/lost',
      headers: { cookie: admin },
    });
    expect((lost.json() as { contacts: { id: string }[] }).contacts.map((c) => c.id)).toContain(
      leaves.contactId,
    );
    expect(
      (await back.next('queued', (f) => f.contactId === returns.contactId && f.position === 2)).position,
    ).toBe(2);
  });

  it('never abandons before the grace period, nor a chat an operator already has', async () => {
    const early = await queued('Early');
    early.v.ws.close();
    await pause(50);
    expect(await h.presence.sweep()).toBe(0);
    expect(await statusOf(early.contactId)).toBe('queued');

    const op = await h.createOperator('Taker');
    const os = await h.operator(op.cookie);
    await os.next('ready');
    os.send({ type: 'status', status: 'online' });
    await os.next('contact', (f) => f.contact.id === early.contactId && f.contact.status === 'assigned');
    expect(await h.presence.sweep(new Date(Date.now() + ABANDON_AFTER_MS))).toBe(0);
    expect(await statusOf(early.contactId)).toBe('assigned');
  });
});
