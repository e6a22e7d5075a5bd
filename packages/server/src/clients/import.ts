import type { ImportProblem, ImportReport } from '@parley/protocol/schemas';
import { CsvError, type Info, parse } from 'csv-parse/sync';
import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import {
  CLIENT_CATEGORIES,
  type ClientCategory,
  clientEmails,
  clientPhones,
  clients,
  orders,
  users,
} from '../db/schema/index.js';
import { normalizeEmail } from './match.js';
import { normalizePhone } from './phones.js';
import { phoneProblem } from './repo.js';

/** Every column the importer knows; `name` is the only one required. Documented in docs/import-clients.md. */
export const IMPORT_COLUMNS = [
  'name',
  'company',
  'category',
  'email',
  'phone',
  'city',
  'country',
  'note',
  'external_id',
  'responsible_email',
  'order_ref',
  'order_title',
  'order_stage',
  'order_amount_due',
  'order_responsible_email',
  'order_open',
] as const;
type Column = (typeof IMPORT_COLUMNS)[number];

const MAX_ROWS = 100_000;
const LIMITS: Partial<Record<Column, number>> = {
  name: 200,
  company: 200,
  city: 100,
  country: 100,
  note: 4000,
  external_id: 200,
  order_ref: 200,
  order_title: 300,
  order_stage: 60,
};
const AMOUNT = /^\d{1,12}(\.\d{1,2})?$/;
const TRUE = ['true', 'yes', '1', 'open'];
const FALSE = ['false', 'no', '0', 'closed'];

/** One line of the file, checked and normalized. */
interface Row {
  line: number;
  name: string;
  company: string | null;
  category: ClientCategory | null;
  emails: string[];
  phones: string[];
  city: string | null;
  country: string | null;
  note: string | null;
  externalId: string | null;
  responsibleId: string | null;
  order: {
    ref: string | null;
    title: string;
    stage: string | null;
    amountDue: string | null;
    responsibleId: string | null;
    open: boolean;
  } | null;
}

/** The rows that make one client: an existing one (`id`) or a new one. */
interface Group {
  id: string | null;
  externalId: string | null;
  /** For messages: the stored client's name, or the first row's. */
  name: string;
  rows: Row[];
}

export interface ImportOptions {
  workspaceId: string;
  /** The file's text (a leading BOM is fine). */
  csv: string;
  /** Country for phone numbers written without a country code (ISO 3166 alpha-2). */
  country: string | null;
}

/**
 * Imports clients (and their orders) from CSV. The whole file is checked first; when any row is bad,
 * every problem is reported (`line N: column: problem`, lines as an editor counts them) and nothing is
 * written. Otherwise everything is written in one transaction. Rows with the same `external_id`, else
 * the same e-mail, else the same phone, update one client, so importing a file twice changes nothing
 * the second time (rows with none of the three make a new client each time).
 */
