import { describe, expect, it } from 'vitest';
import { type ChatEvent, createLocalBus } from '../bus.js';
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
});
