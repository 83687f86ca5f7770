import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../db/database.js';
import { requireRole, rolesOnly } from '../http/authenticate.js';
import { errorResponses } from '../http/error-responses.js';
import { signedInSecurity } from '../http/openapi.js';
import { AggregateHistoryQuery, AggregateParams, EventPage, EventsQuery } from './events.schemas.js';
import { listEvents } from './events.service.js';

export interface EventsRouteDeps {
  db: Db;
}

// The matrix gives domain_events to SA and AD only; everyone else is refused before any query.
const readers = ['SA', 'AD'] as const;

/** The event store, read-only: filtered listings and the history of one aggregate, in sequence order. */
export const eventsRoutes: FastifyPluginAsyncTypebox<EventsRouteDeps> = async (app, deps) => {
  const tags = ['events'];
  app.get(
    '/v1/events',
    {
      onRequest: rolesOnly(...readers),
      schema: {
        tags,
        operationId: 'listEvents',
        security: signedInSecurity,
        summary: 'Domain events in sequence order, filtered by aggregate and event type, paged by cursor',
        querystring: EventsQuery,
        response: { 200: EventPage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { aggregate_type, aggregate_id, event_type, ...paging } = request.query;
      const filters = { aggregateType: aggregate_type, aggregateId: aggregate_id, eventType: event_type };
      return deps.db.withActor(requireRole(request, ...readers), (tx) => listEvents(tx, filters, paging));
    },
  );

  app.get(
    '/v1/events/aggregates/:type/:id',
    {
      onRequest: rolesOnly(...readers),
      schema: {
        tags,
        operationId: 'getAggregateHistory',
        security: signedInSecurity,
        summary: 'The history of one aggregate, oldest first (empty when nothing was recorded about it)',
        params: AggregateParams,
        querystring: AggregateHistoryQuery,
        response: { 200: EventPage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const filters = { aggregateType: request.params.type, aggregateId: request.params.id };
      return deps.db.withActor(requireRole(request, ...readers), (tx) => listEvents(tx, filters, request.query));
    },
  );
};
