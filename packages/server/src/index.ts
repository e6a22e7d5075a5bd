export { type AppDeps, buildApp, type ParleyApp } from './app.js';
export { bootstrap } from './bootstrap.js';
export { START_NODE_FLAGS } from './collector.js';
export { type Config, ConfigError, loadConfig } from './config.js';
export { type Database, openDatabase } from './db/client.js';
export { startServer } from './start.js';
