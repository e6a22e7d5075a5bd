import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { createUser } from './auth/repo.js';
import type { Db } from './db/client.js';
import { sites, users, workspaces } from './db/schema/index.js';
import { DEFAULT_SETTINGS } from './sites/repo.js';

export interface BootstrapResult {
  workspaceId: string;
  siteKey: string;
  admin: { email: string; password: string | null; created: boolean };
}

/**
 * First start: one workspace, a default site and an admin. Later starts change nothing and return
 * what exists. The admin's generated password is returned only when it was just created.
 */
export async function bootstrap(
  db: Db,
  opts: { adminEmail: string; adminPassword: string | null; publicUrl: string },
): Promise<BootstrapResult> {
  return db.transaction(async (tx) => {
    let [ws] = await tx.select().from(workspaces).orderBy(workspaces.createdAt).limit(1);
    if (!ws) [ws] = await tx.insert(workspaces).values({ name: 'My company' }).returning();
    const workspaceId = ws!.id;

    let [site] = await tx.select().from(sites).where(eq(sites.workspaceId, workspaceId)).limit(1);
    if (!site) {
      [site] = await tx
        .insert(sites)
        .values({
          workspaceId,
          key: `site_${randomBytes(9).toString('base64url')}`,
          secret: randomBytes(32).toString('base64url'),
          name: 'Default site',
          // The server's own /demo, and any local port so examples/demo-site works out of the box.
          allowedOrigins: [new URL(opts.publicUrl).origin, 'http://localhost:*', 'http://127.0.0.1:*'],
          settings: DEFAULT_SETTINGS,
        })
        .returning();
    }

    const [admin] = await tx.select().from(users).where(eq(users.role, 'admin')).limit(1);
    if (admin)
      return {
        workspaceId,
        siteKey: site!.key,
        admin: { email: admin.email, password: null, created: false },
      };
    const password = opts.adminPassword ?? randomBytes(12).toString('base64url');
    await createUser(tx, { workspaceId, email: opts.adminEmail, name: 'Admin', role: 'admin', password });
    return {
      workspaceId,
      siteKey: site!.key,
      admin: { email: opts.adminEmail, password: opts.adminPassword ? null : password, created: true },
    };
  });
}
