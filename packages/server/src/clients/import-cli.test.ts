import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clients } from '../db/schema/index.js';
import { cliEnvironment } from '../test/cli.js';

const { dir, cli, open } = cliEnvironment('parley-import-');

const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

async function clientNames(): Promise<string[]> {
  const database = await open();
  try {
    return (await database.db.select({ name: clients.name }).from(clients)).map((c) => c.name).sort();
  } finally {
    await database.close();
  }
}

describe('pnpm parley import-clients', () => {
  it('imports a good file, prints a summary, and a second run only updates', async () => {
    const good = file(
      'good.csv',
      'name,phone,order_ref,order_title\nAnna,06 30 123 4567,A-1,Sofa\nBéla,+36 1 234 5678,,\n',
    );
    expect(await cli('import-clients', good, '--country', 'hu')).toEqual({
      code: 0,
      out: 'Imported 2 rows: 2 client(s) created, 0 updated; 1 order(s) created, 0 updated.',
      err: '',
    });
    expect((await cli('import-clients', good, '--country', 'HU')).out).toBe(
      'Imported 2 rows: 0 client(s) created, 2 updated; 0 order(s) created, 1 updated.',
    );
    expect(await clientNames()).toEqual(['Anna', 'Béla']);
  });

  it('prints every bad row, exits 65 and writes nothing', async () => {
    const bad = file('bad.csv', 'name,category,phone\nCarla,regular,\n,vip,\nDénes,gold,06 30\n');
    expect(await cli('import-clients', bad, '--country', 'HU')).toEqual({
      code: 65,
      out: '',
      err: [
        'line 3: name: required',
        'line 4: category: "gold" is not one of prospect, regular, vip, problem',
        'line 4: phone: "06 30" is not a valid phone number (numbers without a country code are read as HU)',
        `Nothing was imported: 3 problem(s) in ${bad}.`,
      ].join('\n'),
    });
    expect(await clientNames()).toEqual(['Anna', 'Béla']);
  });

  it('refuses a missing file, a bad --country and a missing argument', async () => {
    expect(await cli('import-clients', join(dir, 'nope.csv'))).toMatchObject({
      code: 66,
      err: expect.stringContaining('ENOENT'),
    });
    expect(await cli('import-clients', join(dir, 'good.csv'), '--country', 'Hungary')).toEqual({
      code: 64,
      out: '',
      err: '--country must be a two-letter country code such as HU, got "Hungary"',
    });
    expect((await cli('import-clients')).code).toBe(64);
  });
});
