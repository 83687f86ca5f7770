import { randomUUID } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/auth.js';
import { createCliTarget, type CliTarget } from '../../../test/cli.js';
import { createEnrollmentWorld, createSession, createStudentsWithEmails, type EnrollmentWorld } from '../../../test/world.js';
import { testEngine } from '../../../test/engine.js';
import { startServerProcess, type ServerProcess } from '../../../test/server-process.js';
import { until } from '../../../test/until.js';
import { openStream, type SseConnection } from '../../../test/sse-client.js';
import type { Db } from '../db/database.js';

// Two real `serve` processes on one PostgreSQL database, each with its in-process job worker. Their
// change feeds poll once a minute, so a change written through one process can reach the other's
// subscribers in time only through the NOTIFY sent after the commit.
const feedPollMs = 60_000;
const onPostgres = testEngine === 'postgres';

let target: CliTarget;
let db: Db;
let world: EnrollmentWorld;
let serverA: ServerProcess;
let serverB: ServerProcess;
const outboxA = () => join(target.workDir, 'a', 'outbox');
const outboxB = () => join(target.workDir, 'b', 'outbox');
const streams: SseConnection[] = [];

beforeAll(async () => {
  if (!onPostgres) return;
  target = await createCliTarget('two-servers');
  db = target.database!.db;
  world = await createEnrollmentWorld(db);
  const envOf = (dir: string) => ({ ...target.env, DATA_DIR: join(target.workDir, dir), WORKER_IN_PROCESS: 'true', WORKER_POLL_MS: '50', FEED_POLL_MS: String(feedPollMs) });
  await Promise.all([mkdir(join(target.workDir, 'a')), mkdir(join(target.workDir, 'b'))]);
  [serverA, serverB] = await Promise.all([startServerProcess(envOf('a')), startServerProcess(envOf('b'))]);
});
afterAll(async () => {
  for (const stream of streams) stream.close();
  await Promise.all([serverA?.stop(), serverB?.stop()]);
  await target?.remove();
});

async function subscribe(server: ServerProcess, topics: string): Promise<SseConnection> {
  const stream = await openStream(server.url, { token: world.tokens.sa, topics });
  expect(stream.status).toBe(200);
  streams.push(stream);
  return stream;
}

async function post(server: ServerProcess, path: string, body: object): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST', headers: { ...bearer(world.tokens.sa), 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  expect(response.status, JSON.stringify(json)).toBeLessThan(300);
  return json;
}

/**
 * The feeds poll once a minute (`feedPollMs`), so a change that arrives well inside that minute was woken
 * by NOTIFY: the wait below is only a deadline, half the poll, not a measure of speed.
 */
const beforeThePoll = feedPollMs / 2;

/** Creates a location through `writer` and waits for each stream to receive its change before the feeds' poll. */
async function createLocationAndAwait(writer: ServerProcess, watchers: SseConnection[]): Promise<string> {
  const { id } = await post(writer, '/v1/locations', { name: `Hall ${randomUUID().slice(0, 8)}`, country: 'GB' });
  await Promise.all(watchers.map((stream) =>
    stream.waitUntil(() => stream.changes().some((event) => event.data['id'] === id), beforeThePoll, `location ${id as string}`)));
  return id as string;
}

