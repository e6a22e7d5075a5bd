/**
 * The rate limits' counts in the database: two stores on one database are two server processes,
 * and a password guesser must not get each one's limit.
 */
import type { FastifyRateLimitStore } from '@fastify/rate-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/client.js';
import { openTestDatabase } from '../test/db.js';
import { pgRateLimitStore } from './rate-limit-store.js';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database.close());

/** What the plugin hands `child`: its merged options, of which the store reads only the route. */
const route = (method: string, url: string) =>
  ({ routeInfo: { method, url } }) as unknown as Parameters<FastifyRateLimitStore['child']>[0];
const incr = (store: FastifyRateLimitStore, key: string, timeWindow: number) =>
  new Promise<{ current: number; ttl: number }>((resolve, reject) =>
    // The plugin passes the window and the limit after the callback (its types name only two).
    (
      store.incr as (
        k: string,
        cb: (e: Error | null, r?: { current: number; ttl: number }) => void,
        w: number,
      ) => void
    )(key, (err, res) => (err || !res ? reject(err ?? new Error('no result')) : resolve(res)), timeWindow),
  );

describe('rate limits counted in the database', () => {
  it('counts the hits of one address on one route together, whichever process takes them', async () => {
    const Store = pgRateLimitStore(database.db);
    const a = new Store({}).child(route('POST', '/api/v1/auth/login'));
    const b = new Store({}).child(route('POST', '/api/v1/auth/login'));
    const counts: number[] = [];
    for (let i = 0; i < 6; i++) counts.push((await incr(i % 2 ? b : a, '10.0.0.1', 60_000)).current);
    expect(counts).toEqual([1, 2, 3, 4, 5, 6]);
    // Another address, and another route, count on their own.
    expect((await incr(b, '10.0.0.2', 60_000)).current).toBe(1);
    const other = new Store({}).child(route('POST', '/api/v1/other'));
    expect((await incr(other, '10.0.0.1', 60_000)).current).toBe(1);
  });

  it('starts the count again once the window has passed, and says how long the window has left', async () => {
    const login = new (pgRateLimitStore(database.db))({}).child(route('POST', '/login'));
    const first = await incr(login, '10.0.0.3', 400);
    expect(first.current).toBe(1);
    expect(first.ttl).toBeGreaterThan(0);
    expect(first.ttl).toBeLessThanOrEqual(400);
    const second = await incr(login, '10.0.0.3', 400);
    expect(second.current).toBe(2);
    expect(second.ttl).toBeLessThanOrEqual(first.ttl);
    await new Promise((r) => setTimeout(r, 450));
    const later = await incr(login, '10.0.0.3', 400);
    expect(later.current).toBe(1);
    expect(later.ttl).toBeGreaterThan(300);
  });

  it('answers an error, not a count, when the database does not answer', async () => {
    const gone = await openTestDatabase();
    const login = new (pgRateLimitStore(gone.db))({}).child(route('POST', '/login'));
    await gone.close();
    await expect(incr(login, '10.0.0.4', 60_000)).rejects.toThrow();
  });
});
