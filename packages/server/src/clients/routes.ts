import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AddEmailBody,
  AddPhoneBody,
  Client,
  ClientList,
  CreateClientBody,
  CreateOrderBody,
  ErrorBody,
  Order,
  Task,
  UpdateClientBody,
  UpdateOrderBody,
} from '@parley/protocol/schemas';
import { Type as T } from '@sinclair/typebox';
import type { Db } from '../db/client.js';
import * as repo from './repo.js';

const IdParams = T.Object({ id: T.String({ format: 'uuid' }) });
const TaskList = T.Object({ tasks: T.Array(Task) });
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/**
 * Clients, their numbers, addresses and orders; the caller's tasks. Everyone reads, creates clients
 * and adds phones and e-mails (the inbox's client card); supervisors and admins change the rest.
 */
export const clientRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.addHook('preHandler', app.authenticate);
  const writer = app.requireRole('supervisor', 'admin');
  const ws = (req: { user: { workspaceId: string } | null }) => req.user!.workspaceId;

  app.get(
    '/api/v1/clients',
    {
      schema: {
        summary: 'Clients whose name, company, e-mail or phone contains q (all when q is empty), by name',
        tags: ['clients'],
        querystring: T.Object({
          q: T.String({ maxLength: 200, default: '' }),
          limit: T.Integer({ minimum: 1, maximum: 200, default: 50 }),
        }),
        response: { 200: ClientList, ...errors },
      },
    },
    async (req) => ({ clients: await repo.searchClients(db, ws(req), req.query.q, req.query.limit) }),
  );

  app.get(
    '/api/v1/clients/:id',
    {
      schema: {
        summary: 'One client with phones, e-mails and orders (open first, with the responsible name)',
        tags: ['clients'],
        params: IdParams,
        response: { 200: Client, ...errors },
      },
    },
    async (req) => repo.clientCard(db, ws(req), req.params.id),
  );

  app.post(
    '/api/v1/clients',
    {
      schema: {
        summary:
          'Create a client; phones are normalized to E.164 (phoneCountry, else the first site’s country)',
        tags: ['clients'],
        body: CreateClientBody,
        response: { 201: Client, ...errors },
      },
      // Operators too: the inbox's client card creates clients and adds what a visitor told.
    },
    async (req, reply) => reply.code(201).send(await repo.createClient(db, ws(req), req.body)),
  );

  app.patch(
    '/api/v1/clients/:id',
    {
      schema: {
        summary: 'Change a client’s fields (null clears one)',
        tags: ['clients'],
        params: IdParams,
        body: UpdateClientBody,
        response: { 200: Client, ...errors },
      },
      preHandler: writer,
    },
    async (req) => repo.updateClient(db, ws(req), req.params.id, req.body),
  );

  app.post(
    '/api/v1/clients/:id/phones',
    {
      schema: {
        summary: 'Add a phone number (normalized; refused when it belongs to another client)',
        tags: ['clients'],
        params: IdParams,
        body: AddPhoneBody,
        response: { 200: Client, ...errors },
      },
      // Operators too: the inbox's client card creates clients and adds what a visitor told.
    },
    async (req) => repo.addPhone(db, ws(req), req.params.id, req.body.phone, req.body.country),
  );

  app.post(
    '/api/v1/clients/:id/emails',
    {
      schema: {
        summary: 'Add an e-mail address (lower-cased; refused when it belongs to another client)',
        tags: ['clients'],
        params: IdParams,
        body: AddEmailBody,
        response: { 200: Client, ...errors },
      },
      // Operators too: the inbox's client card creates clients and adds what a visitor told.
    },
    async (req) => repo.addEmail(db, ws(req), req.params.id, req.body.email),
  );

  app.post(
    '/api/v1/clients/:id/orders',
    {
      schema: {
        summary: 'Add an order to a client',
        tags: ['clients'],
        params: IdParams,
        body: CreateOrderBody,
        response: { 201: Order, ...errors },
      },
      preHandler: writer,
    },
    async (req, reply) => reply.code(201).send(await repo.createOrder(db, ws(req), req.params.id, req.body)),
  );

  app.patch(
    '/api/v1/orders/:id',
    {
      schema: {
        summary: 'Change an order: stage, responsible, amount due, open/closed, title',
        tags: ['clients'],
        params: IdParams,
        body: UpdateOrderBody,
        response: { 200: Order, ...errors },
      },
      preHandler: writer,
    },
    async (req) => repo.updateOrder(db, ws(req), req.params.id, req.body),
  );

  app.get(
    '/api/v1/tasks',
    {
      schema: {
        summary: 'The caller’s tasks: open ones oldest first (default), or done ones newest first',
        tags: ['tasks'],
        querystring: T.Object({ open: T.Boolean({ default: true }) }),
        response: { 200: TaskList, ...errors },
      },
    },
    async (req) => ({ tasks: await repo.tasksOf(db, ws(req), req.user!.id, req.query.open) }),
  );

  app.post(
    '/api/v1/tasks/:id/done',
    {
      schema: {
        summary: 'Mark a task done (operators: their own; supervisors and admins: any of the workspace)',
        tags: ['tasks'],
        params: IdParams,
        response: { 200: Task, ...errors },
      },
    },
    async (req) => repo.completeTask(db, req.user!, req.params.id, new Date()),
  );
};
