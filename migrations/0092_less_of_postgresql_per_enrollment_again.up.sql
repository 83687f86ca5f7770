-- Decision 0095: less of PostgreSQL per enrollment. Every row an enrollment wrote before is still
-- written, with the same content; every guard and check still runs where it ran.

-- 1. The roles a request runs as, asked by a PL/pgSQL function instead of an inlined SQL one. A trigger's
--    WHEN is compiled for each statement, and compiling inlines a SQL function by parsing and analysing
--    its body again: on every write of training_sessions (three guards), course_schedules (two), rosters
--    (three) and student_roster_members (one), whatever the number of rows. A PL/pgSQL function is parsed
--    once per connection; a row pays a call instead (about 1 µs a trigger, measured in decision 0095).
--    Same answer, same list: the catalogue test (rls-catalogue.test.ts) still holds it equal to
--    databaseRoles (database.ts).
CREATE OR REPLACE FUNCTION app_is_request_role() RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
BEGIN
  RETURN CURRENT_USER = ANY ('{unitrain_app,unitrain_sa,unitrain_ad,unitrain_ap,unitrain_ic,unitrain_ip,unitrain_it,unitrain_in,unitrain_anon}'::name[]);
END;
$$;

-- 2. enroll_student as migration 0085 made it, with three statements cheaper:
--    - a signed-in administrator's call no longer asks whether the session exists before the student's
--      lock: the session lock's SELECT answers it ('no such session', as before);
--    - whether the student holds another seat or waitlist place (allow_overlap false) is one query per
--      kind of student, which keeps one plan; the combined condition was planned again on every call;
--    - the existing enrollment is read by the unique key of its kind of student, not by a bitmap of two
--      indexes.
CREATE OR REPLACE FUNCTION enroll_student(session uuid, student uuid, student_profile uuid, allow_overlap boolean DEFAULT true)
RETURNS TABLE (outcome text, enrollment_id uuid, overlapping_session_ids uuid[])
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp, self_audited AS $$
DECLARE
  existing session_enrollments;
  enrolled session_enrollments;
  seat training_sessions;
  seated training_sessions;
  next_position integer;
  overlapping uuid[];
  holds_another boolean;
