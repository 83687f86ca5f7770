-- Decision 0079: an enrollment writes its own audit and change-capture rows, in one statement, and the
-- triggers of the rows it changed do not write them again. Every row written before is still written,
-- with the same content: the seat, the enrollment, an audit row and a change-capture row for each, the
-- domain event.
--
-- Measured first (decision 0079): audit and change capture of the seat and the enrollment were a quarter
-- to a third of an enrollment's database CPU, four trigger statements after the two writes, each a
-- SECURITY DEFINER PL/pgSQL call with its own statement to start. One statement of enroll_student now
-- writes the four rows.

-- 1. What an audit row records, written once for the trigger and for a function that audits its own writes.
--    The actor and request, from the transaction's claims.
CREATE FUNCTION audit_actor(OUT actor_id uuid, OUT actor_role text, OUT request_id text, OUT ip inet, OUT user_agent text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  claimed_role text := current_setting('unitrain.role', true);
  claimed_ip text := nullif(current_setting('unitrain.ip', true), '');
BEGIN
  actor_id := nullif(current_setting('unitrain.user_id', true), '')::uuid;
  -- Signed-out callers (ANON) and system work (no claims) have no role in the log.
  actor_role := CASE WHEN claimed_role IN ('SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN') THEN claimed_role END;
  request_id := nullif(current_setting('unitrain.request_id', true), '');
  user_agent := nullif(current_setting('unitrain.user_agent', true), '');
  -- The claim comes from the request; a malformed one must not make the audited write fail.
  IF claimed_ip IS NOT NULL THEN
    BEGIN
      ip := claimed_ip::inet;
    EXCEPTION WHEN invalid_text_representation THEN
      ip := NULL;
    END;
  END IF;
END;
$$;

--    The values of one change, as jsonb rows: the whole row on insert (no old row) and delete (no new
--    row); on update only the columns that changed, old and new, and no entry at all when only
--    updated_at/version moved (set_row_version moves them on every update). Password and token hashes
--    are secrets even hashed: never copied into the log (a changed secret keeps the entry, without its
--    values). A SQL function without SET or SECURITY DEFINER, so PostgreSQL inlines it into the
--    statement that calls it; the update branch runs only for an update (its condition names no column
--    of the subquery, so the planner tests it once per change, before the subquery).
CREATE FUNCTION audit_values(old_row jsonb, new_row jsonb) RETURNS TABLE (old_values jsonb, new_values jsonb)
LANGUAGE sql IMMUTABLE AS $$
  SELECT old_row - ARRAY['password_hash', 'refresh_token_hash'], new_row - ARRAY['password_hash', 'refresh_token_hash']
   WHERE old_row IS NULL OR new_row IS NULL
  UNION ALL
  SELECT d.old_values - ARRAY['password_hash', 'refresh_token_hash'], d.new_values - ARRAY['password_hash', 'refresh_token_hash']
    FROM (SELECT jsonb_object_agg(nv.key, ov.value) AS old_values, jsonb_object_agg(nv.key, nv.value) AS new_values
            FROM jsonb_each(new_row) nv
            JOIN jsonb_each(old_row) ov USING (key)
           WHERE nv.value IS DISTINCT FROM ov.value) AS d
   WHERE old_row IS NOT NULL AND new_row IS NOT NULL AND d.new_values - ARRAY['updated_at', 'version'] <> '{}'::jsonb
$$;

REVOKE EXECUTE ON FUNCTION audit_actor(), audit_values(jsonb, jsonb) FROM PUBLIC;

CREATE OR REPLACE FUNCTION audit_changed_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO audit_log (actor_id, actor_role, table_name, operation, row_id, old_values, new_values, request_id, ip, user_agent)
    SELECT a.actor_id, a.actor_role, TG_TABLE_NAME, TG_OP, n.id, v.old_values, v.new_values, a.request_id, a.ip, a.user_agent
      FROM audit_actor() a, new_rows n CROSS JOIN LATERAL audit_values(NULL, to_jsonb(n)) v;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO audit_log (actor_id, actor_role, table_name, operation, row_id, old_values, new_values, request_id, ip, user_agent)
    SELECT a.actor_id, a.actor_role, TG_TABLE_NAME, TG_OP, o.id, v.old_values, v.new_values, a.request_id, a.ip, a.user_agent
      FROM audit_actor() a, old_rows o CROSS JOIN LATERAL audit_values(to_jsonb(o), NULL) v;
  ELSE
    -- PostgreSQL appends a row's old and new version to the two transition tables together
    -- (AfterTriggerSaveEvent), so the n-th rows of both are one row: zipped by position, with no join
    -- whose cached plan could have been made for a one-row statement.
    INSERT INTO audit_log (actor_id, actor_role, table_name, operation, row_id, old_values, new_values, request_id, ip, user_agent)
    SELECT a.actor_id, a.actor_role, TG_TABLE_NAME, TG_OP, (p.new_row ->> 'id')::uuid, v.old_values, v.new_values, a.request_id, a.ip, a.user_agent
      FROM audit_actor() a,
           unnest((SELECT array_agg(to_jsonb(r)) FROM new_rows r), (SELECT array_agg(to_jsonb(r)) FROM old_rows r)) AS p (new_row, old_row)
      CROSS JOIN LATERAL audit_values(p.old_row, p.new_row) v;
  END IF;
  RETURN NULL;
END;
$$;

-- 2. A write that its own function records is not recorded again by the audit and capture triggers.
--    Such a function is marked by its search path, `public, pg_temp, self_audited` (a schema that does
--    not exist: names resolve as with `public, pg_temp`), and the triggers skip a statement that runs
--    under that search path as a user other than the session's role, that is, inside a SECURITY DEFINER
--    function. The application role cannot forge it: setting the search path itself leaves its own
--    statements audited (they run as the role it set, unitrain_app), and every SECURITY DEFINER function
--    sets its own search path on entry (the audit test checks both, and that only the functions named
--    there carry the mark), so a function called with the mark set by its caller runs without it. A
--    write made under the mark must be recorded by the function that made it.
--
--    The condition is now a function that every audit and capture trigger asks in its WHEN. Written out
--    in the WHEN, PostgreSQL read it back from its stored text and compiled it for every trigger of
--    every writing statement, which cost more than calling a PL/pgSQL function that keeps its compiled
--    expression for the transaction (decision 0079 has the figures). No SET search_path (it reads the
--    caller's), so it names the functions it calls with their schema.
CREATE FUNCTION audit_switched_on() RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
  -- The owner's bulk load, acting as itself with unitrain.audit off, is not recorded (migration 0010);
  -- a request cannot switch it off.
  RETURN current_setting('unitrain.audit', true) IS DISTINCT FROM 'off' OR current_setting('role') <> 'none'
      OR (current_setting('is_superuser') <> 'on' AND NOT public.audit_session_user_is_owner());
END;
$$;

CREATE FUNCTION audit_applies() RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN public.audit_switched_on()
     AND NOT (current_setting('search_path') = 'public, pg_temp, self_audited' AND current_user::text <> current_setting('role'));
END;
$$;

CREATE OR REPLACE PROCEDURE app_audit(audited regclass)
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  table_name CONSTANT text := (SELECT c.relname FROM pg_class c WHERE c.oid = audited);
BEGIN
  EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT '
                 'WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows()', table_name || '_audit_insert', audited);
  EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT '
                 'WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows()', table_name || '_audit_update', audited);
  EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT '
                 'WHEN (audit_applies()) EXECUTE FUNCTION audit_changed_rows()', table_name || '_audit_delete', audited);