export async function importClients(db: Db, opts: ImportOptions): Promise<ImportReport> {
  const report: ImportReport = {
    rows: 0,
    clientsCreated: 0,
    clientsUpdated: 0,
    ordersCreated: 0,
    ordersUpdated: 0,
    problems: [],
  };
  const problems = report.problems;
  const records = readCsv(opts.csv, problems);
  if (!records) return report;
  const [header, ...body] = records;
  if (!header) {
    problems.push({
      line: 1,
      column: 'file',
      problem: 'the file is empty; the first line must name the columns',
    });
    return report;
  }
  const columns = readHeader(header.cells, problems);
  if (!columns) return report;
  if (body.length > MAX_ROWS) {
    problems.push({ line: 1, column: 'file', problem: `more than ${MAX_ROWS} rows; split the file` });
    return report;
  }
  report.rows = body.length;

  const ws = opts.workspaceId;
  const cellsOf = (r: { cells: string[] }) => {
    const out: Partial<Record<Column, string>> = {};
    for (const [i, col] of columns.entries()) out[col] = (r.cells[i] ?? '').trim();
    return out;
  };
  const raw = body.map((r) => ({ line: r.line, cells: cellsOf(r), width: r.cells.length }));

  // Everything the rows refer to, looked up at once.
  const emailsInFile = new Set<string>();
  const userEmails = new Set<string>();
  const extIds = new Set<string>();
  const refs = new Set<string>();
  for (const r of raw) {
    for (const e of split(r.cells.email)) {
      const n = normalizeEmail(e);
      if (n) emailsInFile.add(n);
    }
    for (const c of ['responsible_email', 'order_responsible_email'] as const) {
      const n = r.cells[c] ? normalizeEmail(r.cells[c]) : null;
      if (n) userEmails.add(n);
    }
    if (r.cells.external_id) extIds.add(r.cells.external_id);
    if (r.cells.order_ref) refs.add(r.cells.order_ref);
  }
  const staff = await lookup(userEmails, (list) =>
    db
      .select({ key: users.email, id: users.id })
      .from(users)
      .where(and(eq(users.workspaceId, ws), isNull(users.deactivatedAt), inArray(users.email, list))),
  );
  const byExt = new Map<string, string>();
  for (const chunk of chunks([...extIds])) {
    const found = await db
      .select({ id: clients.id, ext: clients.externalId })
      .from(clients)
      .where(and(eq(clients.workspaceId, ws), inArray(clients.externalId, chunk)));
    for (const f of found) byExt.set(f.ext!, f.id);
  }

  const rows: Row[] = [];
  for (const r of raw) {
    const bad = (column: string, problem: string) => problems.push({ line: r.line, column, problem });
    if (r.width !== columns.length) {
      bad('file', `${r.width} fields where the header has ${columns.length}`);
      continue;
    }
    const c = r.cells;
    const before = problems.length;
    for (const [col, max] of Object.entries(LIMITS) as [Column, number][]) {
      if ((c[col]?.length ?? 0) > max) bad(col, `longer than ${max} characters`);
    }
    if (!c.name) bad('name', 'required');
    const category = (c.category?.toLowerCase() || null) as ClientCategory | null;
    if (category && !CLIENT_CATEGORIES.includes(category)) {
      bad('category', `"${c.category}" is not one of ${CLIENT_CATEGORIES.join(', ')}`);
    }
    const emails = split(c.email).flatMap((e) => {
      const n = normalizeEmail(e);
      if (!n) bad('email', `"${e}" is not an e-mail address`);
      return n ? [n] : [];
    });
    const phones = split(c.phone).flatMap((p) => {
      const n = normalizePhone(p, opts.country);
      if (!n) bad('phone', phoneProblem(p, opts.country));
      return n ? [n] : [];
    });
    const user = (col: 'responsible_email' | 'order_responsible_email') => {
      if (!c[col]) return null;
      const id = staff.get(normalizeEmail(c[col]) ?? '');
      if (!id) bad(col, `no active user has the e-mail "${c[col]}"`);
      return id ?? null;
    };
    const responsibleId = user('responsible_email');
    let order: Row['order'] = null;
    const orderCols = [
      'order_ref',
      'order_title',
      'order_stage',
      'order_amount_due',
      'order_responsible_email',
      'order_open',
    ] as const;
    if (orderCols.some((col) => c[col])) {
      if (!c.order_title) bad('order_title', 'required when the row has an order');
      if (c.order_amount_due && !AMOUNT.test(c.order_amount_due)) {
        bad('order_amount_due', `"${c.order_amount_due}" is not an amount like 1234.50`);
      }
      const open = (c.order_open || 'true').toLowerCase();
      if (!TRUE.includes(open) && !FALSE.includes(open))
        bad('order_open', `"${c.order_open}" is not true or false`);
      order = {
        ref: c.order_ref || null,
        title: c.order_title ?? '',
        stage: c.order_stage || null,
        amountDue: c.order_amount_due || null,
        responsibleId: user('order_responsible_email'),
        open: !FALSE.includes(open),
      };
    }
    if (problems.length > before) continue;
    rows.push({
      line: r.line,
      name: c.name!,
      company: c.company || null,
      category,
      emails: [...new Set(emails)],
      phones: [...new Set(phones)],
      city: c.city || null,
      country: c.country || null,
      note: c.note || null,
      externalId: c.external_id || null,
      responsibleId,
      order,
    });
  }

  const groups = await groupRows(db, ws, rows, byExt, problems);
  if (problems.length) {
    problems.sort((a, b) => a.line - b.line);
    return report;
  }

  await db.transaction(async (tx) => {
    for (const g of groups) {
      const id = await writeClient(tx, ws, g);
      if (g.id) report.clientsUpdated++;
      else report.clientsCreated++;
      for (const r of g.rows) {
        if (!r.order) continue;
        const created = await writeOrder(tx, ws, id, r.order);
        if (created) report.ordersCreated++;
        else report.ordersUpdated++;
      }
    }
  });
  return report;
}

