-- Access control of where rows go and whom they name (issue 11, items 1–3; decision 0023). Row rules
-- (0009) choose which rows an actor may write; these guards decide what a write may set, where the
-- answer depends on what changes: a session or roster moves only where its editor may create one, an
-- AP assigns only instructors it works with, and nobody but an SA points a row at an SA account.
-- They refuse with insufficient_privilege (42501), which the API answers as 403 FORBIDDEN. The matrix
-- states them as data (src/security/access-matrix.changes.ts) and a test probes them role by role.

-- ---------------------------------------------------------------------------------------------------
-- SA accounts are visible to SA (and to themselves) only. The per-row helpers behind the AP's and the
-- IC/IP's view of people (users, profiles, compliance records, and the realtime stream, which calls
-- the same helpers) no longer count an SA account, whatever enrollment, roster line or membership
-- names it. CREATE OR REPLACE keeps their grants.
-- ---------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION app_provider_affiliates_user(account uuid, providers uuid[]) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT app_user_role(account) IS DISTINCT FROM 'SA' AND (
         EXISTS (SELECT 1 FROM provider_members WHERE user_id = account AND provider_id = ANY (providers))
      OR EXISTS (SELECT 1 FROM instructor_profiles WHERE user_id = account AND provider_id = ANY (providers)))
$$;

CREATE OR REPLACE FUNCTION app_provider_sees_user(account uuid, providers uuid[], locations uuid[]) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT app_user_role(account) IS DISTINCT FROM 'SA' AND (
         EXISTS (SELECT 1 FROM provider_members WHERE user_id = account AND provider_id = ANY (providers))
      OR EXISTS (SELECT 1 FROM instructor_profiles WHERE user_id = account AND provider_id = ANY (providers))
      OR EXISTS (
           SELECT 1 FROM session_enrollments e JOIN training_sessions s ON s.id = e.session_id
            WHERE e.student_id = account AND s.location_id = ANY (locations))
      OR EXISTS (
           SELECT 1 FROM student_roster_members m JOIN rosters r ON r.id = m.roster_id
            WHERE m.student_id = account AND r.location_id = ANY (locations)))
$$;

CREATE OR REPLACE FUNCTION app_instructor_sees_user(account uuid, sessions uuid[], rosters uuid[]) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT app_user_role(account) IS DISTINCT FROM 'SA' AND (
         EXISTS (SELECT 1 FROM session_enrollments WHERE student_id = account AND session_id = ANY (sessions))
      OR EXISTS (SELECT 1 FROM student_roster_members WHERE student_id = account AND roster_id = ANY (rosters)))
$$;

-- E-mail lookups of the workflows (batch enrollment, roster imports): AD matches every account but an
-- SA's, which reads as unknown, as it would for anyone else.
CREATE OR REPLACE FUNCTION app_may_match_account_by_email(account_role text, account_status text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
  SELECT app_role() = 'SA'
      OR (app_role() = 'AD' AND account_role <> 'SA')
      OR (account_status = 'ACTIVE' AND account_role IN ('IT', 'IN'))
$$;

-- ---------------------------------------------------------------------------------------------------
-- No row points at an SA account unless an SA puts it there. TG_ARGV: the table's columns that refer
-- to users. Checked on insert, and on update for the columns that change (an SA's own earlier rows
-- stay editable). By the actor's claims, not current_user, so the SECURITY DEFINER workflows (enroll,
-- batches, rosters) are held to it too; the owner without claims (jobs, seed, sign-in) is the system.
-- ---------------------------------------------------------------------------------------------------
CREATE FUNCTION app_guard_sa_reference() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  new_values jsonb := to_jsonb(NEW);
  old_values jsonb := CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) END;
  referring text;
BEGIN
  SELECT c.name INTO referring
    FROM unnest(TG_ARGV) AS c (name)
    JOIN users u ON u.id = (new_values ->> c.name)::uuid AND u.role = 'SA'
   WHERE old_values IS NULL OR (new_values -> c.name) IS DISTINCT FROM (old_values -> c.name)
   LIMIT 1;
  IF referring IS NOT NULL THEN
    RAISE EXCEPTION 'only an SA may point % of % at an SA account', referring, TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege', TABLE = TG_TABLE_NAME, COLUMN = referring;
  END IF;
  RETURN NEW;
END;
$$;

-- Every foreign key to users but auth_sessions (written only by the sign-in code, as the owner);
-- src/security/rls-references.test.ts checks this list against the catalogue.
DO $$
DECLARE
  guarded record;
BEGIN
  FOR guarded IN
    SELECT * FROM (VALUES
      ('profiles', ARRAY['user_id', 'supervisor_id']),
      ('provider_members', ARRAY['user_id']),
      ('instructor_profiles', ARRAY['user_id']),
      ('teams', ARRAY['lead_id', 'created_by']),
      ('team_members', ARRAY['user_id']),
      ('courses', ARRAY['created_by', 'modified_by']),
      ('course_versions', ARRAY['published_by']),
      ('course_schedules', ARRAY['instructor_id', 'created_by']),
      ('training_sessions', ARRAY['instructor_id', 'created_by']),
      ('student_enrollment_profiles', ARRAY['created_by']),
      ('session_enrollments', ARRAY['student_id', 'enrolled_by']),
      ('rosters', ARRAY['instructor_id', 'created_by']),
      ('student_roster_members', ARRAY['student_id']),
      ('certificate_templates', ARRAY['created_by']),
      ('certificate_batches', ARRAY['requested_by']),
      ('certificates', ARRAY['user_id', 'issued_by']),
      ('compliance_records', ARRAY['user_id']),
      ('notifications', ARRAY['user_id']),
      ('user_activities', ARRAY['user_id']),
      ('calendar_feeds', ARRAY['user_id'])
    ) AS t (table_name, columns)
  LOOP
    EXECUTE format(
      'CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %I FOR EACH ROW '
      'WHEN (app_role() IN (''AD'', ''AP'', ''IC'', ''IP'', ''IT'', ''IN'')) '
      'EXECUTE FUNCTION app_guard_sa_reference(%s)',
      guarded.table_name || '_guard_sa_reference', guarded.table_name,
      (SELECT string_agg(quote_literal(c), ', ') FROM unnest(guarded.columns) AS c));
  END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- Where a session or roster may be (its location and provider): where the actor may create one.
