import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { createUser, findUserByEmail } from './auth/repo.js';
import { bootstrap } from './bootstrap.js';
import { formatProblem, formatSummary, importClients } from './clients/import.js';
import { phoneCountry } from './clients/phones.js';
import { defaultCountryOf } from './clients/repo.js';
import { ConfigError, isEmail, loadConfig } from './config.js';
import { openDatabase } from './db/client.js';
import { workspaces } from './db/schema/index.js';

const USAGE = `Usage: pnpm parley <command>

Commands:
  migrate                          apply database migrations
  user:create --email E --name N [--role operator|supervisor|admin] [--password P]
                                   create a user (password read from PARLEY_USER_PASSWORD when not given)
  seed-demo                        create two demo operators (operator1@parley.local, operator2@parley.local)
  import-clients FILE.csv [--country HU]
                                   import clients and orders (docs/import-clients.md); a bad row imports nothing

The database is the one the server uses: DATABASE_URL, or PGlite in PARLEY_DATA_DIR (.parley/).`;

/** Runs one command; returns the process exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 64;
  }
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await database.migrate();
    switch (command) {
      case 'migrate':
        console.log(`Migrations applied (${database.kind}).`);
        return 0;
      case 'user:create': {
        const { values } = parseArgs({
          args: rest,
          options: {
            email: { type: 'string' },
            name: { type: 'string' },
            role: { type: 'string', default: 'operator' },
            password: { type: 'string' },
          },
        });
        const email = values.email?.trim().toLowerCase() ?? '';
        const password = values.password ?? process.env.PARLEY_USER_PASSWORD ?? '';
        const problems: string[] = [];
        if (!isEmail(email)) problems.push('--email must be an e-mail address');
        if (!values.name?.trim()) problems.push('--name is required');
        if (!['operator', 'supervisor', 'admin'].includes(values.role!)) {
          problems.push('--role must be operator, supervisor or admin');
        }
        if (password.length < 8)
          problems.push('--password (or PARLEY_USER_PASSWORD) must be at least 8 characters');
        if (problems.length) {
          console.error(problems.join('\n'));
          return 64;
        }
        if (await findUserByEmail(database.db, email)) {
          console.error(`A user with the e-mail ${email} exists already.`);
          return 65;
        }
        const { workspaceId } = await bootstrap(database.db, config);
        const user = await createUser(database.db, {
          workspaceId,
          email,
          name: values.name!.trim(),
          role: values.role as 'operator' | 'supervisor' | 'admin',
          password,
        });
        console.log(`Created ${user.role} ${user.email} (${user.id}).`);
        return 0;
      }
      case 'seed-demo': {
        const { workspaceId, siteKey } = await bootstrap(database.db, config);
        const [ws] = await database.db.select().from(workspaces).where(eq(workspaces.id, workspaceId));
        for (const [i, name] of ['Amira Haddad', 'Bence Kovács'].entries()) {
          const email = `operator${i + 1}@parley.local`;
          if (await findUserByEmail(database.db, email)) continue;
          await createUser(database.db, {
            workspaceId,
            email,
            name,
            role: 'operator',
            password: 'operator-demo',
          });
          console.log(`Created operator ${email} (password: operator-demo)`);
        }
        console.log(`Workspace "${ws?.name}", default site key ${siteKey}.`);
        return 0;
      }
      case 'import-clients': {
        const { values, positionals } = parseArgs({
          args: rest,
          options: { country: { type: 'string' } },
          allowPositionals: true,
        });
        const country = values.country === undefined ? undefined : phoneCountry(values.country);
        if (positionals.length !== 1 || country === null) {
          console.error(
            positionals.length !== 1
              ? 'Usage: pnpm parley import-clients FILE.csv [--country HU]'
              : `--country must be a two-letter country code such as HU, got "${values.country}"`,
          );
          return 64;
        }
        let csv: string;
        try {
          csv = readFileSync(positionals[0]!, 'utf8');
        } catch (err) {
          console.error(
            `Cannot read ${positionals[0]}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
          );
          return 66;
        }
        const { workspaceId } = await bootstrap(database.db, config);
        const report = await importClients(database.db, {
          workspaceId,
          csv,
          country: country ?? (await defaultCountryOf(database.db, workspaceId)),
        });
        if (report.problems.length) {
          for (const p of report.problems) console.error(formatProblem(p));
          console.error(`Nothing was imported: ${report.problems.length} problem(s) in ${positionals[0]}.`);
          return 65;
        }
        console.log(formatSummary(report));
        return 0;
      }
      default:
        console.error(`Unknown command "${command}".\n\n${USAGE}`);
        return 64;
    }
  } finally {
    await database.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof ConfigError ? err.message : err);
      process.exit(err instanceof ConfigError ? 78 : 1);
    },
  );
}
