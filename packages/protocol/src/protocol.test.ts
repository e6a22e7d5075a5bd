import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode } from './index.js';
import { OperatorInbound, OperatorOutbound, VisitorInbound, VisitorOutbound } from './schemas.js';

const typesOf = (union: { anyOf: { properties: { type: { const: string } } }[] }) =>
  union.anyOf.map((s) => s.properties.type.const);

describe('the wire protocol', () => {
  it('gives every frame of a direction a distinct type', () => {
    for (const union of [VisitorInbound, VisitorOutbound, OperatorInbound, OperatorOutbound]) {
      const types = typesOf(union as never);
      expect(new Set(types).size).toBe(types.length);
    }
  });

  it('keeps close codes in the application range and error codes prefixed and unique', () => {
    const closes = Object.values(CloseCode);
    expect(new Set(closes).size).toBe(closes.length);
    for (const c of closes) expect(c >= 4000 && c <= 4999).toBe(true);
    for (const code of Object.values(ErrorCode)) expect(code).toMatch(/^PARLEY_ERR_[A-Z_]+$/);
  });

  it('checks uuid and date-time formats, so a malformed id is refused', () => {
    const check = TypeCompiler.Compile(OperatorInbound);
    const send = {
      type: 'send',
      clientId: 'c1',
      body: 'hi',
      contactId: '8d6b3f0e-2a51-4c1e-9a53-0f6f3f5d2b11',
    };
    expect(check.Check(send)).toBe(true);
    expect(check.Check({ ...send, contactId: 'not-a-uuid' })).toBe(false);
    expect(check.Check({ ...send, body: '' })).toBe(false);
  });
});
