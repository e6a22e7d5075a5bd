import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import fastifyWebsocket from '@fastify/websocket';
import { CloseCode, ErrorCode } from '@parley/protocol';
import { Health } from '@parley/protocol/schemas';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import { authPlugin } from './auth/plugin.js';
import { authRoutes } from './auth/routes.js';
import { createLocalBus, type EventBus } from './bus.js';
import { createCaptcha } from './captcha/captcha.js';
import { chatRoutes } from './chat/routes.js';
import { type ChatService, createChatService } from './chat/service.js';
import { describeIdentity, identifyContact } from './clients/repo.js';
import { clientRoutes } from './clients/routes.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { type SessionUser, workspaces } from './db/schema/index.js';
import { ParleyError } from './errors.js';
import { demoPage } from './http/demo-page.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import { pgRateLimitStore } from './http/rate-limit-store.js';
import { staticAssets } from './http/static.js';
import { originAllowed } from './sites/origin.js';
import { findSiteByKey, listSites } from './sites/repo.js';
import { siteRoutes } from './sites/routes.js';
import { type Connection, tickBatched } from './sockets/frames.js';
import { createHub } from './sockets/hub.js';
import { createOnlineWatch } from './sockets/online.js';
import { handleOperatorConnection } from './sockets/operator.js';
import { createVisitorPresence, type VisitorPresence } from './sockets/presence.js';
import { handleVisitorConnection, type VisitorConnectionContext } from './sockets/visitor.js';
import { userRoutes } from './users/routes.js';

export interface AppDeps {
  config: Config;
  database: Database;
  bus?: EventBus;
}

export interface ParleyApp {
  app: FastifyInstance;
  chat: ChatService;
  metrics: Metrics;
  /** Visitors still there; queued chats of those gone are abandoned (see sockets/presence.ts). */
  presence: VisitorPresence;
}

/** Largest frame `ws` accepts before closing with 1009; below it our own 16 KiB limit answers with an error frame. */
const WS_MAX_PAYLOAD = 64 * 1024;

