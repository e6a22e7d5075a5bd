/**
 * The embed script (`/widget.js`): draws the launcher in a shadow root, defines `window.Parley`, and
 * loads the chat chunk on first open, or when the browser is idle if a conversation is open (so a
 * reload restores it). Self-contained IIFE, no Preact; keep it under 2 KiB gzipped (size.test.ts).
 */

import type { Controller, MountOptions, ParleyEvent } from './chat.js';
import { addStyles } from './css.js';
import { langOf, pickLocale } from './locale.js';

type Listener = (data?: unknown) => void;

const w = window;
const d = document;
const script = (d.currentScript ||
  d.querySelector('script[data-site][src*="widget.js"]')) as HTMLScriptElement | null;

if (script && !d.getElementById('parley-widget')) {
  const src = script.src;
  const { site: siteKey = '', userId, userHash: hash } = script.dataset;
  let locale = script.dataset.locale;
  let identity = userId && hash ? { userId, hash } : undefined;
  let stored: {
    contactId?: string;
    open?: boolean;
    ended?: object | null;
    color?: string;
    loc?: string;
    label?: string;
  } = {};
  try {
    stored = JSON.parse(localStorage.getItem(`parley:${siteKey}`) || '{}') || {};
  } catch {}

  const host = d.createElement('div');
  host.id = 'parley-widget';
  const root = host.attachShadow({ mode: 'open' });
  if (stored.color) host.style.setProperty('--parley-c', stored.color);
  // `!important`: a page's `* {… !important}` would otherwise reach the host and be inherited by
  // everything inside (an outer !important beats a normal :host rule). `all` leaves custom
  // properties alone: --parley-c is reset here, and the inline site colour still wins over it.
  // Right-to-left languages put the launcher (and the panel) on the left; the chunk flips it if the
  // site's language setting says otherwise.
  addStyles(
    root,
    ':host{all:initial!important;--parley-c:#2563eb}.parley-launcher{position:fixed;bottom:20px;right:20px;z-index:2147483000;width:56px;height:56px;border:0;border-radius:50%;background:var(--parley-c,#2563eb);color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center;padding:0}.parley-launcher:focus-visible{outline:3px solid #111;outline-offset:3px}.parley-launcher svg{width:28px;height:28px;fill:currentColor}.parley-badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 5px;box-sizing:border-box;border-radius:10px;background:#dc2626;color:#fff;font:700 12px/20px system-ui,sans-serif;text-align:center}.parley-rtl{right:auto;left:20px}.parley-rtl .parley-badge{right:auto;left:-4px}',
  );

  const launcher = d.createElement('button');
  launcher.type = 'button';
  launcher.className = `parley-launcher${langOf(pickLocale(locale, stored.loc, navigator.language)) === 'ar' ? ' parley-rtl' : ''}`;
  // The chunk remembers its translation of "Open chat" for the next page.
  launcher.setAttribute('aria-label', stored.label || 'Open chat');
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
  let ctl: Controller | undefined;
  const listeners: Record<string, Set<Listener>> = {};
  const load = () => {
    if (loading) return;
    loading = import(/* @vite-ignore */ new URL('widget/chat.js', src).href)
      .then((m: { mount: (o: MountOptions) => Controller }) => {
        ctl = m.mount({
          root,
          launcher,
          siteKey,
          baseUrl: new URL('.', src).href,
          locale,
          open,
          clicked,
          identity,
          emit: (event, data) => {
            for (const fn of listeners[event] || []) {
              try {
                fn(data);
              } catch (e) {
                console.error(e);
              }
            }
          },
        });
      })
      .catch((e) => {
        // Let the next click try again (a flaky network should not kill the widget).
        loading = undefined;
        console.error('parley: chat failed to load', e);
      });
  };
  // Once mounted, the chunk owns toggling; a click before that asks for the panel to open.
  const show = () => {
    open = clicked = true;
    load();
  };
  launcher.addEventListener('click', show);

  // The page's API. Before the chunk is loaded, calls set what it will mount with.
  const api = {
    open: () => (ctl ? ctl.open() : show()),
    close() {
      if (ctl) ctl.close();
      else open = false;
    },
    identify(userId: string, hash: string) {
      identity = { userId, hash };
      ctl?.identify(userId, hash);
    },
    setLocale(l: string) {
      locale = l;
      ctl?.setLocale(l);
    },
    on(event: ParleyEvent, fn: Listener) {
      listeners[event] ||= new Set();
      const set = listeners[event];
      set.add(fn);
      return () => void set.delete(fn);
    },
  };
  type Call = [keyof typeof api, ...never[]];
  // `Parley.push(['identify', id, hash])` works before this script ran (window.Parley is then the
  // page's array, replayed here) and after (a call now).
  const push = ([name, ...args]: Call) => (api[name] as (...a: never[]) => unknown)?.(...args);
  const early = (w as { Parley?: unknown }).Parley;
  (w as { Parley?: unknown }).Parley = { ...api, push };
  if (Array.isArray(early)) for (const call of early as Call[]) push(call);
  const append = () => {
    d.body.appendChild(host);
    // An open conversation, or an ended one the panel showed (with its rating), comes back on its own.
    if (stored.contactId || (stored.open && stored.ended))
      (w.requestIdleCallback || ((f: () => void) => setTimeout(f, 1)))(load);
  };
  if (d.body) append();
  else d.addEventListener('DOMContentLoaded', append);
}
