import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../bootstrap.js';
import { loadConfig } from '../config.js';
import { sites } from '../db/schema/index.js';
import { openTestDatabase } from '../test/db.js';
import { findSiteByKey } from './repo.js';

let database: Awaited<ReturnType<typeof openTestDatabase>>;
let key: string;
beforeAll(async () => {
  database = await openTestDatabase();
  await bootstrap(database.db, loadConfig({}));
  key = (await database.db.select({ key: sites.key }).from(sites))[0]!.key;
});
afterAll(() => database.close());

describe('reading a site by its key', () => {
  it('hands every socket of an unchanged site the same row, and a changed row at once', async () => {
    const first = await findSiteByKey(database.db, key);
    const second = await findSiteByKey(database.db, key);
    // One row for ten thousand sockets, not ten thousand copies of its settings.
    expect(second).toBe(first);
    expect(first?.settings.waitingMessages).toBeDefined(); // defaults filled in

    // Changed without touching updated_at (a migration, an SQL fix): still seen by the next read.
    await database.db
      .update(sites)
      .set({ settings: { ...first!.settings, color: '#123456' } })
      .where(eq(sites.key, key));
    const changed = await findSiteByKey(database.db, key);
    expect(changed).not.toBe(first);
    expect(changed?.settings.color).toBe('#123456');
    expect(first?.settings.color).not.toBe('#123456'); // the row a socket already holds is left alone
    expect(await findSiteByKey(database.db, 'no-such-key')).toBeUndefined();
  });
});