describe.runIf(onPostgres)('two serve processes on one PostgreSQL', () => {
  it('deliver a change written through either process to the subscribers of both, woken by NOTIFY well before their poll', async () => {
    const onA = await subscribe(serverA, 'locations');
    const onB = await subscribe(serverB, 'locations');
    const created: string[] = [];
    for (let round = 0; round < 4; round++) created.push(await createLocationAndAwait(round % 2 === 0 ? serverA : serverB, [onA, onB]));
    // Each stream got each location once, in order. A stream starts at the settled frontier: while another
    // test file's transaction is open on the shared server, the world's own locations, committed before the
    // streams opened but not yet settled, may come too.
    for (const stream of [onA, onB]) {
      const ids = stream.changes().map((event) => event.data['id'] as string);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.filter((id) => created.includes(id))).toEqual(created);
      expect(ids.filter((id) => !created.includes(id)).every((id) => [world.locationId, world.otherLocationId].includes(id))).toBe(true);
    }
  });

  it('deliver a change held back by an unrelated open transaction as soon as that transaction ends, not at the next poll', async () => {
    const onA = await subscribe(serverA, 'locations');
    const onB = await subscribe(serverB, 'locations');
    // A transaction that holds an xid and ends without a NOTIFY, as psql or a program on another database of
    // the same server does (a Unitrain Db NOTIFYs after its own commits): a bare client, not a Db. Changes
    // committed after it began wait for it to end.
    const blocker = new pg.Client({ connectionString: target.database!.url! });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query('select pg_current_xact_id()');
    const { id } = await post(serverA, '/v1/locations', { name: `Held back ${randomUUID().slice(0, 8)}`, country: 'GB' });
    const received = (stream: SseConnection) => () => stream.changes().some((event) => event.data['id'] === id);
    // Long enough for the NOTIFY to have woken both feeds, which could not deliver the change yet.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([received(onA)(), received(onB)()]).toEqual([false, false]);
    await blocker.query('commit');
    await blocker.end();
    await Promise.all([onA, onB].map((stream) => stream.waitUntil(received(stream), beforeThePoll, `location ${id as string}`)));
  });

  it('run each job once across both workers: one notification and one e-mail per student and cancelled session', async () => {
    const sessionCount = 4;
    const studentsPerSession = 5;
    const sessions = await Promise.all(Array.from({ length: sessionCount }, async () => {
      const sessionId = await createSession(db, world, { capacity: studentsPerSession, selfEnrollment: false });
      const emails = Array.from({ length: studentsPerSession }, () => `student.${randomUUID().slice(0, 8)}@example.test`);
      const students = await createStudentsWithEmails(db, emails);
      await post(serverA, `/v1/sessions/${sessionId}/enrollments/batch`, { students: students.map((id) => ({ student_id: id })) });
      return { sessionId, students };
    }));
    // Cancelled together through A: both workers are woken (A by its own commits, B by NOTIFY) and race for the jobs.
    await Promise.all(sessions.map(async ({ sessionId }) => {
      const { rows: [session] } = await db.query<{ version: number }>('select version from training_sessions where id = $1', [sessionId]);
      await post(serverA, `/v1/sessions/${sessionId}/cancel`, { reason: 'Venue flooded', version: session!.version });
    }));

    const sessionIds = sessions.map((session) => session.sessionId);
    const jobsOfTheseEvents = async () => (await db.query<{ handler: string; event_seq: string; status: string; attempts: number }>(
      `select j.handler, j.event_seq::text, j.status, j.attempts from jobs j join domain_events e on e.seq = j.event_seq
        where e.event_type = 'session.cancelled' and e.aggregate_id = any ($1::uuid[]) order by j.event_seq`,
      [sessionIds],
    )).rows;
    await until(async () => {
      const jobs = await jobsOfTheseEvents();
      return jobs.length === sessionCount && jobs.every((job) => job.status === 'SUCCEEDED');
    }, 'every job to succeed');

    const jobs = await jobsOfTheseEvents();
    expect(jobs.map(({ handler, status, attempts }) => ({ handler, status, attempts }))).toEqual(
      Array.from({ length: sessionCount }, () => ({ handler: 'notifications.session-cancelled', status: 'SUCCEEDED', attempts: 1 })),
    );
    expect(new Set(jobs.map((job) => job.event_seq)).size).toBe(sessionCount);

    const { rows: notifications } = await db.query<{ user_id: string; session_id: string; copies: number }>(
      `select user_id, data ->> 'session_id' as session_id, count(*)::int as copies from notifications
        where kind = 'session.cancelled' and data ->> 'session_id' = any ($1::text[]) group by 1, 2`,
      [sessionIds],
    );
    const expected = sessions.flatMap(({ sessionId, students }) => students.map((userId) => ({ user_id: userId, session_id: sessionId, copies: 1 })));
    const byKey = (row: { user_id: string; session_id: string }) => `${row.session_id}/${row.user_id}`;
    expect(notifications.sort((x, y) => byKey(x).localeCompare(byKey(y)))).toEqual(expected.sort((x, y) => byKey(x).localeCompare(byKey(y))));

    // Each process writes the e-mails of the jobs it ran to its own outbox; a job run by both would leave a file in each.
    const filesOf = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith('.eml'));
    const [inA, inB] = await Promise.all([filesOf(outboxA()), filesOf(outboxB())]);
    expect(inA.filter((name) => inB.includes(name))).toEqual([]);
    const { rows: events } = await db.query<{ seq: string; aggregate_id: string }>(
      `select seq::text, aggregate_id from domain_events where event_type = 'session.cancelled' and aggregate_id = any ($1::uuid[])`, [sessionIds],
    );
    const seqOfSession = new Map(events.map((event) => [event.aggregate_id, event.seq]));
    // The students' booking confirmations are in the outboxes too: the cancellations' files are named by their events.
    const cancellationSeqs = new Set(seqOfSession.values());
    const cancellationFiles = [...inA, ...inB].filter((name) => cancellationSeqs.has(name.split('-')[0]!));
    expect(cancellationFiles.sort()).toEqual(
      sessions.flatMap(({ sessionId, students }) => students.map((userId) => `${seqOfSession.get(sessionId)}-${userId}.eml`)).sort(),
    );
    for (const server of [serverA, serverB]) expect(server.logs()).not.toContain('job failed');
  });
});
