import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { useTestDatabase } from '../../../test/database.js';
import { testEngine } from '../../../test/engine.js';
import { openTransaction } from '../../../test/open-transaction.js';
import { asTx, type Queryable } from '../db/database.js';
import { createDispatcher, type DispatcherSettings } from './dispatcher.js';
import { type JobHandler, subscriptionsOf } from './job-handler.js';
import { queueEventsPassedWithoutJobs, relayEvents, subscriptionColumnsOf } from './jobs.repository.js';
import { queueJobsOfPassedEvents } from './jobs.service.js';
import { testLogger } from '../../../test/logger.js';

// The relay under concurrent writers: whatever the order in which transactions take their sequence
// numbers, their transaction ids and commit, every committed event gets exactly one job per subscribed
// handler, and the relay position never passes an event that has no job yet (decisions 0015, 0016).
const context = useTestDatabase();
// A small batch: many relay transactions, each a chance to move the position at the wrong moment.
const settings: DispatcherSettings = { pollMs: 5, batchSize: 7, leaseMs: 60_000, backoffBaseMs: 0, backoffMaxMs: 0 };
const eventType = 'probe.relayed';
const handlerNames = ['test.relay-a', 'test.relay-b'];

beforeAll(async () => {
  await context.db.query('create table test_relay_runs (job_id uuid not null)');
});

const handlers: JobHandler[] = handlerNames.map((name) => ({
  name,
  eventTypes: [eventType],
  async run(tx, job) {
    await tx.query('insert into test_relay_runs (job_id) values ($1)', [job.id]);
  },
}));

async function appendEvent(executor: Pick<Queryable, 'query'>): Promise<void> {
  await executor.query(`insert into domain_events (aggregate_type, aggregate_id, event_type) values ('probe', $1, $2)`, [randomUUID(), eventType]);
}

/** Committed events of the probe type whose jobs are not exactly one per handler, each run once: none, when the relay is right. */
async function eventsWithoutExactlyTheirJobs(): Promise<{ seq: string; jobs: string[] }[]> {
  const { rows } = await context.db.query<{ seq: string; jobs: string[] }>(
    `select e.seq::text as seq, array_remove(array_agg(j.handler || ':' || j.status || ':' || (select count(*) from test_relay_runs r where r.job_id = j.id) order by j.handler), null) as jobs
       from domain_events e left join jobs j on j.event_seq = e.seq
      where e.event_type = $1
      group by e.seq
     having array_remove(array_agg(j.handler || ':' || j.status || ':' || (select count(*) from test_relay_runs r where r.job_id = j.id) order by j.handler), null) <> $2::text[]`,
    [eventType, handlerNames.map((name) => `${name}:SUCCEEDED:1`)],
  );
  return rows;
}

/**
 * Committed events at or behind the relay position that have no job: those the relay has passed over for
 * good, since it queues only what lies ahead of its position. One statement, so one snapshot: the
 * position and the jobs a relay wrote with it commit together.
 */
async function eventsPassedOver(): Promise<string[]> {
  const { rows } = await context.db.query<{ seq: string }>(
    `select e.seq::text as seq
       from domain_events e, (select (payload ->> 'txid')::xid8 as txid, (payload ->> 'seq')::bigint as seq from jobs where idempotency_key = 'relay.position') p
      where e.event_type = $1 and (e.txid, e.seq) <= (p.txid, p.seq) and not exists (select 1 from jobs j where j.event_seq = e.seq)`,
    [eventType],
  );
  return rows.map((row) => row.seq);
}

async function countEvents(): Promise<number> {
  const { rows: [counted] } = await context.db.query<{ n: number }>('select count(*)::int as n from domain_events where event_type = $1', [eventType]);
  return counted!.n;
}

/** `count` transactions over `clients` at once, each appending one to three events; every fifth rolls back. Resolves to the events committed. */
async function writeConcurrently(transaction: <T>(fn: (tx: Pick<Queryable, 'query'>) => Promise<T>) => Promise<T>, clients: number, count: number): Promise<number> {
  let next = 0;
  let committed = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    for (let n = next++; n < count; n = next++) {
      const events = 1 + (n % 3);
      const rollsBack = n % 5 === 4;
      await transaction(async (tx) => {
        for (let k = 0; k < events; k++) await appendEvent(tx);
        if (rollsBack) throw new RolledBack();
      }).catch((error: unknown) => {
        if (!(error instanceof RolledBack)) throw error;
      });
      if (!rollsBack) committed += events;
    }
  }));
  return committed;
}

class RolledBack extends Error {}

/** What is left relayed and run by a dispatcher of its own (a stopped one stays stopped). */
const drain = () => createDispatcher(context.db, handlers, testLogger, settings).drain();

