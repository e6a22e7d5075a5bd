import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../db/schema/index.js';
import { type Harness, startHarness } from '../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('who hears a conversation', () => {
  it('everyone while it waits; then its operator and the supervisors, not the other operators', async () => {
    const a = await h.createOperator('Anna');
    const b = await h.createOperator('Bruno');
    const sup = await h.createOperator('Sofia');
    await h.database.db.update(users).set({ role: 'supervisor' }).where(eq(users.id, sup.id));
    const [sa, sb, ss] = await Promise.all([
      h.operator(a.cookie),
      h.operator(b.cookie),
      h.operator(sup.cookie),
    ]);
    await Promise.all([sa.next('ready'), sb.next('ready'), ss.next('ready')]);
    const v = await h.visitor();
    await v.hello();
    v.send({ type: 'start', answers: { name: 'Quiet', email: 'quiet@example.com' } });
    const { contactId } = await v.next('queued');
    // 1. Waiting: every operator may take it, so every operator hears it.
    v.send({ type: 'send', clientId: 'w1', body: 'anyone there?' });
    for (const s of [sa, sb, ss]) expect((await s.next('message')).message.body).toBe('anyone there?');
    // 2. Anna takes it: from now on Bruno hears no messages, typing or read state of it.
    sa.send({ type: 'accept', contactId });
    await v.next('assigned');
    v.send({ type: 'typing', on: true });
    v.send({ type: 'send', clientId: 'w2', body: 'thanks Anna' });
    await v.next('ack', (f) => f.clientId === 'w2');
    expect((await sa.next('message')).message.body).toBe('thanks Anna');
    expect((await ss.next('message')).message.body).toBe('thanks Anna');
    expect((await sa.next('typing')).on).toBe(true);
    // The queue (contact frames) is still everyone's: Bruno sees it is Anna's now.
    await sb.next('contact', (f) => f.contact.id === contactId && f.contact.assigneeId === a.id);
    await new Promise((r) => setTimeout(r, 200));
    const bruno = sb.frames.filter((f) => f.type === 'message' || f.type === 'typing').length;
    expect(bruno).toBe(1); // only the message from while it waited
  });
});
