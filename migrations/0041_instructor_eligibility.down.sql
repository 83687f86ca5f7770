-- 0041: undoes exactly what 0041_instructor_eligibility.up.sql does, in reverse order.
DROP INDEX notifications_instructor_not_eligible_key;
DROP FUNCTION instructors_no_longer_eligible(timestamptz);
DROP TRIGGER course_schedules_guard_eligibility_override ON course_schedules;
DROP TRIGGER training_sessions_guard_eligibility_override ON training_sessions;
DROP FUNCTION app_guard_eligibility_override();
DROP VIEW course_schedules_local;
CREATE VIEW course_schedules_local WITH (security_invoker = true) AS
SELECT s.id, s.course_id, s.instructor_id, s.location_id, s.provider_id, s.rrule, s.timezone,
       (s.dtstart AT TIME ZONE s.timezone)::date AS start_date,
       to_char(s.dtstart AT TIME ZONE s.timezone, 'HH24:MI') AS start_time,
       s.duration_minutes, s.max_capacity, s.self_enrollment_allowed,
       (s.until_at AT TIME ZONE s.timezone)::date AS until,
       ((s.generated_until AT TIME ZONE s.timezone) - interval '1 microsecond')::date AS generated_through,
       s.dtstart, s.until_at, s.generated_until, s.status, s.created_by, s.created_at, s.updated_at, s.version
  FROM course_schedules s;
GRANT SELECT ON course_schedules_local TO unitrain_app;
ALTER TABLE course_schedules
  DROP CONSTRAINT course_schedules_eligibility_override_check,
  DROP COLUMN eligibility_overridden_by,
  DROP COLUMN eligibility_override_reason;
ALTER TABLE training_sessions
  DROP CONSTRAINT training_sessions_eligibility_override_check,
  DROP COLUMN eligibility_overridden_by,
  DROP COLUMN eligibility_override_reason;
DROP FUNCTION app_instructor_eligibility_gaps(uuid, uuid, date, timestamptz);
DROP TABLE course_instructor_requirements;
DROP FUNCTION course_instructor_requirements_check_references();
