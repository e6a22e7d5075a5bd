import { describe, expect, it, vi } from 'vitest';
import { createLocalBus } from '../bus.js';
import { lossyBus } from '../test/lossy-bus.js';
import { createOnlineWatch } from './online.js';

const presence = (workspaceId: string) =>
  ({ kind: 'presence', workspaceId, userId: 'u1', status: 'online' }) as const;

describe("the widgets' online watch", () => {
  it('asks the database once for a burst of presence changes, and tells only a change', async () => {
    const bus = createLocalBus();
    let asked = 0;
    const watch = createOnlineWatch(bus, async () => {
      asked++;
      return true;
    });
    const heard: boolean[] = [];
    watch.watch('w1', false, (online) => heard.push(online));
    for (let i = 0; i < 5; i++) bus.publish(presence('w1'));
    await vi.waitFor(() => expect(heard).toEqual([true]));
    expect(asked).toBe(1);
    bus.publish(presence('w1'));
    await vi.waitFor(() => expect(asked).toBe(2));
    await new Promise((r) => setTimeout(r, 20));
    expect(heard).toEqual([true]); // still online: nothing to tell
    watch.close();
  });

  it('logs a failed question and asks again while anyone watches', async () => {
    const bus = createLocalBus();
    let asked = 0;
    const warned: unknown[] = [];
    const watch = createOnlineWatch(
      bus,
      async () => {
        if (++asked === 1) throw new Error('connection refused');
        return true;
      },
      { log: { warn: (obj) => warned.push(obj) }, retryMs: 30 },
    );
    const heard: boolean[] = [];
    const stop = watch.watch('w1', false, (online) => heard.push(online));
    bus.publish(presence('w1'));
    await vi.waitFor(() => expect(heard).toEqual([true]));
    expect(asked).toBe(2);
    expect(warned).toHaveLength(1);
    expect(String((warned[0] as { err: Error }).err.message)).toBe('connection refused');
    stop();
    watch.close();
  });

  it('stops asking once nobody watches the workspace', async () => {
    const bus = createLocalBus();
    let asked = 0;
    const watch = createOnlineWatch(
      bus,
      async () => {
        asked++;
        throw new Error('down');
      },
      { log: { warn: () => {} }, retryMs: 30 },
    );
    const stop = watch.watch('w1', false, () => {});
    bus.publish(presence('w1'));
    await vi.waitFor(() => expect(asked).toBeGreaterThanOrEqual(2)); // it does ask again
    stop();
    const after = asked;
    await new Promise((r) => setTimeout(r, 200));
    // A question already under way may still be asked; none after it.
    expect(asked).toBeLessThanOrEqual(after + 1);
    watch.close();
  });

  it('asks again for every workspace watched when events were missed (a presence change among them)', async () => {
    const bus = lossyBus();
    const asked: string[] = [];
    const watch = createOnlineWatch(bus, async (workspaceId) => {
      asked.push(workspaceId);
      return true;
    });
    const heard: string[] = [];
    watch.watch('w1', false, (online) => heard.push(`w1 ${online}`));
    watch.watch('w2', true, (online) => heard.push(`w2 ${online}`));
    bus.miss();
    await vi.waitFor(() => expect(asked.sort()).toEqual(['w1', 'w2']));
    // w1's operator came online while the news was lost: its widgets hear it now; w2's knew already.
    await vi.waitFor(() => expect(heard).toEqual(['w1 true']));
    watch.close();
    bus.miss();
    await new Promise((r) => setTimeout(r, 40));
    expect(asked).toHaveLength(2);
  });
});
