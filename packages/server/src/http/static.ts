import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { ErrorCode } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';

/** The built widget at /widget.js (+ /widget/*) and the inbox at /app/. */
export async function staticAssets(app: FastifyInstance, dirs: { widget: string; inbox: string }) {
  const missing = (what: string) => ({
    code: ErrorCode.NotFound,
    message: `The ${what} is not built; run "pnpm build" (pnpm start does it for you).`,
  });

  if (existsSync(join(dirs.widget, 'widget.js'))) {
    await app.register(fastifyStatic, {
      // The build puts the loader at dist/widget.js and its lazy chunks in dist/widget/.
      root: join(dirs.widget, 'widget'),
      prefix: '/widget/',
      // Chunk names carry no content hash, so browsers revalidate after five minutes.
      maxAge: '5m',
      // Host pages on any origin load these scripts.
      setHeaders: (res) => res.setHeader('Access-Control-Allow-Origin', '*'),
    });
    app.get('/widget.js', (_req, reply) =>
      reply
        .header('Access-Control-Allow-Origin', '*')
        .header('Cache-Control', 'public, max-age=300')
        .sendFile('widget.js', dirs.widget),
    );
  } else {
    app.get('/widget.js', (_req, reply) => reply.code(503).send(missing('widget')));
  }

  if (existsSync(join(dirs.inbox, 'index.html'))) {
    const shell = readFileSync(join(dirs.inbox, 'index.html'), 'utf8');
    await app.register(fastifyStatic, {
      root: dirs.inbox,
      prefix: '/app/',
      decorateReply: false,
      wildcard: false,
      index: false,
    });
    // The SPA's own paths all get its shell; files found at start are served by the routes above.
    const sendShell = (_req: unknown, reply: import('fastify').FastifyReply) =>
      reply.type('text/html; charset=utf-8').header('Cache-Control', 'no-cache').send(shell);
    app.get('/app/', sendShell);
    app.get('/app/*', sendShell);
  } else {
    app.get('/app/', (_req, reply) => reply.code(503).send(missing('inbox')));
  }
  app.get('/app', (_req, reply) => reply.redirect('/app/'));
}
