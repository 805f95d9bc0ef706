/**
 * Which web pages may read the gateway's answers (CORS). Left to Yoga's default, every origin
 * was: the answer echoed the caller's `Origin` with credentials allowed, so any page a user had
 * open could read what the gateway answered that browser (in development, GraphiQL's page and
 * the token in it). Now only the origins in GATEWAY_CORS_ORIGINS may; by default none, and the
 * gateway's own pages (GraphiQL, /track) are same-origin and need no CORS. Clients send their
 * token in `Authorization`, never in cookies, so credentials are never allowed.
 */
export type CorsOrigins = readonly string[];

/** Parses GATEWAY_CORS_ORIGINS: exact origins (`https://shop.example.com`), separated by commas. */
export function parseCorsOrigins(value: string | undefined): CorsOrigins {
  const origins = (value ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (origin === '*' || origin === 'null') throw new Error(`"${origin}" would let any web page read the answers; list each origin instead`);
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new Error(`"${origin}" is not an origin such as https://shop.example.com`);
    }
    if (!['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin) {
      throw new Error(`"${origin}" is not an origin such as https://shop.example.com (scheme, host and port only, as a browser sends it: ${parsed.origin})`);
    }
  }
  return origins;
}

/** Yoga's `cors` option: headers for a listed origin, none for any other (the browser then refuses the page the answer). */
export function corsFor(origins: CorsOrigins) {
  const allowed = new Set(origins);
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (!origin || !allowed.has(origin)) return false as const;
    return { origin: [origin], credentials: false, methods: ['GET', 'POST'], maxAge: 600 };
  };
}

/**
 * Whether a request for GraphiQL may get the development token in its page: a page the user
 * opened (typed, bookmarked, or linked from the gateway's own pages), not one another site's
 * script fetched. Browsers say which in `Sec-Fetch-Site`, and a script's cross-origin fetch
 * carries `Origin` (a browser without Fetch Metadata still sends that). A client that sends
 * neither is not a browser page, and holds nothing a browser would protect.
 */
export function mayShowToken(request: Request): boolean {
  // Asked for by a loopback name only. A page of another site that made its own name resolve to
  // this machine (DNS rebinding) is same-origin to itself and sends no foreign Origin: its Host is
  // that name. The development token is for the machine's own user, who reaches it as localhost.
  const url = new URL(request.url);
  if (!isLoopbackName(url.hostname)) return false;
  const site = request.headers.get('sec-fetch-site');
  if (site !== null && site !== 'none' && site !== 'same-origin') return false;
  const origin = request.headers.get('origin');
  return origin === null || origin === url.origin;
}

function isLoopbackName(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** Answers differ by `Origin` once any origin is allowed: caches must keep them apart. */
export function useVaryByOrigin(origins: CorsOrigins) {
  return {
    onResponse({ response }: { response: Response }) {
      if (origins.length > 0 && !/\borigin\b/i.test(response.headers.get('vary') ?? '')) response.headers.append('vary', 'Origin');
    },
  };
}
