import { ErrorCode } from '@parley/protocol';
import { VisitorSend, VisitorTyping } from '@parley/protocol/schemas';
import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { frameParser, serial, tokenBucket } from './frames.js';

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
