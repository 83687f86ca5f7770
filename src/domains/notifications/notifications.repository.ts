import type { Tx } from '../../platform/db/database.js';
import { pageRows, type TableSpec } from '../../platform/shared/crud/crud.repository.js';
import { timestampCursorText } from '../../platform/shared/crud/cursor.js';

export interface NotificationRow {
  id: string;
  user_id: string;
  kind: string;
  title: string;
  body: string | null;
  data: Record<string, unknown>;
  read_at: Date | null;
  created_at: Date;
}

/** The inbox as a keyset-paged table (src/platform/shared/crud); row-level security decides whose rows these are. */
const notificationsTable: TableSpec = {
  table: 'notifications',
  readFrom: 'notifications',
  columns: ['id', 'user_id', 'kind', 'title', 'body', 'data', 'read_at', 'created_at'],
  filterable: [],
  sortable: ['created_at'],
  cursorFormats: { created_at: timestampCursorText },
  versioned: false,
};

const columns = notificationsTable.columns.join(', ');

// No user_id condition anywhere: the policies (own rows only, migration 0009) decide whose rows these are.
const readCondition = (unread: boolean | undefined) =>
  unread === undefined ? 'true' : unread ? 'read_at is null' : 'read_at is not null';

/** Newest first, (created_at, id) as the keyset so equal times never skip or repeat a row. */
export async function listNotifications(
  tx: Tx,
  unread: boolean | undefined,
  page: { cursor: string | undefined; limit: number },
): Promise<{ items: NotificationRow[]; next_cursor: string | null }> {
  const found = await pageRows(tx, notificationsTable, { filters: {}, where: [() => readCondition(unread)], sort: 'created_at', direction: 'desc', ...page });
  return { ...found, items: found.items as unknown as NotificationRow[] };
}

export async function countNotifications(tx: Tx, unread: boolean | undefined): Promise<{ total: number; unread: number }> {
  const { rows } = await tx.query<{ total: number; unread: number }>(
    `select count(*) filter (where ${readCondition(unread)})::int as total, count(*) filter (where read_at is null)::int as unread
       from notifications`,
  );
  return rows[0] ?? { total: 0, unread: 0 };
}

/** Marks one read (keeping the first read time) or unread; undefined when the caller has no such notification. */
export async function setNotificationRead(tx: Tx, id: string, read: boolean): Promise<NotificationRow | undefined> {
  const { rows } = await tx.query<NotificationRow>(
    `update notifications set read_at = ${read ? 'coalesce(read_at, now())' : 'null'} where id = $1 returning ${columns}`,
    [id],
  );
  return rows[0];
}

export async function markAllNotificationsRead(tx: Tx): Promise<number> {
  const { rowCount } = await tx.query('update notifications set read_at = now() where read_at is null');
  return rowCount;
}

/** A `session.cancelled` notification still to be made, with the address to mail it to. */
export interface DueNotification {
  user_id: string;
  title: string;
  body: string;
  email_ciphertext: string;
}

interface SessionCancelledEvent {
  seq: string;
  sessionId: string;
  reason: string | null;
  studentIds: readonly string[];
}

/**
 * The `session.cancelled` notifications the event calls for that do not exist yet: one per student
 * account it affected. Only reads, so the job's transaction takes no transaction id while it mails them
 * (an open one would hold every realtime stream back).
 */
export async function dueSessionCancelledNotifications(tx: Tx, event: SessionCancelledEvent): Promise<DueNotification[]> {
  const { rows } = await tx.query<DueNotification>(
    `select u.id as user_id, u.email_ciphertext,
            'Cancelled: ' || s.title || ' on ' || to_char(s.session_date, 'YYYY-MM-DD') as title,
            'The session "' || s.title || '" on ' || to_char(s.session_date, 'YYYY-MM-DD') || ' at ' || to_char(s.start_time, 'HH24:MI')
              || ' has been cancelled.' || coalesce(' Reason: ' || $3::text, '') as body
       from training_sessions s
       join users u on u.id = any ($4::uuid[])
      where s.id = $2
        and not exists (select 1 from notifications n where (n.data ->> 'event_seq')::bigint = $1::bigint and n.user_id = u.id)
      order by u.id`,
    [event.seq, event.sessionId, event.reason, event.studentIds],
  );
  return rows;
}

/**
 * Stores them, as the owner (the job). The unique (event seq, user) index makes a second run insert
 * nothing.
 */
export async function insertSessionCancelledNotifications(tx: Tx, event: SessionCancelledEvent, due: readonly DueNotification[]): Promise<void> {
  await tx.query(
    `insert into notifications (user_id, kind, title, body, data)
     select t.user_id, 'session.cancelled', t.title, t.body, jsonb_build_object('event_seq', $1::bigint, 'session_id', $2::uuid)
       from unnest($3::uuid[], $4::text[], $5::text[]) as t(user_id, title, body)
     on conflict (((data ->> 'event_seq')::bigint), user_id) do nothing`,
    [event.seq, event.sessionId, due.map((n) => n.user_id), due.map((n) => n.title), due.map((n) => n.body)],
  );
}
