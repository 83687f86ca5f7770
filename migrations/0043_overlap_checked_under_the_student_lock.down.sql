-- 0043: undoes exactly what 0043_overlap_checked_under_the_student_lock.up.sql does: enroll_student as 0028 left it.
DROP FUNCTION enroll_student(uuid, uuid, uuid, boolean);

CREATE FUNCTION enroll_student(session uuid, student uuid, student_profile uuid)
RETURNS TABLE (outcome text, enrollment_id uuid)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  existing session_enrollments;
  enrolled session_enrollments;
  seat_taken boolean;
  next_position integer;
  session_status text;
BEGIN
  IF num_nonnulls(student, student_profile) <> 1 THEN
    RAISE EXCEPTION 'name exactly one student: an account or a student profile' USING ERRCODE = '22023';
  END IF;
  IF NOT app_sees_session(session) THEN
    RAISE EXCEPTION 'no such session' USING ERRCODE = 'UT404';
  END IF;
  IF NOT (app_is_session_staff(session)
          OR (coalesce(student = app_user_id(), false) AND app_session_open_for_self_enrollment(session))) THEN
    RAISE EXCEPTION 'you may not enroll this student in this session' USING ERRCODE = '42501';
  END IF;

  -- The common repeat, answered without taking the session lock.
  SELECT e.* INTO existing FROM session_enrollments e
   WHERE e.session_id = session AND (e.student_id = student OR e.student_profile_id = student_profile);
  IF FOUND AND existing.status <> 'CANCELLED' THEN
    RETURN QUERY SELECT 'ALREADY_ENROLLED'::text, existing.id;
    RETURN;
  END IF;

  -- The seat: one atomic, capacity-guarded statement; it also takes the session lock.
  UPDATE training_sessions s SET current_enrollment = s.current_enrollment + 1
   WHERE s.id = session AND s.status = 'SCHEDULED' AND s.current_enrollment < s.max_capacity;
  seat_taken := FOUND;
  IF NOT seat_taken THEN
    -- Full (or not scheduled): the lock serialises waitlist numbering.
    SELECT s.status INTO session_status FROM training_sessions s WHERE s.id = session FOR UPDATE;
    IF session_status <> 'SCHEDULED' THEN
      RAISE EXCEPTION 'the session is % and takes no enrollments', session_status USING ERRCODE = 'UT409';
    END IF;
  END IF;

  -- Again under the lock: a concurrent request for the same student may have committed meanwhile.
  SELECT e.* INTO existing FROM session_enrollments e
   WHERE e.session_id = session AND (e.student_id = student OR e.student_profile_id = student_profile)
   FOR UPDATE;
  IF FOUND AND existing.status <> 'CANCELLED' THEN
    IF seat_taken THEN
      UPDATE training_sessions s SET current_enrollment = s.current_enrollment - 1 WHERE s.id = session;
    END IF;
    RETURN QUERY SELECT 'ALREADY_ENROLLED'::text, existing.id;
    RETURN;
  END IF;

  IF NOT seat_taken THEN
    SELECT coalesce(max(e.waitlist_position), 0) + 1 INTO next_position
      FROM session_enrollments e WHERE e.session_id = session AND e.status = 'WAITLISTED';
  END IF;

  IF existing.id IS NOT NULL THEN
    -- A cancelled row is reused: one row per student and session.
    UPDATE session_enrollments e
       SET status = CASE WHEN seat_taken THEN 'ENROLLED' ELSE 'WAITLISTED' END,
           waitlist_position = next_position, enrollment_date = now(), enrolled_by = app_user_id()
     WHERE e.id = existing.id
    RETURNING e.* INTO enrolled;
  ELSE
    INSERT INTO session_enrollments (session_id, student_id, student_profile_id, status, waitlist_position, enrolled_by)
    VALUES (session, student, student_profile, CASE WHEN seat_taken THEN 'ENROLLED' ELSE 'WAITLISTED' END,
            next_position, app_user_id())
    RETURNING * INTO enrolled;
  END IF;
  PERFORM app_enrollment_event(enrolled, CASE WHEN seat_taken THEN 'enrollment.enrolled' ELSE 'enrollment.waitlisted' END);
  RETURN QUERY SELECT enrolled.status, enrolled.id;
END;
$$;

REVOKE EXECUTE ON FUNCTION enroll_student(uuid, uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION enroll_student(uuid, uuid, uuid) TO unitrain_app;
GRANT EXECUTE ON FUNCTION app_student_overlapping_sessions(uuid, uuid, uuid) TO unitrain_app;