END;
$$;

--    Every audit and capture trigger there is takes it (all had the condition above, without the mark).
DO $$
DECLARE
  t record;
  was CONSTANT text := 'WHEN (((current_setting(''unitrain.audit''::text, true) IS DISTINCT FROM ''off''::text) '
    'OR (current_setting(''role''::text) <> ''none''::text) '
    'OR ((current_setting(''is_superuser''::text) <> ''on''::text) AND (NOT audit_session_user_is_owner())))) ';
BEGIN
  FOR t IN
    SELECT pg_get_triggerdef(tg.oid) AS definition
      FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
     WHERE NOT tg.tgisinternal AND (p.proname = 'audit_changed_rows' OR p.proname LIKE '%\_capture\_changes')
  LOOP
    IF position(was IN t.definition) = 0 THEN
      RAISE EXCEPTION 'unexpected condition on an audit or capture trigger: %', t.definition;
    END IF;
    EXECUTE replace(replace(t.definition, was, 'WHEN (audit_applies()) '), 'CREATE TRIGGER ', 'CREATE OR REPLACE TRIGGER ');
  END LOOP;
END
$$;

-- 3. The enrollment. Its writes: the seat (when one is free), the enrollment, and then one statement
--    writing their audit and change-capture rows exactly as the triggers did (the audit tests compare
--    both, row for row), then the event. Also changed:
--    - The session is locked first, FOR NO KEY UPDATE (the lock the seat's UPDATE takes), and its row
--      read: its values before the seat are the audit row's old values, and under the lock the seat is
--      taken only once the enrollment is sure. Before, the seat was taken first and given back when a
--      concurrent request for the same student had won (two more audited updates of the session).
--    - The repeat is answered under that lock: the lock-free read that answered it before cost every new
--      enrollment a statement; a repeat now waits for the session's current enrollment to commit.
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

  -- The session lock: seats and waitlist numbers are counted under it.
  SELECT s.* INTO seat FROM training_sessions s WHERE s.id = session FOR NO KEY UPDATE;
  SELECT e.* INTO existing FROM session_enrollments e
   WHERE e.session_id = session AND (e.student_id = student OR e.student_profile_id = student_profile)
   FOR UPDATE;
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
