import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('a visitor chats with an operator over real sockets', () => {
  it('queues, assigns least-busy, delivers both ways with timestamps, and restores after a reload', async () => {
    // 1. The visitor says hello and gets a token; nobody is online yet.
    const v = await h.visitor();
    const welcome = await v.hello();
    expect(welcome.token.length).toBeGreaterThan(20);
    expect(welcome.contact).toBeNull();
    expect(welcome.online).toBe(false);
    expect(welcome.site.questionnaire.map((f) => f.name)).toEqual(['name', 'email']);

    // 2. The questionnaire puts the contact in the queue.
    v.send({ type: 'start', answers: { name: 'Layla', email: 'layla@example.com' } });
    const queued = await v.next('queued');
    expect(queued.position).toBe(1);

    // 3. An operator connects, sees the contact, goes online and gets it.
    const op = await h.createOperator('Olga');
    const os = await h.operator(op.cookie);
    const ready = await os.next('ready');
    expect(ready.contacts.map((c) => [c.id, c.status, c.visitorName])).toEqual([
      [queued.contactId, 'queued', 'Layla'],
    ]);
    os.send({ type: 'status', status: 'online' });
    const assigned = await v.next('assigned');
    expect(assigned.operator).toEqual({ id: op.id, name: 'Olga', avatarUrl: null });
    await os.next('contact', (f) => f.contact.status === 'assigned' && f.contact.assigneeId === op.id);

    // 4. Visitor → operator.
    v.send({ type: 'send', clientId: 'v1', body: 'مرحبا، أين طلبي؟' });
    const ack = await v.next('ack');
    expect(ack).toMatchObject({ clientId: 'v1', seq: 1 });
    const atOperator = await os.next('message');
    expect(atOperator.message).toMatchObject({
      id: ack.id,
      seq: 1,
      body: 'مرحبا، أين طلبي؟',
      author: { kind: 'visitor' },
    });

    // 5. Operator → visitor, live, with a timestamp.
    os.send({ type: 'send', contactId: queued.contactId, clientId: 'o1', body: 'Hello Layla!' });
    const reply = await v.next('message', (f) => f.message.author.kind === 'operator');
    expect(reply.message).toMatchObject({
      seq: 2,
      body: 'Hello Layla!',
      author: { name: 'Olga', id: op.id },
    });
    expect(Date.parse(reply.message.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    await os.next('contact', (f) => f.contact.status === 'active' && f.contact.firstResponseAt !== null);

    // 6. A reload: the same token finds the open conversation and resume replays it in order.
    v.ws.close();
    const v2 = await h.visitor();
    const again = await v2.hello(welcome.token);
    expect(again.visitorId).toBe(welcome.visitorId);
    expect(again.contact).toMatchObject({ id: queued.contactId, status: 'active', lastSeq: 2 });
    expect(await v2.next('assigned')).toMatchObject({ operator: { name: 'Olga' } });
    v2.send({ type: 'resume', contactId: queued.contactId, afterSeq: 0 });
    const replay = [await v2.next('message'), await v2.next('message')];
    expect(replay.map((f) => [f.message.seq, f.message.body])).toEqual([
      [1, 'مرحبا، أين طلبي؟'],
      [2, 'Hello Layla!'],
    ]);

    // 7. The operator's tab reopens: the snapshot and the REST history are back.
    os.ws.close();
    const os2 = await h.operator(op.cookie);
    const ready2 = await os2.next('ready');
    expect(ready2.user.status).toBe('online');
    expect(ready2.contacts.find((c) => c.id === queued.contactId)).toMatchObject({
      lastSeq: 2,
      lastMessage: 'Hello Layla!',
    });
    const history = await h.app.inject({
      url: `/api/v1/contacts/${queued.contactId}/messages?after=0`,
      headers: { cookie: op.cookie },
    });
    expect(history.json().messages.map((m: { seq: number }) => m.seq)).toEqual([1, 2]);

    // 8. Typing and read state travel both ways.
    v2.send({ type: 'typing', on: true });
    expect(await os2.next('typing')).toEqual({ type: 'typing', contactId: queued.contactId, on: true });
    os2.send({ type: 'seen', contactId: queued.contactId, seq: 1 });
    expect(await v2.next('seen')).toEqual({ type: 'seen', seq: 1 });

    // 9. The operator closes; the visitor hears it; the contact leaves the open list.
    os2.send({ type: 'close', contactId: queued.contactId });
    expect(await v2.next('closed')).toEqual({ type: 'closed', contactId: queued.contactId });
    const list = await h.app.inject({ url: '/api/v1/contacts', headers: { cookie: op.cookie } });
    expect(list.json().contacts.find((c: { id: string }) => c.id === queued.contactId)).toBeUndefined();
  });

  it('gives a new contact to the least busy online operator', async () => {
    const a = await h.createOperator('Busy Anna', { maxChats: 2 });
    const b = await h.createOperator('Free Bela', { maxChats: 2 });
    const sa = await h.operator(a.cookie);
    await sa.next('ready');
    sa.send({ type: 'status', status: 'online' });
    await sa.next('presence', (f) => f.userId === a.id);
    // Anna (online alone besides earlier operators) takes the first contact.
    const first = await h.visitor();
    await first.hello();
    // Earlier tests' operators go offline so only Anna and Bela are candidates.
    await h.database.db.execute(sql`update users set status = 'offline' where id not in (${a.id}, ${b.id})`);
    first.send({ type: 'start', answers: { name: 'One', email: 'one@example.com' } });
    expect((await first.next('assigned')).operator.id).toBe(a.id);
    const sb = await h.operator(b.cookie);
    await sb.next('ready');
    sb.send({ type: 'status', status: 'online' });
    await sb.next('presence', (f) => f.userId === b.id);
    const second = await h.visitor();
    await second.hello();
    second.send({ type: 'start', answers: { name: 'Two', email: 'two@example.com' } });
    expect((await second.next('assigned')).operator.id).toBe(b.id);
  });
});
