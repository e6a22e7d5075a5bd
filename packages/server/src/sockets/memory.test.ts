/**
 * What an open socket keeps: not the upgrade's request. It holds the headers, the request's logger
 * and an unused response, about 3 KB a socket (BENCHMARKS.md, memory per idle visitor socket).
 */
import type { IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test/harness.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let h: Harness;
const upgrades: WeakRef<IncomingMessage>[] = [];
beforeAll(async () => {
  h = await startHarness();
  h.app.server.on('upgrade', (req: IncomingMessage) => upgrades.push(new WeakRef(req)));
});
afterAll(() => h.close());

async function collected(refs: WeakRef<object>[]): Promise<number> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 20));
    gc();
  }
  return refs.filter((r) => r.deref() === undefined).length;
}

describe('memory an open socket keeps', () => {
  it("lets go of the upgrade request once a visitor's socket is set up", async () => {
    const from = upgrades.length;
    const sockets = [];
    for (let i = 0; i < 3; i++) {
      const v = await h.visitor();
      await v.hello();
      sockets.push(v);
    }
    const refs = upgrades.slice(from);
    expect(refs).toHaveLength(3);
    expect(await collected(refs)).toBe(3);
    // Still open and working.
    sockets[0]!.send({ type: 'start', answers: { name: 'Still here', email: 'here@example.com' } });
    await sockets[0]!.next('queued');
  });

  it("lets go of the upgrade request once an operator's socket is ready", async () => {
    const op = await h.createOperator('Mira');
    const from = upgrades.length;
    const s = await h.operator(op.cookie);
    await s.next('ready');
    const refs = upgrades.slice(from);
    expect(refs).toHaveLength(1);
    expect(await collected(refs)).toBe(1);
  });
});
