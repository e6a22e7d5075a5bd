// @ts-check
/**
 * The embedded database's own thread. PGlite runs PostgreSQL compiled to WebAssembly: every query
 * is CPU work, and on the server's event loop it held up every socket (see BENCHMARKS.md). Here it
 * has a core of its own; the main thread talks to it through `pglite-remote.ts`.
 *
 * Plain JavaScript (type-checked) because a worker thread loads a file as it is: the same file
 * serves the compiled server and the tests, which run from TypeScript source.
 *
 * Messages in:  { id, op: 'query', sql, params, rowMode, textTypes, tx }  → { id, result }
 *               { id, op: 'begin' }                                       → { id, result: txId }
 *               { id, op: 'end', tx, commit }                             → { id }
 *               { id, op: 'close' }                                       → { id }
 * A failure answers { id, error } with the error's own fields (`code`, `detail`, … of PostgreSQL).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

/** @typedef {import('@electric-sql/pglite').Transaction} Transaction */

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const { dataDir } = /** @type {{ dataDir: string | null }} */ (workerData);

/** @type {PGlite} */
let db;
try {
  db = dataDir ? new PGlite(dataDir) : new PGlite();
  await db.waitReady;
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ ready: false, error: wire(err) });
  process.exit(1);
}

/** Open transactions: the PGlite transaction and how to end it. */
/** @type {Map<number, { tx: Transaction, end: (commit: boolean) => void, done: Promise<void> }>} */
const open = new Map();
let lastTx = 0;

/** @type {(value: string) => string} */
const asText = (value) => value;
/** @type {Map<string, Record<number, (value: string) => string>>} */
const parsersByTypes = new Map();

/**
 * Identity parsers keep these types as PostgreSQL's text, as the caller asked. drizzle asks for the
 * same few types on every query: one parsers object per list, not one per query.
 * @param {number[]} oids
 */
function textParsers(oids) {
  const key = oids.join(',');
  let parsers = parsersByTypes.get(key);
  if (!parsers) {
    parsers = {};
    for (const oid of oids) parsers[oid] = asText;
    parsersByTypes.set(key, parsers);
  }
  return parsers;
}

/** @param {unknown} err */
function wire(err) {
  if (!(err instanceof Error)) return { message: String(err) };
  // PostgreSQL's fields (code, detail, constraint, …) are text and numbers. PGlite also hangs the
  // query's options on the error, parser functions included, which cannot cross: left behind.
  /** @type {Record<string, string | number | boolean | null>} */
  const fields = {};
  for (const [key, value] of Object.entries(err)) {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value;
  }
  return { ...fields, name: err.name, message: err.message };
}

/**
 * @param {{ tx?: number | null }} msg
 * @returns {PGlite | Transaction}
 */
function target(msg) {
  if (msg.tx == null) return db;
  const t = open.get(msg.tx);
  if (!t) throw new Error(`Transaction ${msg.tx} is not open.`);
  return t.tx;
}

/** @param {number} id */
function begin(id) {
  const txId = ++lastTx;
  /** @type {(commit: boolean) => void} */
  let end = () => {};
  /** @type {Promise<boolean>} */
  const ended = new Promise((resolve) => {
    end = resolve;
  });
  let begun = false;
  const done = db
    .transaction(async (tx) => {
      open.set(txId, { tx, end, done });
      begun = true;
      port.postMessage({ id, result: txId });
      if (!(await ended)) await tx.rollback();
    })
    .finally(() => open.delete(txId));
  // A failed BEGIN answers the begin; a failed COMMIT answers the end (it awaits `done`).
  done.catch((err) => {
    if (!begun) port.postMessage({ id, error: wire(err) });
  });
}

port.on('message', async (msg) => {
  const { id } = msg;
  try {
    switch (msg.op) {
      case 'query': {
        const options = { rowMode: msg.rowMode, parsers: textParsers(msg.textTypes) };
        const result = await target(msg).query(msg.sql, msg.params, options);
        port.postMessage({ id, result });
        return;
      }
      case 'begin':
        begin(id);
        return;
      case 'end': {
        const t = open.get(msg.tx);
        if (!t) throw new Error(`Transaction ${msg.tx} is not open.`);
        t.end(Boolean(msg.commit));
        await t.done;
        port.postMessage({ id });
        return;
      }
      case 'close':
        await db.close();
        port.postMessage({ id });
        port.close();
        return;
      default:
        throw new Error(`Unknown operation ${String(msg.op)}.`);
    }
  } catch (err) {
    port.postMessage({ id, error: wire(err) });
  }
});