describe('the relay position', () => {
  it('passes an event only once it has queued it, whatever the digits of its number', async () => {
    // One transaction's events numbered 9 and 10, relayed one at a time: as text, 10 sorts before 9.
    await context.db.query(`select setval(pg_get_serial_sequence('domain_events', 'seq'), n + (18 - n % 10) % 10) from (select nextval(pg_get_serial_sequence('domain_events', 'seq')) as n) next`);
    const { rows: numbered } = await context.db.transaction(async (tx) => {
      await appendEvent(tx);
      await appendEvent(tx);
      return tx.query<{ seq: string }>('select seq::text as seq from domain_events where event_type = $1 order by domain_events.seq desc limit 2', [eventType]);
    });
    expect(numbered.map((row) => Number(row.seq) % 10).sort()).toEqual([0, 9]);
    await createDispatcher(context.db, handlers, testLogger, { ...settings, batchSize: 1 }).drain();
    expect(await eventsWithoutExactlyTheirJobs()).toEqual([]);
    expect(await eventsPassedOver()).toEqual([]);
  });
});

describe('the relay under concurrent writers', () => {
  it('queues every committed event once per handler while writers commit and roll back beside it', async () => {
    const before = await countEvents();
    const dispatcher = createDispatcher(context.db, handlers, testLogger, settings);
    dispatcher.start();
    let committed: number;
    try {
      // On the embedded engine the transactions take turns on its one connection, between the relay's.
      committed = await writeConcurrently((fn) => context.db.transaction(fn), 8, 120);
    } finally {
      await dispatcher.stop();
    }
    await drain();
    expect(await countEvents()).toBe(before + committed);
    expect(await eventsWithoutExactlyTheirJobs()).toEqual([]);
    expect(await eventsPassedOver()).toEqual([]);
  });

  // The compliance test's drain that ran 0 jobs, then 2: the relay settled the events below the xmin of
  // one statement's snapshot and read ahead from the xmin of the next one's, so an event of a transaction
  // that committed behind an older one, which ended between the two statements, was in neither.
  it.runIf(testEngine === 'postgres')('queues an event that committed behind an older transaction ending while it relays, in that relay', async () => {
    const older = await openTransaction(context.db, (tx) => tx.query('select pg_current_xact_id()'));
    let olderOpen = true;
    try {
      const { rows: [event] } = await context.db.query<{ seq: string }>(
        `insert into domain_events (aggregate_type, aggregate_id, event_type) values ('probe', $1, $2) returning seq::text as seq`,
        [randomUUID(), eventType],
      );
      let statements = 0;
      await context.db.transaction((tx) => relayEvents(asTx({
        async query(sql, params) {
          // Its statements: the lock, the position, the settled events, then those ahead. The older transaction ends before the last.
          if (++statements === 4) {
            await older.commit();
            olderOpen = false;
          }
          return tx.query(sql, params);
        },
        exec: (sql) => tx.exec(sql),
      }), subscriptionColumnsOf(subscriptionsOf(handlers)), settings.batchSize));
      expect(olderOpen).toBe(false);
      const { rows } = await context.db.query<{ handler: string }>('select handler from jobs where event_seq = $1 order by handler', [event!.seq]);
      expect(rows.map((row) => row.handler)).toEqual(handlerNames);
    } finally {
      if (olderOpen) await older.commit();
    }
    await drain();
  });

  it.runIf(testEngine === 'postgres')('never moves past a late committer: events of transactions held open are queued once each when they commit', async () => {
    const url = context.database.url!;
    // A session advisory lock the late transactions wait on, each after it has its transaction id.
    const gateKey = 8_245_972_158_721_000;
    const gate = new pg.Client({ connectionString: url });
    await gate.connect();
    const writers = new pg.Pool({ connectionString: url, max: 8 });
    const onWriter = async <T>(fn: (tx: Pick<Queryable, 'query'>) => Promise<T>): Promise<T> => {
      const client = await writers.connect();
      try {
        await client.query('begin');
        const result = await fn({ query: async (sql, params) => { const r = await client.query(sql, params as unknown[]); return { rows: r.rows, rowCount: r.rowCount ?? 0 }; } });
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback');
        throw error;
      } finally {
        client.release();
      }
    };
    /**
     * A transaction held open until the gate opens: its event appended before it waits (a low transaction
     * id and a low sequence number), or after (it took its transaction id first: a low id, a high number).
     */
    const heldTxids: bigint[] = [];
    const late = async (eventFirst: boolean): Promise<string> => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query('begin');
        const { rows: [own] } = await client.query<{ txid: string }>('select pg_current_xact_id()::text as txid');
        heldTxids.push(BigInt(own!.txid));
        if (eventFirst) await appendEvent(client);
        await client.query('select pg_advisory_xact_lock_shared($1)', [gateKey]);
        if (!eventFirst) await appendEvent(client);
        await client.query('commit');
        return own!.txid;
      } finally {
        await client.end();
      }
    };
    const waitingAtGate = async () => {
      const { rows: [waiting] } = await gate.query<{ n: number }>(
        `select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())`,
      );
      return waiting!.n;
    };

    await gate.query('select pg_advisory_lock($1)', [gateKey]);
    const before = await countEvents();
    const dispatcher = createDispatcher(context.db, handlers, testLogger, settings);
    const lateOnes: Promise<string>[] = [];
    let committed = 0;
    try {
      for (let n = 0; n < 6; n++) lateOnes.push(late(n % 2 === 0));
      await vi.waitFor(async () => expect(await waitingAtGate()).toBe(6), { timeout: 60_000, interval: 20 });
      dispatcher.start();
      committed += await writeConcurrently(onWriter, 10, 150);
      // More late ones in the middle of the stream, while writers go on.
      for (let n = 0; n < 4; n++) lateOnes.push(late(n % 2 === 1));
      committed += await writeConcurrently(onWriter, 6, 100);
      await vi.waitFor(async () => expect(await waitingAtGate()).toBe(10), { timeout: 60_000, interval: 20 });
      await dispatcher.stop();
      await drain();

      // Every committed event has its jobs already (queued ahead of the position), the held ones are not
      // visible yet, and the position waits below the oldest held transaction.
      expect(await countEvents()).toBe(before + committed);
      expect(await eventsWithoutExactlyTheirJobs()).toEqual([]);
      expect(await eventsPassedOver()).toEqual([]);
      const { rows: [position] } = await context.db.query<{ txid: string }>(`select payload ->> 'txid' as txid from jobs where idempotency_key = 'relay.position'`);
      expect(heldTxids).toHaveLength(10);
      expect(heldTxids.every((txid) => BigInt(position!.txid) < txid)).toBe(true);

      // The gate opens while the relay runs and writers go on: the late events commit behind events already queued.
      dispatcher.start();
      const writing = writeConcurrently(onWriter, 6, 100);
      await gate.query('select pg_advisory_unlock($1)', [gateKey]);
      const lateTxids = await Promise.all(lateOnes);
      committed += lateOnes.length + (await writing);
      expect(new Set(lateTxids).size).toBe(lateOnes.length);
    } finally {
      await gate.query('select pg_advisory_unlock_all()');
      await Promise.allSettled(lateOnes);
      await dispatcher.stop();
      await writers.end();
      await gate.end();
    }
    await drain();
    expect(await countEvents()).toBe(before + committed);
    expect(await eventsWithoutExactlyTheirJobs()).toEqual([]);
    expect(await eventsPassedOver()).toEqual([]);
  });
});

