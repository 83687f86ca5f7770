import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, mintAccessToken, testKeyring } from '../../../test/auth.js';
import { createEnrollmentWorld, createSession, createStudents, studentToken } from '../../../test/world.js';
import { useTestApp } from '../../../test/test-app.js';
import type { Role } from '../db/actor.js';
import { appendDomainEvent } from '../shared/events/append-domain-event.js';

// The real application through inject on a real database; events are written by real workflows
// (the enrollment functions) or by appendDomainEvent in an actor transaction, as services do.
const context = useTestApp();
const tokens = {} as Record<Role, string>;
const users = {} as Record<Role, string>;

beforeAll(async () => {
  for (const role of ['SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN'] as const) {
    users[role] = (await createUser(context.db, testKeyring, { role })).id;
    tokens[role] = await mintAccessToken(testKeyring, { userId: users[role], role });
  }
});

interface EventPage {
  items: { seq: number; aggregate_type: string; aggregate_id: string; aggregate_version: number | null; event_type: string; payload: Record<string, unknown>; actor_id: string | null; request_id: string | null; occurred_at: string }[];
  next_cursor: string | null;
}

const get = (url: string, role: Role | null = 'SA') =>
  context.app.inject({ method: 'GET', url, headers: role ? bearer(tokens[role]) : {} });

/** `count` events about one new aggregate, appended by an AP in one transaction; returns the aggregate id. */
async function appendEvents(count: number, eventType = 'probe.recorded'): Promise<string> {
  const aggregateId = randomUUID();
  await context.db.withActor({ userId: users.AP, role: 'AP', providerId: null }, async (tx) => {
    for (let version = 1; version <= count; version++) {
      await appendDomainEvent(tx, { aggregateType: 'probe', aggregateId, aggregateVersion: version, eventType, payload: { version } });
    }
  });
  return aggregateId;
}

/** Every page from `url` (which must end in a query), following next_cursor from `cursor`; the pages as they came. */
async function allPages(url: string, cursor: string | null = null): Promise<EventPage[]> {
  const pages: EventPage[] = [];
  let next = cursor;
  do {
    const response = await get(`${url}${next === null ? '' : `&cursor=${next}`}`);
    expect(response.statusCode, response.body).toBe(200);
    const page: EventPage = response.json();
    pages.push(page);
    next = page.next_cursor;
  } while (next !== null && pages.length < 100);
  return pages;
}

describe('GET /v1/events/aggregates/:type/:id', () => {
  it('gives the history of an enrollment made and cancelled through the API, oldest first, with every column', async () => {
    const world = await createEnrollmentWorld(context.db);
    const sessionId = await createSession(context.db, world, { capacity: 2 });
    const [studentId] = await createStudents(context.db, 1);
    const headers = { ...bearer(await studentToken(studentId!)), 'x-request-id': `events-${randomUUID()}` };
    const enrolled = await context.app.inject({ method: 'POST', url: `/v1/sessions/${sessionId}/enrollments`, headers, payload: {} });
    expect(enrolled.statusCode, enrolled.body).toBe(201);
    const enrollmentId: string = enrolled.json().id;
    const cancelled = await context.app.inject({ method: 'POST', url: `/v1/enrollments/${enrollmentId}/cancel`, headers });
    expect(cancelled.statusCode, cancelled.body).toBe(200);

    for (const role of ['SA', 'AD'] as const) {
      const response = await get(`/v1/events/aggregates/enrollment/${enrollmentId}`, role);
      expect(response.statusCode).toBe(200);
      const page: EventPage = response.json();
      expect(page.next_cursor).toBeNull();
      expect(page.items.map((event) => event.event_type)).toEqual(['enrollment.enrolled', 'enrollment.cancelled']);
      expect(page.items[0]).toEqual({
        seq: expect.any(Number), aggregate_type: 'enrollment', aggregate_id: enrollmentId, aggregate_version: expect.any(Number),
        event_type: 'enrollment.enrolled', payload: expect.objectContaining({ session_id: sessionId }),
        actor_id: studentId, request_id: headers['x-request-id'], occurred_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      });
      const [first, second] = page.items;
      expect(second!.seq).toBeGreaterThan(first!.seq);
      expect(second!.aggregate_version).toBeGreaterThan(first!.aggregate_version!);
    }
    const byFilters = (await get(`/v1/events?aggregate_type=enrollment&aggregate_id=${enrollmentId}`)).json<EventPage>();
    expect(byFilters.items.map((event) => event.event_type)).toEqual(['enrollment.enrolled', 'enrollment.cancelled']);
    const cancellations = (await get(`/v1/events?event_type=enrollment.cancelled&aggregate_id=${enrollmentId}`)).json<EventPage>();
    expect(cancellations.items).toHaveLength(1);
  });

  it('answers an empty history for an aggregate nothing was recorded about', async () => {
    expect((await get(`/v1/events/aggregates/session/${randomUUID()}`)).json()).toEqual({ items: [], next_cursor: null });
  });
});