export async function buildApp({ config, database, bus: givenBus }: AppDeps): Promise<ParleyApp> {
  const { db } = database;
  const app = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    bodyLimit: 256 * 1024,
    trustProxy: config.trustProxy,
    // Refuse unknown fields where a schema closes its object, instead of silently dropping them.
    // Report every bad field of a body at once, not only the first.
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  const bus = givenBus ?? createLocalBus((err) => app.log.error({ err }, 'event listener failed'));
  const metrics = createMetrics(db);
  const hub = createHub(bus, (err) => app.log.error({ err }, 'socket listener failed'));
  app.addHook('onClose', async () => hub.close());
  const unMissed = bus.onMissed(() => metrics.eventsMissed.inc());
  app.addHook('onClose', async () => unMissed());
  const chat = createChatService({
    db,
    bus,
    onStored: () => metrics.messagesStored.inc(),
    onNewChat: (how) => metrics.newChatRouting.inc({ how }),
    identify: identifyContact(db),
    log: app.log,
  });
  app.addHook('onClose', async () => chat.stop());
  const captcha = createCaptcha({ db });
  const online = createOnlineWatch(bus, chat.anyoneOnline, { log: app.log });
  app.addHook('onClose', async () => online.close());
  const presence = createVisitorPresence({ chat, log: app.log });
  presence.start();
  app.addHook('onClose', async () => presence.stop());
  const secureCookies = config.publicUrl.startsWith('https:');

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof ParleyError) return reply.code(err.statusCode).send(err.toJSON());
    if (err.validation) {
      return reply.code(400).send({
        code: ErrorCode.Validation,
        message: validationMessage(err.validation, err.validationContext ?? 'request'),
      });
    }
    if (err.statusCode === 429) return reply.code(429).send(new ParleyError(ErrorCode.RateLimited).toJSON());
    if (err.statusCode && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ code: ErrorCode.Validation, message: err.message });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send(new ParleyError(ErrorCode.Internal).toJSON());
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .send(new ParleyError(ErrorCode.NotFound, `${req.method} ${req.url.split('?')[0]}`).toJSON()),
  );
  app.addHook('onResponse', async (req, reply) => {
    metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Parley API', version: '1.0.0', description: 'REST API of Parley; JSON everywhere.' },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'parley_session' } } },
    },
  });
  // Counted in the database: every process on it counts toward the same limit.
  await app.register(fastifyRateLimit, { global: false, store: pgRateLimitStore(db, app.log) });
  await app.register(authPlugin, { db, secureCookies });
  await app.register(fastifyWebsocket, { options: { maxPayload: WS_MAX_PAYLOAD } });

  await app.register(authRoutes, { db, secureCookies });
  await app.register(chatRoutes, { chat });
  await app.register(siteRoutes, { db });
  await app.register(clientRoutes, { db });
  await app.register(userRoutes, { db, chat });

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, () => app.swagger());

  app.get(
    '/healthz',
    { schema: { summary: 'Liveness and readiness', response: { 200: Health, 503: Health } } },
    async (_req, reply) => {
      try {
        await database.ping();
        return { status: 'ok' as const };
      } catch {
        return reply.code(503).send({ status: 'unavailable' as const });
      }
    },
  );

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );

  app.get('/demo', { schema: { hide: true } }, async (_req, reply) => {
    const [site] = await listSites(db, (await firstWorkspace(db)) ?? '');
    if (!site) return reply.code(503).send({ code: ErrorCode.NotFound, message: 'No site exists yet.' });
    return reply.type('text/html; charset=utf-8').send(demoPage(site.key));
  });

  await staticAssets(app, config.assetsDir);

  // --- sockets -------------------------------------------------------------------------------

  // The handlers below copy what they need from the request: a closure that kept `req` would keep
  // the request, its headers and its logger for as long as the socket lives (memory per socket).
  app.get<{ Querystring: { site?: string } }>(
    '/ws/visitor',
    { websocket: true, schema: { hide: true } },
    (ws, req) => {
      releaseUpgrade(ws, req.raw, app.log);
      openVisitorSocket(ws, {
        key: typeof req.query.site === 'string' ? req.query.site : '',
        origin: req.headers.origin,
        ip: req.ip ?? null,
        userAgent: req.headers['user-agent'] ?? null,
      });
    },
  );

  /**
   * Counts a socket while it is open. Its own function: a 'close' listener made inside the open
   * handler would keep that handler's whole closure scope (the upgrade's details) for the socket's life.
   */
  function countOpen(ws: WebSocket, kind: 'visitor' | 'operator') {
    metrics.openSockets.inc({ kind });
    ws.on('close', () => metrics.openSockets.dec({ kind }));
  }
  const identityOf: VisitorConnectionContext['describeIdentity'] = (site, identity) =>
    describeIdentity(db, site, identity);

  function openVisitorSocket(
    ws: WebSocket,
    from: { key: string; origin: string | undefined; ip: string | null; userAgent: string | null },
  ) {
    const handOff = buffered(ws);
    countOpen(ws, 'visitor');
    void (async () => {
      const site = from.key ? await findSiteByKey(db, from.key) : undefined;
      if (!site) return ws.close(CloseCode.UnknownSite, `${ErrorCode.UnknownSite}: no site has this key`);
      if (!originAllowed(from.origin, site.allowedOrigins)) {
        return ws.close(CloseCode.BadOrigin, `${ErrorCode.BadOrigin}: origin not allowed for this site`);
      }
      const conn = handleVisitorConnection(tickBatched(ws), {
        site,
        ip: from.ip,
        userAgent: from.userAgent,
        chat,
        hub,
        captcha,
        online,
        presence,
        describeIdentity: identityOf,
        log: app.log,
      });
      handOff(conn);
    })().catch((err: unknown) => {
      app.log.error({ err }, 'visitor socket setup failed');
      ws.close(1011, 'internal error');
    });
  }

  app.get('/ws/operator', { websocket: true, schema: { hide: true } }, (ws, req) => {
    releaseUpgrade(ws, req.raw, app.log);
    openOperatorSocket(ws, {
      origin: req.headers.origin,
      host: req.headers.host,
      user: app.sessionUser(req), // started here: the request is not kept for it
    });
  });

  function openOperatorSocket(
    ws: WebSocket,
    from: { origin: string | undefined; host: string | undefined; user: Promise<SessionUser | null> },
  ) {
    void from.user.catch(() => {}); // awaited below, unless the origin is refused first
    const handOff = buffered(ws);
    countOpen(ws, 'operator');
    void (async () => {
      // The cookie rides along on cross-site upgrades too: only our own origin may use it.
      const { origin } = from;
      if (origin && new URL(origin).host !== from.host && origin !== new URL(config.publicUrl).origin) {
        return ws.close(CloseCode.BadOrigin, `${ErrorCode.BadOrigin}: operator sockets are same-origin only`);
      }
      const user = await from.user;
      if (!user) return ws.close(CloseCode.Unauthorized, `${ErrorCode.Unauthorized}: log in first`);
      handOff(handleOperatorConnection(tickBatched(ws), { user, chat, hub, log: app.log }));
    })().catch((err: unknown) => {
      app.log.error({ err }, 'operator socket setup failed');
      ws.close(1011, 'internal error');
    });
  }

  return { app, chat, metrics, presence };
}

