/** REST bodies of clients, their phones, e-mails and orders, and the lost-contacts list. */
import { type Static, Type as T } from '@sinclair/typebox';

const Id = T.String({ format: 'uuid' });
const IsoTime = T.String({ format: 'date-time' });

export const ClientCategory = T.Union([
  T.Literal('prospect'),
  T.Literal('regular'),
  T.Literal('vip'),
  T.Literal('problem'),
]);
export type ClientCategory = Static<typeof ClientCategory>;

export const Order = T.Object({
  id: Id,
  clientId: Id,
  externalRef: T.Union([T.String(), T.Null()]),
  title: T.String(),
  stage: T.String(),
  responsibleId: T.Union([Id, T.Null()]),
  responsibleName: T.Union([T.String(), T.Null()]),
  /** Decimal string, two places: "1234.50". */
  amountDue: T.String(),
  currency: T.String(),
  open: T.Boolean(),
  createdAt: IsoTime,
});
export type Order = Static<typeof Order>;

export const Client = T.Object({
  id: Id,
  externalId: T.Union([T.String(), T.Null()]),
  name: T.String(),
  company: T.Union([T.String(), T.Null()]),
  category: ClientCategory,
  note: T.Union([T.String(), T.Null()]),
  photoUrl: T.Union([T.String(), T.Null()]),
  city: T.Union([T.String(), T.Null()]),
  country: T.Union([T.String(), T.Null()]),
  responsibleId: T.Union([Id, T.Null()]),
  phones: T.Array(T.String()),
  emails: T.Array(T.String()),
  orders: T.Array(Order),
  createdAt: IsoTime,
});
export type Client = Static<typeof Client>;

const OptionalText = (maxLength: number) => T.Optional(T.Union([T.String({ maxLength }), T.Null()]));
/** Decimal with at most two places, no sign: "1234.5", "0.99". */
export const Amount = T.String({ pattern: '^\\d{1,12}(\\.\\d{1,2})?$', maxLength: 15 });
/** As the visitor or the operator typed it; the server normalizes it to E.164. */
const PhoneInput = T.String({ minLength: 3, maxLength: 40 });
const EmailInput = T.String({ minLength: 3, maxLength: 254 });
/** ISO 3166 alpha-2 country for a number written without a country code; default: the site's. */
const PhoneCountry = T.String({ minLength: 2, maxLength: 2 });

export const CreateClientBody = T.Object(
  {
    name: T.String({ minLength: 1, maxLength: 200 }),
    externalId: OptionalText(200),
    company: OptionalText(200),
    category: T.Optional(ClientCategory),
    note: OptionalText(4000),
    photoUrl: OptionalText(2048),
    city: OptionalText(100),
    country: OptionalText(100),
    responsibleId: T.Optional(T.Union([Id, T.Null()])),
    phones: T.Optional(T.Array(PhoneInput, { maxItems: 20 })),
    emails: T.Optional(T.Array(EmailInput, { maxItems: 20 })),
    /** For `phones` written without a country code. */
    phoneCountry: T.Optional(PhoneCountry),
  },
  { additionalProperties: false },
);
export type CreateClientBody = Static<typeof CreateClientBody>;

export const UpdateClientBody = T.Object(
  {
    name: T.Optional(T.String({ minLength: 1, maxLength: 200 })),
    externalId: OptionalText(200),
    company: OptionalText(200),
    category: T.Optional(ClientCategory),
    note: OptionalText(4000),
    photoUrl: OptionalText(2048),
    city: OptionalText(100),
    country: OptionalText(100),
    responsibleId: T.Optional(T.Union([Id, T.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateClientBody = Static<typeof UpdateClientBody>;

export const AddPhoneBody = T.Object(
  { phone: PhoneInput, country: T.Optional(PhoneCountry) },
  { additionalProperties: false },
);
export type AddPhoneBody = Static<typeof AddPhoneBody>;

export const AddEmailBody = T.Object({ email: EmailInput }, { additionalProperties: false });
export type AddEmailBody = Static<typeof AddEmailBody>;

export const CreateOrderBody = T.Object(
  {
    title: T.String({ minLength: 1, maxLength: 300 }),
    externalRef: OptionalText(200),
    stage: T.Optional(T.String({ minLength: 1, maxLength: 60 })),
    responsibleId: T.Optional(T.Union([Id, T.Null()])),
    amountDue: T.Optional(Amount),
    currency: T.Optional(T.String({ pattern: '^[A-Z]{3}$' })),
    open: T.Optional(T.Boolean()),
  },
  { additionalProperties: false },
);
export type CreateOrderBody = Static<typeof CreateOrderBody>;

export const UpdateOrderBody = T.Object(
  {
    title: T.Optional(T.String({ minLength: 1, maxLength: 300 })),
    stage: T.Optional(T.String({ minLength: 1, maxLength: 60 })),
    responsibleId: T.Optional(T.Union([Id, T.Null()])),
    amountDue: T.Optional(Amount),
    open: T.Optional(T.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateOrderBody = Static<typeof UpdateOrderBody>;

export const ClientList = T.Object({ clients: T.Array(Client) });
export type ClientList = Static<typeof ClientList>;

/** One bad cell of an import file; `line` counts from 1 (the header), as an editor shows it. */
export const ImportProblem = T.Object({
  line: T.Integer({ minimum: 1 }),
  column: T.String(),
  problem: T.String(),
});
export type ImportProblem = Static<typeof ImportProblem>;

/** What `import-clients` did, or, when `problems` is not empty, why it wrote nothing. */
export const ImportReport = T.Object({
  rows: T.Integer({ minimum: 0 }),
  clientsCreated: T.Integer({ minimum: 0 }),
  clientsUpdated: T.Integer({ minimum: 0 }),
  ordersCreated: T.Integer({ minimum: 0 }),
  ordersUpdated: T.Integer({ minimum: 0 }),
  problems: T.Array(ImportProblem),
});
export type ImportReport = Static<typeof ImportReport>;
