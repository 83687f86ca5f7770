import type { Tx } from '../../platform/db/database.js';
import { AppError } from '../../errors.js';
import {
  countNotifications,
  listNotifications,
  markAllNotificationsRead,
  type NotificationRow,
  setNotificationRead,
} from './notifications.repository.js';
import type { InboxPage, InboxQuery, NotificationSchema, ReadAllResult } from './notifications.schemas.js';

function notificationOf(row: NotificationRow): NotificationSchema {
  return { ...row, read_at: row.read_at?.toISOString() ?? null, created_at: row.created_at.toISOString() };
}

/**
 * The caller's inbox, newest first. Runs in the caller's actor transaction; row-level security shows
 * each person their own notifications only, whatever their role.
 */
export async function listInbox(tx: Tx, query: InboxQuery): Promise<InboxPage> {
  const page = await listNotifications(tx, query.unread, { cursor: query.cursor, limit: query.limit ?? 50 });
  const counts = await countNotifications(tx, query.unread);
  return {
    items: page.items.map(notificationOf),
    next_cursor: page.next_cursor,
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
