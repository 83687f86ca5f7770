import { randomUUID } from 'node:crypto';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import { errorStatus } from '../../errors.js';

interface Parameter {
  name: string;
  in: string;
  schema?: { type?: string; format?: string };
}
interface Operation {
  operationId?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}
interface Document {
  tags: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, { properties?: Record<string, unknown> }> };
}
interface Route {
  method: string;
  path: string;
  operation: Operation;
}

const methods = ['get', 'put', 'post', 'patch', 'delete'];
const context = useTestApp();
let document: Document;
let routes: Route[];
const tokens: Record<string, string> = {};

beforeAll(async () => {
  document = (await context.app.inject({ method: 'GET', url: '/docs/json' })).json<Document>();
  routes = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => methods.includes(method))
      .map(([method, operation]) => ({ method, path, operation })),
  );
  for (const role of ['SA', 'IN'] as const) {
    const user = await createUser(context.db, testKeyring, { role });
    tokens[role] = await mintAccessToken(testKeyring, { userId: user.id, role });
  }
});

const name = (route: Route) => `${route.method.toUpperCase()} ${route.path}`;

/** A URL for the route with each path parameter filled in with a value of its type that names no row. */
function urlOf(route: Route): string {
  return route.path.replace(/\{(\w+)\}/g, (_match, parameterName: string) => {
    const schema = route.operation.parameters?.find((parameter) => parameter.in === 'path' && parameter.name === parameterName)?.schema;
    if (schema?.format === 'uuid') return randomUUID();
    if (schema?.type === 'integer') return '1';
    return 'no-such-thing';
  });
}

describe('the served OpenAPI document', () => {
  it('passes the Redocly linter’s recommended rules with no error and no warning', async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: 'openapi.json', config });
    expect(problems.map((problem) => `${problem.severity} ${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer ?? '?'}`)).toEqual([]);
  });

  it('declares every route: a unique verb-noun operationId, declared tags, an explicit security, the shared failures, 4xx in the error schema of its status', () => {
    expect(routes.length).toBeGreaterThan(100);
    const declaredTags = new Set(document.tags.map((tag) => tag.name));
    expect(document.tags.every((tag) => (tag.description ?? '').length > 0)).toBe(true);
    const seen = new Map<string, string>();
    const faults: string[] = [];
    for (const route of routes) {
      const { operationId, tags, security, responses } = route.operation;
      const fault = (what: string) => faults.push(`${name(route)}: ${what}`);
      if (!operationId || !/^[a-z]+[A-Z][A-Za-z]*$|^(login|logout)$/.test(operationId)) fault(`operationId ${operationId ?? 'missing'} is not verbNoun`);
      else if (seen.has(operationId)) fault(`operationId ${operationId} also names ${seen.get(operationId)}`);
      else seen.set(operationId, name(route));
      if (!tags?.length || !tags.every((tag) => declaredTags.has(tag))) fault(`tags ${JSON.stringify(tags)} are not declared ones`);
      if (!Array.isArray(security)) fault('no security declaration (public routes declare security: [])');
      else if (!security.every((requirement) => Object.keys(requirement).every((scheme) => scheme in document.components.securitySchemes))) fault('an undeclared security scheme');
      if (!responses['401']) fault('401 not documented (the authentication hook checks any token sent)');
      if ((route.operation.parameters?.length || route.operation.requestBody) && !responses['400']) fault('takes input but documents no 400');
      if (!Object.keys(responses).some((status) => status.startsWith('2'))) fault('no 2xx answer');
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) < 400 || Number(status) >= 500) continue;
        const schema = response.content?.['application/json']?.schema;
        if (schema?.$ref !== `#/components/schemas/Error${status}`) fault(`${status} is not the Error${status} schema`);
      }
    }
    expect(faults).toEqual([]);
  });

  it('names in the error schema of each status exactly the codes of src/errors.ts with that status, and the shared page shape everywhere', () => {
    const errorSchemas = Object.entries(document.components.schemas).filter(([schemaName]) => /^Error\d{3}$/.test(schemaName));
    expect(errorSchemas.length).toBeGreaterThan(8);
    for (const [schemaName, schema] of errorSchemas) {
      const status = Number(schemaName.slice('Error'.length));
      const codes = (schema as { properties: { error: { properties: { code: { enum: string[] } } } } }).properties.error.properties.code.enum;
      const withStatus = Object.entries(errorStatus).filter(([, answered]) => answered === status).map(([code]) => code);
      expect({ schemaName, codes: [...codes].sort() }).toEqual({ schemaName, codes: withStatus.sort() });
    }
    const pages = Object.entries(document.components.schemas).filter(([schemaName]) => schemaName.endsWith('Page'));
    expect(pages.length).toBeGreaterThan(15);
    for (const [schemaName, page] of pages) {
      const fields = Object.keys(page.properties ?? {});
      expect({ schemaName, hasPageFields: ['items', 'next_cursor'].every((field) => fields.includes(field)) }).toEqual({ schemaName, hasPageFields: true });
      expect({ schemaName, extra: fields.filter((field) => !['items', 'next_cursor', 'total', 'unread'].includes(field)) }).toEqual({ schemaName, extra: [] });
    }
  });

  it('documents every status each route answers signed out, with a bad token, as the least and the most privileged role', async () => {
    const callers: [string, Record<string, string>][] = [
      ['signed out', {}],
      ['a bad token', bearer('not-a-token')],
      ['IN', bearer(tokens['IN'] as string)],
      ['SA', bearer(tokens['SA'] as string)],
    ];
    const faults: string[] = [];
    for (const route of routes) {
      // An open stream never ends; its refusals are tested in stream.routes.test.ts.
      if (route.operation.responses['200']?.content?.['text/event-stream']) continue;
      const url = urlOf(route);
      for (const [caller, headers] of callers) {
        const response = await context.app.inject({
          method: route.method.toUpperCase() as 'GET',
          url,
          headers,
          ...(route.operation.requestBody ? { payload: {} } : {}),
        });
        const status = String(response.statusCode);
        if (!route.operation.responses[status]) faults.push(`${name(route)} as ${caller} answered ${status}, which it does not document`);
        if (caller === 'signed out' && route.operation.security?.length && response.statusCode < 400) faults.push(`${name(route)} answered ${status} signed out`);
      }
    }
    expect(faults).toEqual([]);
  });
});
