// Private iCal feeds (migrations/0018_calendar.up.sql). Columns only: constraints, keys, policies and
// the calendar functions live in SQL.
import { pgTable, text, uuid } from 'drizzle-orm/pg-core';

import { id, rowVersion } from './columns.js';

export const calendarFeeds = pgTable('calendar_feeds', {
  id: id(),
  userId: uuid('user_id').notNull(),
  /** SHA-256 of the feed URL's token, lower-case hex; the application role may write it, never read it. */
  tokenHash: text('token_hash').notNull(),
  ...rowVersion(),
});
