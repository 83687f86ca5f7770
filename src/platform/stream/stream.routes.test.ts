import { describe, expect, it, vi } from 'vitest';
import { createEnrollmentWorld, createSession, type EnrollmentWorld } from '../../../test/world.js';
import { useListeningApp } from '../../../test/listening-app.js';
import { openStream, type SseConnection } from '../../../test/sse-client.js';
import { mintAccessToken, testKeyring } from '../../../test/auth.js';
import { readMetric } from '../../../test/metrics.js';
import { comparePositions, pruneChangeLog } from '../change-log/index.js';

// A real server on a port and real SSE clients: each test writes, then waits for what each subscriber
// must receive. A change visible to everyone (a session open for self-enrollment) marks the end of a
// test's writes, so "received nothing else" is checked once that marker has arrived.
const context = useListeningApp(true);

let world: EnrollmentWorld;
const streams: SseConnection[] = [];

async function subscribe(token: string, options: { topics?: string; lastEventId?: string; since?: string; tokenVia?: 'header' | 'query' | 'cookie' } = {}) {
  const stream = await openStream(context.baseUrl, { token, topics: 'sessions', ...options });
  streams.push(stream);
  return stream;
}

const changesOf = (stream: SseConnection, rowId: string) => stream.changes().filter((event) => event.data['id'] === rowId);
const hasRow = (stream: SseConnection, rowId: string) => () => changesOf(stream, rowId).length > 0;

async function renameSession(sessionId: string, title: string) {
  await context.db.query('update training_sessions set title = $2 where id = $1', [sessionId, title]);
}

