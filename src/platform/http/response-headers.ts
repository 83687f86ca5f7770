import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The Content-Security-Policy of every answer: the web console served from `/` (a Vite build: script and
 * style files, no inline script) and the Swagger UI at /docs (its page loads its scripts from files too)
 * both live with it. `data:` images are the UI's inline icons.
 */
function contentSecurityPolicy(servedOverTls: boolean): HelmetOptions['contentSecurityPolicy'] {
  return {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      baseUri: ["'self'"],
      connectSrc: ["'self'"],
      fontSrc: ["'self'", 'data:'],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      imgSrc: ["'self'", 'data:'],
      objectSrc: ["'none'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      styleSrc: ["'self'"],
      // Over plain http (a laptop, a test) upgrading the page's own requests to https would break them.
      upgradeInsecureRequests: servedOverTls ? [] : null,
    },
  };
}

/**
 * The headers helmet sets, computed once: they depend on the options only, and helmet's Fastify plugin
 * built its middleware again for every request (parsing the CSP directives each time: 5–9 % of the CPU of
 * a cached answer, decision 0063).
 */
function headersOf(options: HelmetOptions): ReadonlyArray<readonly [string, string]> {
  const headers: Array<[string, string]> = [];
  const response = {
    setHeader(name: string, value: string) {
      headers.push([name.toLowerCase(), value]);
    },
    removeHeader() {},
  };
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return headers;
}

/**
 * The headers every answer carries, set in one onRequest hook: the request id and helmet's security
 * headers. HSTS only when PUBLIC_URL is https: a server reached over plain http must not tell browsers to
 * insist on https for its host. Set among the reply's headers, which Fastify hands to Node's `writeHead`
 * in one object: Node then checks each once, where headers set on the raw response are checked when set,
 * copied under their lower-cased names and merged again at `writeHead` (2–3 µs of each request, decision
 * 0081). The event stream, written outside the framework, sends these with its own (`openSseStream`).
 * One hook for all of them: each hook of every request is a step of the framework's (decision 0072). The
 * answer's caching is chosen later, once the route has had its say (noStoreUnlessChosen, below).
 */
export async function registerResponseHeaders(app: FastifyInstance, options: { publicUrl: string | null }): Promise<void> {
  const servedOverTls = options.publicUrl?.startsWith('https://') === true;
  const headers = headersOf({
    contentSecurityPolicy: contentSecurityPolicy(servedOverTls),
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: servedOverTls ? { maxAge: 31_536_000, includeSubDomains: false } : false,
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    for (const [name, value] of headers) reply.header(name, value);
    done();
  });
}

/**
 * The answer's caching, unless its route chose one: none (the `onSend` of every request, in buildApp).
 * API answers are per caller (`/v1/me` carries an e-mail address and a phone number, sign-in answers
 * carry tokens), so no browser or proxy may keep them; a route whose answer may be kept says so itself
 * (the iCal feed: `private, max-age=300`).
 */
export function noStoreUnlessChosen(reply: FastifyReply): void {
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
}
