import type { FastifyReply } from 'fastify';
import type { Verification } from './certificates.service.js';

/** How the route's serializer ends an answer whose count is 0: the count is the schema's last property. */
const countOfZero = '"verification_count":0}';

/**
 * Sends a verification with its count. Everything but the count is the cached answer's, the same object
 * while its cache entry lives, so its JSON text is made once by the route's own response serializer
 * (the schema's fields only: a printed fact the schema does not name is never sent), with the count at
 * 0, and kept beside the answer without its closing `0}`; each answer is that text, the count and `}`.
 * Decision 0072: a verification of a code seen before skips the serializer. Should the serializer ever
 * not end with the count, the answer is serialised whole, as before.
 */
export function createVerificationSender(): (reply: FastifyReply, answer: Verification, count: number) => FastifyReply {
  const beforeCount = new WeakMap<Verification, string | null>();
  return (reply, answer, count) => {
    let text = beforeCount.get(answer);
    if (text === undefined) {
      const zero = reply.serialize({ ...answer, verification_count: 0 });
      text = typeof zero === 'string' && zero.endsWith(countOfZero) ? zero.slice(0, -2) : null;
      beforeCount.set(answer, text);
    }
    if (text === null) return reply.send({ ...answer, verification_count: count });
    // A string with a JSON content type is sent as it is, not serialised again.
    return reply.type('application/json; charset=utf-8').send(`${text}${count}}`);
  };
}