/** Someone changed the clients between the check and the write; the transaction rolled back. */
export class ImportRaceError extends Error {
  constructor() {
    super(
      'The clients changed while the file was being imported; nothing was written. Run the import again.',
    );
    this.name = 'ImportRaceError';
  }
}

const split = (cell: string | undefined): string[] =>
  (cell ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);

function* chunks<T>(list: T[], size = 1000): Generator<T[]> {
  for (let i = 0; i < list.length; i += size) yield list.slice(i, i + size);
}

/** key → id for a set of keys, queried in chunks. */
async function lookup(
  keys: Set<string>,
  query: (list: string[]) => Promise<{ key: string | null; id: string }[]>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const chunk of chunks([...keys])) {
    for (const r of await query(chunk)) if (r.key !== null) out.set(r.key, r.id);
  }
  return out;
}

/** Records with the line each starts on (a quoted field may span lines); null after a syntax error. */
function readCsv(text: string, problems: ImportProblem[]): { line: number; cells: string[] }[] | null {
  const out: { line: number; cells: string[] }[] = [];
  // `lines` counts up to where a record ends; the next starts after it and the empty lines between.
  let lastLine = 0;
  let lastEmpty = 0;
  const startOf = (info: Pick<Info, 'lines' | 'empty_lines'>) =>
    lastLine + 1 + (info.empty_lines - lastEmpty);
  try {
    parse(text, {
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      record_delimiter: ['\r\n', '\n', '\r'],
      on_record: (cells: string[], info) => {
        out.push({ line: startOf(info), cells });
        lastLine = info.lines;
        lastEmpty = info.empty_lines;
        return null;
      },
    });
    return out;
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    const info = err as CsvError & Partial<Pick<Info, 'lines' | 'empty_lines'>>;
    const line = startOf({ lines: info.lines ?? 0, empty_lines: info.empty_lines ?? lastEmpty });
    problems.push({ line, column: 'file', problem: err.message.replace(/ at line \d+/, '') });
    return null;
  }
}

function readHeader(cells: string[], problems: ImportProblem[]): Column[] | null {
  const names = cells.map((c) => c.trim().toLowerCase());
  const before = problems.length;
  names.forEach((n, i) => {
    if (!(IMPORT_COLUMNS as readonly string[]).includes(n)) {
      problems.push({
        line: 1,
        column: n || `column ${i + 1}`,
        problem: `unknown column; known: ${IMPORT_COLUMNS.join(', ')}`,
      });
    } else if (names.indexOf(n) !== i) {
      problems.push({ line: 1, column: n, problem: 'appears twice' });
    }
  });
  if (!names.includes('name')) problems.push({ line: 1, column: 'name', problem: 'the column is missing' });
  return problems.length > before ? null : (names as Column[]);
}

/**
 * Which client each row belongs to: by `external_id`, else by an e-mail, else by a phone, among the
 * clients stored and the rows above. An e-mail, phone or order reference that already belongs to a different client
 * is a problem, not a silent move.
 */
