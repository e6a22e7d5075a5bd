/**
 * The bare relay baseline: the `ws` package and nothing else (no framework, no validation, no
 * persistence). It speaks just enough of Parley's frames for the same generator to drive it:
 * login → cookie, operator `ready`, visitor hello → welcome, start → assigned (the least-loaded
 * operator), send → ack + forward to the other side only. Run as its own process:
 * `PORT=… node packages/bench/dist/relay.js`; it prints `relay listening on PORT` when ready.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';

interface Contact {
  id: string;
  visitor: WebSocket;
  operator: Operator;
  seq: number;
}
interface Operator {
  id: string;
  name: string;
  ws: WebSocket;
  load: number;
}

const operators = new Map<string, Operator>();
const userIds = new Map<string, string>();
const contacts = new Map<string, Contact>();
const now = () => new Date().toISOString();

const http = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/api/v1/auth/login') {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      const email = String((JSON.parse(body) as { email?: string }).email);
      const id = userIds.get(email) ?? randomUUID();
      userIds.set(email, id);
      res.setHeader('set-cookie', `parley_session=${id}; Path=/; HttpOnly`);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ user: { id, email, name: email, role: 'operator', status: 'offline' } }));
    });
    return;
  }
  res.statusCode = req.url === '/healthz' ? 200 : 404;
  res.end();
});

const wss = new WebSocketServer({ server: http, maxPayload: 64 * 1024 });
wss.on('connection', (ws, req) => {
  if (req.url?.startsWith('/ws/operator')) return operatorSocket(ws, req.headers.cookie ?? '');
  visitorSocket(ws);
});

function operatorSocket(ws: WebSocket, cookie: string) {
  const id = /parley_session=([0-9a-f-]{36})/.exec(cookie)?.[1];
  if (!id) return ws.close(4003, 'log in first');
  const op: Operator = { id, name: `Operator ${id.slice(0, 4)}`, ws, load: 0 };
  operators.set(id, op);
  ws.send(JSON.stringify({ type: 'ready', user: { id }, contacts: [] }));
  ws.on('close', () => operators.delete(id));
  ws.on('message', (data) => {
    const f = JSON.parse(data.toString()) as {
      type: string;
      contactId: string;
      clientId: string;
      body: string;
    };
    if (f.type !== 'send') return;
    const c = contacts.get(f.contactId);
    if (!c) return;
    const message = {
      id: randomUUID(),
      contactId: c.id,
      seq: ++c.seq,
      author: { kind: 'operator', id, name: op.name },
      body: f.body,
      quoteId: null,
      clientId: f.clientId,
      createdAt: now(),
    };
    const { seq, createdAt } = message;
    ws.send(
      JSON.stringify({ type: 'ack', contactId: c.id, clientId: f.clientId, id: message.id, seq, createdAt }),
    );
    c.visitor.send(JSON.stringify({ type: 'message', message }));
  });
}

function visitorSocket(ws: WebSocket) {
  const visitorId = randomUUID();
  let contact: Contact | null = null;
  let name = 'Visitor';
  ws.on('close', () => {
    if (!contact) return;
    contact.operator.load--;
    contacts.delete(contact.id);
  });
  ws.on('message', (data) => {
    const f = JSON.parse(data.toString()) as {
      type: string;
      clientId: string;
      body: string;
      answers: Record<string, string>;
    };
    if (f.type === 'hello') {
      ws.send(JSON.stringify({ type: 'welcome', token: visitorId, visitorId, online: true, contact: null }));
    } else if (f.type === 'start') {
      let best: Operator | null = null;
      for (const op of operators.values()) if (!best || op.load < best.load) best = op;
      if (!best) return ws.send(JSON.stringify({ type: 'error', code: 'NO_OPERATOR', message: 'nobody' }));
      best.load++;
      name = f.answers.name ?? name;
      contact = { id: randomUUID(), visitor: ws, operator: best, seq: 0 };
      contacts.set(contact.id, contact);
      ws.send(
        JSON.stringify({
          type: 'assigned',
          contactId: contact.id,
          operator: { id: best.id, name: best.name },
        }),
      );
    } else if (f.type === 'send' && contact) {
      const message = {
        id: randomUUID(),
        contactId: contact.id,
        seq: ++contact.seq,
        author: { kind: 'visitor', id: visitorId, name },
        body: f.body,
        quoteId: null,
        clientId: f.clientId,
        createdAt: now(),
      };
      const { id, seq, createdAt } = message;
      ws.send(
        JSON.stringify({ type: 'ack', contactId: contact.id, clientId: f.clientId, id, seq, createdAt }),
      );
      contact.operator.ws.send(JSON.stringify({ type: 'message', message }));
    }
  });
}

const port = Number(process.env.PORT ?? 0);
http.listen(port, process.env.HOST ?? '127.0.0.1', () => {
  const addr = http.address();
  console.log(`relay listening on ${typeof addr === 'object' && addr ? addr.port : port}`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const c of wss.clients) c.terminate();
    http.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
