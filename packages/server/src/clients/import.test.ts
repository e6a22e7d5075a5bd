import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/client.js';
import { clients, orders, users, workspaces } from '../db/schema/index.js';
import { openTestDatabase } from '../test/db.js';
import { importClients } from './import.js';
import { clientCards } from './repo.js';

let database: Awaited<ReturnType<typeof openTestDatabase>>;
let db: Db;
beforeAll(async () => {
  database = await openTestDatabase();
  db = database.db;
});
afterAll(() => database.close());

/** A workspace with two staff members: kata@ (active) and old@ (deactivated). */
async function workspace() {
  const [ws] = await db.insert(workspaces).values({ name: 'Import test' }).returning();
  const tag = randomBytes(3).toString('hex');
  const [kata] = await db
    .insert(users)
    .values({
      workspaceId: ws!.id,
      email: `kata.${tag}@shop.hu`,
      name: 'Kata',
      role: 'operator',
      passwordHash: 'x',
    })
    .returning();
  await db.insert(users).values({
    workspaceId: ws!.id,
    email: `old.${tag}@shop.hu`,
    name: 'Old',
    role: 'operator',
    passwordHash: 'x',
    deactivatedAt: new Date(),
  });
  const cards = async () => {
    const ids = await db
      .select({ id: clients.id })
      .from(clients)
      .where(eq(clients.workspaceId, ws!.id))
      .orderBy(asc(clients.name));
    return clientCards(
      db,
      ws!.id,
      ids.map((r) => r.id),
    );
  };
  return { ws: ws!.id, kata: kata!, kataEmail: `kata.${tag}@shop.hu`, oldEmail: `old.${tag}@shop.hu`, cards };
}

const run = (ws: string, csv: string, country: string | null = 'HU') =>
  importClients(db, { workspaceId: ws, csv, country });

