-- 0039: undoes exactly what 0039_rooms_and_schedule_conflicts.up.sql does, in reverse order.
DROP FUNCTION app_student_overlapping_sessions(uuid, uuid, uuid);
DROP FUNCTION app_schedule_conflicts(uuid, uuid, uuid, uuid, tstzrange);
ALTER TABLE training_sessions
  DROP CONSTRAINT training_sessions_room_overlap_excl,
  DROP CONSTRAINT training_sessions_instructor_overlap_excl;
DROP TRIGGER locations_move_session_ranges ON locations;
DROP FUNCTION locations_move_session_ranges();
DROP TRIGGER rooms_keep_session_seats ON rooms;
DROP FUNCTION rooms_keep_session_seats();
DROP TRIGGER training_sessions_keep_schedule ON training_sessions;
DROP FUNCTION training_sessions_keep_schedule();
DROP INDEX training_sessions_room_id_idx;
ALTER TABLE training_sessions
  DROP CONSTRAINT training_sessions_room_fkey,
  DROP COLUMN scheduled_during,
  DROP COLUMN room_id;
DROP FUNCTION app_session_time_range(uuid, date, time, time);
DROP TABLE rooms;
DROP EXTENSION IF EXISTS btree_gist;