describe('a handler that needs a field of the payload', () => {
  const needing = 'probe.maybe-addressed';
  const addressed: JobHandler = { name: 'test.relay-addressed', eventTypes: [needing], onlyWithField: 'recipient', run: async () => {} };
  const appendMaybeAddressed = (executor: Pick<Queryable, 'query'>, payload: Record<string, unknown>) =>
    executor.query(`insert into domain_events (aggregate_type, aggregate_id, event_type, payload) values ('probe', $1, $2, $3::jsonb) returning seq::text as seq`, [randomUUID(), needing, JSON.stringify(payload)]);
  const jobsOf = async (seqs: string[]) =>
    (await context.db.query<{ seq: string }>('select event_seq::text as seq from jobs where event_seq = any($1::bigint[]) order by event_seq', [seqs])).rows.map((row) => row.seq);

  it('is queued a job for each event whose payload has the field, none for one where it is null or absent', async () => {
    const seqs: string[] = [];
    for (const payload of [{ recipient: randomUUID() }, { recipient: null }, {}, { recipient: randomUUID() }]) {
      seqs.push((await appendMaybeAddressed(context.db, payload)).rows[0]!.seq as string);
    }
    await createDispatcher(context.db, [addressed], testLogger, settings).drain();
    expect(await jobsOf(seqs)).toEqual([seqs[0], seqs[3]]);
  });

  it.runIf(testEngine === 'postgres')('leaves events without the field behind a held transaction out of the batch it reads ahead, so a drain ends', async () => {
    // A transaction with an id, held open: every event after it lies beyond xmin, where the relay reads
    // "events with no job yet". Those without the field never get one; read as ahead, a full batch of them
    // on every round would keep the relay going round for as long as the transaction stays open.
    const holder = new pg.Client({ connectionString: context.database.url! });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select pg_current_xact_id()');
      const unaddressed: string[] = [];
      for (let k = 0; k < settings.batchSize * 2; k++) unaddressed.push((await appendMaybeAddressed(context.db, { recipient: null })).rows[0]!.seq as string);
      const last = (await appendMaybeAddressed(context.db, { recipient: randomUUID() })).rows[0]!.seq as string;
      await createDispatcher(context.db, [addressed], testLogger, settings).drain();
      expect(await jobsOf([...unaddressed, last])).toEqual([last]);
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
  });
});

