import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type ParleyApp } from '../app.js';
import { loadConfig } from '../config.js';
import type { Database } from '../db/client.js';
import { openTestDatabase } from '../test/db.js';

// A widget and inbox build laid out as Vite writes them, so this test does not need a build.
const dir = mkdtempSync(join(tmpdir(), 'parley-assets-'));
const widget = join(dir, 'widget');
const inbox = join(dir, 'inbox');
mkdirSync(join(widget, 'widget'), { recursive: true });
mkdirSync(join(inbox, 'assets'), { recursive: true });
writeFileSync(join(widget, 'widget.js'), '/*loader*/');
writeFileSync(join(widget, 'widget', 'chat.js'), 'export const mount = () => {};');
writeFileSync(
  join(inbox, 'index.html'),
  '<!doctype html><script type="module" src="/app/assets/main.js"></script>',
);
writeFileSync(join(inbox, 'assets', 'main.js'), '/*inbox*/');

let database: Database;
let built: ParleyApp;
beforeAll(async () => {
  database = await openTestDatabase();
  const config = loadConfig({ LOG_LEVEL: 'silent', PARLEY_WIDGET_DIR: widget, PARLEY_INBOX_DIR: inbox });
  built = await buildApp({ config, database });
});
afterAll(async () => {
  await built.app.close();
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('built assets', () => {
  it('serves the loader at /widget.js and its lazy chunk where the loader asks for it, to any origin', async () => {
    const loader = await built.app.inject({ url: '/widget.js' });
    expect(loader.statusCode).toBe(200);
    expect(loader.headers['content-type']).toContain('javascript');
    expect(loader.headers['access-control-allow-origin']).toBe('*');
    // The loader imports new URL('widget/chat.js', its own src): /widget/chat.js.
    const chunk = await built.app.inject({ url: '/widget/chat.js' });
    expect(chunk.statusCode).toBe(200);
    expect(chunk.body).toContain('mount');
    expect(chunk.headers['access-control-allow-origin']).toBe('*');
  });

  it('serves the inbox shell at /app/ and on its client-side paths, and its assets', async () => {
    for (const url of ['/app/', '/app/conversations/42']) {
      const res = await built.app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('/app/assets/main.js');
    }
    expect((await built.app.inject({ url: '/app/assets/main.js' })).body).toBe('/*inbox*/');
    expect((await built.app.inject({ url: '/app' })).headers.location).toBe('/app/');
  });
});
