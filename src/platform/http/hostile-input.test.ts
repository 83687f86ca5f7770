import type { InjectOptions } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { describeValue, hostileValues } from '../../../test/hostile-input.js';
import { buildFixtureWorld, fixtureActor, type FixtureWorld } from '../../../test/fixture-world.js';
import { useTestApp } from '../../../test/test-app.js';

/**
 * Every parameter of every route in the OpenAPI document, one at a time, gets hostile values:
 * injection strings, NUL bytes, lone surrogates, huge strings and numbers, wrong types. The answer
 * must be a 2xx or 4xx in our error shape — never a 500 — and the database must still be intact.
 * Generated from the document, so a new route is covered the day it is added.
 */
/** The shared hostile values, plus what only a URL or a number parser meets: a lone surrogate, overflows. */
const attackValues: readonly unknown[] = [...hostileValues, '\ud800', '%00%27', '9'.repeat(400), 1e308];

interface OpenApiParameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema?: JsonSchema;
}
interface JsonSchema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  minimum?: number;
  minLength?: number;
  pattern?: string;
  items?: JsonSchema;
}
interface Operation {
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  tags?: string[];
}

const fixtureUuid = '00000000-0000-4000-8000-000000000000';

/** A plausible value for a schema, so that only the parameter under attack is wrong. */
function plausible(schema: JsonSchema | undefined): unknown {
  if (!schema) return 'x';
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.anyOf) return plausible(schema.anyOf.find((option) => option.type !== 'null') ?? schema.anyOf[0]);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'integer':
    case 'number':
      return Math.max(schema.minimum ?? 1, 1);
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return Object.fromEntries((schema.required ?? []).map((name) => [name, plausible(schema.properties?.[name])]));
    default:
      if (schema.format === 'uuid') return fixtureUuid;
      if (schema.format === 'email') return 'someone@example.test';
      if (schema.format === 'date-time') return '2026-01-01T00:00:00Z';
      if (schema.format === 'date') return '2026-01-01';
      if (schema.format === 'uri') return 'https://example.test';
      return 'x'.repeat(Math.max(schema.minLength ?? 1, 12));
  }
}

const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** A lone surrogate has no UTF-8 form: it goes into the URL as the invalid bytes a hostile client would send. */
function encodePathSegment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
}

const context = useTestApp();
let world: FixtureWorld;
let adminToken: string;

beforeAll(async () => {
  world = await buildFixtureWorld(context.db);
  await context.app.ready();
  const sa = fixtureActor('sa');
  adminToken = await mintAccessToken(testKeyring, { userId: sa.userId as string, role: 'SA' });
});

/**
 * A stream answers 200 and stays open: read its status, then hang up. An error answer is read whole.
 */
async function streamHead(request: InjectOptions): Promise<{ statusCode: number; body: string }> {
  const hangUp = new AbortController();
  const response = await context.app.inject({ ...request, payloadAsStream: true, signal: hangUp.signal });
  if (response.statusCode === 200) {
    hangUp.abort();
    return { statusCode: 200, body: '' };
  }
  const chunks: Buffer[] = [];
  for await (const chunk of response.stream()) chunks.push(chunk as Buffer);
  return { statusCode: response.statusCode, body: Buffer.concat(chunks).toString('utf8') };
}

describe('hostile input in every parameter of every route', () => {
  it('never gets a 500, always our error shape on a 4xx, and leaves the fixture world intact', async () => {
    const document = context.app.swagger() as { paths: Record<string, Record<string, Operation>> };
    let attempts = 0;
    for (const [path, operations] of Object.entries(document.paths)) {
      if (path.startsWith('/docs')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        const parameters = operation.parameters ?? [];
        const bodySchema = operation.requestBody?.content?.['application/json']?.schema;
        const targets = [
          ...parameters.filter((p) => p.in === 'path' || p.in === 'query').map((p) => ({ kind: p.in, name: p.name })),
          ...Object.keys(bodySchema?.properties ?? {}).map((name) => ({ kind: 'body' as const, name })),
        ];
        for (const target of targets) {
          for (const hostile of attackValues) {
            if (target.kind === 'path' && (hostile === null || typeof hostile === 'object')) continue;
            const pathValues = Object.fromEntries(parameters.filter((p) => p.in === 'path').map((p) => [p.name, asText(plausible(p.schema))]));
            const query = new URLSearchParams();
            for (const p of parameters.filter((p) => p.in === 'query' && p.required)) query.set(p.name, asText(plausible(p.schema)));
            const body = bodySchema ? (plausible({ ...bodySchema, type: 'object' }) as Record<string, unknown>) : undefined;
            if (target.kind === 'path') pathValues[target.name] = asText(hostile);
            if (target.kind === 'query') query.set(target.name, asText(hostile));
            if (target.kind === 'body' && body) body[target.name] = hostile;
            const url = path.replace(/\{(\w+)\}/g, (_, name: string) => encodePathSegment(pathValues[name] ?? 'x')) + (query.size > 0 ? `?${query}` : '');
            const where = `${method.toUpperCase()} ${path} with ${target.kind}.${target.name} = ${describeValue(hostile)}`;
            const request = { method: method.toUpperCase() as 'GET', url, headers: bearer(adminToken), ...(body ? { payload: body } : {}) };
            const answer = operation.tags?.includes('realtime') ? await streamHead(request) : await context.app.inject(request);
            attempts += 1;
            expect(answer.statusCode, `${where}: ${answer.body.slice(0, 300)}`).toBeLessThan(500);
            if (answer.statusCode >= 400) {
              expect(JSON.parse(answer.body), where).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
            }
          }
        }
      }
    }
    expect(attempts).toBeGreaterThan(500);
    const { rows } = await context.db.query<{ users: number }>('select count(*)::int as users from users');
    expect(rows[0]?.users).toBeGreaterThanOrEqual(world.snapshot.users.length);
    // Thousands of requests, one by one: on a busy two-core machine this passes the suite's default limit.
  }, 480_000);
});
