import { ErrorCode } from '@parley/protocol';
import { MAX_FRAME_BYTES, VisitorSend, VisitorTyping } from '@parley/protocol/schemas';
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { frameLoop, frameParser, OPEN, serial, tokenBucket } from './frames.js';

const parse = frameParser<{ type: string }>(Type.Union([VisitorSend, VisitorTyping]));

describe('frame parsing', () => {
  it('accepts a valid frame and names the field of an invalid one', () => {
    expect(parse('{"type":"typing","on":true}')).toEqual({ ok: true, frame: { type: 'typing', on: true } });
    const bad = parse('{"type":"typing","on":"yes"}');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toMatch(/^The frame does not match its schema: on: /);
  });

  it('tells JSON errors, shapeless frames and unknown types apart', () => {
    const codes = ['nope', '42', '{"no":"type"}', '{"type":"fly"}'].map((raw) => {
      const r = parse(raw);
      return r.ok ? null : r.error.code;
    });
    expect(codes).toEqual([
      ErrorCode.BadJson,
      ErrorCode.BadFrame,
      ErrorCode.BadFrame,
      ErrorCode.UnknownFrame,
    ]);
  });
});

describe('frame size', () => {
  const sized = (body: string) => `{"type":"send","clientId":"c1","body":"${body}"}`;
  const code = (raw: string) => {
    const r = parse(raw);
    return r.ok ? null : r.error.code;
  };

  it('counts UTF-8 bytes, not characters: a frame of few characters but too many bytes is refused', () => {
    // 'ع' is two bytes and '😀' four (two UTF-16 units): both frames have fewer characters than the limit.
    expect(code(sized('ع'.repeat(MAX_FRAME_BYTES / 2)))).toBe(ErrorCode.FrameTooLarge);
    expect(code(sized('😀'.repeat(MAX_FRAME_BYTES / 4)))).toBe(ErrorCode.FrameTooLarge);
    expect(code(sized('€'.repeat(Math.ceil(MAX_FRAME_BYTES / 3))))).toBe(ErrorCode.FrameTooLarge);
  });

  it('lets a frame of exactly the limit through to its schema', () => {
    const head = sized('').length;
    const exact = sized('a'.repeat(MAX_FRAME_BYTES - head));
    expect(Buffer.byteLength(exact)).toBe(MAX_FRAME_BYTES);
    expect(code(exact)).not.toBe(ErrorCode.FrameTooLarge);
    expect(code(sized('a'.repeat(MAX_FRAME_BYTES - head + 1)))).toBe(ErrorCode.FrameTooLarge);
  });
});

describe('frame loop', () => {
  type F = { type: 'send' | 'close'; clientId?: string };
  /** A loop whose handler records when each frame starts and settles; sends settle when told. */
  function loop() {
    const sent: string[] = [];
    const events: string[] = [];
    const pending = new Map<string, { resolve: () => void; reject: (e: unknown) => void }>();
    const onFrame = frameLoop<F>({
      socket: { send: (d) => sent.push(d), close: () => {}, readyState: OPEN },
      parse: (raw) => ({ ok: true, frame: JSON.parse(raw) as F }),
      allow: () => true,
      log: { error: () => {} },
      handle: async (f) => {
        const name = f.type === 'send' ? f.clientId! : 'close';
        events.push(`start ${name}`);
        if (f.type === 'send') {
          await new Promise<void>((resolve, reject) => pending.set(name, { resolve, reject }));
        }
        events.push(`done ${name}`);
      },
    });
    return { onFrame, sent, events, pending };
  }
  const tick = () => new Promise((r) => setTimeout(r, 5));

  it('starts sends without waiting for earlier ones, and holds any other frame until they settle', async () => {
    const { onFrame, events, pending, sent } = loop();
    onFrame('{"type":"send","clientId":"a"}');
    onFrame('{"type":"send","clientId":"b"}');
    onFrame('{"type":"close"}');
    onFrame('{"type":"send","clientId":"c"}');
    await tick();
    expect(events).toEqual(['start a', 'start b']);
    pending.get('b')!.resolve();
    await tick();
    expect(events).toEqual(['start a', 'start b', 'done b']);
    // A failed send settles too: the close goes on, and the failure is answered with its clientId.
    pending.get('a')!.reject(new Error('boom'));
    await tick();
    expect(events).toEqual(['start a', 'start b', 'done b', 'start close', 'done close', 'start c']);
    expect(sent.map((s) => JSON.parse(s))).toEqual([expect.objectContaining({ type: 'error', ref: 'a' })]);
    pending.get('c')!.resolve();
    await tick();
    expect(events.at(-1)).toBe('done c');
  });

  it('does not hold a frame when no send is in flight, and is ready again after a wait', async () => {
    const { onFrame, events, pending } = loop();
    onFrame('{"type":"close"}');
    await tick();
    expect(events).toEqual(['start close', 'done close']);
    onFrame('{"type":"send","clientId":"a"}');
    onFrame('{"type":"close"}');
    await tick();
    pending.get('a')!.resolve();
    await tick();
    onFrame('{"type":"send","clientId":"b"}');
    onFrame('{"type":"close"}');
    await tick();
    expect(events.slice(2)).toEqual(['start a', 'done a', 'start close', 'done close', 'start b']);
    pending.get('b')!.resolve();
    await tick();
    expect(events.slice(-4)).toEqual(['start b', 'done b', 'start close', 'done close']);
  });
});

describe('token bucket', () => {
  it('allows a burst, refuses past it, and refills with time', () => {
    let t = 0;
    const allow = tokenBucket(3, 1, () => t);
    expect([allow(), allow(), allow(), allow()]).toEqual([true, true, true, false]);
    t = 1000;
    expect([allow(), allow()]).toEqual([true, false]);
  });
});

describe('serial', () => {
  it('runs tasks in order even when an earlier one is slower or fails', async () => {
    const run = serial();
    const order: number[] = [];
    const a = run(async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push(1);
      throw new Error('boom');
    });
    const b = run(async () => {
      order.push(2);
    });
    await expect(a).rejects.toThrow('boom');
    await b;
    expect(order).toEqual([1, 2]);
  });
});
