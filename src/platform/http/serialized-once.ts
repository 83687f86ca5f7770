import type { FastifyReply } from 'fastify';

/**
 * For a route answering values from the answer cache: sends each value's JSON text, made by the route's
 * own response serializer (so the same fields and shape as a plain `return value`) the first time the
 * value is sent and kept beside it. A cache hit is the same object each time, so a hit sends a string
 * already made (serialising a dashboard cost 5 % of a cached answer's CPU, decision 0063); a value that
 * is dropped from the cache takes its text with it (WeakMap).
 */
export function createSerializedOnce(): (reply: FastifyReply, value: object) => FastifyReply {
  const texts = new WeakMap<object, string | Buffer | ArrayBuffer>();
  return (reply, value) => {
    let text = texts.get(value);
    if (text === undefined) {
      text = reply.serialize(value);
      texts.set(value, text);
    }
    // A string (or bytes) with a JSON content type is sent as it is, not serialised again.
    return reply.type('application/json; charset=utf-8').send(text);
  };
}