describe('GET /v1/events', () => {
  it('pages by sequence without gaps or duplicates, the same as the table holds', async () => {
    const { rows: [start] } = await context.db.query<{ seq: number }>('select coalesce(max(seq), 0)::bigint as seq from domain_events');
    const aggregateId = await appendEvents(7);
    await appendEvents(4, 'probe.noticed');
    const pages = await allPages('/v1/events?limit=3', String(start!.seq));
    expect(pages.map((page) => page.items.length)).toEqual([3, 3, 3, 2]);
    const seqs = pages.flatMap((page) => page.items.map((event) => event.seq));
    const { rows } = await context.db.query<{ seq: number }>('select seq from domain_events where seq > $1 order by seq', [start!.seq]);
    expect(seqs).toEqual(rows.map((row) => row.seq));

    const history = await allPages(`/v1/events/aggregates/probe/${aggregateId}?limit=2`);
    expect(history.map((page) => page.items.length)).toEqual([2, 2, 2, 1]);
    expect(history.flatMap((page) => page.items.map((event) => event.aggregate_version))).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('filters by aggregate type, aggregate id and event type together', async () => {
    const first = await appendEvents(2, 'probe.filtered');
    const second = await appendEvents(3, 'probe.filtered');
    const byType = (await get(`/v1/events?event_type=probe.filtered&limit=500`)).json<EventPage>();
    expect(byType.items.map((event) => event.aggregate_id)).toEqual([first, first, second, second, second]);
    const one = (await get(`/v1/events?aggregate_type=probe&aggregate_id=${second}&event_type=probe.filtered`)).json<EventPage>();
    expect(one.items.map((event) => event.aggregate_version)).toEqual([1, 2, 3]);
    expect((await get(`/v1/events?aggregate_type=session&aggregate_id=${second}`)).json()).toEqual({ items: [], next_cursor: null });
    const after = one.items[0]!.seq;
    expect((await get(`/v1/events?aggregate_id=${second}&cursor=${after}`)).json<EventPage>().items.map((event) => event.seq)).toEqual(one.items.slice(1).map((event) => event.seq));
  });

  it('lets SA and AD read, refuses every other role with 403 and a signed-out caller with 401', async () => {
    const aggregateId = await appendEvents(1);
    for (const url of [`/v1/events?aggregate_id=${aggregateId}`, `/v1/events/aggregates/probe/${aggregateId}`]) {
      for (const role of ['SA', 'AD'] as const) {
        const response = await get(url, role);
        expect({ role, url, status: response.statusCode, count: response.json().items?.length }).toEqual({ role, url, status: 200, count: 1 });
      }
      for (const role of ['AP', 'IC', 'IP', 'IT', 'IN'] as const) {
        const response = await get(url, role);
        expect({ role, url, status: response.statusCode, code: response.json().error.code }).toEqual({ role, url, status: 403, code: 'FORBIDDEN' });
      }
      const signedOut = await get(url, null);
      expect({ url, status: signedOut.statusCode, code: signedOut.json().error.code }).toEqual({ url, status: 401, code: 'UNAUTHENTICATED' });
    }
  });

  it('answers bad filters with 400 naming the field, never a 500', async () => {
    const cases: [string, string][] = [
      ['/v1/events?limit=0', 'querystring.limit'],
      ['/v1/events?limit=501', 'querystring.limit'],
      ['/v1/events?cursor=-1', 'querystring.cursor'],
      ['/v1/events?cursor=ten', 'querystring.cursor'],
      ['/v1/events?cursor=99999999999999999999', 'querystring.cursor'],
      ['/v1/events?after_seq=1', 'querystring.after_seq'],
      ['/v1/events?aggregate_id=not-a-uuid', 'querystring.aggregate_id'],
      ['/v1/events?aggregate_type=Enrollment', 'querystring.aggregate_type'],
      ['/v1/events?aggregate_type=enrollment;drop%20table%20domain_events', 'querystring.aggregate_type'],
      ['/v1/events?event_type=enrollment', 'querystring.event_type'],
      ['/v1/events?event_type=enrollment.%27or%271', 'querystring.event_type'],
      ['/v1/events?cursor=abc', 'querystring.cursor'],
      [`/v1/events/aggregates/Enrollment/${randomUUID()}`, 'params.type'],
      ['/v1/events/aggregates/enrollment/nope', 'params.id'],
      [`/v1/events/aggregates/enrollment/${randomUUID()}?event_type=enrollment.cancelled`, 'querystring.event_type'],
    ];
    for (const [url, field] of cases) {
      const response = await get(url);
      expect({ url, status: response.statusCode, field: response.json().error?.details?.field }).toEqual({ url, status: 400, field });
    }
  });
});
