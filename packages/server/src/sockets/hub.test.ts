import { describe, expect, it } from 'vitest';
import { type ChatEvent, createLocalBus } from '../bus.js';
import { lossyBus } from '../test/lossy-bus.js';
import { createHub } from './hub.js';

const typing = (workspaceId: string, contactId: string): ChatEvent => ({
  kind: 'typing',
  workspaceId,
  contactId,
  assigneeId: null,
  from: 'visitor',
  on: true,
});

describe('the socket hub', () => {
  it('gives each event only to the sockets of its conversation and of its workspace', () => {
    const bus = createLocalBus();
    const hub = createHub(bus);
    const got: string[] = [];
    const offA = hub.onContact('c1', () => got.push('visitor c1'));
    hub.onContact('c2', () => got.push('visitor c2'));
    hub.onWorkspace('w1', () => got.push('operator w1'));
    hub.onWorkspace('w2', () => got.push('operator w2'));
    bus.publish(typing('w1', 'c1'));
    expect(got).toEqual(['visitor c1', 'operator w1']);
    got.length = 0;
    bus.publish({ kind: 'presence', workspaceId: 'w2', userId: 'u', status: 'online' });
    expect(got).toEqual(['operator w2']);
    // Unwatching frees the slot; an emptied conversation leaves nothing behind.
    offA();
    got.length = 0;
    bus.publish(typing('w1', 'c1'));
    expect(got).toEqual(['operator w1']);
    expect(hub.size()).toBe(3);
  });

  it('keeps delivering to the others when one listener throws', () => {
    const bus = createLocalBus();
    const errors: unknown[] = [];
    const hub = createHub(bus, (e) => errors.push(e));
    const got: string[] = [];
    hub.onWorkspace('w1', () => {
      throw new Error('broken socket');
    });
    hub.onWorkspace('w1', () => got.push('healthy'));
    bus.publish(typing('w1', 'c9'));
    expect(got).toEqual(['healthy']);
    expect(errors).toHaveLength(1);
  });

  it("offers an assigned conversation's messages only to its operator and those who watch all", () => {
    const bus = createLocalBus();
    const hub = createHub(bus);
    const got: string[] = [];
    const offAnna = hub.onWorkspace('w1', () => got.push('anna'), { userId: 'anna', watchesAll: false });
    hub.onWorkspace('w1', () => got.push('ben'), { userId: 'ben', watchesAll: false });
    hub.onWorkspace('w1', () => got.push('sup'), { userId: 'sup', watchesAll: true });
    const message = (assigneeId: string | null): ChatEvent => ({
      kind: 'message',
      workspaceId: 'w1',
      assigneeId,
      message: {
        id: 'm',
        contactId: 'c1',
        seq: 1,
        author: { kind: 'visitor', id: 'v', name: 'V' },
        body: 'hi',
        quoteId: null,
        clientId: 'x',
        createdAt: new Date(0).toISOString(),
        deletedAt: null,
      },
    });
    bus.publish(message('anna'));
    expect(got.sort()).toEqual(['anna', 'sup']);
    got.length = 0;
    // Waiting (no assignee): everyone who could take it.
    bus.publish(message(null));
    expect(got.sort()).toEqual(['anna', 'ben', 'sup']);
    got.length = 0;
    // The queue and presence are everyone's.
    bus.publish({ kind: 'presence', workspaceId: 'w1', userId: 'ben', status: 'away' });
    expect(got.sort()).toEqual(['anna', 'ben', 'sup']);
    offAnna();
    got.length = 0;
    bus.publish(message('anna'));
    expect(got).toEqual(['sup']);
    expect(hub.size()).toBe(2);
  });

  it('asks the sockets that follow a conversation or a workspace to reconnect when events were missed, once', () => {
    const bus = lossyBus();
    const errors: unknown[] = [];
    const hub = createHub(bus, (e) => errors.push(e));
    const asked: string[] = [];
    hub.onContact(
      'c1',
      () => {},
      () => asked.push('visitor c1'),
    );
    const offC2 = hub.onContact(
      'c2',
      () => {},
      () => asked.push('visitor c2'),
    );
    hub.onWorkspace(
      'w1',
      () => {},
      { userId: 'anna', watchesAll: false },
      () => asked.push('anna'),
    );
    hub.onWorkspace(
      'w1',
      () => {},
      { userId: 'sup', watchesAll: true },
      () => {
        throw new Error('already closed');
      },
    );
    // A listener without a resync (the bench's, a test's) is left alone.
    hub.onWorkspace('w1', () => {});
    offC2(); // closed before: not asked
    expect(hub.resyncing()).toBe(3);
    bus.miss();
    expect(asked).toEqual(['visitor c1', 'anna']);
    expect(errors).toHaveLength(1); // one failing does not stop the others
    // Each was asked once: their closes unregister them, and a second loss asks nobody twice.
    expect(hub.resyncing()).toBe(0);
    bus.miss();
    expect(asked).toEqual(['visitor c1', 'anna']);
    // Events still reach whoever registered since.
    const got: string[] = [];
    hub.onContact('c1', (e) => got.push(e.kind));
    bus.publish(typing('w1', 'c1'));
    expect(got).toEqual(['typing']);
  });

  it('stops hearing of missed events once closed', () => {
    const bus = lossyBus();
    const hub = createHub(bus);
    const asked: string[] = [];
    hub.onContact(
      'c1',
      () => {},
      () => asked.push('c1'),
    );
    hub.close();
    bus.miss();
    expect(asked).toEqual([]);
  });
});
