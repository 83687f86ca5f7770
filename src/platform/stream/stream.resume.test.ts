import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnrollmentWorld, type EnrollmentWorld } from '../../../test/world.js';
import { testEngine } from '../../../test/engine.js';
import { useListeningApp } from '../../../test/listening-app.js';
import { openStream, type SseConnection, type SseEvent } from '../../../test/sse-client.js';
import type { Db } from '../db/database.js';
import { openPostgresDatabase } from '../db/postgres-database.js';
import { createQueryLog } from '../db/query-log.js';
import { comparePositions, parsePosition } from '../change-log/index.js';

// A real server on a port, real SSE clients, and writers on connections of their own. On PostgreSQL
// several writers keep transactions open for random short times, so a transaction that took its change
// seq early often commits after one that took a later seq: the case that a resume point by seq alone
// would get wrong. One subscriber stays connected; another drops its connection again and again and
// comes back with Last-Event-ID, as EventSource does. Both must end up with exactly the change log.
const context = useListeningApp(true);
const topics = 'sessions,locations';
const streamedTables = ['training_sessions', 'locations'];
const onPostgres = testEngine === 'postgres';

let world: EnrollmentWorld;
/** The writers' own database handle: on PostgreSQL a pool separate from the server's. */
let writers: Db;
/** Days after 2031-05-05 given to sessions so far. */
let sessionDays = 0;

