-- Decision 0060: an enrollment's write path, cheaper with the same checks and the same rows.
--
-- 1. training_sessions_keep_schedule ran on every update of a session: each enrollment's seat count
--    recomputed scheduled_during through app_session_time_range (a SQL function, planned per call). On
--    an update it now runs only when what it keeps could have moved: the location, day, times or
--    scheduled_during itself (locations_move_session_ranges clears it to have it recomputed), or when
--    the session has a room (the seat check reads the room's capacity as it is now, so a session with a
--    room is checked on every update, as before). The function is unchanged; an insert always runs it.
DROP TRIGGER training_sessions_keep_schedule ON training_sessions;
CREATE TRIGGER training_sessions_keep_schedule BEFORE INSERT ON training_sessions
  FOR EACH ROW EXECUTE FUNCTION training_sessions_keep_schedule();
CREATE TRIGGER training_sessions_keep_schedule_on_update BEFORE UPDATE ON training_sessions
  FOR EACH ROW
  WHEN (NEW.room_id IS NOT NULL
        OR NEW.location_id IS DISTINCT FROM OLD.location_id OR NEW.session_date IS DISTINCT FROM OLD.session_date
        OR NEW.start_time IS DISTINCT FROM OLD.start_time OR NEW.end_time IS DISTINCT FROM OLD.end_time
        OR NEW.scheduled_during IS DISTINCT FROM OLD.scheduled_during)
  EXECUTE FUNCTION training_sessions_keep_schedule();

-- 2. The enrollment's domain event.
-- The same INSERT in PL/pgSQL, whose plan is kept for the session: as a SQL function with its own
-- search_path it was planned again on every enrollment, cancellation and promotion.
CREATE OR REPLACE FUNCTION app_enrollment_event(enrollment session_enrollments, event_type text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO domain_events (aggregate_type, aggregate_id, aggregate_version, event_type, payload, actor_id, request_id)
  VALUES ('enrollment', enrollment.id, enrollment.version, event_type,
          jsonb_build_object('session_id', enrollment.session_id, 'student_id', enrollment.student_id,
                             'student_profile_id', enrollment.student_profile_id, 'status', enrollment.status,
                             'waitlist_position', enrollment.waitlist_position, 'offer_expires_at', enrollment.offer_expires_at),
          app_user_id(), NULLIF(current_setting('unitrain.request_id', true), ''));
END;
$$;

-- 3. The overlap check an enrollment over HTTP asks for (allow_overlap false): the same query in
--    PL/pgSQL, planned once per connection instead of on every call.
CREATE OR REPLACE FUNCTION app_student_overlapping_sessions(session uuid, student uuid, student_profile uuid) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT other.id
    FROM training_sessions target
    JOIN training_sessions other ON other.id <> target.id AND other.status <> 'CANCELLED' AND other.scheduled_during && target.scheduled_during
    JOIN session_enrollments e ON e.session_id = other.id AND e.status IN ('ENROLLED', 'WAITLISTED')
   WHERE target.id = session
     AND (e.student_id = student OR e.student_profile_id = student_profile)
   ORDER BY lower(other.scheduled_during), other.id;
END;
$$;

-- 4. enroll_student: an administrator's visibility and permission are settled without calling the SQL
--    helpers (each planned per call); everything else as in 0043.
CREATE OR REPLACE FUNCTION enroll_student(session uuid, student uuid, student_profile uuid, allow_overlap boolean DEFAULT true)
 RETURNS TABLE(outcome text, enrollment_id uuid, overlapping_session_ids uuid[])
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  existing session_enrollments;
  enrolled session_enrollments;
  seat_taken boolean;
  next_position integer;
  session_status text;
  overlapping uuid[];
BEGIN
  IF num_nonnulls(student, student_profile) <> 1 THEN
    RAISE EXCEPTION 'name exactly one student: an account or a student profile' USING ERRCODE = '22023';
  END IF;
  -- An administrator is staff of every session (app_is_session_staff begins with app_is_admin), so it
  -- sees any that exists: answered by one cached query instead of two SECURITY DEFINER SQL functions,
  -- which PostgreSQL plans again on every call. Everyone else asks the functions, as before.
  IF NOT ((app_is_admin() AND app_is_signed_in() AND EXISTS (SELECT 1 FROM training_sessions s WHERE s.id = session))
          OR app_sees_session(session)) THEN
    RAISE EXCEPTION 'no such session' USING ERRCODE = 'UT404';
  END IF;
  IF NOT (app_is_admin() OR app_is_session_staff(session)
          OR (coalesce(student = app_user_id(), false) AND app_session_open_for_self_enrollment(session))) THEN
    RAISE EXCEPTION 'you may not enroll this student in this session' USING ERRCODE = '42501';
  END IF;

  -- One enrollment of this student at a time, across sessions, until commit: the overlap check below
  -- then sees every seat or waitlist place a concurrent enrollment of theirs has committed (each
  -- statement of a VOLATILE function reads a new snapshot). Taken before any session lock, always.
  PERFORM pg_advisory_xact_lock(hashtextextended('enrollment-student:' || coalesce(student, student_profile)::text, 0));
  IF NOT allow_overlap THEN
    overlapping := ARRAY(SELECT app_student_overlapping_sessions(session, student, student_profile));
    IF cardinality(overlapping) > 0 THEN
      RETURN QUERY SELECT 'OVERLAPPING'::text, NULL::uuid, overlapping;
      RETURN;
    END IF;
  END IF;

  -- The common repeat, answered without taking the session lock.
  SELECT e.* INTO existing FROM session_enrollments e
   WHERE e.session_id = session AND (e.student_id = student OR e.student_profile_id = student_profile);
  IF FOUND AND existing.status <> 'CANCELLED' THEN
    RETURN QUERY SELECT 'ALREADY_ENROLLED'::text, existing.id, NULL::uuid[];
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
    RETURN QUERY SELECT 'ALREADY_ENROLLED'::text, existing.id, NULL::uuid[];
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
  RETURN QUERY SELECT enrolled.status, enrolled.id, NULL::uuid[];
END;
$function$;
