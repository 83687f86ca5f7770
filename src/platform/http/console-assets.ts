import { existsSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { repositoryPath } from '../../repository-path.js';

/** Where `npm start` (prestart) and the console's build put the built console (see console/build.ts). */
export const defaultConsoleDirectory = repositoryPath('console/dist');

/**
 * Paths that belong to the server: an unknown path under them is the API's 404, never the console's page.
 * Everything else that a browser asks for as a page is a console route (/sessions/…, /catalogue?q=…).
 */
const serverPrefixes = ['/v1', '/docs', '/verify', '/health', '/ready', '/metrics', '/.well-known', '/assets/'];

function isServerPath(path: string): boolean {
  return serverPrefixes.some((prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
}

/** Vite names every file under assets/ by its content hash: a changed file is a new name, so it may be kept for ever. */
const immutable = 'public, max-age=31536000, immutable';
/** index.html names the current hashes: the browser must ask each time (a 304 when unchanged). */
const revalidate = 'no-cache';

/**
 * Serves the built console at `/`: its files, and index.html for any other page path so client routes
 * can be shared and reloaded. API-looking paths keep the JSON 404. Without a build (tests that start the
 * server from the sources), `/` says how to build it.
 */
export async function registerConsoleAssets(app: FastifyInstance, directory: string = defaultConsoleDirectory): Promise<void> {
  const built = existsSync(`${directory}/index.html`);
  if (built) {
    // Loaded only to serve a build: without one (a server run from a checkout, the tests) a start reads none of its ~40 files (decision 0099).
    const { default: fastifyStatic } = await import('@fastify/static');
    await app.register(fastifyStatic, {
      root: directory,
      prefix: '/',
      // One route per built file, found at start: no wildcard that would take /v1 paths from the 404 handler.
      wildcard: false,
      cacheControl: false,
      // console/build.ts writes .br and .gz beside each file: sent as they are to a browser that takes them.
      preCompressed: true,
      etag: true,
      lastModified: true,
      setHeaders(reply, path) {
        reply.header('cache-control', path.includes('/assets/') ? immutable : revalidate);
      },
    });
  }

  app.get('/*', { schema: { hide: true } }, async (request: FastifyRequest, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (isServerPath(path) || !acceptsHtml(request)) throw new AppError('ROUTE_NOT_FOUND', `no route ${request.method} ${path}`);
    if (!built) throw new AppError('ROUTE_NOT_FOUND', 'the console is not built: run `npm run console:build` (npm start builds it)');
    reply.header('cache-control', revalidate);
    return reply.sendFile('index.html');
  });
}

/** A page load (a browser, curl -H 'accept: text/html'); a script's fetch of a wrong path gets JSON. */
function acceptsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('text/html');
}
