// A database thread that starts, then dies on its first query: what a WebAssembly abort looks like.
import { parentPort } from 'node:worker_threads';

parentPort?.postMessage({ ready: true });
parentPort?.on('message', () => process.exit(3));
