-- A day's sessions list by start time: the list orders by (session_date, start_time, id) and pages by that
-- keyset (TableSpec.sortThen). The index on session_date alone is a prefix of this one, so it goes.
CREATE INDEX training_sessions_date_start_id_idx ON training_sessions (session_date, start_time, id);
DROP INDEX training_sessions_session_date_idx;
