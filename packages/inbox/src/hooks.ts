import { useEffect, useState } from 'preact/hooks';
import * as ctl from './controller.js';
import type { State } from './store.js';

export function useStore(): State {
  const [state, setState] = useState(ctl.store.get());
  useEffect(() => ctl.store.subscribe(() => setState(ctl.store.get())), []);
  return state;
}

/** The current time, refreshed every second while `live` (waiting times, the visitor's clock). */
export function useNow(live: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!live) return;
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, [live]);
  return now;
}
