import type { Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import { countAuditRows, listAuditRows, summariseActivity, type AuditFilters } from './audit.repository.js';
import type { ActivitySummary, AuditPage, AuditQuery } from './audit.schemas.js';

/** Opaque to clients; inside, the id of the last row of the page (the next page starts below it). */
function encodeCursor(id: number): string {
  return Buffer.from(`audit:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const match = /^audit:(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new AppError('VALIDATION_FAILED', 'cursor is not one this API returned', { field: 'querystring.cursor' });
  return Number(match[1]);
}

/**
 * A page of the audit log, newest first, with the number of rows matching the filters. Runs in the
 * caller's actor transaction: row-level security decides which rows exist for them.
 */
export async function listAuditEntries(tx: Tx, query: AuditQuery): Promise<AuditPage> {
  const filters: AuditFilters = {
    table: query.table, rowId: query.row_id, actorId: query.actor_id, operation: query.operation, from: query.from, to: query.to,
  };
  const limit = query.limit ?? 50;
  const beforeId = query.cursor === undefined ? null : decodeCursor(query.cursor);
  // One row more than asked says whether there is a next page.
  const rows = await listAuditRows(tx, filters, { beforeId, limit: limit + 1 });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => ({ ...row, occurred_at: row.occurred_at.toISOString() })),
    next_cursor: rows.length > limit && last ? encodeCursor(last.id) : null,
    total: await countAuditRows(tx, filters),
  };
}

/** What one person changed, per day and table, over the last `days` days (as far as the caller may see). */
export async function summariseUserActivity(tx: Tx, userId: string, days: number): Promise<ActivitySummary> {
  const rows = await summariseActivity(tx, userId, days);
  const totals = rows.find((row) => row.day === null) ?? { inserts: 0, updates: 0, deletes: 0, total: 0 };
  return {
    user_id: userId,
    days,
    by_day: rows
      .filter((row) => row.day !== null)
      .map(({ day, table_name, inserts, updates, deletes, total }) => ({ day: day as string, table_name: table_name as string, inserts, updates, deletes, total })),
    totals: { inserts: totals.inserts, updates: totals.updates, deletes: totals.deletes, total: totals.total },
  };
}
