DROP FUNCTION calendar_feed_entries(text, date, date);
DROP FUNCTION calendar_entries(uuid[]);
DROP FUNCTION app_calendar_entries(uuid[], uuid);
DROP TYPE calendar_entry;
DROP TABLE calendar_feeds;