BEGIN
  IF num_nonnulls(student, student_profile) <> 1 THEN
    RAISE EXCEPTION 'name exactly one student: an account or a student profile' USING ERRCODE = '22023';
  END IF;
  -- A signed-in administrator is staff of every session and sees any that exists: whether it exists is
  -- answered by the session lock below (its row, or 'no such session'), one statement fewer. Nothing
  -- before that lock writes, and the overlap query finds nothing for a session that does not exist.
  -- Everyone else asks the visibility and staff functions first, as before.
  IF NOT (app_is_admin() AND app_is_signed_in()) THEN
    IF NOT app_sees_session(session) THEN
      RAISE EXCEPTION 'no such session' USING ERRCODE = 'UT404';
    END IF;
    IF NOT (app_is_admin() OR app_is_session_staff(session)
            OR (coalesce(student = app_user_id(), false) AND app_session_open_for_self_enrollment(session))) THEN
      RAISE EXCEPTION 'you may not enroll this student in this session' USING ERRCODE = '42501';
    END IF;
  END IF;

  -- One enrollment of this student at a time, across sessions, until commit: the overlap check below
  -- then sees every seat or waitlist place a concurrent enrollment of theirs has committed (each
  -- statement of a VOLATILE function reads a new snapshot). Taken before any session lock, always.
  PERFORM pg_advisory_xact_lock(hashtextextended('enrollment-student:' || coalesce(student, student_profile)::text, 0));
  -- Only a student holding a seat or waitlist place in another session can overlap: one index probe
  -- answers a student who holds none (a first booking), instead of the overlap query's joins and sort.
  IF NOT allow_overlap THEN
    -- One query per kind of student: a condition on which of the two is given would make PostgreSQL plan
    -- the statement again for each call's values instead of keeping one plan.
    IF student IS NOT NULL THEN
      holds_another := EXISTS (SELECT 1 FROM session_enrollments e
                                WHERE e.student_id = student AND e.session_id <> session AND e.status IN ('ENROLLED', 'WAITLISTED'));
    ELSE
      holds_another := EXISTS (SELECT 1 FROM session_enrollments e
                                WHERE e.student_profile_id = student_profile AND e.session_id <> session AND e.status IN ('ENROLLED', 'WAITLISTED'));
    END IF;
    IF holds_another THEN
      overlapping := ARRAY(SELECT app_student_overlapping_sessions(session, student, student_profile));
      IF cardinality(overlapping) > 0 THEN
        RETURN QUERY SELECT 'OVERLAPPING'::text, NULL::uuid, overlapping;
        RETURN;
      END IF;
    END IF;
  END IF;

  -- The session lock: seats and waitlist numbers are counted under it.
  SELECT s.* INTO seat FROM training_sessions s WHERE s.id = session FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no such session' USING ERRCODE = 'UT404';
  END IF;
  -- One query per kind of student, each on its unique key.
  IF student IS NOT NULL THEN
    SELECT e.* INTO existing FROM session_enrollments e WHERE e.session_id = session AND e.student_id = student FOR UPDATE;
  ELSE
    SELECT e.* INTO existing FROM session_enrollments e WHERE e.session_id = session AND e.student_profile_id = student_profile FOR UPDATE;
  END IF;
  IF FOUND AND existing.status <> 'CANCELLED' THEN
    RETURN QUERY SELECT 'ALREADY_ENROLLED'::text, existing.id, NULL::uuid[];
    RETURN;
  END IF;
  IF seat.status <> 'SCHEDULED' THEN
    RAISE EXCEPTION 'the session is % and takes no enrollments', seat.status USING ERRCODE = 'UT409';
  END IF;

  IF seat.current_enrollment < seat.max_capacity THEN
    -- The seat: still one atomic, capacity-guarded statement (the lock above makes its guard hold).
    UPDATE training_sessions s SET current_enrollment = s.current_enrollment + 1
     WHERE s.id = session AND s.status = 'SCHEDULED' AND s.current_enrollment < s.max_capacity
    RETURNING s.* INTO seated;
  ELSE
    SELECT coalesce(max(e.waitlist_position), 0) + 1 INTO next_position
      FROM session_enrollments e WHERE e.session_id = session AND e.status = 'WAITLISTED';
  END IF;

  IF existing.id IS NOT NULL THEN
    -- A cancelled row is reused: one row per student and session.
    UPDATE session_enrollments e
       SET status = CASE WHEN seated.id IS NOT NULL THEN 'ENROLLED' ELSE 'WAITLISTED' END,
           waitlist_position = next_position, enrollment_date = now(), enrolled_by = app_user_id()
     WHERE e.id = existing.id
    RETURNING e.* INTO enrolled;
  ELSE
    INSERT INTO session_enrollments (session_id, student_id, student_profile_id, status, waitlist_position, enrolled_by)
    VALUES (session, student, student_profile, CASE WHEN seated.id IS NOT NULL THEN 'ENROLLED' ELSE 'WAITLISTED' END,
            next_position, app_user_id())
    RETURNING * INTO enrolled;
  END IF;

  -- The audit and change-capture rows of the seat (when taken) and of the enrollment, in that order, as
  -- the triggers of the two statements above would have written them (this function's search path tells
  -- them not to), under the same switch: audit_changed_rows' values and actor; the change capture's scope
  -- keys, a session's own and an enrollment's its session's with its student (change_capture_tables,
  -- migration 0021).
  IF audit_switched_on() THEN
    WITH changed (ord, table_name, operation, row_id, old_row, new_row, location_id, provider_id, instructor_id, user_id) AS (
      VALUES (1, 'training_sessions', 'UPDATE', seated.id, to_jsonb(seat), to_jsonb(seated),
              seated.location_id, seated.provider_id, seated.instructor_id, NULL::uuid),
             (2, 'session_enrollments', CASE WHEN existing.id IS NULL THEN 'INSERT' ELSE 'UPDATE' END, enrolled.id,
              CASE WHEN existing.id IS NOT NULL THEN to_jsonb(existing) END, to_jsonb(enrolled),
              seat.location_id, seat.provider_id, seat.instructor_id, enrolled.student_id)
    ), audited AS (
      INSERT INTO audit_log (actor_id, actor_role, table_name, operation, row_id, old_values, new_values, request_id, ip, user_agent)
      SELECT a.actor_id, a.actor_role, c.table_name, c.operation, c.row_id, v.old_values, v.new_values, a.request_id, a.ip, a.user_agent
        FROM audit_actor() a, changed c CROSS JOIN LATERAL audit_values(c.old_row, c.new_row) v
       WHERE c.row_id IS NOT NULL
       ORDER BY c.ord
    )
    INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
    SELECT c.table_name, c.operation, c.row_id, c.location_id, c.provider_id, c.instructor_id, c.user_id
      FROM changed c
     WHERE c.row_id IS NOT NULL
     ORDER BY c.ord;
  END IF;

  PERFORM app_enrollment_event(enrolled, CASE WHEN seated.id IS NOT NULL THEN 'enrollment.enrolled' ELSE 'enrollment.waitlisted' END);
  RETURN QUERY SELECT enrolled.status, enrolled.id, NULL::uuid[];
END;
$$;
