import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { accessTokenCookie } from './authenticate.js';
import { registerDocs } from './docs-ui.js';
import { errorResponse } from './error-responses.js';

/**
 * The served OpenAPI document (GET /docs/json) is the API's contract: the typed client in client/ is
 * generated from it and a test lints it. Routes declare their operationId, tags, security and the
 * errors only they answer with; this file adds what the shared layers answer on every route.
 */

export const apiTags = [
  { name: 'operations', description: 'Liveness, readiness and metrics for whoever runs the server' },
  { name: 'auth', description: 'Signing in and out, access and refresh tokens, your own account' },
  { name: 'users', description: 'Accounts and their roles' },
  { name: 'invitations', description: 'Inviting people by e-mail to make their own account' },
  { name: 'organisation', description: 'Providers, locations, instructors, teams and who belongs where' },
  { name: 'courses', description: 'Courses, their published versions and the public catalogue' },
  { name: 'sessions', description: 'Training sessions and their lifecycle' },
  { name: 'schedules', description: 'Recurring schedules that generate sessions' },
  { name: 'enrollments', description: 'Enrolling students, waitlists, capacity, attendance and results' },
  { name: 'rosters', description: 'Rosters and their members' },
  { name: 'certificates', description: 'Certificates: issuing, the PDF, suspension, revocation, reissue and public verification' },
  { name: 'calendar', description: 'Sessions by day and private iCal feeds' },
  { name: 'notifications', description: 'Your notifications' },
  { name: 'dashboard', description: 'Your role’s overview: upcoming sessions, what needs attention, this month against last' },
  { name: 'compliance', description: 'Requirements, records, renewal states, the compliance matrix (JSON or CSV) and proposed tier changes' },
  { name: 'reports', description: 'Analytics by month, refreshed on a schedule, scoped to your role; JSON or CSV' },
  { name: 'audit', description: 'Who changed what, for administrators' },
  { name: 'events', description: 'The domain event store, for administrators and integrations' },
  { name: 'jobs', description: 'Background jobs and their dead letters, for administrators' },
  { name: 'realtime', description: 'Live changes as server-sent events' },
];

type SchemeName = 'bearer' | 'streamQueryToken' | 'streamCookieToken';

/** Built when the document is (the cookie's name comes from authenticate.ts, which imports the routes). */
function securitySchemes() {
  return {
    bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The access token from POST /v1/auth/login or /v1/auth/refresh' },
    streamQueryToken: { type: 'apiKey', in: 'query', name: 'access_token', description: 'The access token, for EventSource, which cannot send headers (the stream only)' },
    streamCookieToken: { type: 'apiKey', in: 'cookie', name: accessTokenCookie, description: 'The access token as a cookie (the stream only)' },
  } as const satisfies Record<SchemeName, object>;
}

/** One way to authenticate: a scheme of `securitySchemes` and its scopes (none here). */
type SecurityRequirement = Partial<Record<SchemeName, string[]>>;

/** `security` of a route that needs an access token. */
export const signedInSecurity: SecurityRequirement[] = [{ bearer: [] }];
/** `security` of a route open to signed-out callers (an Authorization header is still checked when sent). */
export const publicSecurity: SecurityRequirement[] = [];
/** `security` of the event stream: the token as a bearer header, a query parameter or a cookie. */
export const streamSecurity: SecurityRequirement[] = [{ bearer: [] }, { streamQueryToken: [] }, { streamCookieToken: [] }];

interface RouteSchema {
  params?: unknown;
  querystring?: unknown;
  body?: unknown;
  headers?: unknown;
  response?: Record<string, unknown>;
  produces?: string[];
  hide?: boolean;
}

/**
 * Failures the shared layers answer with on any route: the validator (400, when the route takes
 * input), the authentication hook (401: it checks any Authorization header sent, on every route) and
 * the public rate limit (429, on the routes that opt in).
 */
function withSharedFailures(schema: RouteSchema | undefined, rateLimited: boolean): RouteSchema | undefined {
  if (!schema || schema.hide) return schema;
  const response = { ...schema.response };
  const takesInput = schema.params !== undefined || schema.querystring !== undefined || schema.body !== undefined || schema.headers !== undefined;
  if (takesInput) response['400'] ??= errorResponse(400);
  response['401'] ??= errorResponse(401);
  if (rateLimited) response['429'] ??= errorResponse(429);
  // A route that produces another type (a stream, metrics) still answers its errors in JSON.
  if (schema.produces) {
    for (const [status, answer] of Object.entries(response)) {
      if (Number(status) < 400 || 'content' in (answer as object)) continue;
      const { 'x-response-description': description, ...error } = answer as Record<string, unknown>;
      response[status] = { description, content: { 'application/json': { schema: error } } };
    }
  }
  return { ...schema, response };
}

const notSchemas = new Set(['example', 'examples', 'default', 'enum', 'const']);

/**
 * Moves every schema with a `title` into components.schemas under that title, leaving a `$ref`, so
 * that generated clients get named types. TypeBox schemas stay plain values in the route schemas
 * (no `Type.Ref` to registered `$id`s), so the handlers keep their inferred types.
 */
export function hoistTitledSchemas(document: Record<string, unknown>): Record<string, unknown> {
  const components = (document['components'] ?? {}) as { schemas?: Record<string, unknown> };
  const named: Record<string, unknown> = { ...components.schemas };
  const texts = new Map<string, string>();
  const hoist = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(hoist);
    if (node === null || typeof node !== 'object') return node;
    const record = node as Record<string, unknown>;
    const walked = Object.fromEntries(Object.entries(record).map(([key, value]) => [key, notSchemas.has(key) ? value : hoist(value)]));
    const title = record['title'];
    if (typeof title !== 'string') return walked;
    // @fastify/swagger moves a body's or an answer's own examples to the media type: compare without them.
    const { examples, ...schema } = walked;
    const text = JSON.stringify(schema);
    const earlier = texts.get(title);
    if (earlier !== undefined && earlier !== text) throw new Error(`two different schemas are titled ${title}: give one another title`);
    texts.set(title, text);
    if (examples !== undefined || named[title] === undefined) named[title] = walked;
    return { $ref: `#/components/schemas/${title}` };
  };
  const paths = hoist(document['paths']);
  const sorted = Object.fromEntries(Object.keys(named).sort().map((name) => [name, named[name]]));
  return { ...document, paths, components: { ...components, schemas: sorted } };
}

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Unitrain API',
        version: '0.1.0',
        description: 'Training sessions, enrollments, rosters, certificates and compliance.',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      servers: [{ url: '/', description: 'this server' }],
      tags: apiTags,
      components: { securitySchemes: securitySchemes() },
    },
    transform: ({ schema, url, route }) => ({
      schema: withSharedFailures(schema as RouteSchema | undefined, route.config?.publicLimit === true) as typeof schema,
      url,
    }),
    transformObject: (document) => hoistTitledSchemas(('openapiObject' in document ? document.openapiObject : document.swaggerObject) as Record<string, unknown>),
  });
  registerDocs(app);
}
