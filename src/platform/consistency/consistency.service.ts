import { type Db, inReadOnlySnapshot } from '../db/database.js';
import {
  type CheckedRowCounts, consistencyChecks, countCheckedRows, prepareCheckTransaction, selectViolations,
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
  durationMs: number;
}

/**
 * Runs every consistency check, one statement each, in one read-only snapshot, as whoever `db`
 * connects as (the doctor connects as the database owner, which sees every row). One snapshot, because a
 * server in use keeps writing while the doctor reads, and rules that compare two tables must see both at
 * the same moment.
 */
export async function checkConsistency(db: Db): Promise<ConsistencyReport> {
  const started = performance.now();
  return inReadOnlySnapshot(db, async (tx) => {
    await prepareCheckTransaction(tx);
    const checks: CheckOutcome[] = [];
    const violations: Violation[] = [];
    for (const check of consistencyChecks) {
      const checkStarted = performance.now();
      const rows = await selectViolations(tx, check);
      checks.push({ name: check.name, rule: check.rule, violations: rows.length, durationMs: performance.now() - checkStarted });
      for (const row of rows) {
        violations.push({ check: check.name, table: row.table_name, rowId: row.row_id, problem: row.problem, expected: row.expected, found: row.found });
      }
    }
    const checkedRows = await countCheckedRows(tx);
    return { checks, violations, checkedRows, durationMs: performance.now() - started };
  });
}
