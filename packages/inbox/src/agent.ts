/**
 * Browser, OS and device from a raw User-Agent (ua-parser-js). A chunk of its own: the parser's
 * regex tables are most of its size and the panel can show everything else without them.
 */
import UAParser from 'ua-parser-js';

export interface Agent {
  browser: string | null;
  os: string | null;
  /** "desktop" when ua-parser names no device type (it names only mobile, tablet, console…). */
  deviceType: string;
  /** Vendor and model, when known: "Apple iPhone". */
  device: string | null;
}

const join = (...parts: (string | undefined)[]): string | null => parts.filter(Boolean).join(' ') || null;

/** Browser, OS and device from a raw User-Agent; null for none. */
export function describeAgent(ua: string | null): Agent | null {
  if (!ua) return null;
  const r = new UAParser(ua).getResult();
  return {
    browser: join(r.browser.name, r.browser.version?.split('.')[0]),
    os: join(r.os.name, r.os.version),
    deviceType: r.device.type ?? 'desktop',
    device: join(r.device.vendor, r.device.model),
  };
}
