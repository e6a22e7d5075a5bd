import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './client.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the embedded database folder', () => {
  it('refuses a second server on a PGlite folder in use, and frees it on close', async () => {
    const first = await openDatabase({ databaseUrl: null, dataDir: dir });
    await expect(openDatabase({ databaseUrl: null, dataDir: dir })).rejects.toThrow(
      `The data folder ${dir} is in use by process ${process.pid}`,
    );
    await first.close();
    const again = await openDatabase({ databaseUrl: null, dataDir: dir });
    await again.migrate();
    await again.close();
  });

  it('takes over a lock left by a process that is gone', async () => {
    writeFileSync(join(dir, 'parley.lock'), '999999999');
    const db = await openDatabase({ databaseUrl: null, dataDir: dir });
    await db.ping();
    await db.close();
  });
});