describe('GET /v1/stream', () => {
  it('refuses a signed-out caller, an unknown topic and a malformed resume point, with the usual error body', async () => {
    if (!world) world = await createEnrollmentWorld(context.db);
    const signedOut = await fetch(`${context.baseUrl}/v1/stream`);
    expect(signedOut.status).toBe(401);
    expect(await signedOut.json()).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });

    const unknownTopic = await openStream(context.baseUrl, { token: world.tokens.sa, topics: 'sessions,weather' });
    expect(unknownTopic.status).toBe(400);
    expect(unknownTopic.error).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'querystring.topics' } } });

    // HEAD is not a way into the stream: answered at once, not left waiting for a head sent only at the end.
    const head = await fetch(`${context.baseUrl}/v1/stream`, { method: 'HEAD', headers: { authorization: `Bearer ${world.tokens.sa}` }, signal: AbortSignal.timeout(10_000) });
    expect(head.status).toBe(404);

    const badResume = await openStream(context.baseUrl, { token: world.tokens.sa, lastEventId: 'yesterday' });
    expect(badResume.status).toBe(400);
    expect(badResume.error).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field: 'headers.last-event-id' } } });

    const badSince = await openStream(context.baseUrl, { token: world.tokens.sa, since: '12' });
    expect(badSince.status).toBe(400);
    expect(badSince.error).toMatchObject({ error: { details: { field: 'querystring.since' } } });

    const badToken = await openStream(context.baseUrl, { token: 'not-a-token', tokenVia: 'query' });
    expect(badToken.status).toBe(401);
  });

  it('sends each subscriber exactly the changes to rows it may select, by header, query or cookie token', async () => {
    world ??= await createEnrollmentWorld(context.db);
    const admin = await subscribe(world.tokens.sa);
    const ownAp = await subscribe(world.tokens.ap, { tokenVia: 'query' });
    const teacher = await subscribe(world.tokens.instructor, { tokenVia: 'cookie' });
    const otherAp = await subscribe(world.tokens.otherAp);
    const trainee = await subscribe(world.tokens.trainee);
    const everyone = [admin, ownAp, teacher, otherAp, trainee];
    expect(everyone.map((stream) => stream.status)).toEqual([200, 200, 200, 200, 200]);

    const closed = await createSession(context.db, world, { capacity: 5, selfEnrollment: false });
    await renameSession(closed, 'Renamed');
    const marker = await createSession(context.db, world, { capacity: 5, selfEnrollment: true, locationId: world.otherLocationId });
    await Promise.all(everyone.map((stream) => stream.waitUntil(hasRow(stream, marker), 15_000, 'the marker session')));

    for (const stream of [admin, ownAp, teacher]) {
      expect(changesOf(stream, closed).map((event) => event.data['op'])).toEqual(['INSERT', 'UPDATE']);
    }
    for (const stream of [otherAp, trainee]) expect(changesOf(stream, closed)).toEqual([]);
    const [insert] = changesOf(admin, closed);
    expect(insert).toMatchObject({ event: 'change', data: { topic: 'sessions', table: 'training_sessions', op: 'INSERT', id: closed } });
    expect(insert!.id).toMatch(/^\d+\.\d+$/);
  });

  it('streams only the topics asked for', async () => {
    world ??= await createEnrollmentWorld(context.db);
    const locationsOnly = await subscribe(world.tokens.sa, { topics: 'locations' });
    const session = await createSession(context.db, world, { capacity: 5 });
    const { rows: [location] } = await context.db.query<{ id: string }>("insert into locations (name, country) values ('New hall', 'FR') returning id");
    await locationsOnly.waitUntil(hasRow(locationsOnly, location!.id));
    expect(changesOf(locationsOnly, session)).toEqual([]);
    expect(locationsOnly.changes().every((event) => event.data['topic'] === 'locations')).toBe(true);
  });

  it('resumes after Last-Event-ID with what was missed, nothing twice, then goes on live', async () => {
    world ??= await createEnrollmentWorld(context.db);
    const first = await subscribe(world.tokens.sa);
    const before = await createSession(context.db, world, { capacity: 5 });
    await first.waitUntil(hasRow(first, before));
    first.close();
    const resumeFrom = first.changes().at(-1)!.id;

    const missed = [await createSession(context.db, world, { capacity: 5 }), await createSession(context.db, world, { capacity: 6 })];
    await renameSession(before, 'Changed while away');
    const resumed = await subscribe(world.tokens.sa, { lastEventId: resumeFrom });
    await resumed.waitUntil(() => missed.every((id) => hasRow(resumed, id)()) && changesOf(resumed, before).length === 1);
    const live = await createSession(context.db, world, { capacity: 7 });
    await resumed.waitUntil(hasRow(resumed, live));

    const received = [...first.changes(), ...resumed.changes()].filter((event) => [before, ...missed, live].includes(event.data['id'] as string));
    const { rows } = await context.db.query<{ position: string }>(
      `select txid::text || '.' || seq as position from change_log
        where table_name = 'training_sessions' and row_id = any ($1::uuid[]) order by txid, seq`,
      [[before, ...missed, live]],
    );
    expect(received.map((event) => event.id)).toEqual(rows.map((row) => row.position));
    expect(changesOf(resumed, before).map((event) => event.data['op'])).toEqual(['UPDATE']);
  });

  it('answers a resume point the database never reached with reset, then streams from now', async () => {
    world ??= await createEnrollmentWorld(context.db);
    const stream = await subscribe(world.tokens.sa, { since: '999999999999.1' });
    await stream.waitUntil(() => stream.events.some((event) => event.event === 'reset'));
    const reset = stream.events.find((event) => event.event === 'reset')!;
    expect(reset.id).toMatch(/^\d+\.0$/);
    const session = await createSession(context.db, world, { capacity: 5 });
    await stream.waitUntil(hasRow(stream, session));
  });

  it('answers a resume point older than the pruned log with reset, then streams from now', async () => {
    world ??= await createEnrollmentWorld(context.db);
    const early = await subscribe(world.tokens.sa);
    const session = await createSession(context.db, world, { capacity: 5 });
    await early.waitUntil(hasRow(early, session));
    early.close();
    const resumeFrom = early.changes().at(-1)!.id;
    const missed = await createSession(context.db, world, { capacity: 6 });
    // Everything so far, the change the client missed included, becomes older than the retention and is
    // pruned, as the hourly prune would. A prune never deletes past a transaction still open anywhere on
    // the server (other test files), so it is repeated until it has passed the missed change.
    await context.db.query("update change_log set changed_at = now() - interval '30 days'");
    const { rows: [missedChange] } = await context.db.query<{ txid: string; seq: number }>(
      'select txid::text, seq from change_log where row_id = $1', [missed],
    );
    const missedPosition = { txid: BigInt(missedChange!.txid), seq: BigInt(missedChange!.seq) };
    await vi.waitFor(async () => {
      const { prunedThrough } = await pruneChangeLog(context.db, { olderThanHours: 1 });
      expect(prunedThrough !== null && comparePositions(prunedThrough, missedPosition) >= 0).toBe(true);
    }, { timeout: 15_000, interval: 100 });

    const late = await subscribe(world.tokens.sa, { lastEventId: resumeFrom });
    await late.waitUntil(() => late.events.some((event) => event.event === 'reset'));
    expect(late.changes()).toEqual([]);
    const after = await createSession(context.db, world, { capacity: 5 });
    await late.waitUntil(hasRow(late, after));
  });

  it('ends the stream when its access token expires', async () => {
    world ??= await createEnrollmentWorld(context.db);
    const soon = await mintAccessToken(testKeyring, { userId: world.sa.id, role: 'SA' }, { ttlSeconds: 1 });
    const stream = await subscribe(soon);
    expect(stream.status).toBe(200);
    const ended = await Promise.race([stream.ended.then(() => 'ended'), new Promise((resolve) => setTimeout(() => resolve('still open'), 5_000))]);
    expect(ended).toBe('ended');
  });

  it('counts subscribers and delivered events in /metrics', async () => {
    world ??= await createEnrollmentWorld(context.db);
    const stream = await subscribe(world.tokens.sa);
    const session = await createSession(context.db, world, { capacity: 5 });
    await stream.waitUntil(hasRow(stream, session));
    const metrics = await (await fetch(`${context.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^unitrain_stream_subscribers [1-9]\d*$/m);
    expect(metrics).toMatch(/^unitrain_stream_events_delivered_total [1-9]\d*$/m);
    expect(metrics).toMatch(/^unitrain_stream_delivery_lag_seconds_count [1-9]\d*$/m);
  });

  it('observes the delivery lag once for every event written live, streams due the same events included', async () => {
    world ??= await createEnrollmentWorld(context.db);
    // Two streams of one account and one of another, all due the same sessions: they share one list (decision 0103).
    const due = [await subscribe(world.tokens.sa), await subscribe(world.tokens.sa), await subscribe(world.tokens.ad)];
    const first = await createSession(context.db, world, { capacity: 5 });
    for (const stream of due) await stream.waitUntil(hasRow(stream, first));
    const counts = async () => ({
      delivered: await readMetric(context.baseUrl, 'unitrain_stream_events_delivered_total'),
      observed: await readMetric(context.baseUrl, 'unitrain_stream_delivery_lag_seconds_count'),
    });
    const before = await counts();
    const second = await createSession(context.db, world, { capacity: 5 });
    for (const stream of due) await stream.waitUntil(hasRow(stream, second));
    const after = await counts();
    expect(after.delivered - before.delivered).toBeGreaterThanOrEqual(due.length);
    expect(after.observed - before.observed).toBe(after.delivered - before.delivered);
  });
});
