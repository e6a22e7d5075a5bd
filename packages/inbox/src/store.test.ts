import type {
  ContactSummary,
  Message,
  OperatorOutbound,
  OperatorProfile,
  Task,
  User,
} from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import {
  type Action,
  asFrame,
  canDelete,
  contiguousSeq,
  createStore,
  eventsFor,
  initialState,
  isOverdue,
  isUnanswered,
  lastVisitorSeq,
  mergeMessages,
  neighbour,
  nth,
  parseDrafts,
  reduce,
  resendable,
  type State,
  selectedContact,
  taskLists,
  visibleContacts,
  waitingSince,
} from './store.js';

const ME = '00000000-0000-4000-8000-000000000001';
const OTHER = '00000000-0000-4000-8000-000000000002';
const SITE = '00000000-0000-4000-8000-0000000000aa';
const cid = (n: number) => `10000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const mid = (n: number) => `20000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const user: User = { id: ME, email: 'op@example.com', name: 'Olga', role: 'operator', status: 'online' };

function contact(n: number, over: Partial<ContactSummary> = {}): ContactSummary {
  return {
    handoffNote: null,
    id: cid(n),
    siteId: SITE,
    channel: 'chat',
    priority: 0,
    requiredSkills: [],
    clientId: null,
    callbackPhone: null,
    status: 'queued',
    visitorName: `Visitor ${n}`,
    answers: {},
    assigneeId: null,
    lastSeq: 0,
    lastMessage: null,
    lastMessageAt: null,
    enqueuedAt: `2025-01-01T10:0${n}:00.000Z`,
    firstResponseAt: null,
    closedAt: null,
    createdAt: `2025-01-01T10:00:00.000Z`,
    pageUrl: null,
    visitorLastSeenAt: null,
    ...over,
  };
}

function msg(contact: number, seq: number, over: Partial<Message> = {}): Message {
  return {
    deletedAt: null,
    id: mid(contact * 1000 + seq),
    contactId: cid(contact),
    seq,
    author: { kind: 'visitor', id: null, name: 'Visitor' },
    body: `m${seq}`,
    quoteId: null,
    clientId: null,
    createdAt: `2025-01-01T11:00:${String(seq).padStart(2, '0')}.000Z`,
    ...over,
  };
}

const frame = (f: OperatorOutbound): Action => ({ type: 'frame', frame: f });
const run = (s: State, ...actions: Action[]): State => actions.reduce(reduce, s);
const ready = (...contacts: ContactSummary[]): Action => frame({ type: 'ready', user, contacts });
const bodies = (s: State, n: number) => s.conversations[cid(n)]?.messages.map((m) => m.body);

describe('ready', () => {
  it('replaces the contact list and logs in', () => {
    let s = run(initialState(), ready(contact(1), contact(2)));
    expect(s.auth).toBe('in');
    expect(s.user?.name).toBe('Olga');
    expect(Object.keys(s.contacts)).toHaveLength(2);
    s = run(s, ready(contact(3)));
    expect(Object.keys(s.contacts)).toEqual([cid(3)]);
  });

  it('drops closed contacts and malformed entries from the list', () => {
    const s = run(
      initialState(),
      frame({
        type: 'ready',
        user,
        contacts: [contact(1, { status: 'closed' }), contact(2), { id: 'x' } as unknown as ContactSummary],
      }),
    );
    expect(Object.keys(s.contacts)).toEqual([cid(2)]);
  });

  it('restores a selection remembered from the previous session', () => {
    const s = run(initialState(cid(2)), ready(contact(1), contact(2)));
    expect(s.selectedId).toBe(cid(2));
    expect(s.conversations[cid(2)]).toEqual({ messages: [], loaded: false });
  });

  it('forgets a remembered selection that is no longer open', () => {
    const s = run(initialState(cid(9)), ready(contact(1)));
    expect(s.selectedId).toBeNull();
    expect(s.conversations).toEqual({});
  });

  it('after a reconnect keeps the open conversation and drops the others (they may have gaps)', () => {
    let s = run(
      initialState(),
      ready(contact(1), contact(2)),
      { type: 'select', contactId: cid(2) },
      { type: 'loaded', contactId: cid(2), messages: [msg(2, 1)] },
      { type: 'select', contactId: cid(1) },
      { type: 'loaded', contactId: cid(1), messages: [msg(1, 1)] },
    );
    s = run(s, ready(contact(1), contact(2)));
    expect(Object.keys(s.conversations)).toEqual([cid(1)]);
    expect(bodies(s, 1)).toEqual(['m1']);
  });

  it('keeps a selected contact that closed while we were away, so it stays readable', () => {
    let s = run(initialState(), ready(contact(1)), { type: 'select', contactId: cid(1) });
    s = run(s, ready());
    expect(s.selectedId).toBe(cid(1));
    expect(selectedContact(s)?.id).toBe(cid(1));
    expect(visibleContacts(s)).toEqual([]);
    // Assigned back to us later: it rejoins the list.
    s = run(s, frame({ type: 'contact', contact: contact(1, { status: 'assigned', assigneeId: ME }) }));
    expect(s.detached).toBeNull();
    expect(visibleContacts(s).map((c) => c.id)).toEqual([cid(1)]);
  });

  it('keeps pending replies across a reconnect', () => {
    let s = run(initialState(), ready(contact(1)), {
      type: 'queue',
      pending: { clientId: 'c1', contactId: cid(1), body: 'hi', createdAt: '2025-01-01T11:00:00Z' },
    });
    s = run(s, ready(contact(1)));
    expect(resendable(s).map((p) => p.clientId)).toEqual(['c1']);
  });
});