/**
 * Lets go of the upgrade's request once its socket is open: otherwise every open socket keeps the
 * request, its headers, its logger and an unused response (about 3 KB a socket). Two things held
 * them: Node's http server leaves its response on the TCP socket (`_httpMessage`), and
 * @fastify/websocket's 'error' listener closes over the request and reply. Errors are handled as the
 * plugin does (logged, the socket dropped) by a listener that holds neither.
 */
function releaseUpgrade(ws: WebSocket, raw: IncomingMessage, log: { warn(obj: object, msg?: string): void }) {
  const tcp = raw.socket as Socket & { _httpMessage?: ServerResponse | null };
  if (tcp._httpMessage) tcp._httpMessage.detachSocket(tcp);
  ws.removeAllListeners('error');
  ws.on('error', (err) => {
    log.warn({ err }, 'socket error');
    ws.terminate();
  });
}

/**
 * Frames can arrive while the upgrade handler is still looking up the site or session; they are
 * held and handed over in order once the connection handler exists.
 */
function buffered(ws: WebSocket) {
  let target: Connection | null = null;
  let closed = false;
  const early: string[] = [];
  ws.on('message', (data) => {
    const raw = data.toString();
    if (target) target.onMessage(raw);
    else if (early.length < 10) early.push(raw);
  });
  ws.on('close', () => {
    closed = true;
    target?.onClose();
  });
  return (conn: Connection) => {
    target = conn;
    for (const raw of early.splice(0)) conn.onMessage(raw);
    if (closed) conn.onClose();
  };
}

async function firstWorkspace(db: Database['db']): Promise<string | undefined> {
  const [ws] = await db.select({ id: workspaces.id }).from(workspaces).orderBy(workspaces.createdAt).limit(1);
  return ws?.id;
}

/**
 * Every schema problem of a request as `field.path: text`, one per field, joined by "; " (the
 * inbox shows each next to its control). A union's summary ("must match a schema in anyOf") is
 * dropped when a branch said something more precise about the same field.
 */
export function validationMessage(
  problems: NonNullable<FastifyError['validation']>,
  context: string,
): string {
  const byField = new Map<string, string>();
  for (const p of problems) {
    const extra = (p.params as { additionalProperty?: string } | undefined)?.additionalProperty;
    const field = p.instancePath ? p.instancePath.replace(/^\//, '').replace(/\//g, '.') : context;
    const text = `${p.message ?? 'invalid'}${extra ? ` (${extra})` : ''}`;
    const summary = p.keyword === 'anyOf' || p.keyword === 'oneOf';
    if (!byField.has(field) || (!summary && byField.get(field)?.startsWith('must match a schema'))) {
      byField.set(field, text);
    }
  }
  return [...byField].map(([field, text]) => `${field}: ${text}`).join('; ');
}
