import type { Tx } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../shared/crud/cursor.js';
import {
  countNotifications,
  type InboxPosition,
  listNotifications,
  markAllNotificationsRead,
  type NotificationRow,
  setNotificationRead,
} from './notifications.repository.js';
import type { InboxPage, InboxQuery, NotificationSchema, ReadAllResult } from './notifications.schemas.js';

const cursorSort = 'created_at';
// PostgreSQL's text of a timestamptz, as the repository reads it: 2026-11-23 14:31:49.123456+00
const timestampText = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;

function positionOf(cursor: string): InboxPosition {
  const { value, id } = decodeCursor(cursor, cursorSort);
  if (typeof value !== 'string' || !timestampText.test(value)) {
    throw new AppError('VALIDATION_FAILED', 'cursor is not one this API returned', { field: 'querystring.cursor' });
  }
  return { createdAt: value, id };
}

function notificationOf({ created_at_text: _, ...row }: NotificationRow): NotificationSchema {
  return { ...row, read_at: row.read_at?.toISOString() ?? null, created_at: row.created_at.toISOString() };
}

/**
 * The caller's inbox, newest first. Runs in the caller's actor transaction; row-level security shows
 * each person their own notifications only, whatever their role.
 */
export async function listInbox(tx: Tx, query: InboxQuery): Promise<InboxPage> {
  const limit = query.limit ?? 50;
  const after = query.cursor === undefined ? null : positionOf(query.cursor);
  // One row more than asked says whether there is a next page.
  const rows = await listNotifications(tx, query.unread, { after, limit: limit + 1 });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  const counts = await countNotifications(tx, query.unread);
  return {
    items: page.map(notificationOf),
    next_cursor: rows.length > limit && last ? encodeCursor({ sort: cursorSort, value: last.created_at_text, id: last.id }) : null,
    total: counts.total,
    unread: counts.unread,
  };
}

/** Marks one of the caller's notifications read or unread; another person's is as absent as a missing one. */
export async function markNotification(tx: Tx, id: string, read: boolean): Promise<NotificationSchema> {
  const row = await setNotificationRead(tx, id, read);
  if (!row) throw new AppError('NOT_FOUND', 'you have no notification with this id', { field: 'params.id' });
  return notificationOf(row);
}

export async function markAllRead(tx: Tx): Promise<ReadAllResult> {
  return { marked: await markAllNotificationsRead(tx) };
}
