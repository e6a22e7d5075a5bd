import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ContactDetails,
  ContactList,
  ErrorBody,
  LinkClientBody,
  MessageList,
  RecontactBody,
} from '@parley/protocol/schemas';
import { Type as T } from '@sinclair/typebox';
import type { ChatService } from './service.js';

export const chatRoutes: FastifyPluginAsyncTypebox<{ chat: ChatService }> = async (app, { chat }) => {
  app.addHook('preHandler', app.authenticate);

  app.get(
    '/api/v1/contacts',
    {
      schema: {
        summary: 'Open contacts of the workspace (queued, assigned, active)',
        tags: ['contacts'],
        response: { 200: ContactList, 401: ErrorBody },
      },
    },
    async (req) => ({ contacts: await chat.openContacts(req.user!.workspaceId) }),
  );

  app.get(
    '/api/v1/contacts/:id/messages',
    {
      schema: {
        summary:
          'Messages of one conversation after a sequence number, in order (at most 500), and those at or below it that were deleted',
        tags: ['contacts'],
        params: T.Object({ id: T.String({ format: 'uuid' }) }),
        querystring: T.Object({ after: T.Integer({ minimum: 0, default: 0 }) }),
        response: { 200: MessageList, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => chat.messagesForOperator(req.user!, req.params.id, req.query.after),
  );

  app.get(
    '/api/v1/contacts/:id/details',
    {
      schema: {
        summary:
          'The visitor panel: browser, pages, local time, the matched client, earlier conversations, rating',
        tags: ['contacts'],
        params: T.Object({ id: T.String({ format: 'uuid' }) }),
        response: { 200: ContactDetails, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => chat.details(req.user!.workspaceId, req.params.id),
  );

  app.put(
    '/api/v1/contacts/:id/client',
    {
      schema: {
        summary: 'Link the visitor to an existing client (this contact and their contacts without a client)',
        tags: ['contacts'],
        params: T.Object({ id: T.String({ format: 'uuid' }) }),
        body: LinkClientBody,
        response: { 200: ContactDetails, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => chat.linkClient(req.user!, req.params.id, req.body.clientId),
  );

  app.get(
    '/api/v1/contacts/lost',
    {
      schema: {
        summary: 'Lost contacts: visitors who left the queue and have not been called or written back yet',
        tags: ['contacts'],
        response: { 200: ContactList, 401: ErrorBody },
      },
    },
    async (req) => ({ contacts: await chat.lostContacts(req.user!.workspaceId) }),
  );

  app.post(
    '/api/v1/contacts/:id/recontact',
    {
      schema: {
        summary: 'Record that someone called or texted a lost contact back; it leaves the lost list',
        tags: ['contacts'],
        params: T.Object({ id: T.String({ format: 'uuid' }) }),
        body: RecontactBody,
        response: { 204: T.Null(), 400: ErrorBody, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (req, reply) => {
      await chat.recontact(req.user!, req.params.id, req.body.channel, req.body.note);
      return reply.code(204).send(null);
    },
  );
};