async function groupRows(
  db: Db,
  ws: string,
  rows: Row[],
  byExt: Map<string, string>,
  problems: ImportProblem[],
): Promise<Group[]> {
  const allEmails = new Set(rows.flatMap((r) => r.emails));
  const allPhones = new Set(rows.flatMap((r) => r.phones));
  const allRefs = new Set(rows.flatMap((r) => (r.order?.ref ? [r.order.ref] : [])));
  const emailOwner = await lookup(allEmails, (list) =>
    db
      .select({ key: clientEmails.email, id: clientEmails.clientId })
      .from(clientEmails)
      .where(and(eq(clientEmails.workspaceId, ws), inArray(clientEmails.email, list))),
  );
  const phoneOwner = await lookup(allPhones, (list) =>
    db
      .select({ key: clientPhones.e164, id: clientPhones.clientId })
      .from(clientPhones)
      .where(and(eq(clientPhones.workspaceId, ws), inArray(clientPhones.e164, list))),
  );
  const refOwner = await lookup(allRefs, (list) =>
    db
      .select({ key: orders.externalRef, id: orders.clientId })
      .from(orders)
      .where(and(eq(orders.workspaceId, ws), inArray(orders.externalRef, list))),
  );
  const info = new Map<string, { ext: string | null; name: string }>();
  const stored = [
    ...new Set([...byExt.values(), ...emailOwner.values(), ...phoneOwner.values(), ...refOwner.values()]),
  ];
  for (const chunk of chunks(stored)) {
    const found = await db
      .select({ id: clients.id, ext: clients.externalId, name: clients.name })
      .from(clients)
      .where(and(eq(clients.workspaceId, ws), inArray(clients.id, chunk)));
    for (const f of found) info.set(f.id, f);
  }

  const groups: Group[] = [];
  const groupOfStored = new Map<string, Group>();
  const byExtInFile = new Map<string, Group>();
  const byEmailInFile = new Map<string, Group>();
  const byPhoneInFile = new Map<string, Group>();
  const byRefInFile = new Map<string, Group>();
  const storedGroup = (id: string) => {
    let g = groupOfStored.get(id);
    if (!g) {
      const c = info.get(id);
      g = { id, externalId: c?.ext ?? null, name: c?.name ?? '', rows: [] };
      groupOfStored.set(id, g);
      groups.push(g);
    }
    return g;
  };
  /** The group that owns a key now: an earlier row of the file, else the stored client. */
  const owner = (inFile: Map<string, Group>, storedOwner: Map<string, string>, key: string) => {
    const g = inFile.get(key);
    if (g) return g;
    const id = storedOwner.get(key);
    return id ? storedGroup(id) : null;
  };

  for (const r of rows) {
    const bad = (column: string, problem: string) => problems.push({ line: r.line, column, problem });
    let g: Group | null = null;
    if (r.externalId) {
      g = byExtInFile.get(r.externalId) ?? null;
      const id = byExt.get(r.externalId);
      if (!g && id) g = storedGroup(id);
    }
    // Then by e-mail, then by phone; never joining two different external ids into one client.
    const candidates = [
      ...r.emails.map((e) => owner(byEmailInFile, emailOwner, e)),
      ...r.phones.map((p) => owner(byPhoneInFile, phoneOwner, p)),
    ];
    g ??=
      candidates.find((o) => o && !(r.externalId && o.externalId && o.externalId !== r.externalId)) ?? null;
    g ??= { id: null, externalId: null, name: r.name, rows: [] };
    const before = problems.length;
    for (const e of r.emails) {
      const o = owner(byEmailInFile, emailOwner, e);
      if (o && o !== g) bad('email', `${e} belongs to another client${where(o)}`);
    }
    for (const p of r.phones) {
      const o = owner(byPhoneInFile, phoneOwner, p);
      if (o && o !== g) bad('phone', `${p} belongs to another client${where(o)}`);
    }
    const ref = r.order?.ref;
    if (ref) {
      const o = owner(byRefInFile, refOwner, ref);
      if (o && o !== g) bad('order_ref', `"${ref}" is an order of another client${where(o)}`);
    }
    if (problems.length > before) continue;
    if (!g.id && !g.rows.length) groups.push(g);
    g.rows.push(r);
    if (r.externalId && !g.externalId) g.externalId = r.externalId;
    if (g.externalId) byExtInFile.set(g.externalId, g);
    for (const e of r.emails) byEmailInFile.set(e, g);
    for (const p of r.phones) byPhoneInFile.set(p, g);
    if (ref) byRefInFile.set(ref, g);
  }
  return groups;
}