describe('importClients', () => {
  it('imports clients with phones, e-mails and orders, and a second import changes nothing', async () => {
    const w = await workspace();
    const csv = [
      'name,company,category,email,phone,city,country,note,external_id,responsible_email,order_ref,order_title,order_stage,order_amount_due,order_responsible_email,order_open',
      `Kovács Bence,Kovács Kft,vip,Bence@Kovacs.hu; info@kovacs.hu,06 30 123 4567;+36 1 234 5678,Budapest,HU,Pays late,C-1,${w.kataEmail},O-1,Boiler,offer,1250.5,${w.kataEmail},true`,
      'Kovács Bence,,,,,,,,C-1,,O-2,Old boiler,done,0,,false',
      'Zaur Məmmədov,,regular,zaur@example.az,+994 50 123 45 67,Bakı,AZ,,,,,,,,,',
    ].join('\n');
    const first = await run(w.ws, csv);
    expect(first).toEqual({
      rows: 3,
      clientsCreated: 2,
      clientsUpdated: 0,
      ordersCreated: 2,
      ordersUpdated: 0,
      problems: [],
    });
    const cards = await w.cards();
    expect(cards).toHaveLength(2);
    expect(cards[0]).toMatchObject({
      name: 'Kovács Bence',
      company: 'Kovács Kft',
      category: 'vip',
      externalId: 'C-1',
      city: 'Budapest',
      country: 'HU',
      note: 'Pays late',
      responsibleId: w.kata.id,
      emails: ['bence@kovacs.hu', 'info@kovacs.hu'],
      phones: ['+3612345678', '+36301234567'],
    });
    expect(
      cards[0]!.orders.map((o) => [o.externalRef, o.title, o.stage, o.amountDue, o.open, o.responsibleName]),
    ).toEqual([
      ['O-1', 'Boiler', 'offer', '1250.50', true, 'Kata'],
      ['O-2', 'Old boiler', 'done', '0.00', false, null],
    ]);
    expect(cards[1]).toMatchObject({ name: 'Zaur Məmmədov', category: 'regular', phones: ['+994501234567'] });

    const second = await run(w.ws, csv);
    expect(second).toMatchObject({
      clientsCreated: 0,
      clientsUpdated: 2,
      ordersCreated: 0,
      ordersUpdated: 2,
    });
    expect(await w.cards()).toEqual(cards);
  });

  it('reports every bad row with its line and column, and writes nothing', async () => {
    const w = await workspace();
    await run(w.ws, 'name,email,phone\nExisting,owner@example.com,+36301234567');
    const before = await w.cards();
    const csv = [
      'name,category,email,phone,responsible_email,order_title,order_amount_due,order_open', // 1
      'Good Row,regular,good@example.com,06 30 999 8888,,,,', // 2
      ',vip,,,,,,', // 3
      'Bad Category,gold,,,,,,', // 4
      'Bad Mail,,not-an-address;ok@example.com,,,,,', // 5
      '', // 6 (skipped)
      'Bad Phone,,,06 12,,,,', // 7
      `Gone Staff,,,,${w.oldEmail},,,`, // 8
      'Bad Order,,,,,,12.345,maybe', // 9
      'Too,many,fields,,,,,,', // 10
      // Row 2's client (by its e-mail) cannot take Existing's number.
      'Thief,,good@example.com,+36 30 123 4567,,,,', // 11
    ].join('\n');
    const report = await run(w.ws, csv);
    expect(report.problems.map((p) => `line ${p.line}: ${p.column}: ${p.problem}`)).toEqual([
      'line 3: name: required',
      'line 4: category: "gold" is not one of prospect, regular, vip, problem',
      'line 5: email: "not-an-address" is not an e-mail address',
      'line 7: phone: "06 12" is not a valid phone number (numbers without a country code are read as HU)',
      `line 8: responsible_email: no active user has the e-mail "${w.oldEmail}"`,
      'line 9: order_title: required when the row has an order',
      'line 9: order_amount_due: "12.345" is not an amount like 1234.50',
      'line 9: order_open: "maybe" is not true or false',
      'line 10: file: 9 fields where the header has 8',
      'line 11: phone: +36301234567 belongs to another client (Existing)',
    ]);
    expect(report).toMatchObject({ clientsCreated: 0, clientsUpdated: 0, ordersCreated: 0 });
    // The good row 2 was not written either.
    expect(await w.cards()).toEqual(before);
  });

  it('reads a BOM, CRLF, quoted commas and newlines, and right-to-left and Vietnamese names', async () => {
    const w = await workspace();
    const csv =
      '\uFEFFname,company,note,email,phone\r\n' +
      '"أمل الحداد","Haddad, Sons & Co","First line\r\nsecond, with a comma",amal@example.ae,+971 50 123 4567\r\n' +
      '\r\n' +
      'Nguyễn Thị Hoa,"He said ""hi""",,hoa@example.vn,+84 912 345 678\r\n';
    const report = await run(w.ws, csv);
    expect(report.problems).toEqual([]);
    expect(report.clientsCreated).toBe(2);
    const cards = await w.cards();
    expect(cards.map((c) => [c.name, c.company, c.note, c.emails, c.phones])).toEqual([
      ['Nguyễn Thị Hoa', 'He said "hi"', null, ['hoa@example.vn'], ['+84912345678']],
      [
        'أمل الحداد',
        'Haddad, Sons & Co',
        'First line\r\nsecond, with a comma',
        ['amal@example.ae'],
        ['+971501234567'],
      ],
    ]);
  });

  it('counts lines as the file has them when quoted fields span lines', async () => {
    const w = await workspace();
    const csv = 'name,note,category\nA,"one\ntwo\nthree",regular\n\nB,,nope\n';
    expect((await run(w.ws, csv)).problems).toEqual([
      { line: 6, column: 'category', problem: '"nope" is not one of prospect, regular, vip, problem' },
    ]);
  });

  it('merges rows by external_id, else by e-mail, and updates stored clients the same way', async () => {
    const w = await workspace();
    await run(w.ws, 'name,external_id,email\nStored,S-1,stored@example.com\nByMail,,bymail@example.com');
    const report = await run(
      w.ws,
      [
        'name,external_id,email,phone,city',
        'Stored Renamed,S-1,,,Szeged',
        'ByMail,,BYMAIL@example.com,06 30 111 2222,',
        'New One,N-1,new@example.com,,',
        'New One,,new@example.com;second@example.com,,Pécs',
        // An e-mail of S-1 under another external id is a conflict, not a merge.
        'Other,N-2,stored@example.com,,',
      ].join('\n'),
    );
    expect(report.problems.map((p) => `line ${p.line}: ${p.column}: ${p.problem}`)).toEqual([
      'line 6: email: stored@example.com belongs to another client (Stored, external_id S-1)',
    ]);
    const fixed = await run(
      w.ws,
      [
        'name,external_id,email,phone,city',
        'Stored Renamed,S-1,,,Szeged',
        'ByMail,,BYMAIL@example.com,06 30 111 2222,',
        'New One,N-1,new@example.com,,',
        'New One,,new@example.com;second@example.com,,Pécs',
      ].join('\n'),
    );
    expect(fixed).toMatchObject({ clientsCreated: 1, clientsUpdated: 2, problems: [] });
    const cards = await w.cards();
    expect(cards.map((c) => [c.name, c.externalId, c.city, c.emails, c.phones])).toEqual([
      ['ByMail', null, null, ['bymail@example.com'], ['+36301112222']],
      ['New One', 'N-1', 'Pécs', ['new@example.com', 'second@example.com'], []],
      ['Stored Renamed', 'S-1', 'Szeged', ['stored@example.com'], []],
    ]);
  });

  it('refuses an order reference of another client, unknown or repeated columns and broken quoting', async () => {
    const w = await workspace();
    await run(w.ws, 'name,external_id,order_ref,order_title\nFirst,F-1,R-1,Thing');
    const msgs = async (csv: string) =>
      (await run(w.ws, csv)).problems.map((p) => `line ${p.line}: ${p.column}: ${p.problem}`);
    expect(await msgs('name,external_id,order_ref,order_title\nSecond,F-2,R-1,Thing')).toEqual([
      'line 2: order_ref: "R-1" is an order of another client (First, external_id F-1)',
    ]);
    expect(await msgs('Name,e-mail,name\nA,b,c')).toEqual([
      'line 1: e-mail: unknown column; known: name, company, category, email, phone, city, country, note, external_id, responsible_email, order_ref, order_title, order_stage, order_amount_due, order_responsible_email, order_open',
      'line 1: name: appears twice',
    ]);
    expect(await msgs('company\nAcme')).toEqual(['line 1: name: the column is missing']);
    expect(await msgs('name,note\nA,"open\nB,x\n')).toEqual([
      'line 2: file: Quote Not Closed: the parsing is finished with an opening quote',
    ]);
    expect(await msgs('')).toEqual(['line 1: file: the file is empty; the first line must name the columns']);
    const stored = await db.select().from(orders).where(eq(orders.workspaceId, w.ws));
    expect(stored).toHaveLength(1);
  });

  it('reads national numbers in the country it is given', async () => {
    const w = await workspace();
    expect((await run(w.ws, 'name,phone\nAn,0912 345 678', 'VN')).problems).toEqual([]);
    expect((await run(w.ws, 'name,phone\nIvan,8 912 345-67-89', null)).problems).toEqual([
      {
        line: 2,
        column: 'phone',
        problem:
          '"8 912 345-67-89" is not a valid phone number (no default country: write it with its country code, e.g. +36…)',
      },
    ]);
    expect((await w.cards()).map((c) => c.phones)).toEqual([['+84912345678']]);
  });

  it('imports the example of docs/import-clients.md as the page describes', async () => {
    const w = await workspace();
    const [kata] = await db
      .insert(users)
      .values({ workspaceId: w.ws, email: 'kata@shop.hu', name: 'Kata', role: 'operator', passwordHash: 'x' })
      .returning();
    const doc = readFileSync(new URL('../../../../docs/import-clients.md', import.meta.url), 'utf8');
    const csv = /```csv\n([\s\S]*?)```/.exec(doc)![1]!;
    expect(await run(w.ws, csv)).toEqual({
      rows: 5,
      clientsCreated: 4,
      clientsUpdated: 0,
      ordersCreated: 2,
      ordersUpdated: 0,
      problems: [],
    });
    const bence = (await w.cards()).find((c) => c.externalId === 'C-1001')!;
    expect(bence.orders.filter((o) => o.open).map((o) => [o.externalRef, o.responsibleId])).toEqual([
      ['O-77', kata!.id],
    ]);
  });

  it("never touches another workspace's clients, orders or staff", async () => {
    const a = await workspace();
    const b = await workspace();
    const csv = `name,external_id,email,phone,order_ref,order_title,order_responsible_email\nA's client,X-1,x@example.com,+36301234567,R-9,Thing,${a.kataEmail}`;
    expect((await run(a.ws, csv)).clientsCreated).toBe(1);
    // Workspace B knows nothing of A's keys (and A's staff are not B's users).
    expect((await run(b.ws, csv)).problems.map((p) => `line ${p.line}: ${p.column}: ${p.problem}`)).toEqual([
      `line 2: order_responsible_email: no active user has the e-mail "${a.kataEmail}"`,
    ]);
    const own = csv.replace(a.kataEmail, b.kataEmail).replace("A's client", "B's client");
    expect(await run(b.ws, own)).toMatchObject({
      clientsCreated: 1,
      clientsUpdated: 0,
      ordersCreated: 1,
      problems: [],
    });
    expect((await a.cards()).map((c) => [c.name, c.orders[0]?.responsibleName])).toEqual([
      ["A's client", 'Kata'],
    ]);
    expect((await b.cards()).map((c) => [c.name, c.emails, c.phones])).toEqual([
      ["B's client", ['x@example.com'], ['+36301234567']],
    ]);
  });
});
