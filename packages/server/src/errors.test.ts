import { readFileSync } from 'node:fs';
import { ErrorCode } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { catalog } from './errors.js';

describe('the error catalog', () => {
  it('has one entry per protocol code, each unique, each documented in the server README', () => {
    const codes = Object.values(ErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    expect(Object.keys(catalog).sort()).toEqual([...codes].sort());
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const code of codes) expect(readme, `${code} in packages/server/README.md`).toContain(code);
  });
});
