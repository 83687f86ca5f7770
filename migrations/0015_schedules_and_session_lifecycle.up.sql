-- Course schedules and the session lifecycle (issue 4, item 2; decision 0010).

-- A schedule materialises one session per occurrence of its rule. Which occurrence a session stands
-- for is kept apart from its date: a session moved by hand still stands for its original occurrence,
-- so extending or editing the schedule never generates that occurrence a second time.
ALTER TABLE training_sessions
  ADD COLUMN occurrence_date date,
  -- Set when someone changes by hand what the schedule decides (instructor, location, date, times,
  -- self-enrollment): editing the schedule then leaves the session alone.
  ADD COLUMN detached_from_schedule boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN training_sessions.occurrence_date IS
  'The day of the schedule occurrence this session stands for; NULL for one-off sessions (and for schedule sessions made before 0015, which stand for their session_date).';
COMMENT ON COLUMN training_sessions.detached_from_schedule IS
  'True once the session was edited by hand: schedule edits no longer change it.';
-- One session per occurrence (one-off sessions have no schedule: nulls are distinct).
ALTER TABLE training_sessions ADD CONSTRAINT training_sessions_schedule_occurrence_date_key
  UNIQUE (schedule_id, occurrence_date);

-- Whether the sessions a schedule generates take self-enrollment.
ALTER TABLE course_schedules ADD COLUMN self_enrollment_allowed boolean NOT NULL DEFAULT false;

-- A schedule as people read it: its first day, daily start time, last day and how far its sessions
-- are materialised, as wall-clock values in the schedule's own time zone. security_invoker: the
-- caller's row-level security on course_schedules applies.
CREATE VIEW course_schedules_local WITH (security_invoker = true) AS
SELECT s.id, s.course_id, s.instructor_id, s.location_id, s.provider_id, s.rrule, s.timezone,
       (s.dtstart AT TIME ZONE s.timezone)::date AS start_date,
       to_char(s.dtstart AT TIME ZONE s.timezone, 'HH24:MI') AS start_time,
       s.duration_minutes, s.max_capacity, s.self_enrollment_allowed,
       (s.until_at AT TIME ZONE s.timezone)::date AS until,
       -- generated_until is the exclusive end (local midnight after the last materialised day).
       ((s.generated_until AT TIME ZONE s.timezone) - interval '1 microsecond')::date AS generated_through,
       s.dtstart, s.until_at, s.generated_until, s.status, s.created_by, s.created_at, s.updated_at, s.version
  FROM course_schedules s;
GRANT SELECT ON course_schedules_local TO unitrain_app;

-- Cancels a session and, in the same transaction, every ENROLLED and WAITLISTED enrollment in it:
-- they become CANCELLED without a waitlist position, the seat counter goes to 0, and the outbox gets
-- one enrollment.cancelled per enrollment and one session.cancelled naming the students affected
-- (for notifications). Only the session's staff may; SECURITY DEFINER because the counter and the
-- enrollments of others are not the caller's to write. Locks like 0012: the session row first, then
-- its enrollments, so an enrollment racing the cancellation either commits before it (and is
-- cancelled here) or waits and then finds the session CANCELLED.
-- Returns the number of enrollments cancelled.
CREATE FUNCTION cancel_session(session uuid, reason text) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  current_status text;
  previous_status text;
  affected session_enrollments;
  affected_list jsonb := '[]'::jsonb;
  cancelled_session training_sessions;
BEGIN
  IF NOT app_sees_session(session) THEN
    RAISE EXCEPTION 'no such session' USING ERRCODE = 'UT404';
  END IF;
  IF NOT app_is_session_staff(session) THEN
    RAISE EXCEPTION 'only the staff of a session may cancel it' USING ERRCODE = '42501';
  END IF;
  SELECT s.status INTO current_status FROM training_sessions s WHERE s.id = session FOR UPDATE;
  IF current_status NOT IN ('SCHEDULED', 'IN_PROGRESS') THEN
    -- UTTRN: 409 INVALID_TRANSITION (src/db/postgres-errors.ts).
    RAISE EXCEPTION 'the session is % and cannot be cancelled', current_status USING ERRCODE = 'UTTRN';
  END IF;

  FOR affected IN
    SELECT e.* FROM session_enrollments e
     WHERE e.session_id = session AND e.status IN ('ENROLLED', 'WAITLISTED')
     ORDER BY e.status, e.waitlist_position NULLS FIRST, e.id
       FOR UPDATE
  LOOP
    previous_status := affected.status;
    UPDATE session_enrollments e SET status = 'CANCELLED', waitlist_position = NULL
     WHERE e.id = affected.id RETURNING e.* INTO affected;
    PERFORM app_enrollment_event(affected, 'enrollment.cancelled');
    affected_list := affected_list || jsonb_build_object(
      'enrollment_id', affected.id, 'student_id', affected.student_id,
      'student_profile_id', affected.student_profile_id, 'previous_status', previous_status);
  END LOOP;

  UPDATE training_sessions s SET status = 'CANCELLED', cancelled_reason = reason, current_enrollment = 0
   WHERE s.id = session RETURNING s.* INTO cancelled_session;
  PERFORM append_domain_event('session', session, cancelled_session.version, 'session.cancelled',
    jsonb_build_object('reason', reason, 'previous_status', current_status, 'affected', affected_list));
  RETURN jsonb_array_length(affected_list);
END;
$$;

REVOKE EXECUTE ON FUNCTION cancel_session(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cancel_session(uuid, text) TO unitrain_app;
