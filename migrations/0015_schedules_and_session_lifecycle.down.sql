DROP FUNCTION cancel_session(uuid, text);
DROP VIEW course_schedules_local;
ALTER TABLE course_schedules DROP COLUMN self_enrollment_allowed;
ALTER TABLE training_sessions DROP CONSTRAINT training_sessions_schedule_occurrence_date_key;
ALTER TABLE training_sessions DROP COLUMN detached_from_schedule, DROP COLUMN occurrence_date;
