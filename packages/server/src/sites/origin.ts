/**
 * Does `origin` (scheme://host[:port], as browsers send it) match one allowed pattern?
 * Patterns are exact origins, `*` (any), or origins with `*` standing for one leading host label
 * (`https://*.shop.com`) or for the port (`http://localhost:*`).
 */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (!origin) return false;
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return false;
  }
  return allowed.some((pattern) => matches(o, pattern.trim()));
}

function matches(o: URL, pattern: string): boolean {
  if (pattern === '*') return true;
  const m = /^(https?):\/\/([^/:]+)(?::(\d+|\*))?\/?$/.exec(pattern);
  if (!m) return false;
  const [, scheme, host, port] = m;
  if (`${scheme}:` !== o.protocol) return false;
  const defaultPort = scheme === 'https' ? '443' : '80';
  const actualPort = o.port || defaultPort;
  if (port !== '*' && (port ?? defaultPort) !== actualPort) return false;
  const hostname = o.hostname.toLowerCase();
  const want = host!.toLowerCase();
  if (want.startsWith('*.')) {
    const suffix = want.slice(1); // ".shop.com"
    return hostname.endsWith(suffix) && !hostname.slice(0, -suffix.length).includes('.');
  }
  return hostname === want;
}

/** Patterns an admin may save: the same grammar `originAllowed` understands. */
export function isOriginPattern(pattern: string): boolean {
  return pattern === '*' || /^(https?):\/\/(\*\.)?[^/:*]+(:(\d+|\*))?\/?$/.test(pattern);
}
