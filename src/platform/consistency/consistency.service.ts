import { setTimeout as delay } from 'node:timers/promises';
import { type Db, inReadOnlySnapshot } from '../db/database.js';
import { walReached } from '../db/wal-position.js';
import type { Subscription } from '../jobs/index.js';
import {
  type CheckedRowCounts, consistencyChecks, countCertificateStatuses, countCheckedRows, passedEventsCheck, prepareCheckTransaction, selectViolations,
} from './consistency.repository.js';

export interface Violation {
  check: string;
  table: string;
  rowId: string;
  problem: string;
  expected: string;
  found: string;
}

export interface CheckOutcome {
  name: string;
  rule: string;
  violations: number;
  durationMs: number;
}

export interface ConsistencyReport {
  checks: CheckOutcome[];
  violations: Violation[];
  checkedRows: CheckedRowCounts;
  /** Certificates by status. */
  certificateStatuses: Record<string, number>;
  durationMs: number;
}

export interface ConsistencyOptions {
  /** With a replica configured (DATABASE_REPLICA_URL): how long it may take to replay what the primary has written. */
  replicaMaxLagMs?: number;
  /** The moment date-dependent checks judge by (a certificate expired, an instructor eligible): now by default. */
  asOf?: Date;
  /**
   * The job handlers' subscriptions (src/job-handlers.ts) and JOB_RETENTION_DAYS: with them, the
   * `relayed-event-jobs` check runs too. The platform cannot know the handlers; the doctor hands them in.
   */
  relay?: { subscriptions: readonly Subscription[]; jobRetentionDays: number };
}

const replicaRule = 'the read replica answers, and replays what the primary has written within DATABASE_REPLICA_MAX_LAG_MS';

/**
 * The replica's health, when there is one: the primary's current WAL position, then the replica asked
 * every 100 ms until it has replayed that position, for at most `maxLagMs`. Null without a replica.
 */
async function checkReplica(db: Db, maxLagMs: number): Promise<{ outcome: CheckOutcome; violations: Violation[] } | null> {
  const started = performance.now();
  let status = await db.replicaStatus();
  if (status === null) return null;
  const { rows: [written] } = await db.query<{ position: string }>('select pg_current_wal_lsn()::text as position');
  const target = written?.position ?? null;
  while (status.reachable && !(status.replayed !== null && walReached(status.replayed, target)) && performance.now() - started < maxLagMs) {
    await delay(100);
    status = await db.replicaStatus() ?? status;
  }
  const durationMs = performance.now() - started;
  const violation = (problem: string, found: string): Violation =>
    ({ check: 'replica-lag', table: 'replica', rowId: status?.server ?? 'replica', problem, expected: `replayed ${target} within ${maxLagMs} ms`, found });
  const violations = !status.reachable
    ? [violation('the replica does not answer as a streaming replica', 'not reachable')]
    : status.replayed === null || !walReached(status.replayed, target)
      ? [violation(`the replica is behind the primary by ${status.lagBytes ?? '?'} bytes of WAL`, `replayed ${status.replayed ?? 'nothing'} after ${Math.round(durationMs)} ms`)]
      : [];
  return { outcome: { name: 'replica-lag', rule: replicaRule, violations: violations.length, durationMs }, violations };
}

/**
 * Runs every consistency check, one statement each, in one read-only snapshot, as whoever `db`
 * connects as (the doctor connects as the database owner, which sees every row). One snapshot, because a
 * server in use keeps writing while the doctor reads, and rules that compare two tables must see both at
 * the same moment.
 */
export async function checkConsistency(db: Db, options: ConsistencyOptions = {}): Promise<ConsistencyReport> {
  const started = performance.now();
  const report = await inReadOnlySnapshot(db, async (tx) => {
    const asOf = options.asOf ?? new Date();
    await prepareCheckTransaction(tx);
    const checks: CheckOutcome[] = [];
    const violations: Violation[] = [];
    const relay = options.relay;
    for (const check of relay ? [...consistencyChecks, passedEventsCheck(relay.subscriptions, relay.jobRetentionDays)] : consistencyChecks) {
      const checkStarted = performance.now();
      const rows = await selectViolations(tx, check, asOf);
      checks.push({ name: check.name, rule: check.rule, violations: rows.length, durationMs: performance.now() - checkStarted });
      for (const row of rows) {
        violations.push({ check: check.name, table: row.table_name, rowId: row.row_id, problem: row.problem, expected: row.expected, found: row.found });
      }
    }
    const checkedRows = await countCheckedRows(tx);
    const certificateStatuses = await countCertificateStatuses(tx);
    return { checks, violations, checkedRows, certificateStatuses };
  });
  // Outside the snapshot: it waits for the replica, and reads nothing the other checks compare.
  const replica = await checkReplica(db, options.replicaMaxLagMs ?? 5_000);
  if (replica) {
    report.checks.push(replica.outcome);
    report.violations.push(...replica.violations);
  }
  return { ...report, durationMs: performance.now() - started };
}
