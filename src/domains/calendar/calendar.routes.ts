import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { signedOutActor } from '../../platform/db/actor.js';
import { requireSignedIn, signedInOnly } from '../../platform/http/authenticate.js';
import { errorResponses } from '../../platform/http/error-responses.js';
import { publicSecurity, signedInSecurity } from '../../platform/http/openapi.js';
import { publicUrlOf } from '../../platform/http/public-url.js';
import { publicRoute } from '../../platform/http/rate-limits.js';
import { CalendarFeedSchema, CalendarQuery, CalendarSchema, FeedTokenParams, IssuedCalendarFeedSchema } from './calendar.schemas.js';
import { type CalendarDeps, describeFeed, issueFeed, readCalendar, readFeed, revokeFeed } from './calendar.service.js';


/**
 * The calendar of what the caller may see, and private iCal feeds. Who sees which session is decided
 * by row-level security and the calendar functions of migration 0018.
 */
export const calendarRoutes: FastifyPluginAsyncTypebox<CalendarDeps & { publicUrl: string | null }> = async (app, deps) => {
  const tags = ['calendar'];

  app.get(
    '/v1/calendar',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'getCalendar',
        security: signedInSecurity,
        summary: 'Sessions between two days that you may see, with course, instructor, location and seats',
        querystring: CalendarQuery,
        response: { 200: CalendarSchema, ...errorResponses(400, 401) },
      },
    },
    async (request) => readCalendar(deps, requireSignedIn(request), request.query),
  );

  app.post(
    '/v1/me/calendar-feed',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'createCalendarFeed',
        security: signedInSecurity,
        summary: 'Make your private iCal feed URL, replacing any earlier one; the URL is shown only in this answer',
        response: { 201: IssuedCalendarFeedSchema, ...errorResponses(401) },
      },
    },
    async (request, reply) => {
      const { token, created_at } = await issueFeed(deps, requireSignedIn(request));
      return reply.status(201).send({ url: publicUrlOf(deps.publicUrl, request, `/v1/calendar/feeds/${token}.ics`), created_at });
    },
  );

  app.get(
    '/v1/me/calendar-feed',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'getCalendarFeed',
        security: signedInSecurity,
        summary: 'Whether you have a private iCal feed, and when its URL was made (never the URL)',
        response: { 200: CalendarFeedSchema, ...errorResponses(401) },
      },
    },
    async (request) => describeFeed(deps, requireSignedIn(request)),
  );

  app.delete(
    '/v1/me/calendar-feed',
    {
      onRequest: signedInOnly,
      schema: {
        tags,
        operationId: 'revokeCalendarFeed',
        security: signedInSecurity,
        summary: 'Revoke your private iCal feed: its URL answers 404 from now on',
        response: { 204: Type.Null(), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await revokeFeed(deps, requireSignedIn(request));
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/v1/calendar/feeds/:token.ics',
    {
      config: publicRoute,
      schema: {
        tags,
        operationId: 'getCalendarFeedDocument',
        security: publicSecurity,
        summary: 'A private iCal feed: the sessions its owner teaches or is enrolled or waitlisted in (no sign-in: the URL is the key)',
        params: FeedTokenParams,
        response: {
          200: { description: 'an iCalendar (RFC 5545) document', content: { 'text/calendar': { schema: Type.String() } } },
          ...errorResponses(404, 429),
        },
      },
    },
    async (request, reply) => {
      // Signed out whoever asks: the token, not a bearer, opens the feed.
      const { requestId, ip, userAgent } = request.actor;
      const feed = await readFeed(deps, signedOutActor({ requestId, ip, userAgent }), request.params.token);
      return reply.header('content-type', 'text/calendar; charset=utf-8').header('cache-control', 'private, max-age=300').send(feed);
    },
  );
};
