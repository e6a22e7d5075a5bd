import { describe, expect, it } from 'vitest';
import { isOriginPattern, originAllowed } from './origin.js';

describe('origin allow-list', () => {
  it.each([
    ['https://shop.com', ['https://shop.com'], true],
    ['https://shop.com:443', ['https://shop.com'], true],
    ['http://shop.com', ['https://shop.com'], false],
    ['https://evil-shop.com', ['https://shop.com'], false],
    ['https://www.shop.com', ['https://*.shop.com'], true],
    ['https://a.b.shop.com', ['https://*.shop.com'], false],
    ['https://shop.com', ['https://*.shop.com'], false],
    ['http://localhost:5173', ['http://localhost:*'], true],
    ['http://localhost:5173', ['http://localhost:3000'], false],
    ['https://anything.org', ['*'], true],
    ['null', ['https://shop.com'], false],
    [undefined, ['*'], false],
  ])('%s against %j → %s', (origin, allowed, expected) => {
    expect(originAllowed(origin, allowed)).toBe(expected);
  });

  it('recognizes the patterns it can match', () => {
    expect(['https://shop.com', 'https://*.shop.com', 'http://localhost:*', '*'].every(isOriginPattern)).toBe(
      true,
    );
    expect(['shop.com', 'https://shop.com/path', 'https://*', 'ftp://x'].some(isOriginPattern)).toBe(false);
  });
});
