import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/auth.js';
import { createEnrollmentWorld, type EnrollmentWorld } from '../../../test/world.js';
import { testEngine, testKeysEnv } from '../../../test/engine.js';
import { type PrivateCluster, privateClusterUnavailable, startPrivateCluster } from '../../../test/private-postgres.js';
import { startServerProcess, type ServerProcess } from '../../../test/server-process.js';
import { openStream, type SseConnection, type SseEvent } from '../../../test/sse-client.js';
import type { Db } from '../db/database.js';
import { migrateUp } from '../db/migrations/migrator.js';
import { openPostgresDatabase } from '../db/postgres-database.js';
import { createQueryLog } from '../db/query-log.js';
import { changesChannel } from '../db/commit-signal.js';
import { until } from '../../../test/until.js';

// A real `serve` process on a PostgreSQL cluster of this file's own, which the test restarts with
// `pg_ctl restart -m fast` while clients stream. The server's feed polls once a minute, so a change
// written after the restart reaches a subscriber in time only if the server listens again: the test
// writes on its own connection and NOTIFYs as another server process would.
const feedPollMs = 60_000;
const skipReason = testEngine !== 'postgres' ? 'runs in the PostgreSQL suite (DATABASE_URL set)' : privateClusterUnavailable;

let cluster: PrivateCluster;
let db: Db;
let server: ServerProcess;
let dataDir: string;
let world: EnrollmentWorld;
const followers: Follower[] = [];

beforeAll(async () => {
  if (skipReason !== null) return;
  cluster = await startPrivateCluster();
  const url = await cluster.createDatabase('unitrain');
  db = await openPostgresDatabase({ url, replicaUrl: null, poolMax: 4 }, createQueryLog(null, 0));
  await migrateUp(db);
  world = await createEnrollmentWorld(db);
  dataDir = await mkdtemp(join(tmpdir(), 'unitrain-restart-'));
  server = await startServerProcess({ ...testKeysEnv, DATABASE_URL: url, DATA_DIR: dataDir, WORKER_IN_PROCESS: 'false', FEED_POLL_MS: String(feedPollMs) });
});
afterAll(async () => {
  for (const follower of followers) follower.close();
  await server?.stop();
  await db?.close();
  await cluster?.remove();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Like EventSource: when the server ends the stream, reconnects at once with the last id received. */
interface Follower {
  connections: SseConnection[];
  /** Reconnects that failed (EventSource would give up on a refused one). */
  failures: unknown[];
  changes(): SseEvent[];
  lastId(): string | null;
  waitForRow(rowId: string, timeoutMs?: number): Promise<void>;
  close(): void;
}

async function follow(lastEventId?: string): Promise<Follower> {
  const connections: SseConnection[] = [];
  const failures: unknown[] = [];
  let closed = false;
  const lastId = () => connections.reduce<string | null>((last, connection) => connection.lastId() ?? last, lastEventId ?? null);
  const connect = async () => {
    const id = lastId();
    const connection = await openStream(server.url, { token: world.tokens.sa, topics: 'locations', ...(id ? { lastEventId: id } : {}) });
    expect(connection.status).toBe(200);
    connections.push(connection);
    void connection.ended.then(() => {
      if (!closed) connect().catch((error: unknown) => failures.push(error));
    });
  };
  await connect();
  const follower: Follower = {
    connections,
    failures,
    changes: () => connections.flatMap((connection) => connection.changes()),
    lastId,
    async waitForRow(rowId, timeoutMs = 10_000) {
      const giveUpAt = Date.now() + timeoutMs;
      while (!follower.changes().some((event) => event.data['id'] === rowId)) {
        if (Date.now() > giveUpAt) throw new Error(`no change of ${rowId} after ${timeoutMs} ms; last received: ${JSON.stringify(follower.changes().slice(-3))}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close() {
      closed = true;
      for (const connection of connections) connection.close();
    },
  };
  followers.push(follower);
  return follower;
}

/** A location written on the test's own connection, then a NOTIFY as another server process sends after its commits. */
async function writeElsewhere(name: string): Promise<string> {
  const { rows: [location] } = await db.query<{ id: string }>("insert into locations (name, country) values ($1, 'GB') returning id", [name]);
  await db.query('select pg_notify($1, $2)', [changesChannel, '']);
  return location!.id;
}

async function timeUntilReceived(followers: readonly Follower[], rowId: string): Promise<number> {
  const writtenAt = performance.now();
  await Promise.all(followers.map((follower) => follower.waitForRow(rowId)));
  return performance.now() - writtenAt;
}

/** The location changes after the first marker up to the last, in delivery order, as the owner reads the log. */
async function changeLogBetween(first: string, last: string): Promise<string[]> {
  const { rows } = await db.query<{ position: string }>(
    `select c.txid::text || '.' || c.seq as position from change_log c
      where c.table_name = 'locations'
        and (c.txid, c.seq) > (select txid, seq from change_log where row_id = $1)
        and (c.txid, c.seq) <= (select txid, seq from change_log where row_id = $2)
      order by c.txid, c.seq`,
    [first, last],
  );
  return rows.map((row) => row.position);
}

function idsAfter(changes: readonly SseEvent[], first: string, last: string): string[] {
  const start = changes.findIndex((event) => event.data['id'] === first);
  const end = changes.findIndex((event) => event.data['id'] === last);
  return changes.slice(start + 1, end + 1).map((event) => event.id);
}

const title = `a database restart while clients stream${skipReason === null ? '' : ` (skipped: ${skipReason})`}`;

describe.skipIf(skipReason !== null)(title, () => {
  it('listens again after the restart; a live subscriber and one resuming with Last-Event-ID get every change once', async () => {
    const live = await follow();
    const away = await follow();
    const first = await writeElsewhere('Before the restart');
    expect(await timeUntilReceived([live, away], first)).toBeLessThan(2_000);
    away.close();
    const resumeFrom = away.lastId() as string;
    const missed = await writeElsewhere('Missed before the restart');
    await live.waitForRow(missed);

    await cluster.restart();
    await until(() => server.logs().includes('change signal reconnected to the database'), 'the server to listen again');
    const { rows: listeners } = await db.query("select 1 from pg_stat_activity where application_name = 'unitrain-listen'");
    expect(listeners).toHaveLength(1);

    // Only the NOTIFY can bring these in before the minute-long poll: the server listens again.
    const afterRestart = await writeElsewhere('After the restart');
    expect(await timeUntilReceived([live], afterRestart)).toBeLessThan(2_000);
    // And the server's own pool works again: a write through the API, delivered live.
    const created = await fetch(`${server.url}/v1/locations`, {
      method: 'POST', headers: { ...bearer(world.tokens.sa), 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Through the API', country: 'FR' }),
    });
    expect(created.status).toBe(201);
    const throughApi = ((await created.json()) as { id: string }).id;
    await live.waitForRow(throughApi);

    const resumed = await follow(resumeFrom);
    const last = await writeElsewhere('Last');
    await Promise.all([live.waitForRow(last), resumed.waitForRow(last)]);

    const logged = await changeLogBetween(first, last);
    expect(logged).toHaveLength(4);
    expect(idsAfter(live.changes(), first, last)).toEqual(logged);
    expect(idsAfter([...away.changes(), ...resumed.changes()], first, last)).toEqual(logged);
    expect(resumed.changes().map((event) => event.data['id'])).toEqual([missed, afterRestart, throughApi, last]);
    expect([...live.failures, ...resumed.failures]).toEqual([]);
  });
});