describe('contact frames', () => {
  it('upserts by id', () => {
    let s = run(initialState(), ready(contact(1)));
    s = run(s, frame({ type: 'contact', contact: contact(2) }));
    s = run(s, frame({ type: 'contact', contact: contact(1, { status: 'assigned', assigneeId: ME }) }));
    expect(Object.keys(s.contacts).sort()).toEqual([cid(1), cid(2)]);
    expect(s.contacts[cid(1)]?.status).toBe('assigned');
  });

  it('removes closed contacts from the list, and a stale frame does not bring them back', () => {
    let s = run(initialState(), ready(contact(1), contact(2)));
    s = run(s, frame({ type: 'contact', contact: contact(1, { status: 'closed' }) }));
    expect(s.contacts[cid(1)]).toBeUndefined();
    s = run(s, frame({ type: 'contact', contact: contact(1, { status: 'active' }) }));
    expect(s.contacts[cid(1)]).toBeUndefined();
    // A new `ready` is the server's truth again.
    s = run(s, ready(contact(1)));
    expect(s.contacts[cid(1)]).toBeDefined();
  });

  it('keeps the selected contact when it closes, marked closed, until another is selected', () => {
    let s = run(initialState(), ready(contact(1), contact(2)), { type: 'select', contactId: cid(1) });
    s = run(s, frame({ type: 'contact', contact: contact(1, { status: 'closed' }) }));
    expect(selectedContact(s)?.status).toBe('closed');
    expect(visibleContacts(s).map((c) => c.id)).toEqual([cid(2)]);
    s = run(s, { type: 'select', contactId: cid(2) });
    expect(s.detached).toBeNull();
    expect(selectedContact(s)?.id).toBe(cid(2));
  });

  it('does not let an older contact frame roll back a preview advanced by a message frame', () => {
    let s = run(initialState(), ready(contact(1)));
    s = run(s, frame({ type: 'message', message: msg(1, 3, { body: 'newest' }) }));
    s = run(s, frame({ type: 'contact', contact: contact(1, { lastSeq: 2, lastMessage: 'older' }) }));
    expect(s.contacts[cid(1)]?.lastMessage).toBe('newest');
    expect(s.contacts[cid(1)]?.lastSeq).toBe(3);
  });

  it('does not turn an answered contact red again on a stale frame', () => {
    let s = run(
      initialState(),
      ready(contact(1, { firstResponseAt: '2025-01-01T11:00:00Z', status: 'active' })),
    );
    s = run(s, frame({ type: 'contact', contact: contact(1, { status: 'assigned' }) }));
    expect(isUnanswered(s.contacts[cid(1)]!)).toBe(false);
  });
});

