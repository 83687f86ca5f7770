import type { Tx } from '../../db/database.js';
import { pageRows, type TableSpec } from '../../shared/crud/crud.repository.js';
import { timestampCursorText } from '../../shared/crud/cursor.js';

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

/** The inbox as a keyset-paged table (src/shared/crud); row-level security decides whose rows these are. */
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

export interface SentNotification {
  id: string;
  user_id: string;
  title: string;
  body: string | null;
  email_ciphertext: string;
}

/**
 * One `session.cancelled` notification per student account affected by the event, as the owner (the
 * job). The unique (event seq, user) index makes a second run insert nothing, and only the rows made
 * now are returned, with the address to mail them to.
 */
export async function insertSessionCancelledNotifications(tx: Tx, event: { seq: string; sessionId: string; reason: string | null; studentIds: readonly string[] }): Promise<SentNotification[]> {
  const { rows } = await tx.query<SentNotification>(
    `with made as (
       insert into notifications (user_id, kind, title, body, data)
       select distinct u.id, 'session.cancelled',
              'Cancelled: ' || s.title || ' on ' || to_char(s.session_date, 'YYYY-MM-DD'),
              'The session "' || s.title || '" on ' || to_char(s.session_date, 'YYYY-MM-DD') || ' at ' || to_char(s.start_time, 'HH24:MI')
                || ' has been cancelled.' || coalesce(' Reason: ' || $3::text, ''),
              jsonb_build_object('event_seq', $1::bigint, 'session_id', s.id)
         from training_sessions s
         join users u on u.id = any($4::uuid[])
        where s.id = $2
       on conflict (((data ->> 'event_seq')::bigint), user_id) do nothing
       returning id, user_id, title, body)
     select made.*, u.email_ciphertext from made join users u on u.id = made.user_id order by made.user_id`,
    [event.seq, event.sessionId, event.reason, event.studentIds],
  );
  return rows;
}
