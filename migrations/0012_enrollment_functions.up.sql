-- Enrollment with capacity and waitlists (issue 4, item 3). Every change of seats or waitlist goes
-- through these functions, so the invariants live in one place: current_enrollment equals the number
-- of ENROLLED rows, waitlist positions are 1..n without gaps, no student is in a session twice.
--
-- SECURITY DEFINER: a student may not touch training_sessions.current_enrollment, yet enrolling
-- moves it. Each function first checks the caller may do what it asks (the access-matrix rules of
-- session_enrollments), then acts as the owner. Refusals use their own SQLSTATEs, which
-- src/db/postgres-errors.ts maps: UT404 not found, UT409 conflict, UTCAP capacity conflict.
--
-- Locking: every function that changes a session's enrollments holds that session's row lock until
-- commit (the guarded UPDATE takes it, or SELECT ... FOR UPDATE), and takes it before any enrollment
-- row lock, so the work on one session is serialised and never deadlocks.

-- Staff of a session: SA/AD, the AP of its location, its IC/IP instructor.
CREATE FUNCTION app_is_session_staff(session uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT app_is_admin()
      OR (app_role() = 'AP' AND app_session_in_locations(session, app_provider_location_ids()))
      OR (app_role() IN ('IC', 'IP') AND session = ANY (app_taught_session_ids()))
$$;

-- Whether the session exists and the caller may see it (training_sessions select rules): 404 otherwise.
CREATE FUNCTION app_sees_session(session uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT app_is_signed_in() AND EXISTS (SELECT 1 FROM training_sessions WHERE id = session) AND (
    app_is_session_staff(session)
    OR session = ANY (app_enrolled_session_ids())
    OR app_session_open_for_self_enrollment(session))
$$;

CREATE FUNCTION app_enrollment_event(enrollment session_enrollments, event_type text) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  INSERT INTO domain_events (aggregate_type, aggregate_id, aggregate_version, event_type, payload, actor_id, request_id)
  VALUES ('enrollment', enrollment.id, enrollment.version, event_type,
          jsonb_build_object('session_id', enrollment.session_id, 'student_id', enrollment.student_id,
                             'student_profile_id', enrollment.student_profile_id, 'status', enrollment.status,
                             'waitlist_position', enrollment.waitlist_position),
          app_user_id(), NULLIF(current_setting('unitrain.request_id', true), ''))
$$;

-- Closes the gaps in a session's waitlist. Ascending, one row at a time: each row moves down into a
-- position its predecessor has just left, so the unique index on (session_id, waitlist_position)
-- never sees two rows in one place. The caller holds the session lock.
CREATE FUNCTION app_renumber_waitlist(session uuid) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  waiting record;
BEGIN
  FOR waiting IN
    SELECT e.id, e.waitlist_position AS old_position,
           row_number() OVER (ORDER BY e.waitlist_position)::integer AS new_position
      FROM session_enrollments e
     WHERE e.session_id = session AND e.status = 'WAITLISTED'
     ORDER BY e.waitlist_position
  LOOP
    IF waiting.old_position <> waiting.new_position THEN
      UPDATE session_enrollments SET waitlist_position = waiting.new_position WHERE id = waiting.id;
    END IF;
  END LOOP;
END;
$$;

-- Fills free seats from the head of the waitlist, then renumbers it. The caller holds the session lock.
CREATE FUNCTION app_promote_from_waitlist(session uuid) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  free_seats integer;
  promoted session_enrollments;
  promoted_count integer := 0;
BEGIN
  SELECT s.max_capacity - s.current_enrollment INTO free_seats FROM training_sessions s WHERE s.id = session;
  IF free_seats <= 0 THEN
    RETURN 0;
  END IF;
  FOR promoted IN
    UPDATE session_enrollments e SET status = 'ENROLLED', waitlist_position = NULL
     WHERE e.id IN (SELECT w.id FROM session_enrollments w
                     WHERE w.session_id = session AND w.status = 'WAITLISTED'
                     ORDER BY w.waitlist_position LIMIT free_seats)
    RETURNING e.*
  LOOP
    promoted_count := promoted_count + 1;
    PERFORM app_enrollment_event(promoted, 'enrollment.promoted');
  END LOOP;
  IF promoted_count > 0 THEN
    UPDATE training_sessions SET current_enrollment = current_enrollment + promoted_count WHERE id = session;
    PERFORM app_renumber_waitlist(session);
  END IF;
  RETURN promoted_count;
END;
$$;

-- Enrolls an account (student) or a profile without one (student_profile), exactly one of them.
-- outcome: ENROLLED, WAITLISTED or ALREADY_ENROLLED (the existing row's id is returned then).
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
          OR (student = app_user_id() AND app_session_open_for_self_enrollment(session))) THEN
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

-- Cancels an enrollment (the student's own, or any for staff of the session). A freed seat goes to
-- the head of the waitlist and the waitlist closes up, in the same transaction.
-- outcome: CANCELLED, or ALREADY_CANCELLED (nothing changed).
CREATE FUNCTION cancel_enrollment(enrollment uuid)
RETURNS TABLE (outcome text, promoted integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  session uuid;
  target session_enrollments;
  was_enrolled boolean;
  promoted_count integer := 0;
BEGIN
  SELECT e.session_id INTO session FROM session_enrollments e
   WHERE e.id = enrollment
     AND app_is_signed_in() AND (e.student_id = app_user_id() OR app_is_session_staff(e.session_id));
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such enrollment' USING ERRCODE = 'UT404';
  END IF;
  -- Session first, then the enrollment row: the lock order every function here keeps.
  PERFORM 1 FROM training_sessions s WHERE s.id = session FOR UPDATE;
  SELECT e.* INTO target FROM session_enrollments e WHERE e.id = enrollment FOR UPDATE;
  IF target.status = 'CANCELLED' THEN
    RETURN QUERY SELECT 'ALREADY_CANCELLED'::text, 0;
    RETURN;
  END IF;

  was_enrolled := target.status = 'ENROLLED';
  UPDATE session_enrollments e SET status = 'CANCELLED', waitlist_position = NULL
   WHERE e.id = enrollment RETURNING e.* INTO target;
  PERFORM app_enrollment_event(target, 'enrollment.cancelled');
  IF was_enrolled THEN
    UPDATE training_sessions s SET current_enrollment = s.current_enrollment - 1 WHERE s.id = session;
    promoted_count := app_promote_from_waitlist(session);
  ELSE
    PERFORM app_renumber_waitlist(session);
  END IF;
  RETURN QUERY SELECT 'CANCELLED'::text, promoted_count;
END;
$$;

-- Changes a session's capacity (its staff only). Raising it promotes from the waitlist; lowering it
-- below the number enrolled is refused (UTCAP), since nobody is un-enrolled to make room.
CREATE FUNCTION set_session_capacity(session uuid, capacity integer)
RETURNS TABLE (promoted integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  enrolled_count integer;
BEGIN
  IF NOT app_sees_session(session) THEN
    RAISE EXCEPTION 'no such session' USING ERRCODE = 'UT404';
  END IF;
  IF NOT app_is_session_staff(session) THEN
    RAISE EXCEPTION 'only the staff of a session may change its capacity' USING ERRCODE = '42501';
  END IF;
  SELECT s.current_enrollment INTO enrolled_count FROM training_sessions s WHERE s.id = session FOR UPDATE;
  IF capacity < enrolled_count THEN
    RAISE EXCEPTION 'capacity % is below the % students enrolled', capacity, enrolled_count USING ERRCODE = 'UTCAP';
  END IF;
  UPDATE training_sessions s SET max_capacity = capacity WHERE s.id = session;
  RETURN QUERY SELECT app_promote_from_waitlist(session);
END;
$$;

-- Functions are executable by PUBLIC by default: the internal ones act as the owner without checks,
-- so only the three entry points are for the application.
REVOKE EXECUTE ON FUNCTION
  app_is_session_staff(uuid), app_sees_session(uuid), app_enrollment_event(session_enrollments, text),
  app_renumber_waitlist(uuid), app_promote_from_waitlist(uuid),
  enroll_student(uuid, uuid, uuid), cancel_enrollment(uuid), set_session_capacity(uuid, integer)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  enroll_student(uuid, uuid, uuid), cancel_enrollment(uuid), set_session_capacity(uuid, integer)
TO unitrain_app;
