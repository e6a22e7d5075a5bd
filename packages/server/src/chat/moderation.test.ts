/**
 * Deleting a reply sent by mistake, rating an ended conversation, and the offline form: through
 * real sockets, checked in the database too.
 */
import { ErrorCode, type OperatorOutbound } from '@parley/protocol';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactEvents, contacts, users } from '../db/schema/index.js';
import { type Harness, startHarness, type TestSocket } from '../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** A visitor chatting with a fresh online operator. */
async function chatting(name: string) {
  const op = await h.createOperator(name);
  const os = await h.operator(op.cookie);
  await os.next('ready');
  os.send({ type: 'status', status: 'online' });
  await os.next('presence', (f) => f.userId === op.id && f.status === 'online');
  const v = await h.visitor();
  await v.hello();
  v.send({ type: 'start', answers: { name: 'Visitor', email: 'v@example.com' } });
  const { contactId } = await v.next('assigned', (f) => f.operator.id === op.id);
  return { op, os, v, contactId };
}

async function reply(os: TestSocket<OperatorOutbound>, contactId: string, body: string) {
  const clientId = `c${Math.random().toString(36).slice(2)}`;
  os.send({ type: 'send', contactId, clientId, body });
  return os.next('ack', (f) => f.clientId === clientId);
}

describe('deleting a reply', () => {
  it('removes it from the visitor’s conversation live and on resume, and keeps who deleted what in the audit log', async () => {
    const { op, os, v, contactId } = await chatting('Dora');
    const wrong = await reply(os, contactId, 'Your code is 1234 (oops, wrong customer)');
    await v.next('message', (f) => f.message.id === wrong.id);
    const right = await reply(os, contactId, 'Sorry — let me check your order.');
    await v.next('message', (f) => f.message.id === right.id);
    os.send({ type: 'seen', contactId, seq: right.seq });

    os.send({ type: 'delete', contactId, messageId: wrong.id });
    expect(await v.next('deleted')).toEqual({ type: 'deleted', contactId, messageId: wrong.id });
    const atOperator = await os.next('deleted');
    expect(atOperator).toMatchObject({ contactId, messageId: wrong.id, by: op.id });

    // A reloaded widget gets the message's place (seqs stay gap-free) but not its text.
    v.send({ type: 'resume', contactId, afterSeq: 0 });
    const resumed = await v.next('message', (f) => f.message.id === wrong.id);
    expect(resumed.message.body).toBe('');
    expect(resumed.message.deletedAt).not.toBeNull();

    const [audit] = await h.database.db
      .select()
      .from(contactEvents)
      .where(and(eq(contactEvents.contactId, contactId), eq(contactEvents.kind, 'message_deleted')));
    expect(audit).toMatchObject({
      actorId: op.id,
      data: { messageId: wrong.id, body: 'Your code is 1234 (oops, wrong customer)' },
    });
    // Deleting again changes nothing and says nothing.
    os.send({ type: 'delete', contactId, messageId: wrong.id });
    os.send({ type: 'seen', contactId, seq: right.seq });
    const events = await h.database.db
      .select()
      .from(contactEvents)
      .where(and(eq(contactEvents.contactId, contactId), eq(contactEvents.kind, 'message_deleted')));
    expect(events).toHaveLength(1);
  });

  it('tells a widget and an inbox that were away of a reply deleted meanwhile, when they resume or load', async () => {
    const { op, os, v, contactId } = await chatting('Hedi');
    const welcome = v.frames.find((f) => f.type === 'welcome')!;
    const wrong = await reply(os, contactId, 'Your code is 5678 (wrong customer)');
    const right = await reply(os, contactId, 'Sorry — one moment.');
    await v.next('message', (f) => f.message.id === right.id);
    // The widget's socket drops (a phone locked, a train), and the inbox's too; the reply is deleted meanwhile.
    v.ws.close();
    await v.waitClose();
    const boss = await h.operator(op.cookie);
    await boss.next('ready');
    boss.send({ type: 'delete', contactId, messageId: wrong.id });
    await boss.next('deleted', (f) => f.messageId === wrong.id);

    // The widget comes back and resumes after the last message it had: it hears of the deletion,
    // though the message is below where it resumes, and of nothing else.
    const back = await h.visitor();
    await back.hello(welcome.token);
    back.send({ type: 'resume', contactId, afterSeq: right.seq });
    expect(await back.next('deleted')).toEqual({ type: 'deleted', contactId, messageId: wrong.id });
    // So does an inbox's socket resuming, with who deleted it and when.
    const inbox = await h.operator(op.cookie);
    await inbox.next('ready');
    inbox.send({ type: 'resume', contactId, afterSeq: right.seq });
    expect(await inbox.next('deleted')).toMatchObject({ contactId, messageId: wrong.id, by: op.id });

    // And the inbox's load by REST after the last message it has.
    const load = async (after: number) =>
      (
        await h.app.inject({
          url: `/api/v1/contacts/${contactId}/messages?after=${after}`,
          headers: { cookie: op.cookie },
        })
      ).json();
    const afterBoth = await load(right.seq);
    expect(afterBoth.messages).toEqual([]);
    expect(afterBoth.deleted).toEqual([{ messageId: wrong.id, by: op.id, at: expect.any(String) }]);
    // A load from the start has the message's place without its text, and no deletion to tell apart.
    const whole = await load(0);
    expect(whole.deleted).toEqual([]);
    expect(whole.messages.find((m: { id: string }) => m.id === wrong.id)).toMatchObject({ body: '' });
    // Below the deleted message, nothing was deleted.
    expect((await load(wrong.seq - 1)).deleted).toEqual([]);
  });

  it('lets operators delete only their own replies, never a visitor’s; supervisors any reply', async () => {
    const { os, v, contactId } = await chatting('Ede');
    v.send({ type: 'send', clientId: 'v-own', body: 'My message' });
    const visitorMessage = await v.next('ack');
    os.send({ type: 'delete', contactId, messageId: visitorMessage.id });
    expect(await os.next('error')).toMatchObject({ code: ErrorCode.Forbidden });
    const mine = await reply(os, contactId, 'A reply');

    const other = await h.createOperator('Feri');
    await h.database.db.update(users).set({ role: 'supervisor' }).where(eq(users.id, other.id));
    const boss = await h.operator(await h.login(other.email, 'operator-password'));
    await boss.next('ready');
    const plain = await h.createOperator('Gabi');
    const peer = await h.operator(plain.cookie);
    await peer.next('ready');
    peer.send({ type: 'delete', contactId, messageId: mine.id });
    expect(await peer.next('error')).toMatchObject({
      code: ErrorCode.Forbidden,
      message: 'You can delete only your own replies.',
    });
    boss.send({ type: 'delete', contactId, messageId: mine.id });
    await v.next('deleted', (f) => f.messageId === mine.id);
    boss.send({ type: 'delete', contactId, messageId: '00000000-0000-4000-8000-000000000000' });
    expect(await boss.next('error')).toMatchObject({ code: ErrorCode.NotFound });
  });
});

