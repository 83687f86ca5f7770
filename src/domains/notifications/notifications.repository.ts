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

/** A person a notification of an event is still due to, with the address to mail it to. */
export interface DueRecipient {
  user_id: string;
  email_ciphertext: string;
}

/**
 * Of these accounts, those the event (its seq) has not notified yet. Only reads, so the job's
 * transaction takes no transaction id while it mails them (an open one would hold every realtime
 * stream back).
 */
export async function unnotifiedRecipients(tx: Tx, eventSeq: string, userIds: readonly string[]): Promise<DueRecipient[]> {
  const { rows } = await tx.query<DueRecipient>(
    `select u.id as user_id, u.email_ciphertext from users u
      where u.id = any ($2::uuid[])
        and not exists (select 1 from notifications n where (n.data ->> 'event_seq')::bigint = $1::bigint and n.user_id = u.id)
      order by u.id`,
    [eventSeq, userIds],
  );
  return rows;
}

/** One notification as written: whom, and the filled-in template. */
export interface WrittenNotification {
  user_id: string;
  title: string;
  body: string;
}

/**
 * Stores them, as the owner (the job). The unique (event seq, user) index makes a second run insert
 * nothing.
 */
export async function insertNotifications(
  tx: Tx,
  event: { seq: string; kind: string; sessionId: string },
  written: readonly WrittenNotification[],
): Promise<void> {
  await tx.query(
    `insert into notifications (user_id, kind, title, body, data)
     select t.user_id, $2, t.title, t.body, jsonb_build_object('event_seq', $1::bigint, 'session_id', $3::uuid)
       from unnest($4::uuid[], $5::text[], $6::text[]) as t(user_id, title, body)
     on conflict (((data ->> 'event_seq')::bigint), user_id) do nothing`,
    [event.seq, event.kind, event.sessionId, written.map((n) => n.user_id), written.map((n) => n.title), written.map((n) => n.body)],
  );
}
