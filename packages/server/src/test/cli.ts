import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, vi } from 'vitest';
import { runCli } from '../cli.js';
import { type Database, openDatabase } from '../db/client.js';
import { openTestDatabase } from './db.js';

/**
 * The CLI reads the server's environment: this points it, for one test file, at a database of the
 * file's own (a PGlite folder, or a fresh PostgreSQL database when DATABASE_URL is set).
 */
export function cliEnvironment(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const dataDir = join(dir, 'data');
  let pgUrl: string | null = null;
  let cleanup: () => Promise<void> = async () => {};

  beforeAll(async () => {
    if (process.env.DATABASE_URL) {
      const db = await openTestDatabase();
      pgUrl = db.url;
      cleanup = () => db.close();
    }
    process.env.PARLEY_DATA_DIR = dataDir;
    if (pgUrl) process.env.DATABASE_URL = pgUrl;
    process.env.LOG_LEVEL = 'silent';
  });
  afterAll(async () => {
    await cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  return {
    /** A scratch folder for the file's inputs. */
    dir,
    /** Runs one command and captures what it printed. */
    async cli(...args: string[]) {
      const out: string[] = [];
      const err: string[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((m: string) => void out.push(m));
      const error = vi.spyOn(console, 'error').mockImplementation((m: string) => void err.push(m));
      try {
        return { code: await runCli(args), out: out.join('\n'), err: err.join('\n') };
      } finally {
        log.mockRestore();
        error.mockRestore();
      }
    },
    /** The CLI's database, opened by the test to look at what a command did (close it after). */
    open: (): Promise<Database> => openDatabase({ databaseUrl: pgUrl, dataDir }),
  };
}
