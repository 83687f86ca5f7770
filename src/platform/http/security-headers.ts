import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/**
 * The Content-Security-Policy of every answer: the web console served from `/` (a Vite build: script and
 * style files, no inline script) and the Swagger UI at /docs (its page loads its scripts from files too)
 * both live with it. `data:` images are the UI's inline icons.
 */
function contentSecurityPolicy(servedOverTls: boolean) {
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
 * Security headers on every answer (helmet), and `Cache-Control: no-store` on every answer that did not
 * choose its own caching: API answers are per caller (`/v1/me` carries an e-mail address and a phone
 * number, sign-in answers carry tokens), so no browser or proxy may keep them. A route that may be kept
 * says so itself (the iCal feed: `private, max-age=300`). HSTS only when PUBLIC_URL is https: a server
 * reached over plain http must not tell browsers to insist on https for its host.
 */
export async function registerSecurityHeaders(app: FastifyInstance, options: { publicUrl: string | null }): Promise<void> {
  const servedOverTls = options.publicUrl?.startsWith('https://') === true;
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: contentSecurityPolicy(servedOverTls),
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    hsts: servedOverTls ? { maxAge: 31_536_000, includeSubDomains: false } : false,
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
