/**
 * The embed script (`/widget.js`): draws the launcher in a shadow root and loads the chat chunk on
 * first click, or when the browser is idle if a conversation is open (so a reload restores it).
 * Self-contained IIFE, no Preact; keep it under 2 KiB gzipped (size.test.ts).
 */

import type { MountOptions } from './chat.js';
import { addStyles } from './css.js';

const w = window;
const d = document;
const script = (d.currentScript ||
  d.querySelector('script[data-site][src*="widget.js"]')) as HTMLScriptElement | null;

if (script && !d.getElementById('parley-widget')) {
  const src = script.src;
  const { site: siteKey = '', userId, userHash: hash } = script.dataset;
  const locale = script.dataset.locale || navigator.language || 'en';
  const identity = userId && hash ? { userId, hash } : undefined;
  let stored: { contactId?: string; open?: boolean; color?: string } = {};
  try {
    stored = JSON.parse(localStorage.getItem(`parley:${siteKey}`) || '{}') || {};
  } catch {}

  const host = d.createElement('div');
  host.id = 'parley-widget';
  const root = host.attachShadow({ mode: 'open' });
  const rtl = /^ar\b/i.test(locale) || d.documentElement.dir === 'rtl';
  if (stored.color) host.style.setProperty('--parley-c', stored.color);
  addStyles(
    root,
    `:host{all:initial}.parley-launcher{position:fixed;bottom:20px;${rtl ? 'left' : 'right'}:20px;z-index:2147483000;width:56px;height:56px;border:0;border-radius:50%;background:var(--parley-c,#2563eb);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center;padding:0}.parley-launcher:focus-visible{outline:3px solid #111;outline-offset:3px}.parley-launcher svg{width:28px;height:28px;fill:currentColor}.parley-badge{position:absolute;top:-4px;${rtl ? 'left' : 'right'}:-4px;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;border-radius:10px;background:#dc2626;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center}`,
  );

  const launcher = d.createElement('button');
  launcher.type = 'button';
  launcher.className = 'parley-launcher';
  launcher.setAttribute('aria-label', 'Open chat');
  launcher.setAttribute('aria-expanded', 'false');
  // DOM calls, not innerHTML: a host page that enforces Trusted Types would reject the latter.
  const ns = 'http://www.w3.org/2000/svg';
  const svg = d.createElementNS(ns, 'svg');
  const path = d.createElementNS(ns, 'path');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  path.setAttribute('d', 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2z');
  svg.appendChild(path);
  launcher.appendChild(svg);
  root.appendChild(launcher);

  let open = !!stored.open;
  let clicked = false;
  let loading: Promise<unknown> | undefined;
  const load = () => {
    if (loading) return;
    loading = import(/* @vite-ignore */ new URL('widget/chat.js', src).href)
      .then((m: { mount: (o: MountOptions) => void }) =>
        m.mount({
          root,
          launcher,
          siteKey,
          baseUrl: new URL('.', src).href,
          locale,
          open,
          clicked,
          identity,
        }),
      )
      .catch((e) => {
        // Let the next click try again (a flaky network should not kill the widget).
        loading = undefined;
        console.error('parley: chat failed to load', e);
      });
  };
  // Once mounted, the chunk owns toggling; a click before that asks for the panel to open.
  launcher.addEventListener('click', () => {
    open = clicked = true;
    load();
  });
  const append = () => {
    d.body.appendChild(host);
    if (stored.contactId) (w.requestIdleCallback || ((f: () => void) => setTimeout(f, 1)))(load);
  };
  if (d.body) append();
  else d.addEventListener('DOMContentLoaded', append);
}
