import { tuneCollector } from './collector.js';
import { ConfigError, loadConfig } from './config.js';
import { startServer } from './start.js';

// Before the server starts (the modules above are loaded already): the collector's settings for a
// server of many sockets (collector.ts).
tuneCollector();

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78); // EX_CONFIG
  }
  throw err;
}

const server = await startServer(config).catch((err: unknown) => {
  // A refused start (folder in use, database unreachable, port taken) reads as one line, not a stack.
  console.error(`Parley could not start: ${err instanceof Error ? err.message : String(err)}`);
  if (config.logLevel === 'debug' || config.logLevel === 'trace') console.error(err);
  process.exit(1);
});
const base = config.publicUrl;
const lines = [
  '',
  `Parley is running on ${server.database.kind === 'pglite' ? `PGlite (embedded, ${config.dataDir})` : 'PostgreSQL'}`,
  `  inbox:    ${base}/app/`,
  `  demo:     ${base}/demo`,
  `  widget:   <script src="${base}/widget.js" data-site="${server.boot.siteKey}" async></script>`,
  `  health:   ${base}/healthz`,
  `  API:      ${base}/api/v1/openapi.json`,
];
if (server.boot.admin.created) {
  lines.push(
    `  admin:    ${server.boot.admin.email} / ${server.boot.admin.password ?? '(the ADMIN_PASSWORD you set)'}`,
    server.boot.admin.password
      ? '            (shown only this once: keep it, or set ADMIN_PASSWORD before the first start)'
      : '',
  );
} else {
  lines.push(`  admin:    ${server.boot.admin.email} (created earlier)`);
}
console.log(
  lines
    .filter((l) => l !== '')
    .join('\n')
    .concat('\n'),
);
if (server.database.kind === 'pglite') {
  console.log(
    'PGlite is for trying Parley and small single-node installs; use DATABASE_URL (PostgreSQL) in production.\n',
  );
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