beforeAll(async () => {
  world = await createEnrollmentWorld(context.db);
  writers = onPostgres
    ? await openPostgresDatabase({ url: context.database.url as string, replicaUrl: null, poolMax: 8 }, createQueryLog(null, 0))
    : context.db;
});
afterAll(async () => {
  if (writers !== context.db) await writers?.close();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const randomMs = (max: number) => Math.floor(Math.random() * max);

interface WrittenTransaction {
  /** The first change seq the transaction took (its first write). */
  firstSeq: number;
  /** When its COMMIT was sent, and when it returned (performance.now()). */
  commitSentAt: number;
  committedAt: number;
}

class RolledBack extends Error {}

/**
 * One writer: transactions that insert a session, pause, update one of the writer's earlier sessions,
 * pause, insert a location, and commit; the third and every fifth after it roll back (their seqs are
 * used, their rows never committed). Pauses inside a transaction are random up to `pauseMs`; between transactions up to `gapMs`.
 */
async function writeUntil(done: () => boolean, pauseMs: number, gapMs: number, committed: WrittenTransaction[], rolledBackSessions: string[]): Promise<void> {
  const ownSessions: string[] = [];
  for (let attempt = 0; !done(); attempt++) {
    let sessionId = '';
    let firstSeq = 0;
    let commitSentAt = 0;
    try {
      await writers.transaction(async (tx) => {
        const { rows: [session] } = await tx.query<{ id: string }>(
          `insert into training_sessions (title, course_id, instructor_id, location_id, provider_id, session_date, start_time, end_time, max_capacity)
           values ('Resume test', $1, $2, $3, $4, date '2031-05-05' + $5::integer, '09:00', '12:00', 5) returning id`,
          // A day per session, across every writer: one instructor cannot teach two overlapping sessions.
          [world.courseId, world.instructor.id, world.locationId, world.providerId, (sessionDays += 1)],
        );
        sessionId = session!.id;
        const { rows: [taken] } = await tx.query<{ seq: string }>("select currval(pg_get_serial_sequence('change_log', 'seq'))::text as seq");
        firstSeq = Number(taken!.seq);
        await pause(randomMs(pauseMs));
        const earlier = ownSessions[randomMs(ownSessions.length)];
        if (earlier) await tx.query("update training_sessions set title = 'Resume test, renamed' where id = $1", [earlier]);
        await pause(randomMs(pauseMs / 2));
        await tx.query("insert into locations (name, country) values ('Resume test hall', 'FR')");
        if (attempt % 5 === 2) throw new RolledBack();
        commitSentAt = performance.now();
      });
      committed.push({ firstSeq, commitSentAt, committedAt: performance.now() });
      ownSessions.push(sessionId);
    } catch (error) {
      if (!(error instanceof RolledBack)) throw error;
      rolledBackSessions.push(sessionId);
    }
    await pause(randomMs(gapMs));
  }
}

/** Pairs of transactions where the one that took the lower seq committed after the other had committed. */
function lateCommits(committed: readonly WrittenTransaction[]): number {
  let late = 0;
  for (const early of committed) {
    for (const other of committed) {
      if (early.firstSeq < other.firstSeq && early.commitSentAt > other.committedAt) late++;
    }
  }
  return late;
}

/** A subscriber that, until told to stop, closes its connection after a random moment and reconnects with the last id it saw. */
function reconnectingSubscriber(token: string, first: SseConnection) {
  const connections = [first];
  let stopping = false;
  const running = (async () => {
    let lastId = first.lastId();
    for (let current = first; !stopping;) {
      await pause(100 + randomMs(400));
      current.close();
      await current.ended;
      lastId = current.lastId() ?? lastId;
      current = await openStream(context.baseUrl, { token, topics, ...(lastId ? { lastEventId: lastId } : {}) });
      expect(current.status).toBe(200);
      connections.push(current);
    }
  })();
  // Awaited by stop(); a failure before that must not also count as an unhandled rejection.
  running.catch(() => undefined);
  return {
    connections,
    /** Stops reconnecting; the last connection stays open. */
    async stop(): Promise<SseConnection> {
      stopping = true;
      await running;
      return connections.at(-1)!;
    },
  };
}

async function insertMarker(name: string): Promise<string> {
  const { rows: [marker] } = await context.db.query<{ id: string }>("insert into locations (name, country) values ($1, 'GB') returning id", [name]);
  return marker!.id;
}

/** The change ids between the two markers (the first excluded, the second included), in the order received. */
function idsBetweenMarkers(changes: readonly SseEvent[], startMarker: string, endMarker: string): string[] {
  const start = changes.findIndex((event) => event.data['id'] === startMarker);
  const end = changes.findIndex((event) => event.data['id'] === endMarker);
  expect(start, 'the start marker was received').toBeGreaterThanOrEqual(0);
  expect(end, 'the end marker was received').toBeGreaterThan(start);
  return changes.slice(start + 1, end + 1).map((event) => event.id);
}

/** The change log of the streamed tables after the start marker up to the end marker, in delivery order, as the owner reads it. */
async function changeLogBetween(startMarker: string, endMarker: string): Promise<string[]> {
  const { rows } = await context.db.query<{ position: string }>(
    `with bounds as (
       select (select (txid, seq) from change_log where row_id = $2) as after, (select (txid, seq) from change_log where row_id = $3) as upto
     )
     select c.txid::text || '.' || c.seq as position from change_log c, bounds b
      where c.table_name = any ($1::text[]) and (c.txid, c.seq) > b.after and (c.txid, c.seq) <= b.upto
      order by c.txid, c.seq`,
    [streamedTables, startMarker, endMarker],
  );
  return rows.map((row) => row.position);
}

function missingAndRepeated(received: readonly string[], logged: readonly string[]) {
  const seen = new Map<string, number>();
  for (const id of received) seen.set(id, (seen.get(id) ?? 0) + 1);
  return {
    missing: logged.filter((id) => !seen.has(id)),
    repeated: [...seen].filter(([, times]) => times > 1).map(([id]) => id),
    unknown: received.filter((id) => !logged.includes(id)),
  };
}

/**
 * Writers go on until the run has shown what it is for, however fast the machine: the subscriber has
 * reconnected mid-stream several times with changes on most connections, some transactions rolled back,
 * and `enough` holds for what committed.
 */
async function runScenario(options: { writerCount: number; pauseMs: number; gapMs: number; enough: (committed: readonly WrittenTransaction[]) => boolean }) {
  const steady = await openStream(context.baseUrl, { token: world.tokens.sa, topics });
  const firstOfReconnecting = await openStream(context.baseUrl, { token: world.tokens.sa, topics });
  expect([steady.status, firstOfReconnecting.status]).toEqual([200, 200]);
  const startMarker = await insertMarker('Start marker');
  const hasStart = (stream: SseConnection) => () => stream.changes().some((event) => event.data['id'] === startMarker);
  await Promise.all([steady.waitUntil(hasStart(steady)), firstOfReconnecting.waitUntil(hasStart(firstOfReconnecting))]);

  const reconnecting = reconnectingSubscriber(world.tokens.sa, firstOfReconnecting);
  const committed: WrittenTransaction[] = [];
  const rolledBackSessions: string[] = [];
  const done = () =>
    reconnecting.connections.length >= 6 && reconnecting.connections.filter((connection) => connection.changes().length > 0).length >= 5 &&
    rolledBackSessions.length > 0 && options.enough(committed);
  await Promise.all(Array.from({ length: options.writerCount }, () => writeUntil(done, options.pauseMs, options.gapMs, committed, rolledBackSessions)));
  const last = await reconnecting.stop();
  const endMarker = await insertMarker('End marker');
  const hasEnd = (stream: SseConnection) => () => stream.changes().some((event) => event.data['id'] === endMarker);
  await Promise.all([steady.waitUntil(hasEnd(steady), 20_000, 'the end marker'), last.waitUntil(hasEnd(last), 20_000, 'the end marker')]);
  steady.close();
  last.close();

  const logged = await changeLogBetween(startMarker, endMarker);
  const steadyIds = idsBetweenMarkers(steady.changes(), startMarker, endMarker);
  const reconnectingIds = idsBetweenMarkers(reconnecting.connections.flatMap((connection) => connection.changes()), startMarker, endMarker);
  for (const received of [steadyIds, reconnectingIds]) {
    expect(missingAndRepeated(received, logged)).toEqual({ missing: [], repeated: [], unknown: [] });
    expect(received).toEqual(logged);
  }
  // The ids are positions in delivery order, each after the one before.
  const positions = reconnectingIds.map((id) => parsePosition(id, 'id'));
  expect(positions.every((position, index) => index === 0 || comparePositions(positions[index - 1]!, position) < 0)).toBe(true);
  const everyReceived = [...steady.changes(), ...reconnecting.connections.flatMap((connection) => connection.changes())];
  expect(everyReceived.filter((event) => rolledBackSessions.includes(event.data['id'] as string))).toEqual([]);
  expect(rolledBackSessions.length, 'some transactions rolled back').toBeGreaterThan(0);

  // The run really disconnected mid-stream: several connections, and changes arrived on most of them.
  const connectionsWithChanges = reconnecting.connections.filter((connection) =>
    connection.changes().some((event) => logged.includes(event.id))).length;
  expect(reconnecting.connections.length).toBeGreaterThanOrEqual(5);
  expect(connectionsWithChanges).toBeGreaterThanOrEqual(4);
  return { committed, logged, connections: reconnecting.connections.length };
}

describe('resuming GET /v1/stream with Last-Event-ID', () => {
  it.runIf(onPostgres)('loses nothing and repeats nothing across reconnects, with six writers whose transactions overlap and commit out of seq order', async () => {
    const { committed, logged } = await runScenario({
      writerCount: 6, pauseMs: 60, gapMs: 0, enough: (written) => written.length > 30 && lateCommits(written) > 0,
    });
    expect(committed.length).toBeGreaterThan(30);
    expect(logged.length).toBeGreaterThan(60);
    // The case the resume point must survive: a transaction with an earlier seq committed after another's commit.
    expect(lateCommits(committed)).toBeGreaterThan(0);
  });

  it.runIf(!onPostgres)('loses nothing and repeats nothing across reconnects, with one writer (the embedded engine has one connection)', async () => {
    // No pause inside a transaction: it would hold the one connection; pauses between them let the stream read.
    const { committed } = await runScenario({ writerCount: 1, pauseMs: 0, gapMs: 20, enough: (written) => written.length > 5 });
    expect(committed.length).toBeGreaterThan(5);
  });
});