describe('rating an ended conversation', () => {
  it('stores the score and the comment once the operator closes it; rating again replaces them', async () => {
    const { os, v, contactId } = await chatting('Hanna');
    v.send({ type: 'rate', contactId, score: 5 });
    expect(await v.next('error')).toMatchObject({
      code: ErrorCode.Validation,
      message: 'Only an ended conversation can be rated.',
    });
    os.send({ type: 'close', contactId });
    await v.next('closed');
    v.send({ type: 'rate', contactId, score: 2, comment: '  slow  ' });
    await v.next('rated');
    v.send({ type: 'rate', contactId, score: 4, comment: 'Actually fine' });
    await v.next('rated', (f) => f.contactId === contactId);
    const [c] = await h.database.db.select().from(contacts).where(eq(contacts.id, contactId));
    expect([c!.csatScore, c!.csatComment]).toEqual([4, 'Actually fine']);
    expect(c!.ratedAt).not.toBeNull();
  });

  it('refuses scores outside 1-5 and another visitor’s conversation', async () => {
    const { os, contactId } = await chatting('Ivan');
    os.send({ type: 'close', contactId });
    const stranger = await h.visitor();
    await stranger.hello();
    stranger.send({ type: 'rate', contactId, score: 6 });
    expect((await stranger.next('error')).code).toBe(ErrorCode.BadFrame);
    stranger.send({ type: 'rate', contactId, score: 1 });
    expect((await stranger.next('error')).code).toBe(ErrorCode.NotFound);
    const [c] = await h.database.db.select().from(contacts).where(eq(contacts.id, contactId));
    expect(c!.csatScore).toBeNull();
  });
});

describe('the offline form', () => {
  it('leaves the message in the queue for the first operator who comes online', async () => {
    const v = await h.visitor();
    await v.hello();
    v.send({
      type: 'offline',
      answers: { name: 'Night Owl', email: 'owl@example.com' },
      body: 'Do you ship to Baku?',
    });
    const { contactId } = await v.next('offline-received');
    const admin = await h.login(h.boot.admin.email, h.adminPassword);
    const list = await h.app.inject({ method: 'GET', url: '/api/v1/contacts', headers: { cookie: admin } });
    const listed = (list.json() as { contacts: { id: string; visitorName: string; lastMessage: string }[] })
      .contacts;
    expect(listed.find((c) => c.id === contactId)).toMatchObject({
      visitorName: 'Night Owl',
      lastMessage: 'Do you ship to Baku?',
    });
  });

  it('refuses an offline message without its required fields, storing nothing', async () => {
    const v = await h.visitor();
    await v.hello();
    v.send({ type: 'offline', answers: { name: 'No mail' }, body: 'Hello?' });
    expect(await v.next('error')).toMatchObject({
      code: ErrorCode.BadAnswers,
      message: 'E-mail is required.',
    });
  });
});
