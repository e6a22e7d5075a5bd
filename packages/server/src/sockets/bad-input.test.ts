import { CloseCode, ErrorCode } from '@parley/protocol';
import { MAX_BODY_CHARS } from '@parley/protocol/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** After each bad input, the server still serves a complete visitor flow on a fresh socket. */
async function stillServing() {
  const v = await h.visitor();
  await v.hello();
  v.send({ type: 'start', answers: { name: 'Ok', email: 'ok@example.com' } });
  await v.next('queued');
  v.send({ type: 'send', clientId: 'alive', body: 'still here' });
  expect((await v.next('ack')).seq).toBe(1);
}

describe('bad input on the visitor socket gets a clear error and loses nothing', () => {
  it('answers malformed JSON, unknown types and schema violations with error frames and keeps the socket', async () => {
    const v = await h.visitor();
    await v.hello();
    v.send({ type: 'start', answers: { name: 'Bad', email: 'bad@example.com' } });
    const { contactId } = await v.next('queued');
    v.send({ type: 'send', clientId: 'kept', body: 'accepted before the junk' });
    await v.next('ack');

    v.send('{"type": "send", oops');
    expect(await v.next('error')).toMatchObject({
      code: ErrorCode.BadJson,
      message: 'The frame is not valid JSON.',
    });
    v.send({ type: 'dance' });
    expect(await v.next('error')).toMatchObject({
      code: ErrorCode.UnknownFrame,
      message: 'Unknown frame type "dance".',
    });
    v.send([1, 2]);
    expect((await v.next('error')).code).toBe(ErrorCode.BadFrame);
    v.send({ type: 'send', clientId: 'x', body: 'a'.repeat(MAX_BODY_CHARS + 1) });
    const tooLong = await v.next('error');
    expect(tooLong.code).toBe(ErrorCode.BadFrame);
    expect(tooLong.message).toContain('body');
    v.send({ type: 'send', clientId: 'bad id with spaces', body: 'hi' });
    expect((await v.next('error')).message).toContain('clientId');
    v.send({ type: 'send', clientId: 'big', body: 'x'.repeat(20_000) });
    expect(await v.next('error')).toMatchObject({ code: ErrorCode.FrameTooLarge });
    v.send({ type: 'send', clientId: 'q', body: 'quote', quoteId: '00000000-0000-4000-8000-000000000000' });
    expect(await v.next('error')).toMatchObject({ code: ErrorCode.Validation, ref: 'q' });

    // The socket is still open and the conversation kept what it had.
    expect(v.closed).toBeNull();
    v.send({ type: 'send', clientId: 'after', body: 'after the junk' });
    expect((await v.next('ack')).seq).toBe(2);
    v.send({ type: 'resume', contactId, afterSeq: 0 });
    expect((await v.next('message')).message.body).toBe('accepted before the junk');
    await stillServing();
  });

  it('refuses frames before hello, then serves hello normally', async () => {
    const v = await h.visitor();
    v.send({ type: 'send', clientId: 'early', body: 'hi' });
    expect(await v.next('error')).toMatchObject({ code: ErrorCode.NotReady, message: 'Send "hello" first.' });
    const welcome = await v.hello();
    expect(welcome.type).toBe('welcome');
  });

  it('closes a socket that floods frames before hello with a named close code', async () => {
    const v = await h.visitor();
    for (let i = 0; i < 6; i++) v.send({ type: 'typing', on: true });
    expect((await v.waitClose()).code).toBe(CloseCode.HandshakeTimeout);
    await stillServing();
  });

  it('validates the questionnaire on the server with a message naming the field', async () => {
    const v = await h.visitor();
    await v.hello();
    v.send({ type: 'start', answers: { name: 'No mail' } });
    expect(await v.next('error')).toMatchObject({
      code: ErrorCode.BadAnswers,
      message: 'E-mail is required.',
    });
    v.send({ type: 'start', answers: { name: 'A', email: 'not-an-address' } });
    expect((await v.next('error')).message).toBe('E-mail must be an e-mail address.');
    v.send({ type: 'start', answers: { name: 'A', email: 'a@example.com', shoeSize: '44' } });
    expect((await v.next('error')).message).toBe('"shoeSize" is not a field of this questionnaire.');
    v.send({ type: 'start', answers: { name: ' ', email: 'nope' } });
    expect((await v.next('error')).message).toBe('Name is required; E-mail must be an e-mail address.');
    v.send({ type: 'send', clientId: 'nocontact', body: 'hi' });
    expect((await v.next('error')).code).toBe(ErrorCode.NoContact);
  });

  it('closes with 4004 for an unknown site key and 4001 for an origin the site does not allow', async () => {
    const unknown = await h.visitor({ site: 'site_nope' });
    const c1 = await unknown.waitClose();
    expect(c1.code).toBe(CloseCode.UnknownSite);
    expect(c1.reason).toContain(ErrorCode.UnknownSite);
    const evil = await h.visitor({ origin: 'https://evil.example' });
    const c2 = await evil.waitClose();
    expect(c2.code).toBe(CloseCode.BadOrigin);
    expect(c2.reason).toContain(ErrorCode.BadOrigin);
    await stillServing();
  });

  it('closes a visitor that floods frames after hello with 4029', async () => {
    const v = await h.visitor();
    await v.hello();
    for (let i = 0; i < 200; i++) v.send({ type: 'typing', on: i % 2 === 0 });
    expect((await v.waitClose()).code).toBe(CloseCode.Flood);
    await stillServing();
  });
});

describe('bad input on the operator socket', () => {
  it('closes with 4003 without a session and 4001 from a foreign origin', async () => {
    const anon = await h.operator(null);
    expect((await anon.waitClose()).code).toBe(CloseCode.Unauthorized);
    const forged = await h.operator('parley_session=forged-token-value');
    expect((await forged.waitClose()).code).toBe(CloseCode.Unauthorized);
    const op = await h.createOperator('Origin Check');
    const hijack = await h.operator(op.cookie, { origin: 'https://evil.example' });
    expect((await hijack.waitClose()).code).toBe(CloseCode.BadOrigin);
  });

  it('refuses to let an operator write into a conversation assigned to someone else', async () => {
    const v = await h.visitor();
    await v.hello();
    v.send({ type: 'start', answers: { name: 'Owned', email: 'owned@example.com' } });
    const { contactId } = await v.next('queued');
    const a = await h.createOperator('Owner');
    const b = await h.createOperator('Intruder');
    const sa = await h.operator(a.cookie);
    await sa.next('ready');
    sa.send({ type: 'accept', contactId });
    await sa.next('contact', (f) => f.contact.id === contactId && f.contact.assigneeId === a.id);
    const sb = await h.operator(b.cookie);
    await sb.next('ready');
    sb.send({ type: 'send', contactId, clientId: 'intrude', body: 'hello' });
    expect(await sb.next('error')).toMatchObject({
      code: ErrorCode.Forbidden,
      message: 'This conversation is assigned to someone else.',
      ref: 'intrude',
    });
    sb.send({ type: 'status', status: 'busy' });
    expect((await sb.next('error')).message).toContain('status');
    expect(sb.closed).toBeNull();
  });
});
