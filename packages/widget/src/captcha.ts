/**
 * The captcha chunk: loaded with import() only on sites that ask for a captcha, so the chat chunk
 * does not carry altcha-lib (size.test.ts checks that chat.js does not import it statically).
 * `prep` and `solve` drive it from the chat's model.
 */
import { type Challenge, solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/web/sha';
import type { Model } from './chat.js';

/**
 * Solves an altcha proof of work on this page (SubtleCrypto, yielding to the event loop as it goes)
 * and returns what `start.captcha` carries: base64 JSON of the challenge and the solution.
 */
export async function solveAltcha(challenge: Record<string, unknown>): Promise<string> {
  const c = challenge as unknown as Challenge;
  const solution = await solveChallenge({ challenge: c, deriveKey });
  if (!solution) throw new Error('altcha: no solution in time');
  return btoa(JSON.stringify({ challenge: c, solution }));
}

interface HCaptcha {
  render(
    el: HTMLElement,
    o: {
      sitekey: string;
      callback: (token: string) => void;
      'expired-callback': () => void;
      'error-callback': () => void;
    },
  ): string;
  reset(id?: string): void;
}

let api: Promise<HCaptcha> | undefined;

/** hCaptcha's api.js, added to the host page once, on the first call only. */
const loadApi = (): Promise<HCaptcha> =>
  (api ||= new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = 'https://js.hcaptcha.com/1/api.js?render=explicit';
    s.async = true;
    s.onload = () => {
      const h = (window as unknown as { hcaptcha?: HCaptcha }).hcaptcha;
      if (h) resolve(h);
      else reject(new Error('hCaptcha did not load'));
    };
    s.onerror = () => {
      api = undefined;
      reject(new Error('hCaptcha could not be loaded'));
    };
    document.head.appendChild(s);
  }));

/**
 * Renders the hCaptcha checkbox into `box` (a light-DOM element slotted into the panel: hCaptcha's
 * iframe and its challenge popup expect to live in the document, not in a shadow root). `onToken`
 * gets the token, or null when it expires. Resolves with a function that asks for a fresh check.
 */
export async function hcaptcha(
  box: HTMLElement,
  sitekey: string,
  onToken: (token: string | null) => void,
): Promise<() => void> {
  const h = await loadApi();
  const id = h.render(box, {
    sitekey,
    callback: onToken,
    'expired-callback': () => onToken(null),
    'error-callback': () => onToken(null),
  });
  return () => h.reset(id);
}

/**
 * Gets a captcha answer ready while the visitor fills the form: asks the server for an altcha
 * challenge (solved when `challenge` arrives, see `solve`), or renders hCaptcha. Does nothing while
 * an answer is ready or on its way; after a failure to load, nothing more in this page.
 */
export function prep(m: Model): void {
  const { site, cap } = m;
  if (!site || site.captcha === 'off' || cap.token || cap.busy) return;
  if (site.captcha === 'altcha') {
    cap.busy = m.conn.post({ type: 'challenge' });
    return;
  }
  if (cap.reset) {
    // A token is good once: after the server saw it, the visitor ticks the box again.
    if (cap.used) {
      cap.used = false;
      cap.reset();
    }
    return;
  }
  const key = site.hcaptchaSiteKey;
  if (!key) return;
  cap.busy = true;
  // hCaptcha draws into the document, not into a shadow root: a light-DOM child of our host element,
  // shown inside the panel through <slot name="parley-hc">.
  const box = document.createElement('div');
  box.slot = 'parley-hc';
  m.o.root.host.appendChild(box);
  hcaptcha(box, key, (token) => {
    cap.token = token;
    if (token) m.error = '';
    m.update();
  })
    .then(
      (reset) => {
        cap.reset = reset;
        cap.busy = false;
      },
      (e) => {
        box.remove();
        m.error = m.t.capFail;
        console.warn('parley: hCaptcha', e);
      },
    )
    .finally(m.update);
}

/** An altcha challenge arrived: solve it in the background; a submit waiting for it goes on. */
export function solve(m: Model, challenge: Record<string, unknown>): void {
  const { cap } = m;
  solveAltcha(challenge)
    .then(
      (token) => {
        cap.token = token;
        cap.busy = false;
        const next = cap.next;
        cap.next = undefined;
        next?.();
      },
      (e) => {
        // Left busy: a failing solver (no SubtleCrypto on a plain-http page) would fail again.
        cap.next = undefined;
        m.error = m.t.capFail;
        console.warn('parley: captcha', e);
      },
    )
    .finally(m.update);
}