describe('the repair of events the relay passed without their jobs', () => {
  // What the relay before its fix could leave (decision 0016): a committed event behind the position with
  // no job. Made here directly: the event, then the position moved onto it.
  const passedType = 'probe.passed';
  const subscriptions = subscriptionsOf(['test.passed-a', 'test.passed-b'].map((name) => ({ name, eventTypes: [passedType] })));
  const retentionDays = 14;

  async function passEventWithoutJobs(): Promise<string> {
    const { rows: [event] } = await context.db.query<{ seq: string; txid: string }>(
      `insert into domain_events (aggregate_type, aggregate_id, event_type) values ('probe', $1, $2) returning seq::text as seq, txid::text as txid`,
      [randomUUID(), passedType],
    );
    await context.db.query(`update jobs set payload = jsonb_build_object('txid', $1::text, 'seq', $2::bigint) where idempotency_key = 'relay.position'`, [event!.txid, event!.seq]);
    return event!.seq;
  }

  const jobsOf = async (seq: string) =>
    (await context.db.query<{ handler: string }>('select handler from jobs where event_seq = $1 order by handler', [seq])).rows.map((row) => row.handler);

  it('queues one job per handler of a passed event, and nothing when repeated', async () => {
    const seq = await passEventWithoutJobs();
    expect(await queueJobsOfPassedEvents(context.db, subscriptions, retentionDays)).toEqual({ events: 1, jobs: 2 });
    expect(await jobsOf(seq)).toEqual(['test.passed-a', 'test.passed-b']);
    expect(await queueJobsOfPassedEvents(context.db, subscriptions, retentionDays)).toEqual({ events: 0, jobs: 0 });
    expect(await jobsOf(seq)).toEqual(['test.passed-a', 'test.passed-b']);
  });

  it('owes nothing for a passed event without the payload field its only handler needs (decision 0074)', async () => {
    const addressedOnly = subscriptionsOf([{ name: 'test.passed-addressed', eventTypes: [passedType], onlyWithField: 'recipient' }]);
    const seq = await passEventWithoutJobs();
    expect(await queueJobsOfPassedEvents(context.db, addressedOnly, retentionDays)).toEqual({ events: 0, jobs: 0 });
    expect(await jobsOf(seq)).toEqual([]);
    // The same event is owed the jobs of handlers that need nothing of it: found, and repaired.
    expect(await queueJobsOfPassedEvents(context.db, subscriptions, retentionDays)).toEqual({ events: 1, jobs: 2 });
  });

  it('leaves alone a passed event older than the job retention, whose jobs may have been pruned', async () => {
    const seq = await passEventWithoutJobs();
    await context.db.query(`update domain_events set occurred_at = now() - make_interval(days => $2) - interval '1 minute' where seq = $1`, [seq, retentionDays]);
    expect(await queueJobsOfPassedEvents(context.db, subscriptions, retentionDays)).toEqual({ events: 0, jobs: 0 });
    expect(await jobsOf(seq)).toEqual([]);
  });

  it.runIf(testEngine === 'postgres')('queues each job once when two repairs run at once', async () => {
    const seq = await passEventWithoutJobs();
    // The first repair has queued the jobs and not committed; the second finds the same event with no job.
    const first = await openTransaction(context.db, (tx) => queueEventsPassedWithoutJobs(tx, subscriptions, retentionDays));
    expect(first.result).toEqual({ events: 1, jobs: 2 });
    const second = queueJobsOfPassedEvents(context.db, subscriptions, retentionDays);
    try {
      // It waits on the first one's keys in the unique index.
      await vi.waitFor(async () => {
        const { rows: [waiting] } = await context.db.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like 'insert into jobs%'`,
        );
        expect(waiting!.n).toBe(1);
      }, { timeout: 30_000, interval: 20 });
    } finally {
      await first.commit();
    }
    expect(await second).toEqual({ events: 1, jobs: 0 });
    expect(await jobsOf(seq)).toEqual(['test.passed-a', 'test.passed-b']);
  });
});
