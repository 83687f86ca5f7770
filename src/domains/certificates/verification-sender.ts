import type { FastifyReply } from 'fastify';
import { type CountedVerification, verificationText } from './certificates.service.js';

/**
 * Sends a verification: the answer's text as PostgreSQL wrote it for the cache entry, with its count
 * (decision 0077). The route's response serializer is not run: the text is already exactly what it would
 * write (the schema's fields, in its order; a test holds the two the same byte for byte), and a string
 * with a JSON content type is sent as it is. Decision 0072 made the text once per cache entry with that
 * serializer; since 0077 PostgreSQL makes it, so the process neither parses a snapshot nor serialises.
 */
export function sendVerification(reply: FastifyReply, verification: CountedVerification): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(verificationText(verification));
}
