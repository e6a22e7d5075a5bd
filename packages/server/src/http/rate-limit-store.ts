import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { sql } from 'drizzle-orm';
import { type Db, rowsOf } from '../db/client.js';
import { rateLimits } from '../db/schema/index.js';

/** Windows that ended this long ago are deleted, by one in this many counts. */
const SWEEP_AFTER = "interval '1 day'";
const SWEEP_EVERY = 500;

/**
 * @fastify/rate-limit's counts kept in the database (`rate_limits`), not in each process's memory:
 * every server process on the database counts toward the same limit. A fixed window per key, as the
 * plugin's own stores keep: the first hit starts it, and the count starts again once `timeWindow` ms
 * have passed since. The database's clock decides, one statement per hit; only rate-limited routes
 * (logins) pay it.
 */
export function pgRateLimitStore(
  db: Db,
  log?: { warn(obj: object, msg?: string): void },
): FastifyRateLimitStoreCtor {
  let counted = 0;
  const sweep = () =>
    db
      .execute(
        sql`delete from ${rateLimits} where ${rateLimits.windowStart} < now() - ${sql.raw(SWEEP_AFTER)}`,
      )
      .catch((err: unknown) => log?.warn({ err }, 'rate limits: old windows not swept'));

  class PgStore implements FastifyRateLimitStore {
    /** The plugin makes the first with its options (unused here); `child` adds the route to the prefix. */
    constructor(
      _options?: unknown,
      private readonly prefix = '',
    ) {}

    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow = 60_000,
    ) {
      const ms = Math.max(1, Math.round(timeWindow));
      // In ON CONFLICT's SET every expression sees the row as it was: both CASEs test the old window.
      const expired = sql`${rateLimits}.window_start + ${ms}::int * interval '1 millisecond' <= now()`;
      rowsOf<{ hits: number; ttl: number }>(
        db,
        sql`
        insert into ${rateLimits} (key, window_start, hits) values (${this.prefix + key}, now(), 1)
        on conflict (key) do update set
          hits = case when ${expired} then 1 else ${rateLimits}.hits + 1 end,
          window_start = case when ${expired} then now() else ${rateLimits}.window_start end
        returning hits,
          greatest(0, ceil(extract(epoch from (window_start + ${ms}::int * interval '1 millisecond' - now())) * 1000))::int as ttl`,
      )
        .then((rows) => {
          const row = rows[0];
          if (!row) throw new Error('rate limit: the count was not returned');
          callback(null, { current: Number(row.hits), ttl: Number(row.ttl) });
        })
        .catch((err: unknown) => callback(err instanceof Error ? err : new Error(String(err))));
      if (++counted % SWEEP_EVERY === 0) void sweep();
    }

    child(routeOptions: object): FastifyRateLimitStore {
      // The plugin passes its merged options with the route it guards (what its Redis store reads too);
      // the published types name only the route's own options.
      const route = (routeOptions as { routeInfo?: { method?: string; url?: string } }).routeInfo;
      return new PgStore(undefined, `${this.prefix}${route?.method ?? ''}${route?.url ?? ''}-`);
    }
  }
  return PgStore;
}
