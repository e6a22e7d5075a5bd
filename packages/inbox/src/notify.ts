/**
 * The one place where the inbox raises its events to the outside of the page: listeners, a short
 * chime (WebAudio) and browser notifications (Notification API). The pop-ups inside the page come
 * from the store, judged by the same `eventsFor`.
 */
import type { InboxEvent } from './store.js';

type Listener = (event: InboxEvent) => void;
const listeners = new Set<Listener>();

export function onInboxEvent(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function raise(event: InboxEvent): void {
  for (const fn of listeners) {
    try {
      fn(event);
    } catch {
      // A broken listener must not stop frame handling.
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Sound

let audio: AudioContext | null = null;

function context(): AudioContext | null {
  if (audio) return audio;
  const Ctor = globalThis.AudioContext as typeof AudioContext | undefined;
  if (!Ctor) return null;
  try {
    audio = new Ctor();
  } catch {
    return null;
  }
  return audio;
}

/**
 * Browsers start audio suspended until the user interacts with the page: call from a gesture
 * handler (the first click or key press) so that later chimes, raised by socket frames, are heard.
 */
export function unlockAudio(): void {
  const ctx = context();
  if (ctx?.state === 'suspended') void ctx.resume().catch(() => {});
}

/** Two soft sine notes going up (E5, A5), 0.4 s in all. */
export function chime(): void {
  const ctx = context();
  if (!ctx) return;
  const start = ctx.currentTime + 0.01;
  for (const [i, freq] of [659.25, 880].entries()) {
    const at = start + i * 0.12;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.value = freq;
    // A quick attack and an exponential fade: no click at either end.
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.15, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.28);
    osc.connect(gain).connect(ctx.destination);
    osc.start(at);
    osc.stop(at + 0.3);
  }
}

// ---------------------------------------------------------------------------------------------
// Browser notifications

export type Permission = NotificationPermission | 'unsupported';

export function permission(): Permission {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** Must run inside a user gesture (a click): browsers ignore or block requests made otherwise. */
export async function askPermission(): Promise<Permission> {
  if (typeof Notification === 'undefined') return 'unsupported';
  try {
    return await Notification.requestPermission();
  } catch {
    return Notification.permission;
  }
}

/** Shows a notification when allowed; a click focuses the inbox and runs `onClick`. */
export function notify(title: string, body: string, tag: string, onClick: () => void): void {
  if (permission() !== 'granted') return;
  try {
    const n = new Notification(title, { body, tag });
    n.onclick = () => {
      window.focus();
      onClick();
      n.close();
    };
  } catch {
    // Some platforms allow notifications only from a service worker: the pop-up and sound remain.
  }
}
