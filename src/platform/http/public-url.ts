import type { FastifyRequest } from 'fastify';

/**
 * The absolute URL of `path` as clients should use it: under PUBLIC_URL when configured (behind a proxy
 * or TLS terminator the request's own protocol and host are the inner ones), else as the request reached us.
 */
export function publicUrlOf(configured: string | null, request: FastifyRequest, path: string): string {
  const base = configured ?? `${request.protocol}://${request.host}`;
  return `${base}${path}`;
}
