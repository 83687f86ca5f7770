import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { requireSignedIn, signedInOnly } from '../http/authenticate.js';
import { errorResponses } from '../http/error-responses.js';
import { streamSecurity } from '../http/openapi.js';
import { type ChangePosition, parsePosition } from '../change-log/index.js';
import { openSseStream } from './sse-stream.js';
import type { StreamHub } from './stream-hub.js';
import { StreamQuery } from './stream.schemas.js';
import { tablesOfTopics } from './topics.js';

export interface StreamRouteDeps {
  hub: StreamHub;
  bufferBytes: number;
}

const description = `Server-sent events, one \`change\` per captured row change you may select (\`data\`: seq, topic, table, op, id, at),
\`heartbeat\`s while idle, and \`reset\` when the resume point is older than the retained log (fetch again, then go on).
Each event's \`id\` is its stream position: reconnect with \`Last-Event-ID\` (EventSource does) or \`?since=\` and
the stream first replays what you missed, without gaps or repeats. The token may come as \`Authorization: Bearer\`,
\`?access_token=\` or the \`unitrain_access_token\` cookie; the stream ends when it expires.`;

export const streamRoutes: FastifyPluginAsyncTypebox<StreamRouteDeps> = async (app, deps) => {
  app.get(
    '/v1/stream',
    {
      onRequest: signedInOnly,
      // A HEAD of an endless stream would wait for ever: Node sends a HEAD response's head only at its end.
      exposeHeadRoute: false,
      config: { tokenInQueryOrCookie: true },
      schema: {
        tags: ['realtime'],
        operationId: 'streamChanges',
        security: streamSecurity,
        summary: 'Live changes to what you may see, as server-sent events',
        description,
        querystring: StreamQuery,
        produces: ['text/event-stream'],
        response: { 200: { description: 'the event stream', content: { 'text/event-stream': { schema: Type.String() } } }, ...errorResponses(400, 401, 503) },
      },
    },
    async (request, reply) => {
      const actor = requireSignedIn(request);
      const tables = tablesOfTopics(request.query.topics);
      const lastEventId = request.headers['last-event-id'];
      let since: ChangePosition | null = null;
      if (typeof lastEventId === 'string' && lastEventId !== '') since = parsePosition(lastEventId, 'headers.last-event-id');
      else if (request.query.since !== undefined) since = parsePosition(request.query.since, 'querystring.since');
      const start = await deps.hub.prepare(since);
      const sink = openSseStream(reply, deps.bufferBytes);
      const subscription = deps.hub.attach(actor.userId, tables, start, sink);
      const expiresAt = request.accessTokenExpiresAt;
      if (expiresAt) {
        const expiry = setTimeout(() => subscription.close(), Math.max(0, expiresAt.getTime() - Date.now()));
        sink.onClose(() => clearTimeout(expiry));
      }
    },
  );
};
