import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { type SocketLike, tickBatched } from './frames.js';

/** A server socket whose kernel writes are counted, and a client that collects what arrives. */
async function pair() {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  const accepted = new Promise<WebSocket>((r) => server.once('connection', r));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const received: string[] = [];
  client.on('message', (d) => received.push(String(d)));
  await new Promise((r) => client.once('open', r));
  const ws = await accepted;
  const raw = (
    ws as unknown as { _socket: { _writev: (...a: unknown[]) => void; _write: (...a: unknown[]) => void } }
  )._socket;
  const writes = { count: 0 };
  for (const name of ['_writev', '_write'] as const) {
    const original = raw[name].bind(raw);
    raw[name] = (...args: unknown[]) => {
      writes.count++;
      original(...args);
    };
  }
  const arrived = async (n: number) => {
    while (received.length < n) await new Promise((r) => setTimeout(r, 5));
    return received;
  };
  return {
    ws,
    writes,
    arrived,
    close: () => {
      client.close();
      return new Promise((r) => server.close(r));
    },
  };
}

describe('frames sent in one tick', () => {
  let plain: Awaited<ReturnType<typeof pair>>;
  let batched: Awaited<ReturnType<typeof pair>>;
  beforeAll(async () => {
    plain = await pair();
    batched = await pair();
  });
  afterAll(async () => {
    await plain.close();
    await batched.close();
  });

  const burst = (socket: SocketLike) => {
    for (const n of [1, 2, 3, 4]) socket.send(JSON.stringify({ n }));
  };

  it('leave in one write instead of one write each, in order, and nothing waits for a next burst', async () => {
    burst(plain.ws);
    expect(await plain.arrived(4)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
    expect(plain.writes.count).toBe(4);

    const socket = tickBatched(batched.ws);
    burst(socket);
    expect(await batched.arrived(4)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
    expect(batched.writes.count).toBe(1);

    // A frame of a later tick goes out on its own, at once.
    socket.send('{"n":5}');
    expect(await batched.arrived(5)).toHaveLength(5);
    expect(batched.writes.count).toBe(2);
    expect(socket.readyState).toBe(WebSocket.OPEN);
  });
});