/** Who the other owner is: a stored client, or the client of a row above. */
const where = (g: Group): string =>
  g.id
    ? ` (${g.name}${g.externalId ? `, external_id ${g.externalId}` : ''})`
    : ` (${g.name}, line ${g.rows[0]?.line})`;

/** Later rows win for each column they fill; an empty cell leaves the stored value alone. */
async function writeClient(tx: Db, ws: string, g: Group): Promise<string> {
  const values: Partial<typeof clients.$inferInsert> = {};
  for (const r of g.rows) {
    values.name = r.name;
    if (r.company) values.company = r.company;
    if (r.category) values.category = r.category;
    if (r.city) values.city = r.city;
    if (r.country) values.country = r.country;
    if (r.note) values.note = r.note;
    if (r.responsibleId) values.responsibleId = r.responsibleId;
  }
  if (g.externalId) values.externalId = g.externalId;
  let id = g.id;
  if (id) {
    await tx
      .update(clients)
      .set({ ...values, updatedAt: new Date() })
      .where(and(eq(clients.id, id), eq(clients.workspaceId, ws)));
  } else {
    const [c] = await tx
      .insert(clients)
      .values({ ...values, name: values.name!, workspaceId: ws })
      .returning({ id: clients.id });
    id = c!.id;
  }
  const emails = [...new Set(g.rows.flatMap((r) => r.emails))];
  const phones = [...new Set(g.rows.flatMap((r) => r.phones))];
  if (emails.length) {
    await tx
      .insert(clientEmails)
      .values(emails.map((email) => ({ workspaceId: ws, clientId: id, email })))
      .onConflictDoNothing();
    const owners = await tx
      .select({ id: clientEmails.clientId })
      .from(clientEmails)
      .where(and(eq(clientEmails.workspaceId, ws), inArray(clientEmails.email, emails)));
    if (owners.some((o) => o.id !== id)) throw new ImportRaceError();
  }
  if (phones.length) {
    await tx
      .insert(clientPhones)
      .values(phones.map((e164) => ({ workspaceId: ws, clientId: id, e164 })))
      .onConflictDoNothing();
    const owners = await tx
      .select({ id: clientPhones.clientId })
      .from(clientPhones)
      .where(and(eq(clientPhones.workspaceId, ws), inArray(clientPhones.e164, phones)));
    if (owners.some((o) => o.id !== id)) throw new ImportRaceError();
  }
  return id;
}

/** By reference, else by title among the client's orders; true when a new order was made. */
async function writeOrder(
  tx: Db,
  ws: string,
  clientId: string,
  o: NonNullable<Row['order']>,
): Promise<boolean> {
  const [existing] = await tx
    .select({ id: orders.id })
    .from(orders)
    .where(
      o.ref
        ? and(eq(orders.workspaceId, ws), eq(orders.externalRef, o.ref))
        : and(eq(orders.workspaceId, ws), eq(orders.clientId, clientId), eq(orders.title, o.title)),
    )
    .limit(1);
  const values = {
    title: o.title,
    open: o.open,
    ...(o.stage ? { stage: o.stage } : {}),
    ...(o.amountDue ? { amountDue: o.amountDue } : {}),
    ...(o.responsibleId ? { responsibleId: o.responsibleId } : {}),
  };
  if (existing) {
    await tx
      .update(orders)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(orders.id, existing.id));
    return false;
  }
  await tx.insert(orders).values({ ...values, workspaceId: ws, clientId, externalRef: o.ref });
  return true;
}

/** `line N: column: problem`, as the command prints it. */
export const formatProblem = (p: ImportProblem): string => `line ${p.line}: ${p.column}: ${p.problem}`;

export const formatSummary = (r: ImportReport): string =>
  `Imported ${r.rows} row${r.rows === 1 ? '' : 's'}: ${r.clientsCreated} client(s) created, ${r.clientsUpdated} updated; ` +
  `${r.ordersCreated} order(s) created, ${r.ordersUpdated} updated.`;
