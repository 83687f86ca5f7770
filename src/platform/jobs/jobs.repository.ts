import type { Queryable, Tx } from '../db/database.js';
import { pageRows, type TableSpec } from '../shared/crud/crud.repository.js';
import { timestampCursorText } from '../shared/crud/cursor.js';

export const jobStatuses = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'DEAD'] as const;
export type JobStatus = (typeof jobStatuses)[number];

export interface JobRow {
  id: string;
  queue: string;
  handler: string;
  event_seq: string | null;
  payload: Record<string, unknown>;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  run_after: Date;
  locked_by: string | null;
  locked_until: Date | null;
  last_error: string | null;
  idempotency_key: string | null;
  finished_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

const columns = `id, queue, handler, event_seq::text as event_seq, payload, status, attempts, max_attempts, run_after,
  locked_by, locked_until, last_error, idempotency_key, finished_at, created_at, updated_at, version`;

/** The admin list as a keyset-paged table (src/platform/shared/crud); `event_seq` comes back as a number there. */
const jobsTable: TableSpec = {
  table: 'jobs',
  readFrom: 'jobs',
  columns: ['id', 'queue', 'handler', 'event_seq', 'payload', 'status', 'attempts', 'max_attempts', 'run_after', 'locked_by',
    'locked_until', 'last_error', 'idempotency_key', 'finished_at', 'created_at', 'updated_at', 'version'],
  filterable: ['status'],
  sortable: ['created_at'],
  cursorFormats: { created_at: timestampCursorText },
  versioned: true,
};

/** The jobs row that holds the relay's position (migration 0020). */
const relayPositionKey = 'relay.position';

/** Relays of several processes take turns on this transaction-level advisory lock (relayEvents). */
const relayLockKey = 8_245_972_158_721_129;

/**
 * Rows of this queue hold state, not work: the relay's position (migration 0020) and how far
 * change_log has been pruned (0023). They are SUCCEEDED, so never claimed, and are never listed,
 * retried or pruned.
 */
const systemQueue = 'system';

export interface Subscription {
  eventType: string;
  handler: string;
  maxAttempts: number;
  /** JobHandler.onlyWithField: events whose payload has this field null or absent queue no job for the handler. */
  onlyWithField: string | null;
}

/**
 * The subscriptions as the relay's statements take them: one array a column, element i of each from
 * subscription i. Built once per dispatcher (subscriptionColumnsOf), not on every round of its relay.
 */
export interface SubscriptionColumns {
  eventTypes: readonly string[];
  handlers: readonly string[];
  maxAttempts: readonly number[];
  onlyWithFields: readonly (string | null)[];
}

export function subscriptionColumnsOf(subscriptions: readonly Subscription[]): SubscriptionColumns {
  return {
    eventTypes: subscriptions.map((s) => s.eventType),
    handlers: subscriptions.map((s) => s.handler),
    maxAttempts: subscriptions.map((s) => s.maxAttempts),
    onlyWithFields: subscriptions.map((s) => s.onlyWithField),
  };
}

/**
 * Whether subscription `alias` (a row of the unnested subscriptions: event_type, only_with_field) queues a
 * job for event `e`: its type, and the payload field its handler needs, if any, present (decision 0074).
 * The relay, its read ahead of xmin and the doctor's check of passed events all ask this one question.
 */
const subscriptionWantsEvent = (alias: string) =>
  `${alias}.event_type = e.event_type and (${alias}.only_with_field is null or e.payload ->> ${alias}.only_with_field is not null)`;

/**
 * Turns the next committed events into one job per subscribed handler, in the caller's (owner)
 * transaction. The position only moves over events of transactions older than the xmin read with it:
 * no transaction that could still commit an event behind it is running (decision 0015). Committed
 * events beyond xmin (xmin is cluster-wide: any long transaction holds it back) are queued now as
 * well but stay ahead of the position, so later rounds see them again; the unique idempotency key
 * (handler:seq) keeps them from being queued twice. Relays of several processes take turns on an advisory
 * lock, not on the position row FOR UPDATE: a row lock gives the transaction an id, so a round that
 * relayed nothing would count as a write and signal a commit (db/commit-signal.ts), waking every worker
 * and feed again, for ever. Returns the larger of the events passed and the events queued ahead,
 * so the caller goes on while either filled its batch.
 */
export async function relayEvents(tx: Tx, subscriptions: SubscriptionColumns, batchSize: number): Promise<number> {
  await tx.query('select pg_advisory_xact_lock($1)', [relayLockKey]);
  // Read once the lock is held: each statement sees what committed before it began, so the last relay's position.
  // With it, the one xmin both reads below divide at. Each statement takes a snapshot of its own: asked in
  // each, xmin could move between them (an older transaction ending), and an event of a transaction that
  // committed behind that one would be neither settled by the first nor ahead for the second (a drain that
  // ran nothing, then found the event settled at its next round). Every transaction below this xmin had
  // ended before this statement, so the reads after it see all of their events.
  const { rows: [position] } = await tx.query<{ txid: string; seq: string; xmin: string }>(
    `select payload ->> 'txid' as txid, payload ->> 'seq' as seq, pg_snapshot_xmin(pg_current_snapshot())::text as xmin
       from jobs where idempotency_key = $1`,
    [relayPositionKey],
  );
  if (!position) throw new Error('the relay position row is missing: is migration 0020 applied?');
  const after = [position.txid, position.seq, batchSize, position.xmin];
  const { rows: settled } = await tx.query<{ txid: string; seq: string }>(
    // Ordered by the columns, not the text the select names alike: ORDER BY takes an output name first,
    // and text order ("10" < "9") moved the position past an event of the same transaction.
    `select txid::text as txid, seq::text as seq from domain_events
      where (txid, seq) > ($1::xid8, $2::bigint) and txid < $4::xid8
      order by domain_events.txid, domain_events.seq limit $3`,
    after,
  );
  // Beyond xmin: committed events that some subscription queues a job for and that have no job yet.
  // Filtering on "no job yet" (not on a position) lets each round reach further while xmin is held
  // back, instead of reading the same first batch again; an event every subscription leaves without a
  // job (onlyWithField) is not "ahead" either, or it would fill that batch on every round.
  const { rows: ahead } = await tx.query<{ seq: string }>(
    `select e.seq::text as seq from domain_events e
      where (e.txid, e.seq) > ($1::xid8, $2::bigint) and e.txid >= $4::xid8
        and exists (select 1 from unnest($5::text[], $6::text[]) as s(event_type, only_with_field)
                     where ${subscriptionWantsEvent('s')})
        and not exists (select 1 from jobs j where j.event_seq = e.seq)
      order by e.seq limit $3`,
    [...after, subscriptions.eventTypes, subscriptions.onlyWithFields],
  );
  const seqs = [...settled, ...ahead].map((event) => event.seq);
  if (seqs.length === 0) return 0;
  await insertEventJobs(tx, subscriptions, seqs);
  const last = settled.at(-1);
  if (last) {
    await tx.query(
      `update jobs set payload = jsonb_build_object('txid', $2::text, 'seq', $3::bigint), updated_at = now() where idempotency_key = $1`,
      [relayPositionKey, last.txid, last.seq],
    );
  }
  return Math.max(settled.length, ahead.length);
}

/**
 * One job per subscribed handler of each event of `seqs`. The idempotency key `<handler>:<seq>` makes a
 * repeat queue nothing, also when two transactions queue the same event at once: the second waits on the
 * unique index for the first, then inserts nothing. Returns how many jobs were queued.
 */
async function insertEventJobs(tx: Tx, subscriptions: SubscriptionColumns, seqs: readonly string[]): Promise<number> {
  const { rowCount } = await tx.query(
    `insert into jobs (handler, event_seq, payload, max_attempts, idempotency_key)
     select s.handler, e.seq, jsonb_build_object('event_type', e.event_type, 'aggregate_type', e.aggregate_type,
              'aggregate_id', e.aggregate_id, 'occurred_at', e.occurred_at, 'data', e.payload),
            s.max_attempts, s.handler || ':' || e.seq
       from domain_events e
       join unnest($1::text[], $2::text[], $3::integer[], $5::text[]) as s(event_type, handler, max_attempts, only_with_field)
         on ${subscriptionWantsEvent('s')}
      where e.seq = any($4::bigint[])
     on conflict (idempotency_key) do nothing`,
    [subscriptions.eventTypes, subscriptions.handlers, subscriptions.maxAttempts, seqs, subscriptions.onlyWithFields],
  );
  return rowCount;
}

/**
 * Events the relay has passed (at or behind its position) that have no job at all although a handler
 * subscribes to their type: the relay queues only what lies ahead of its position, so these never get
 * one. Until commit cafa53e the relay could leave such events behind (decision 0016: it ordered a batch
 * as text, "10" before "9"). Parameters: $1 the subscribed event types and $2 their handlers (one
 * subscription per element), $3 the job retention in days. Only events of the retention are judged:
 * the prune deletes SUCCEEDED jobs finished longer ago than that (deleteSucceededJobs), and a job
 * finishes after its event's transaction began (`occurred_at`), so a younger event's jobs are all still
 * there while an older event without jobs may have had them pruned. "No job at all", not "none of one
 * handler": the relay queues all of an event's jobs in one statement, so a lost event has none, while a
 * handler added since an event was relayed is not owed the events before it. $4: each subscription's
 * onlyWithField; an event none of whose subscriptions wants it (decision 0074) is owed nothing.
 */
export const eventsPassedWithoutJobs = `
  select e.seq, e.txid, e.event_type, s.handlers
    from domain_events e
    cross join lateral (select string_agg(u.handler, ', ' order by u.handler) as handlers
            from unnest($1::text[], $2::text[], $4::text[]) as u(event_type, handler, only_with_field)
           where ${subscriptionWantsEvent('u')}) s
   cross join (select (payload ->> 'txid')::xid8 as txid, (payload ->> 'seq')::bigint as seq from jobs where idempotency_key = '${relayPositionKey}') relayed
   where (e.txid, e.seq) <= (relayed.txid, relayed.seq)
     and e.occurred_at >= now() - make_interval(days => $3)
     and s.handlers is not null
     and not exists (select 1 from jobs j where j.event_seq = e.seq)`;

/** The parameters of `eventsPassedWithoutJobs`. */
export const eventsPassedWithoutJobsParams = (subscriptions: SubscriptionColumns, retentionDays: number): unknown[] =>
  [subscriptions.eventTypes, subscriptions.handlers, retentionDays, subscriptions.onlyWithFields];

/**
 * Queues the jobs of the events the relay passed without queuing them (`eventsPassedWithoutJobs`), as
 * the relay would have. Two of these at once queue each job once (insertEventJobs).
 */
export async function queueEventsPassedWithoutJobs(tx: Tx, subscriptions: readonly Subscription[], retentionDays: number): Promise<{ events: number; jobs: number }> {
  const columns = subscriptionColumnsOf(subscriptions);
  const { rows } = await tx.query<{ seq: string }>(
    `select passed.seq::text as seq from (${eventsPassedWithoutJobs}) passed`,
    eventsPassedWithoutJobsParams(columns, retentionDays),
  );
  if (rows.length === 0) return { events: 0, jobs: 0 };
  return { events: rows.length, jobs: await insertEventJobs(tx, columns, rows.map((row) => row.seq)) };
}

/**
 * Deletes up to `limit` SUCCEEDED jobs finished more than `olderThanDays` ago, never a system row.
 * A job made from an event goes only once the event is behind the relay position: the relay queues
 * the events after its position that have no job yet (above), so deleting the job of an event ahead
 * of it would queue and run that event again. Waiting, failed and DEAD jobs stay: a dead letter waits
 * for an administrator. SKIP LOCKED, as in claimJobs: two prunes at once take different rows, so a
 * short batch means nothing is left.
 */
export async function deleteSucceededJobs(db: Queryable, olderThanDays: number, limit: number): Promise<number> {
  const { rowCount } = await db.query(
    `delete from jobs where id in (
       select j.id from jobs j
         left join domain_events e on e.seq = j.event_seq
        cross join (select (payload ->> 'txid')::xid8 as txid, (payload ->> 'seq')::bigint as seq from jobs where idempotency_key = $1) relayed
        where j.status = 'SUCCEEDED' and j.finished_at < now() - make_interval(days => $2) and j.queue <> $3
          and (j.event_seq is null or (e.txid, e.seq) <= (relayed.txid, relayed.seq))
        limit $4 for update of j skip locked)`,
    [relayPositionKey, olderThanDays, systemQueue, limit],
  );
  return rowCount;
}

export interface NewJob {
  handler: string;
  payload?: Record<string, unknown>;
  maxAttempts?: number;
  idempotencyKey?: string;
}

/** Queues a job directly (not from an event); a repeated idempotency key queues nothing. */
export async function insertJob(tx: Queryable, job: NewJob): Promise<string | undefined> {
  const { rows } = await tx.query<{ id: string }>(
    `insert into jobs (handler, payload, max_attempts, idempotency_key) values ($1, $2::jsonb, $3, $4)
     on conflict (idempotency_key) do nothing returning id`,
    [job.handler, JSON.stringify(job.payload ?? {}), job.maxAttempts ?? 5, job.idempotencyKey ?? null],
  );
  return rows[0]?.id;
}

/**
 * What a claim returns of a job: what its handler and the dispatcher use. The rest of the row (its
 * timestamps, last error, version) is not sent: parsing all 17 columns took the worker about a third
 * more CPU per claimed job than these (decision 0070).
 */
export type ClaimedJob = Pick<JobRow, (typeof claimedColumns)[number]>;

const claimedColumns = ['id', 'handler', 'event_seq', 'payload', 'attempts', 'max_attempts', 'locked_by'] as const;
/** As the claim's parts return them, with the queue order to sort their union by. */
const claimedReturning = `${claimedColumns.map((column) => (column === 'event_seq' ? 'event_seq::text as event_seq' : column)).join(', ')}, run_after, queued_seq`;

/** Leases the rows a claim took to worker $2 for $4 milliseconds, counting the attempt as it starts. */
const leaseTo = `update jobs j set status = 'RUNNING', attempts = j.attempts + 1, locked_by = $2,
              locked_until = now() + make_interval(secs => $4::double precision / 1000), updated_at = now()`;

/**
 * Completes the jobs of $1 that worker $2 still holds. A job whose lease ran out is still the worker's
 * until another claim retakes it: then it is not completed here (the new holder runs it), and the caller
 * learns it from the count. The one text of a job's success, in `markSucceeded` and `completeAndClaim`.
 */
const completeHeld = `update jobs set status = 'SUCCEEDED', locked_by = null, locked_until = null, last_error = null, finished_at = now(), updated_at = now()
  where id = any($1::uuid[]) and status = 'RUNNING' and locked_by = $2`;

export interface Claim {
  /** How many of the jobs to complete were this worker's still, and are SUCCEEDED now. */
  completed: number;
  /** Leased to the worker, in queue order (run_after, then the order they were queued: migration 0067). */
  claimed: ClaimedJob[];
  /** Running jobs whose lease ran out on their last attempt (their worker died): DEAD now. */
  buried: ClaimedJob[];
}

/**
 * One statement, the queue's whole turn: completes the jobs of `completing` that `worker` still holds,
 * buries the running jobs whose lease ran out on their last attempt, and leases up to `limit` due jobs
 * to `worker` — waiting ones whose time has come, and running ones whose lease ran out (their worker
 * died; these first). In the transaction of the handlers that ran the completed jobs, or alone when
 * they wrote nothing: a batch costs one commit, not one for its claim and one for its completion. Each
 * part reads its own partial index and stops at the batch (waiting jobs in `jobs_waiting_run_after_idx`
 * order, migrations 0061 and 0067), and the rows are then updated by primary key: no part reads the table. SKIP LOCKED lets
 * several dispatchers claim side by side without waiting for, or taking, each other's rows; the attempt
 * is counted when it starts. The jobs being completed are kept out of the other two parts, so that no
 * row is changed twice in the statement.
 */
export async function completeAndClaim(executor: Queryable, worker: string, completing: readonly string[], limit: number, leaseMs: number): Promise<Claim> {
  const { rows } = await executor.query<ClaimedJob & { completed: number; leased: boolean | null }>(
    `with completed as (${completeHeld} returning id),
     buried as (
       update jobs set status = 'DEAD', locked_by = null, locked_until = null, finished_at = now(), updated_at = now(),
              last_error = coalesce(last_error || '; ', '') || 'the lease of the last attempt ran out'
        where status = 'RUNNING' and locked_until < now() and attempts >= max_attempts and id <> all($1::uuid[])
        returning ${claimedReturning}),
     retaken as (
       ${leaseTo}
        where j.id = any(array(select id from jobs
                                where status = 'RUNNING' and locked_until < now() and attempts < max_attempts and id <> all($1::uuid[])
                                order by locked_until limit $3 for update skip locked))
        returning ${claimedReturning}),
     claimed as (
       ${leaseTo}
        where j.id = any(array(select id from jobs
                                where status in ('PENDING', 'FAILED') and run_after <= now()
                                order by run_after, queued_seq limit $3 - (select count(*) from retaken) for update skip locked))
        returning ${claimedReturning})
     select done.completed, found.leased, ${claimedColumns.map((column) => `found.${column}`).join(', ')}
       from (select count(*)::int as completed from completed) done
       left join (select true as leased, * from retaken union all select true, * from claimed union all select false, * from buried) found on true
      order by found.run_after, found.queued_seq`,
    [completing, worker, limit, leaseMs],
  );
  const claim: Claim = { completed: rows[0]?.completed ?? 0, claimed: [], buried: [] };
  for (const row of rows) {
    if (row.leased === null) continue;
    const job: ClaimedJob = {
      id: row.id, handler: row.handler, event_seq: row.event_seq, payload: row.payload, attempts: row.attempts, max_attempts: row.max_attempts, locked_by: row.locked_by,
    };
    (row.leased ? claim.claimed : claim.buried).push(job);
  }
  return claim;
}

/** Jobs claimed but not started (the worker stops, or their lease is too far gone): back to the queue now, their attempt not counted. */
export async function releaseJobs(db: Queryable, ids: readonly string[], worker: string): Promise<void> {
  await db.query(
    `update jobs set status = 'PENDING', attempts = attempts - 1, locked_by = null, locked_until = null, updated_at = now()
      where id = any($1::uuid[]) and status = 'RUNNING' and locked_by = $2`,
    [ids, worker],
  );
}

/**
 * In the handlers' own transaction, so that the effects and the jobs' completion commit together. The
 * number of jobs marked: fewer than asked when this worker no longer holds some (a lease ran out and
 * another worker claimed the job).
 */
export async function markSucceeded(tx: Tx, ids: readonly string[], worker: string): Promise<number> {
  const { rowCount } = await tx.query(completeHeld, [ids, worker]);
  return rowCount;
}

/** After a failed attempt: waits `delayMs` for the next one, or is dead when none is left (then true). */
export async function markFailed(tx: Tx, id: string, worker: string, error: string, delayMs: number): Promise<boolean> {
  const { rows } = await tx.query<{ status: string }>(
    `update jobs set locked_by = null, locked_until = null, last_error = $3, updated_at = now(),
            status = case when attempts >= max_attempts then 'DEAD' else 'FAILED' end,
            finished_at = case when attempts >= max_attempts then now() end,
            run_after = now() + make_interval(secs => $4::double precision / 1000)
      where id = $1 and status = 'RUNNING' and locked_by = $2
      returning status`,
    [id, worker, error, delayMs],
  );
  return rows[0]?.status === 'DEAD';
}

/** Jobs newest first, never a system row. */
export async function selectJobs(
  tx: Queryable,
  status: JobStatus | undefined,
  page: { cursor: string | undefined; limit: number },
): Promise<{ items: JobRow[]; next_cursor: string | null }> {
  const found = await pageRows(tx, jobsTable, {
    filters: { status },
    where: [(bind) => `queue <> ${bind(systemQueue)}`],
    sort: 'created_at',
    direction: 'desc',
    ...page,
  });
  const items = found.items.map((row) => ({ ...row, event_seq: row['event_seq'] === null ? null : String(row['event_seq']) }));
  return { ...found, items: items as unknown as JobRow[] };
}

export async function selectJob(tx: Queryable, id: string): Promise<JobRow | undefined> {
  const { rows } = await tx.query<JobRow>(`select ${columns} from jobs where id = $1 and queue <> $2`, [id, systemQueue]);
  return rows[0];
}

/** A dead or waiting job runs again at once with a fresh set of attempts; undefined when it is neither. */
export async function requeueJob(tx: Queryable, id: string): Promise<JobRow | undefined> {
  const { rows } = await tx.query<JobRow>(
    `update jobs set status = 'PENDING', attempts = 0, run_after = now(), finished_at = null, updated_at = now()
      where id = $1 and status in ('DEAD', 'FAILED') and queue <> $2
      returning ${columns}`,
    [id, systemQueue],
  );
  return rows[0];
}

/** Jobs by status, system rows left out: the queue depth and dead letters /metrics shows. */
export async function countJobsByStatus(db: Queryable): Promise<Array<{ status: JobStatus; count: number }>> {
  const { rows } = await db.query<{ status: JobStatus; count: number }>(
    `select s.status, count(j.id)::int as count
       from unnest($1::text[]) as s(status) left join jobs j on j.status = s.status and j.queue <> $2
      group by s.status order by s.status`,
    [jobStatuses, systemQueue],
  );
  return rows;
}
