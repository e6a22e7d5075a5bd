import { describe, expect, it } from 'vitest';
import { verifyPassword } from './auth/password.js';
import { findUserByEmail } from './auth/repo.js';
import { cliEnvironment } from './test/cli.js';

const { cli, open } = cliEnvironment('parley-cli-');

describe('pnpm parley', () => {
  it('migrates, seeds demo operators, and creates users with a memory-hard hash', async () => {
    expect((await cli('migrate')).code).toBe(0);
    const seeded = await cli('seed-demo');
    expect(seeded.code).toBe(0);
    expect(seeded.out).toContain('operator1@parley.local');
    const created = await cli(
      'user:create',
      '--email',
      'Sara@Example.com',
      '--name',
      'Sara',
      '--role',
      'supervisor',
      '--password',
      'long-enough',
    );
    expect(created).toMatchObject({ code: 0 });
    expect(created.out).toMatch(/^Created supervisor sara@example.com/);
    const database = await open();
    try {
      const user = await findUserByEmail(database.db, 'sara@example.com');
      expect(user?.role).toBe('supervisor');
      expect(await verifyPassword('long-enough', user!.passwordHash)).toBe(true);
    } finally {
      await database.close();
    }
  });

  it('refuses bad input with a message per problem and a non-zero code, creating nothing', async () => {
    const bad = await cli('user:create', '--email', 'nope', '--role', 'king', '--password', 'short');
    expect(bad.code).toBe(64);
    expect(bad.err.split('\n')).toEqual([
      '--email must be an e-mail address',
      '--name is required',
      '--role must be operator, supervisor or admin',
      '--password (or PARLEY_USER_PASSWORD) must be at least 8 characters',
    ]);
    const dup = await cli(
      'user:create',
      '--email',
      'sara@example.com',
      '--name',
      'Again',
      '--password',
      'long-enough',
    );
    expect(dup).toMatchObject({ code: 65, err: 'A user with the e-mail sara@example.com exists already.' });
    const unknown = await cli('fly');
    expect(unknown.code).toBe(64);
    expect(unknown.err).toContain('Unknown command "fly"');
  });
});
