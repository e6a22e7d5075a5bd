import { connect, createServer, type Socket } from 'node:net';
import { openTestDatabase } from './db.js';

/**
 * A TCP relay in front of a fresh test database on PostgreSQL that notes, in order, what each side
 * sends: whether a statement left before an answer came back.
 */
export async function pgRelay(opts: { cutAt?: RegExp; reset?: boolean } = {}) {
  const base = await openTestDatabase();
  const seen: { from: 'client' | 'server'; text: string }[] = [];
  let cut = false;
  const relay = createServer((client: Socket) => {
    const pg = connect(5432, '127.0.0.1');
    client.on('data', (d) => {
      seen.push({ from: 'client', text: d.toString('latin1') });
      // The connection is lost the first time the client sends what `cutAt` matches.
      if (!cut && opts.cutAt?.test(d.toString('latin1'))) {
        cut = true;
        // A reset (RST) reaches the driver as an error before the close; a plain close does not.
        if (opts.reset) client.resetAndDestroy();
        else client.destroy();
        pg.destroy();
        return;
      }
      pg.write(d);
    });
    pg.on('data', (d) => {
      seen.push({ from: 'server', text: d.toString('latin1') });
      client.write(d);
    });
    client.on('close', () => pg.destroy());
    pg.on('close', () => client.destroy());
    client.on('error', () => pg.destroy());
    pg.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const url = new URL(base.url!);
  url.port = String((relay.address() as { port: number }).port);
  return {
    url: url.href,
    seen,
    close: async () => {
      relay.close();
      await base.close();
    },
  };
}