-- SA, AD anywhere; an AP at its own locations, for no provider or its own; an IC or IP (rosters only:
-- they create no sessions) at the locations of the provider they are affiliated with, or at a
-- location no provider serves, for no provider or that one.
-- ---------------------------------------------------------------------------------------------------
CREATE FUNCTION app_may_place(place_table text, location uuid, provider uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT app_is_admin()
      OR (app_role() = 'AP' AND location = ANY (app_provider_location_ids())
          AND (provider IS NULL OR provider = ANY (app_provider_ids())))
      OR (place_table = 'rosters' AND app_role() IN ('IC', 'IP')
          AND (provider IS NULL OR provider = app_affiliated_provider_id())
          AND (EXISTS (SELECT 1 FROM provider_locations pl WHERE pl.location_id = location AND pl.provider_id = app_affiliated_provider_id())
               OR NOT EXISTS (SELECT 1 FROM provider_locations pl WHERE pl.location_id = location)))
$$;

CREATE FUNCTION app_guard_placement() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.location_id IS NOT DISTINCT FROM OLD.location_id
     AND NEW.provider_id IS NOT DISTINCT FROM OLD.provider_id THEN
    RETURN NEW;
  END IF;
  IF NOT app_may_place(TG_TABLE_NAME, NEW.location_id, NEW.provider_id) THEN
    RAISE EXCEPTION 'a % goes only where you may create one: not at this location and provider', TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege', TABLE = TG_TABLE_NAME, COLUMN = 'location_id';
  END IF;
  RETURN NEW;
END;
$$;

-- WHEN sees the caller as current_user: the workflows (a roster from a session, which copies the
-- session's place) act as the owner after their own checks.
CREATE TRIGGER training_sessions_guard_placement BEFORE INSERT OR UPDATE ON training_sessions
  FOR EACH ROW WHEN (current_user = 'unitrain_app') EXECUTE FUNCTION app_guard_placement();
CREATE TRIGGER rosters_guard_placement BEFORE INSERT OR UPDATE ON rosters
  FOR EACH ROW WHEN (current_user = 'unitrain_app') EXECUTE FUNCTION app_guard_placement();

-- ---------------------------------------------------------------------------------------------------
-- Whom an actor may make the instructor of a session, schedule or roster (on insert, or when it
-- changes): SA, AD anyone; an AP an instructor affiliated with one of its own providers (a member, or
-- instructor_profiles.provider_id: app_provider_affiliates_user); an IC or IP themselves.
-- ---------------------------------------------------------------------------------------------------
CREATE FUNCTION app_may_assign_instructor(instructor uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT app_is_admin()
      OR (app_role() = 'AP' AND app_provider_affiliates_user(instructor, app_provider_ids()))
      OR (app_role() IN ('IC', 'IP') AND instructor = app_user_id())
$$;

CREATE FUNCTION app_guard_instructor_assignment() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.instructor_id IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.instructor_id IS DISTINCT FROM OLD.instructor_id)
     AND NOT app_may_assign_instructor(NEW.instructor_id) THEN
    RAISE EXCEPTION 'an AP assigns only instructors affiliated with its own providers'
      USING ERRCODE = 'insufficient_privilege', TABLE = TG_TABLE_NAME, COLUMN = 'instructor_id';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER training_sessions_guard_instructor BEFORE INSERT OR UPDATE ON training_sessions
  FOR EACH ROW WHEN (current_user = 'unitrain_app') EXECUTE FUNCTION app_guard_instructor_assignment();
CREATE TRIGGER course_schedules_guard_instructor BEFORE INSERT OR UPDATE ON course_schedules
  FOR EACH ROW WHEN (current_user = 'unitrain_app') EXECUTE FUNCTION app_guard_instructor_assignment();
CREATE TRIGGER rosters_guard_instructor BEFORE INSERT OR UPDATE ON rosters
  FOR EACH ROW WHEN (current_user = 'unitrain_app') EXECUTE FUNCTION app_guard_instructor_assignment();

REVOKE EXECUTE ON FUNCTION
  app_guard_sa_reference(), app_may_place(text, uuid, uuid), app_guard_placement(),
  app_may_assign_instructor(uuid), app_guard_instructor_assignment()
FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------------
-- enroll_student let anyone who sees a session open for self-enrollment enroll any student profile:
-- with student NULL, `student = app_user_id()` is NULL, and NOT (false OR NULL) did not raise. Found by
-- the workflow matrix test; the self-enrollment branch is for the caller's own account only.
-- ---------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION enroll_student(session uuid, student uuid, student_profile uuid)
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
