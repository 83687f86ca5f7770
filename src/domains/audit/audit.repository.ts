import type { Tx } from '../../platform/db/database.js';

export interface AuditFilters {
  table?: string;
  rowId?: string;
  actorId?: string;
  operation?: 'INSERT' | 'UPDATE' | 'DELETE';
  from?: string;
  to?: string;
}

export interface AuditRow {
  id: number;
  occurred_at: Date;
  actor_id: string | null;
  actor_role: string | null;
  table_name: string;
  operation: 'INSERT' | 'UPDATE' | 'DELETE';
  row_id: string;
  old_values: Record<string, unknown> | null;
  new_values: Record<string, unknown> | null;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
}

export interface ActivityRow {
  day: string | null;
  table_name: string | null;
  inserts: number;
  updates: number;
  deletes: number;
  total: number;
}

/** The conditions of the filters that are set, numbered from `$1`; `beforeId` continues a previous page. */
function whereOf(filters: AuditFilters, beforeId: number | null = null): { where: string; params: unknown[] } {
  const params: unknown[] = [];
  const conditions: string[] = [];
  const add = (sql: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(sql(`$${params.length}`));
  };
  if (filters.table !== undefined) add((p) => `table_name = ${p}`, filters.table);
  if (filters.rowId !== undefined) add((p) => `row_id = ${p}`, filters.rowId);
  if (filters.actorId !== undefined) add((p) => `actor_id = ${p}`, filters.actorId);
  if (filters.operation !== undefined) add((p) => `operation = ${p}`, filters.operation);
  if (filters.from !== undefined) add((p) => `occurred_at >= ${p}::timestamptz`, filters.from);
  if (filters.to !== undefined) add((p) => `occurred_at < ${p}::timestamptz`, filters.to);
  if (beforeId !== null) add((p) => `id < ${p}`, beforeId);
  return { where: conditions.length > 0 ? `where ${conditions.join(' and ')}` : '', params };
}

/** Newest first; ids only grow, so a page continued by id is stable while new rows are added. */
export async function listAuditRows(tx: Tx, filters: AuditFilters, page: { beforeId: number | null; limit: number }): Promise<AuditRow[]> {
  const { where, params } = whereOf(filters, page.beforeId);
  const { rows } = await tx.query<AuditRow>(
    `select id, occurred_at, actor_id, actor_role, table_name, operation, row_id, old_values, new_values,
            request_id, host(ip) as ip, user_agent
       from audit_log ${where}
      order by id desc
      limit $${params.length + 1}`,
    [...params, page.limit],
  );
  return rows;
}

export async function countAuditRows(tx: Tx, filters: AuditFilters): Promise<number> {
  const { where, params } = whereOf(filters);
  const { rows } = await tx.query<{ total: number }>(`select count(*)::int as total from audit_log ${where}`, params);
  return rows[0]?.total ?? 0;
}

/** Rows of `user_activity_summary`: per day and table, then the totals row (day and table null). */
export async function summariseActivity(tx: Tx, userId: string, days: number): Promise<ActivityRow[]> {
  const { rows } = await tx.query<ActivityRow>(
    `select day, table_name, inserts::int, updates::int, deletes::int, total::int
       from user_activity_summary(user_id => $1, days => $2)`,
    [userId, days],
  );
  return rows;
}
