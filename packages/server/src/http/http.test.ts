import { ErrorCode } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('the HTTP surface', () => {
  it('serves /healthz while the database answers', async () => {
    const res = await h.app.inject({ url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('serves an OpenAPI document generated from the route schemas', async () => {
    const doc = (await h.app.inject({ url: '/api/v1/openapi.json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/auth/login',
        '/api/v1/me',
        '/api/v1/contacts',
        '/api/v1/contacts/{id}/messages',
      ]),
    );
    expect(
      doc.paths['/api/v1/auth/login'].post.requestBody.content['application/json'].schema.required,
    ).toEqual(['email', 'password']);
  });

  it('serves the demo page with the default site key', async () => {
    const res = await h.app.inject({ url: '/demo' });
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain(`<script src="/widget.js" data-site="${h.siteKey}" async></script>`);
  });

  it('answers unknown routes with a JSON error', async () => {
    const res = await h.app.inject({ url: '/api/v1/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ code: ErrorCode.NotFound, message: 'GET /api/v1/nope was not found.' });
  });

  it('exports Prometheus metrics that move with real traffic', async () => {
    const v = await h.visitor();
    await v.hello();
    v.send({ type: 'start', answers: { name: 'Metric', email: 'metric@example.com' } });
    await v.next('queued');
    v.send({ type: 'send', clientId: 'm1', body: 'count me' });
    await v.next('ack');
    v.send({ type: 'send', clientId: 'm1', body: 'count me' });
    await v.next('ack');
    // Starting again resumes the open conversation: no new chat to count.
    v.send({ type: 'start', answers: { name: 'Metric', email: 'metric@example.com' } });
    await v.next('queued');
    const text = (await h.app.inject({ url: '/metrics' })).body;
    expect(text).toContain('parley_open_sockets{kind="visitor"} 1');
    expect(text).toContain('parley_messages_stored_total 1');
    expect(text).toContain('parley_contacts_waiting 1');
    // The workspace's first new chat: no snapshot was read yet to decide on (router.ts, `routeWith`).
    expect(text).toContain('parley_new_chat_routing_total{how="read"} 1');
    expect(text).toContain('parley_new_chat_routing_total{how="snapshot"} 0');
    expect(text).toContain('parley_new_chat_routing_total{how="after_pass"} 0');
    // One process: no event can be missed (multi-process.test.ts counts one that is).
    expect(text).toContain('parley_events_missed_total 0');
    expect(text).toMatch(
      /parley_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} \d+/,
    );
  });

  it('answers 503 on /healthz once the database is gone', async () => {
    await h.database.close();
    const res = await h.app.inject({ url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'unavailable' });
  });
});
