import type { VisitorOutbound } from '@parley/protocol';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages } from '../db/schema/index.js';
import { type Harness, startHarness, type TestSocket } from '../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

async function chatting(name: string) {
  const v = await h.visitor();
  const welcome = await v.hello();
  v.send({ type: 'start', answers: { name, email: `${name.toLowerCase()}@example.com` } });
  const { contactId } = await v.next('queued');
  return { v, token: welcome.token, contactId };
}

const stored = (contactId: string) =>
  h.database.db
    .select({ seq: messages.seq, body: messages.body, clientId: messages.clientId })
    .from(messages)
    .where(eq(messages.contactId, contactId))
    .orderBy(asc(messages.seq));

async function acks(v: TestSocket<VisitorOutbound>, n: number) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await v.next('ack'));
  return out;
}

describe('delivery you can trust', () => {
  it('stores a message re-sent with the same client id once and answers with the first ack', async () => {
    const { v, contactId } = await chatting('Dup');
    v.send({ type: 'send', clientId: 'same-id', body: 'first' });
    const first = await v.next('ack');
    v.send({ type: 'send', clientId: 'same-id', body: 'first' });
    const second = await v.next('ack');
    expect(second).toEqual(first);
    expect(await stored(contactId)).toEqual([{ seq: 1, body: 'first', clientId: 'same-id' }]);
  });

  it('acknowledges only what is stored: every ack names a row that exists with that seq', async () => {
    const { v, contactId } = await chatting('Ack');
    for (let i = 0; i < 5; i++) v.send({ type: 'send', clientId: `a${i}`, body: `m${i}` });
    const got = await acks(v, 5);
    const rows = await stored(contactId);
    for (const a of got) expect(rows.find((r) => r.clientId === a.clientId)?.seq).toBe(a.seq);
  });

  it('keeps seqs gap-free and in send order when visitor and operator write at once', async () => {
    const { v, contactId } = await chatting('Gap');
    const op = await h.createOperator('Gita');
    const os = await h.operator(op.cookie);
    await os.next('ready');
    os.send({ type: 'accept', contactId });
    await os.next('contact', (f) => f.contact.id === contactId && f.contact.assigneeId === op.id);
    for (let i = 0; i < 15; i++) {
      v.send({ type: 'send', clientId: `v${i}`, body: `visitor ${i}` });
      os.send({ type: 'send', contactId, clientId: `o${i}`, body: `operator ${i}` });
    }
    await acks(v, 15);
    for (let i = 0; i < 15; i++) await os.next('ack');
    const rows = await stored(contactId);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // Each side's own messages keep the order that side sent them in.
    const mine = (p: string) => rows.filter((r) => r.body.startsWith(p)).map((r) => r.body);
    expect(mine('visitor')).toEqual(Array.from({ length: 15 }, (_, i) => `visitor ${i}`));
    expect(mine('operator')).toEqual(Array.from({ length: 15 }, (_, i) => `operator ${i}`));
  });

  it('loses and doubles nothing when the socket is cut in the middle of a burst', async () => {
    const { v, token, contactId } = await chatting('Cut');
    const burst = Array.from({ length: 40 }, (_, i) => ({
      type: 'send',
      clientId: `burst-${i}`,
      body: `line ${i}`,
    }));
    // 1. Send the whole burst and cut the TCP connection without a close handshake after a few acks.
    for (const f of burst) v.send(f);
    await v.next('ack');
    v.ws.terminate();
    const ackedBeforeCut = v.frames.filter((f) => f.type === 'ack').length;
    // 2. Reconnect with the same token; the widget re-sends every frame it holds no ack for, same ids.
    const v2 = await h.visitor();
    const welcome = await v2.hello(token);
    expect(welcome.contact?.id).toBe(contactId);
    for (const f of burst) v2.send(f);
    const all = await acks(v2, burst.length);
    // 3. Exactly 40 rows, seqs 1..40, in the order sent, and each re-send acked with its first seq.
    const rows = await stored(contactId);
    expect(rows.map((r) => r.body)).toEqual(burst.map((f) => f.body));
    expect(rows.map((r) => r.seq)).toEqual(burst.map((_, i) => i + 1));
    expect(all.map((a) => a.seq)).toEqual(burst.map((_, i) => i + 1));
    expect(ackedBeforeCut).toBeGreaterThanOrEqual(1);
    // 4. Resuming after the last seq seen before the cut returns exactly the rest, in order
    //    (on a socket of its own: v2 also got the live copies of messages stored after the cut).
    const v3 = await h.visitor();
    await v3.hello(token);
    v3.send({ type: 'resume', contactId, afterSeq: 10 });
    const replay = [];
    for (let i = 0; i < 30; i++) replay.push((await v3.next('message')).message.seq);
    expect(replay).toEqual(Array.from({ length: 30 }, (_, i) => i + 11));
  });

  it('stores every send that came before a leave on the same socket (sends are pipelined, not reordered)', async () => {
    const { v, contactId } = await chatting('Pipe');
    for (let i = 0; i < 10; i++) v.send({ type: 'send', clientId: `p${i}`, body: `pipe ${i}` });
    v.send({ type: 'leave' });
    await v.next('closed');
    const rows = await stored(contactId);
    expect(rows.map((r) => r.body)).toEqual(Array.from({ length: 10 }, (_, i) => `pipe ${i}`));
    expect(v.frames.filter((f) => f.type === 'error')).toEqual([]);
  });

  it('resumes an operator from the last seq it saw', async () => {
    const { v, contactId } = await chatting('Resume');
    for (let i = 0; i < 6; i++) v.send({ type: 'send', clientId: `r${i}`, body: `r${i}` });
    await acks(v, 6);
    const os = await h.operator(await h.login('admin@parley.local', h.adminPassword));
    await os.next('ready');
    os.send({ type: 'resume', contactId, afterSeq: 4 });
    expect([(await os.next('message')).message.seq, (await os.next('message')).message.seq]).toEqual([5, 6]);
  });
});