describe('message frames', () => {
  const loaded = (): State =>
    run(
      initialState(),
      ready(contact(1)),
      { type: 'select', contactId: cid(1) },
      { type: 'loaded', contactId: cid(1), messages: [msg(1, 1), msg(1, 2)] },
    );

  it('appends to a loaded conversation and updates the list item', () => {
    const s = run(loaded(), frame({ type: 'message', message: msg(1, 3, { body: 'third' }) }));
    expect(bodies(s, 1)).toEqual(['m1', 'm2', 'third']);
    expect(s.contacts[cid(1)]).toMatchObject({
      lastMessage: 'third',
      lastSeq: 3,
      lastMessageAt: msg(1, 3).createdAt,
    });
  });

  it('dedupes by id and keeps seq order when frames arrive out of order', () => {
    const s = run(
      loaded(),
      frame({ type: 'message', message: msg(1, 5) }),
      frame({ type: 'message', message: msg(1, 3) }),
      frame({ type: 'message', message: msg(1, 4) }),
      frame({ type: 'message', message: msg(1, 3) }),
      frame({ type: 'message', message: msg(1, 1) }),
    );
    expect(s.conversations[cid(1)]?.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    // The preview shows the newest, not the last to arrive.
    expect(s.contacts[cid(1)]?.lastMessage).toBe('m5');
  });

  it('keeps messages that arrive while the history loads, then merges the history', () => {
    let s = run(initialState(), ready(contact(1)), { type: 'select', contactId: cid(1) });
    s = run(s, frame({ type: 'message', message: msg(1, 3) }));
    expect(s.conversations[cid(1)]?.loaded).toBe(false);
    s = run(s, { type: 'loaded', contactId: cid(1), messages: [msg(1, 1), msg(1, 2), msg(1, 3)] });
    expect(s.conversations[cid(1)]).toMatchObject({ loaded: true });
    expect(bodies(s, 1)).toEqual(['m1', 'm2', 'm3']);
  });

  it('drops the text of messages it had whole that a load says were deleted while it was away', () => {
    let s = run(initialState(), ready(contact(1)), { type: 'select', contactId: cid(1) });
    s = run(s, { type: 'loaded', contactId: cid(1), messages: [msg(1, 1), msg(1, 2)] });
    const at = '2025-01-01T12:00:00.000Z';
    s = run(s, {
      type: 'loaded',
      contactId: cid(1),
      messages: [msg(1, 3)],
      deleted: [{ messageId: mid(1001), by: user.id, at }],
    });
    expect(bodies(s, 1)).toEqual(['', 'm2', 'm3']);
    expect(s.conversations[cid(1)]?.messages[0]?.deletedAt).toBe(at);
  });

  it('does not store messages of conversations that are not open, but updates their preview', () => {
    const s = run(initialState(), ready(contact(1)), frame({ type: 'message', message: msg(1, 1) }));
    expect(s.conversations[cid(1)]).toBeUndefined();
    expect(s.contacts[cid(1)]?.lastMessage).toBe('m1');
  });

  it('ignores messages for unknown contacts', () => {
    const before = run(initialState(), ready(contact(1)));
    const s = run(before, frame({ type: 'message', message: msg(7, 1) }));
    expect(s.contacts).toEqual(before.contacts);
  });

  it('clears visitor typing when the visitor message arrives', () => {
    let s = run(loaded(), frame({ type: 'typing', contactId: cid(1), on: true }));
    expect(s.typing[cid(1)]).toBe(true);
    s = run(s, frame({ type: 'message', message: msg(1, 3) }));
    expect(s.typing[cid(1)]).toBe(false);
  });

  it('an operator message clears the unanswered mark', () => {
    const s = run(
      loaded(),
      frame({
        type: 'message',
        message: msg(1, 3, { author: { kind: 'operator', id: OTHER, name: 'Ivan' } }),
      }),
    );
    expect(isUnanswered(s.contacts[cid(1)]!)).toBe(false);
  });
});

describe('pending replies', () => {
  const queued = (): State =>
    run(
      initialState(),
      ready(contact(1)),
      { type: 'select', contactId: cid(1) },
      { type: 'loaded', contactId: cid(1), messages: [msg(1, 1)] },
      {
        type: 'queue',
        pending: { clientId: 'c1', contactId: cid(1), body: 'hello', createdAt: '2025-01-01T12:00:00Z' },
      },
    );
  const ack = frame({
    type: 'ack',
    contactId: cid(1),
    clientId: 'c1',
    id: mid(99),
    seq: 2,
    createdAt: '2025-01-01T12:00:01.000Z',
  });
  const echo = msg(1, 2, {
    id: mid(99),
    body: 'hello',
    clientId: 'c1',
    author: { kind: 'operator', id: ME, name: 'Olga' },
    createdAt: '2025-01-01T12:00:01.000Z',
  });

  it('stays pending until ack, then becomes a stored message', () => {
    let s = queued();
    expect(s.pending).toHaveLength(1);
    s = run(s, ack);
    expect(s.pending).toHaveLength(0);
    const last = s.conversations[cid(1)]?.messages.at(-1);
    expect(last).toMatchObject({ id: mid(99), seq: 2, body: 'hello', author: { kind: 'operator', id: ME } });
    expect(s.contacts[cid(1)]).toMatchObject({ lastMessage: 'hello', lastSeq: 2 });
    expect(isUnanswered(s.contacts[cid(1)]!)).toBe(false);
  });

  it('ack then the echoed message: stored once', () => {
    const s = run(queued(), ack, frame({ type: 'message', message: echo }));
    expect(s.conversations[cid(1)]?.messages.map((m) => m.id)).toEqual([mid(1001), mid(99)]);
  });

  it('echoed message then ack: stored once, pending resolved', () => {
    const s = run(queued(), frame({ type: 'message', message: echo }), ack);
    expect(s.pending).toHaveLength(0);
    expect(s.conversations[cid(1)]?.messages).toHaveLength(2);
  });

  it('a duplicate or unknown ack changes nothing', () => {
    const once = run(queued(), ack);
    expect(run(once, ack)).toBe(once);
    expect(
      run(
        once,
        frame({
          type: 'ack',
          contactId: cid(1),
          clientId: 'nope',
          id: mid(5),
          seq: 9,
          createdAt: echo.createdAt,
        }),
      ),
    ).toBe(once);
  });

  it('a reloaded history containing the reply resolves it (ack lost with the socket)', () => {
    const s = run(queued(), { type: 'loaded', contactId: cid(1), messages: [echo] });
    expect(s.pending).toHaveLength(0);
    expect(s.conversations[cid(1)]?.messages).toHaveLength(2);
  });

  it('an error naming the clientId marks the reply failed (not re-sent) until retried', () => {
    let s = run(
      queued(),
      frame({ type: 'error', code: 'PARLEY_ERR_CONTACT_CLOSED', message: 'Closed', ref: 'c1' }),
    );
    expect(s.pending[0]?.failed).toBe(true);
    expect(resendable(s)).toEqual([]);
    expect(s.toasts.map((t) => t.message)).toEqual(['Closed']);
    s = run(s, { type: 'retry', clientId: 'c1' });
    expect(resendable(s).map((p) => p.clientId)).toEqual(['c1']);
  });
});

describe('other frames', () => {
  it('seen only moves forward', () => {
    let s = run(initialState(), ready(contact(1)));
    s = run(
      s,
      frame({ type: 'seen', contactId: cid(1), seq: 4 }),
      frame({ type: 'seen', contactId: cid(1), seq: 2 }),
    );
    expect(s.seen[cid(1)]).toBe(4);
  });

  it('presence of myself updates my status', () => {
    let s = run(initialState(), ready());
    s = run(s, frame({ type: 'presence', userId: ME, status: 'away' }));
    expect(s.user?.status).toBe('away');
    s = run(s, frame({ type: 'presence', userId: OTHER, status: 'offline' }));
    expect(s.user?.status).toBe('away');
    expect(s.presence[OTHER]).toBe('offline');
  });

  it('error frames become toasts, capped, dismissable', () => {
    let s = run(initialState(), ready());
    for (let i = 0; i < 8; i++) s = run(s, frame({ type: 'error', code: 'X', message: `e${i}` }));
    expect(s.toasts.map((t) => t.message)).toEqual(['e3', 'e4', 'e5', 'e6', 'e7']);
    s = run(s, { type: 'dismiss', id: s.toasts[0]!.id });
    expect(s.toasts).toHaveLength(4);
  });

  it('ignores bad frames without throwing', () => {
    const s = run(initialState(), ready(contact(1)));
    const junk: unknown[] = [
      null,
      42,
      'ready',
      [],
      {},
      { type: 'nope' },
      { type: 'ready' },
      { type: 'ready', user, contacts: 'x' },
      { type: 'contact' },
      { type: 'contact', contact: { id: cid(1) } },
      { type: 'message', message: { id: 'x', contactId: cid(1), seq: -1 } },
      { type: 'message', message: { ...msg(1, 1), seq: 1.5 } },
      { type: 'message', message: { ...msg(1, 1), author: null } },
      { type: 'ack', clientId: 'c' },
      { type: 'typing', contactId: cid(1), on: 'yes' },
      { type: 'seen', contactId: cid(1), seq: '3' },
      { type: 'presence', userId: ME },
      { type: 'error', code: 1 },
    ];
    for (const f of junk) {
      expect(asFrame(f)).toBeNull();
      expect(reduce(s, { type: 'frame', frame: f })).toBe(s);
      expect(eventsFor(s, f)).toEqual([]);
    }
  });

  it('ignores malformed messages in a REST load', () => {
    const s = run(
      initialState(),
      ready(contact(1)),
      { type: 'select', contactId: cid(1) },
      {
        type: 'loaded',
        contactId: cid(1),
        messages: [msg(1, 1), { id: 'bad' } as unknown as Message, msg(2, 1)],
      },
    );
    expect(bodies(s, 1)).toEqual(['m1']);
  });
});

describe('the queue view', () => {
  it('sorts by newest activity first (last message, else enqueued, else created)', () => {
    const s = run(
      initialState(),
      ready(
        contact(1, { lastMessageAt: '2025-01-01T12:00:00Z' }),
        contact(2, { enqueuedAt: '2025-01-01T12:30:00Z' }),
        contact(3, { enqueuedAt: null, createdAt: '2025-01-01T09:00:00Z' }),
      ),
    );
    expect(visibleContacts(s).map((c) => c.id)).toEqual([cid(2), cid(1), cid(3)]);
    const later = run(
      s,
      frame({ type: 'message', message: msg(3, 1, { createdAt: '2025-01-01T13:00:00Z' }) }),
    );
    expect(visibleContacts(later)[0]?.id).toBe(cid(3));
  });

  it('filters all / mine / unassigned', () => {
    const base = run(
      initialState(),
      ready(
        contact(1, { assigneeId: ME, status: 'assigned' }),
        contact(2, { assigneeId: OTHER }),
        contact(3),
      ),
    );
    const ids = (f: State['filter']) =>
      visibleContacts(run(base, { type: 'filter', filter: f }))
        .map((c) => c.id)
        .sort();
    expect(ids('all')).toEqual([cid(1), cid(2), cid(3)]);
    expect(ids('mine')).toEqual([cid(1)]);
    expect(ids('unassigned')).toEqual([cid(3)]);
  });

  it('detects unanswered contacts and their waiting start', () => {
    expect(isUnanswered(contact(1))).toBe(true);
    expect(isUnanswered(contact(1, { firstResponseAt: '2025-01-01T10:00:00Z' }))).toBe(false);
    expect(isUnanswered(contact(1, { status: 'closed' }))).toBe(false);
    expect(waitingSince(contact(1))).toBe(contact(1).enqueuedAt);
    expect(waitingSince(contact(1, { enqueuedAt: null }))).toBe(contact(1).createdAt);
  });

  it('Alt+Arrow neighbours follow the visible order and stop at the ends', () => {
    let s = run(initialState(), ready(contact(1), contact(2), contact(3))); // order: 3, 2, 1
    expect(neighbour(s, 1)).toBe(cid(3));
    expect(neighbour(s, -1)).toBe(cid(1));
    s = run(s, { type: 'select', contactId: cid(2) });
    expect(neighbour(s, 1)).toBe(cid(1));
    expect(neighbour(s, -1)).toBe(cid(3));
    s = run(s, { type: 'select', contactId: cid(1) });
    expect(neighbour(s, 1)).toBe(cid(1));
    expect(neighbour(run(initialState(), ready()), 1)).toBeNull();
  });
});

describe('helpers', () => {
  it('mergeMessages returns the same array when nothing is new', () => {
    const list = [msg(1, 1)];
    expect(mergeMessages(list, [msg(1, 1)])).toBe(list);
    expect(mergeMessages(list, [msg(1, 2), msg(1, 2)]).map((m) => m.seq)).toEqual([1, 2]);
  });

  it('contiguousSeq stops at the first gap', () => {
    expect(contiguousSeq([])).toBe(0);
    expect(contiguousSeq([msg(1, 1), msg(1, 2), msg(1, 3)])).toBe(3);
    expect(contiguousSeq([msg(1, 1), msg(1, 2), msg(1, 5), msg(1, 6)])).toBe(2);
  });

  it('lastVisitorSeq skips operator messages', () => {
    const op = { kind: 'operator' as const, id: ME, name: 'Olga' };
    expect(lastVisitorSeq(undefined)).toBe(0);
    expect(lastVisitorSeq({ loaded: true, messages: [msg(1, 1), msg(1, 2, { author: op })] })).toBe(1);
  });
});

describe('events for sounds and notifications', () => {
  const s = run(initialState(), ready(contact(1)));

  it('a contact frame for an unknown open contact is a new contact', () => {
    expect(eventsFor(s, { type: 'contact', contact: contact(2) })).toMatchObject([{ kind: 'new-contact' }]);
    expect(eventsFor(s, { type: 'contact', contact: contact(1, { status: 'assigned' }) })).toEqual([]);
    expect(eventsFor(s, { type: 'contact', contact: contact(3, { status: 'closed' }) })).toEqual([]);
  });

  it('a new visitor message is a new message; operator messages and repeats are not', () => {
    expect(eventsFor(s, { type: 'message', message: msg(1, 1) })).toMatchObject([{ kind: 'new-message' }]);
    const after = run(s, frame({ type: 'message', message: msg(1, 1) }));
    expect(eventsFor(after, { type: 'message', message: msg(1, 1) })).toEqual([]);
    const op = msg(1, 2, { author: { kind: 'operator', id: ME, name: 'Olga' } });
    expect(eventsFor(s, { type: 'message', message: op })).toEqual([]);
  });
});

describe('createStore', () => {
  it('notifies subscribers on change only', () => {
    const store = createStore(initialState());
    let calls = 0;
    const off = store.subscribe(() => calls++);
    store.dispatch({ type: 'frame', frame: { type: 'nope' } });
    expect(calls).toBe(0);
    store.dispatch(ready(contact(1)));
    expect(calls).toBe(1);
    off();
    store.dispatch({ type: 'filter', filter: 'mine' });
    expect(calls).toBe(1);
    expect(store.get().filter).toBe('mine');
  });
});

describe('a deleted message', () => {
  it('keeps its place in the conversation and loses its text', () => {
    let s = reduce(initialState(null, 'in'), ready(contact(1)));
    s = reduce(s, { type: 'select', contactId: cid(1) });
    s = reduce(s, { type: 'frame', frame: { type: 'message', message: msg(1, 1, { body: 'oops' }) } });
    s = reduce(s, { type: 'frame', frame: { type: 'message', message: msg(1, 2, { body: 'fine' }) } });
    s = reduce(s, {
      type: 'frame',
      frame: {
        type: 'deleted',
        contactId: cid(1),
        messageId: mid(1001),
        by: ME,
        at: '2025-01-01T10:05:00.000Z',
      },
    });
    expect(s.conversations[cid(1)]!.messages.map((m) => [m.seq, m.body, m.deletedAt])).toEqual([
      [1, '', '2025-01-01T10:05:00.000Z'],
      [2, 'fine', null],
    ]);
  });
});

const tid = (n: number) => `30000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function task(n: number, over: Partial<Task> = {}): Task {
  return {
    id: tid(n),
    title: `Task ${n}`,
    assigneeId: ME,
    contactId: cid(n),
    clientId: null,
    orderId: null,
    dueAt: null,
    doneAt: null,
    createdAt: `2025-01-01T09:0${n}:00.000Z`,
    ...over,
  };
}

describe('the channel filter', () => {
  it('shows one channel or all, together with mine / unassigned', () => {
    const base = run(
      initialState(),
      ready(
        contact(1, { channel: 'chat' }),
        contact(2, { channel: 'callback', callbackPhone: '+3612345678' }),
        contact(3, { channel: 'voice', assigneeId: ME, status: 'active' }),
        contact(4, { channel: 'chat', assigneeId: ME, status: 'active' }),
      ),
    );
    const ids = (...actions: Action[]) => visibleContacts(run(base, ...actions)).map((c) => c.id);
    expect(ids()).toEqual([cid(4), cid(3), cid(2), cid(1)]);
    expect(ids({ type: 'channel', channel: 'callback' })).toEqual([cid(2)]);
    expect(ids({ type: 'channel', channel: 'voice' })).toEqual([cid(3)]);
    expect(ids({ type: 'channel', channel: 'chat' })).toEqual([cid(4), cid(1)]);
    expect(ids({ type: 'channel', channel: 'chat' }, { type: 'filter', filter: 'mine' })).toEqual([cid(4)]);
    expect(ids({ type: 'channel', channel: 'chat' }, { type: 'filter', filter: 'unassigned' })).toEqual([
      cid(1),
    ]);
    expect(ids({ type: 'channel', channel: 'voice' }, { type: 'channel', channel: 'any' })).toHaveLength(4);
  });

  it('Alt+digit picks the n-th visible contact', () => {
    const s = run(initialState(), ready(contact(1), contact(2), contact(3)));
    expect(nth(s, 1)).toBe(cid(3));
    expect(nth(s, 3)).toBe(cid(1));
    expect(nth(s, 4)).toBeNull();
  });
});

describe('drafts', () => {
  it('are kept per conversation while switching', () => {
    let s = run(
      initialState(),
      ready(contact(1), contact(2)),
      { type: 'select', contactId: cid(1) },
      { type: 'draft', contactId: cid(1), text: 'half a thought' },
      { type: 'select', contactId: cid(2) },
      { type: 'draft', contactId: cid(2), text: 'other' },
      { type: 'select', contactId: cid(1) },
    );
    expect(s.drafts).toEqual({ [cid(1)]: 'half a thought', [cid(2)]: 'other' });
    s = reduce(s, { type: 'draft', contactId: cid(2), text: '' });
    expect(s.drafts).toEqual({ [cid(1)]: 'half a thought' });
    // The same text again is no change (no storage write, no re-render).
    expect(reduce(s, { type: 'draft', contactId: cid(1), text: 'half a thought' })).toBe(s);
  });

  it('are spent when the reply is queued', () => {
    const s = run(
      initialState(),
      ready(contact(1), contact(2)),
      { type: 'draft', contactId: cid(1), text: 'Hello' },
      { type: 'draft', contactId: cid(2), text: 'Keep me' },
      {
        type: 'queue',
        pending: { clientId: 'c1', contactId: cid(1), body: 'Hello', createdAt: '2025-01-01T11:00:00.000Z' },
      },
    );
    expect(s.drafts).toEqual({ [cid(2)]: 'Keep me' });
  });

  it('survive a reload through storage, and a lapsed session, but not a deliberate logout', () => {
    const saved = JSON.stringify({ [cid(1)]: 'draft one', [cid(2)]: 7, [cid(3)]: '' });
    const restored = parseDrafts(saved);
    expect(restored).toEqual({ [cid(1)]: 'draft one' });
    expect(parseDrafts('not json')).toEqual({});
    expect(parseDrafts('[1,2]')).toEqual({});
    expect(parseDrafts(null)).toEqual({});
    const s = run(initialState(null, 'unknown', { drafts: restored }), ready(contact(1)));
    expect(s.drafts[cid(1)]).toBe('draft one');
    expect(reduce(s, { type: 'logout' }).drafts).toEqual({ [cid(1)]: 'draft one' });
    expect(reduce(s, { type: 'logout', forget: true }).drafts).toEqual({});
  });
});

describe('quotes', () => {
  const loaded = run(
    initialState(),
    ready(contact(1, { status: 'active', assigneeId: ME })),
    { type: 'select', contactId: cid(1) },
    { type: 'loaded', contactId: cid(1), messages: [msg(1, 1, { body: 'A?' }), msg(1, 2, { body: 'B?' })] },
  );
  const send = (clientId: string, body: string, quoteId: string): Action => ({
    type: 'queue',
    pending: { clientId, contactId: cid(1), body, quoteId, createdAt: '2025-01-01T11:01:00.000Z' },
  });
  const ack = (clientId: string, seq: number): Action =>
    frame({
      type: 'ack',
      contactId: cid(1),
      clientId,
      id: mid(1000 + seq),
      seq,
      createdAt: `2025-01-01T11:02:0${seq}.000Z`,
    });

  it('answer several questions one by one, each reply with its own quote', () => {
    let s = reduce(loaded, { type: 'quote', contactId: cid(1), messageId: mid(1001) });
    expect(s.quoting[cid(1)]).toBe(mid(1001));
    s = reduce(s, send('ca', 'Answer A', mid(1001)));
    expect(s.quoting[cid(1)]).toBeUndefined(); // spent by the reply
    s = reduce(s, { type: 'quote', contactId: cid(1), messageId: mid(1002) });
    s = reduce(s, send('cb', 'Answer B', mid(1002)));
    expect(s.pending.map((p) => [p.body, p.quoteId])).toEqual([
      ['Answer A', mid(1001)],
      ['Answer B', mid(1002)],
    ]);
    s = run(s, ack('ca', 3), ack('cb', 4));
    expect(s.conversations[cid(1)]!.messages.map((m) => [m.body, m.quoteId])).toEqual([
      ['A?', null],
      ['B?', null],
      ['Answer A', mid(1001)],
      ['Answer B', mid(1002)],
    ]);
  });

  it('is per conversation and can be cancelled', () => {
    let s = run(
      loaded,
      { type: 'quote', contactId: cid(1), messageId: mid(1001) },
      { type: 'quote', contactId: cid(2), messageId: mid(2001) },
    );
    s = reduce(s, { type: 'quote', contactId: cid(1), messageId: null });
    expect(s.quoting).toEqual({ [cid(2)]: mid(2001) });
    expect(reduce(s, { type: 'quote', contactId: cid(1), messageId: null })).toBe(s);
  });
});

describe('deleting a reply', () => {
  const mine = msg(1, 1, { author: { kind: 'operator', id: ME, name: 'Olga' } });
  const theirs = msg(1, 2, { author: { kind: 'operator', id: OTHER, name: 'Bob' } });
  const visitor = msg(1, 3);

  it('operators may delete their own replies; supervisors and admins any reply; nobody a visitor message', () => {
    expect(canDelete(mine, user)).toBe(true);
    expect(canDelete(theirs, user)).toBe(false);
    expect(canDelete(visitor, user)).toBe(false);
    const admin: User = { ...user, role: 'admin' };
    expect(canDelete(theirs, admin)).toBe(true);
    expect(canDelete(visitor, admin)).toBe(false);
    expect(canDelete({ ...mine, deletedAt: '2025-01-01T12:00:00.000Z' }, user)).toBe(false);
    expect(canDelete(mine, null)).toBe(false);
  });

  it('a quote of a deleted message points at the emptied message', () => {
    let s = run(
      initialState(),
      ready(contact(1)),
      { type: 'select', contactId: cid(1) },
      { type: 'loaded', contactId: cid(1), messages: [mine, msg(1, 2, { quoteId: mine.id })] },
    );
    s = reduce(
      s,
      frame({
        type: 'deleted',
        contactId: cid(1),
        messageId: mine.id,
        by: ME,
        at: '2025-01-01T12:00:00.000Z',
      }),
    );
    const [first, second] = s.conversations[cid(1)]!.messages;
    expect(first).toMatchObject({ body: '', deletedAt: '2025-01-01T12:00:00.000Z' });
    expect(second!.quoteId).toBe(mine.id);
  });
});

describe('unread counts', () => {
  it('count visitor messages of conversations not on screen, until opened', () => {
    let s = run(
      initialState(),
      ready(contact(1), contact(2)),
      { type: 'select', contactId: cid(1) },
      frame({ type: 'message', message: msg(2, 1) }),
      frame({ type: 'message', message: msg(2, 2) }),
      frame({ type: 'message', message: msg(2, 2) }), // a repeat is not another message
      frame({ type: 'message', message: msg(1, 1) }), // on screen
      frame({
        type: 'message',
        message: msg(2, 3, { author: { kind: 'operator', id: OTHER, name: 'Bob' } }),
      }),
    );
    expect(s.unread).toEqual({ [cid(2)]: 2 });
    s = reduce(s, { type: 'select', contactId: cid(2) });
    expect(s.unread).toEqual({});
  });
});

describe('tasks', () => {
  it('a task frame stores the task and raises a pop-up once', () => {
    let s = run(initialState(), ready(contact(1)));
    const f = { type: 'task', task: task(1) } as const;
    expect(eventsFor(s, f)).toEqual([{ kind: 'new-task', task: task(1) }]);
    s = reduce(s, frame(f));
    expect(s.tasks[tid(1)]).toEqual(task(1));
    expect(s.popups).toEqual([{ id: 1, kind: 'task', text: 'Task 1', contactId: cid(1) }]);
    expect(eventsFor(s, f)).toEqual([]);
    s = reduce(s, frame(f));
    expect(s.popups).toHaveLength(1);
  });

  it('a loaded list merges; a done task is not reopened by a late frame', () => {
    let s = run(initialState(), ready(), { type: 'tasks', tasks: [task(1), task(2)] });
    expect(s.popups).toEqual([]); // a REST load is not news
    s = reduce(s, { type: 'tasks', tasks: [task(1, { doneAt: '2025-01-01T12:00:00.000Z' })] });
    s = reduce(s, frame({ type: 'task', task: task(1) }));
    expect(s.tasks[tid(1)]!.doneAt).toBe('2025-01-01T12:00:00.000Z');
    expect(s.popups).toEqual([]);
  });

  it('lists open tasks by due time (undated last), then done ones latest first', () => {
    const s = run(initialState(), {
      type: 'tasks',
      tasks: [
        task(1),
        task(2, { dueAt: '2025-01-03T00:00:00.000Z' }),
        task(3, { dueAt: '2025-01-02T00:00:00.000Z' }),
        task(4, { doneAt: '2025-01-01T10:00:00.000Z' }),
        task(5, { doneAt: '2025-01-01T11:00:00.000Z' }),
      ],
    });
    const { open, done } = taskLists(s);
    expect(open.map((t) => t.id)).toEqual([tid(3), tid(2), tid(1)]);
    expect(done.map((t) => t.id)).toEqual([tid(5), tid(4)]);
    const now = Date.parse('2025-01-02T12:00:00.000Z');
    expect(isOverdue(task(3, { dueAt: '2025-01-02T00:00:00.000Z' }), now)).toBe(true);
    expect(isOverdue(task(2, { dueAt: '2025-01-03T00:00:00.000Z' }), now)).toBe(false);
    expect(isOverdue(task(1), now)).toBe(false);
    expect(
      isOverdue(task(6, { dueAt: '2025-01-01T00:00:00.000Z', doneAt: '2025-01-01T01:00:00.000Z' }), now),
    ).toBe(false);
  });

  it('malformed task frames are dropped', () => {
    const s = run(initialState(), ready());
    for (const bad of [{ type: 'task' }, { type: 'task', task: { id: tid(1) } }]) {
      expect(asFrame(bad)).toBeNull();
      expect(reduce(s, { type: 'frame', frame: bad })).toBe(s);
    }
  });
});

describe('pop-ups', () => {
  it('a new contact raises one; known contacts and the ready snapshot do not', () => {
    let s = run(initialState(), ready(contact(1)));
    expect(s.popups).toEqual([]);
    s = reduce(s, frame({ type: 'contact', contact: contact(1, { status: 'assigned', assigneeId: ME }) }));
    expect(s.popups).toEqual([]);
    s = reduce(s, frame({ type: 'contact', contact: contact(2) }));
    expect(s.popups).toEqual([{ id: 1, kind: 'contact', text: 'Visitor 2', contactId: cid(2) }]);
    s = reduce(s, { type: 'popup-dismiss', id: 1 });
    expect(s.popups).toEqual([]);
  });

  it('opening the conversation dismisses its pop-ups', () => {
    const s = run(
      initialState(),
      ready(),
      frame({ type: 'contact', contact: contact(1) }),
      frame({ type: 'contact', contact: contact(2) }),
      frame({ type: 'task', task: task(1) }),
      { type: 'select', contactId: cid(1) },
    );
    expect(s.popups.map((p) => p.contactId)).toEqual([cid(2)]);
  });

  it('are capped, newest kept', () => {
    let s = run(initialState(), ready());
    for (let n = 1; n <= 6; n++) s = reduce(s, frame({ type: 'contact', contact: contact(n) }));
    expect(s.popups.map((p) => p.text)).toEqual(['Visitor 3', 'Visitor 4', 'Visitor 5', 'Visitor 6']);
  });
});

describe('the team, sound and language', () => {
  const op = (id: string, status: OperatorProfile['status']): OperatorProfile => ({
    id,
    name: id === ME ? 'Olga' : 'Bob',
    email: `${id}@example.com`,
    role: 'operator',
    status,
    maxChats: 3,
    skills: ['billing'],
    experience: 1,
    costTier: 1,
    extension: null,
    avatarUrl: null,
  });

  it('presence frames keep the operators list current', () => {
    let s = run(initialState(), ready(), {
      type: 'operators',
      operators: [op(ME, 'online'), op(OTHER, 'offline')],
    });
    s = reduce(s, frame({ type: 'presence', userId: OTHER, status: 'away' }));
    expect(s.operators.map((o) => o.status)).toEqual(['online', 'away']);
  });

  it('mute and language are remembered across a logout', () => {
    let s = run(initialState(null, 'unknown', { muted: false, lang: 'en' }), ready(), {
      type: 'mute',
      muted: true,
    });
    s = reduce(s, { type: 'lang', lang: 'ar' });
    expect(s.muted).toBe(true);
    expect(reduce(s, { type: 'mute', muted: true })).toBe(s);
    const out = reduce(s, { type: 'logout', forget: true });
    expect([out.muted, out.lang, out.auth]).toEqual([true, 'ar', 'out']);
  });
});
