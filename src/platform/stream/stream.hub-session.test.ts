import { describe, expect, it } from 'vitest';
import { testStreamSettings } from '../../../test/auth.js';
import { testEngine } from '../../../test/engine.js';
import { useListeningApp } from '../../../test/listening-app.js';
import { readMetric } from '../../../test/metrics.js';
import { openStream, type SseConnection } from '../../../test/sse-client.js';
import { createEnrollmentWorld, createSession } from '../../../test/world.js';
import { sessionApplicationName } from '../db/postgres-database.js';

// The stream hub keeps the streams' scopes in temporary tables of a session of its own (decision 0059).
// Here that session's backend is ended under it, between batches, twice. The feed polls once a minute,
// so the changes written next arrive in time only if the hub opens a new session and authorises the
// same batch there, rather than losing it to the next poll; each stream must still get each change it
// may see exactly once, in order, and nothing it may not.
const context = useListeningApp(testEngine === 'postgres', { stream: { ...testStreamSettings, feedPollMs: 60_000 } });

type Viewer = 'sa' | 'instructor' | 'otherInstructor';
const viewers: Viewer[] = ['sa', 'instructor', 'otherInstructor'];

describe.skipIf(testEngine !== 'postgres')("the stream hub's session", () => {
  it('is opened again when its backend is terminated, and the streams go on without loss or duplicates', async () => {
    const world = await createEnrollmentWorld(context.db);
    const session = await createSession(context.db, world, { capacity: 5, selfEnrollment: false });
    const streams = new Map<Viewer, SseConnection>();
    for (const viewer of viewers) streams.set(viewer, await openStream(context.baseUrl, { token: world.tokens[viewer], topics: 'sessions,locations' }));

    // Written in transactions: the commit wakes the feed (a single statement would wait for the poll).
    const retitle = (title: string) => context.db.transaction(async (tx) => {
      await tx.query('update training_sessions set title = $2 where id = $1', [session, title]);
      return (await tx.query<{ seq: string }>("select max(seq)::text as seq from change_log where table_name = 'training_sessions' and row_id = $1", [session])).rows[0]!.seq;
    });
    const marker = async () => {
      const id = await context.db.transaction(async (tx) => (await tx.query<{ id: string }>("insert into locations (name, country) values ('Marker', 'GB') returning id")).rows[0]!.id);
      await Promise.all([...streams.values()].map((stream) => stream.waitUntil(() => stream.changes().some((event) => event.data['id'] === id), 15_000, 'the marker')));
    };
    const hubSessions = async () =>
      (await context.db.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and application_name = $1', [sessionApplicationName])).rows.map((row) => row.pid);
    // Each stream's scope kept (a stream opened during a batch catches up first, then takes live batches).
    for (let round = 0; round < 20 && (await readMetric(context.baseUrl, 'unitrain_stream_scopes_built_total')) < viewers.length; round++) await marker();
    expect(await readMetric(context.baseUrl, 'unitrain_stream_scopes_built_total')).toBe(viewers.length);

    const seqs = [await retitle('Before')];
    for (const kill of [1, 2]) {
      const [backend, ...others] = await hubSessions();
      expect(others).toEqual([]);
      await context.db.query('select pg_terminate_backend($1)', [backend]);
      seqs.push(await retitle(`After kill ${kill}`), await retitle(`Again after kill ${kill}`));
      await marker();
      expect(await hubSessions()).not.toContain(backend);
    }

    // Its retitles: the session's INSERT may come too, when an older transaction of the server held back the stream's start.
    const sessionSeqs = (viewer: Viewer) => streams.get(viewer)!.changes().filter((event) => event.data['id'] === session && event.data['op'] === 'UPDATE').map((event) => String(event.data['seq']));
    expect(Object.fromEntries(viewers.map((viewer) => [viewer, sessionSeqs(viewer)]))).toEqual({ sa: seqs, instructor: seqs, otherInstructor: [] });
    // Every scope built again in each new session, and the streams were never ended.
    expect(await readMetric(context.baseUrl, 'unitrain_stream_scopes_built_total')).toBe(3 * viewers.length);
    expect(await readMetric(context.baseUrl, 'unitrain_stream_subscribers')).toBe(viewers.length);
    for (const stream of streams.values()) stream.close();
  });
});
