import { Worker } from 'node:worker_threads';
import type { PGlite, QueryOptions, Results } from '@electric-sql/pglite';

/** What drizzle's PGlite driver uses of a client (and of the client a transaction hands out). */
interface Queryable {
  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
}

type Request =
  | {
      op: 'query';
      sql: string;
      params: unknown[];
      rowMode: 'array' | 'object';
      textTypes: number[];
      tx: number | null;
    }
  | { op: 'begin' }
  | { op: 'end'; tx: number; commit: boolean }
  | { op: 'close' };

type ErrorFields = Record<string, unknown> & { message: string };

type Reply = { id: number; result?: unknown; error?: ErrorFields } | { ready: boolean; error?: ErrorFields };

/**
 * PGlite on a worker thread of its own (`pglite-worker.mjs`), with the two methods drizzle's PGlite
 * driver calls: `query` and `transaction`. Queries cross as SQL text and parameters and come back
 * as rows (structured clone); the event loop only waits, it does not run the database.
 *
 * A transaction holds PGlite for its length, as in-process PGlite does: other queries wait for it.
 */
export class RemotePGlite implements Queryable {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (r: unknown) => void; reject: (e: unknown) => void }>();
  #lastId = 0;
  #stopped: Error | null = null;
  readonly waitReady: Promise<void>;

  /** `entry` is the thread's script; tests give one that fails on purpose. */
  constructor(dataDir: string | null, entry: URL = new URL('./pglite-worker.mjs', import.meta.url)) {
    this.#worker = new Worker(entry, { workerData: { dataDir } });
    let started: { resolve: () => void; reject: (e: unknown) => void } | undefined;
    this.waitReady = new Promise((resolve, reject) => {
      started = { resolve, reject };
    });
    this.#worker.on('message', (msg: Reply) => {
      if ('id' in msg) return this.#settle(msg);
      if (msg.ready) {
        // An idle database thread does not keep the process alive; a query in flight does.
        if (this.#pending.size === 0) this.#worker.unref();
        started?.resolve();
      } else started?.reject(toError(msg.error ?? { message: 'The embedded database did not start.' }));
    });
    this.#worker.on('error', (err) => {
      started?.reject(err);
      this.#stop(err);
    });
    this.#worker.on('exit', (code) => {
      const err = new Error(`The embedded database stopped (exit code ${code}).`);
      started?.reject(err);
      this.#stop(err);
    });
  }

  query<T>(sql: string, params: unknown[] = [], options?: QueryOptions): Promise<Results<T>> {
    return this.#query<T>(sql, params, options, null);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const tx = (await this.#call({ op: 'begin' })) as number;
    const scoped: Queryable = {
      query: (sql, params = [], options) => this.#query(sql, params, options, tx),
    };
    let result: T;
    try {
      result = await fn(scoped);
    } catch (err) {
      await this.#call({ op: 'end', tx, commit: false }).catch(() => {});
      throw err;
    }
    await this.#call({ op: 'end', tx, commit: true });
    return result;
  }

  async close(): Promise<void> {
    if (this.#stopped) return;
    await this.#call({ op: 'close' });
    this.#stop(new Error('The embedded database is closed.'));
    await this.#worker.terminate();
  }

  /** The type drizzle's driver is written against; the methods it calls are the ones above. */
  asPGlite(): PGlite {
    return this as unknown as PGlite;
  }

  async #query<T>(sql: string, params: unknown[], options: QueryOptions | undefined, tx: number | null) {
    return (await this.#call({
      op: 'query',
      sql,
      params,
      rowMode: options?.rowMode ?? 'object',
      textTypes: textTypes(options),
      tx,
    })) as Results<T>;
  }

  #call(req: Request): Promise<unknown> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    const id = ++this.#lastId;
    return new Promise((resolve, reject) => {
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, ...req });
    });
  }

  #settle(reply: { id: number; result?: unknown; error?: ErrorFields }): void {
    const p = this.#pending.get(reply.id);
    if (!p) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#worker.unref();
    if (reply.error) p.reject(toError(reply.error));
    else p.resolve(reply.result);
  }

  #stop(err: Error): void {
    this.#stopped ??= err;
    for (const p of this.#pending.values()) p.reject(this.#stopped);
    this.#pending.clear();
  }
}

/**
 * Functions cannot cross to the worker. drizzle's parsers keep dates and intervals as PostgreSQL's
 * text; the worker does the same for the type ids named here. Any other parser is refused, not lost.
 */
function textTypes(options: QueryOptions | undefined): number[] {
  if (options?.serializers) throw new Error('Custom serializers do not cross to the database thread.');
  const oids: number[] = [];
  for (const [oid, parse] of Object.entries(options?.parsers ?? {})) {
    if (parse('2001-02-03 04:05:06', Number(oid)) !== '2001-02-03 04:05:06') {
      throw new Error(`Only text-keeping parsers cross to the database thread (type ${oid}).`);
    }
    oids.push(Number(oid));
  }
  return oids;
}

function toError(fields: ErrorFields): Error {
  return Object.assign(new Error(fields.message), fields);
}
