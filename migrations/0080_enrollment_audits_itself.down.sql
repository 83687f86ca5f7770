-- Decision 0079 undone: enroll_student as migration 0058 made it (its audit and change-capture rows by
-- the triggers again), the triggers' condition without the self-audited search path, audit_changed_rows
-- and app_audit as migrations 0060 and 0072 made them.
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

DO $$
DECLARE
  t record;
  becomes CONSTANT text := 'WHEN (current_setting(''unitrain.audit'', true) IS DISTINCT FROM ''off'' '
    'OR current_setting(''role'') <> ''none'' '
    'OR (current_setting(''is_superuser'') <> ''on'' AND NOT audit_session_user_is_owner())) ';
BEGIN
  FOR t IN
    SELECT pg_get_triggerdef(tg.oid) AS definition
      FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
     WHERE NOT tg.tgisinternal AND (p.proname = 'audit_changed_rows' OR p.proname LIKE '%\_capture\_changes')
  LOOP
    IF position('WHEN (audit_applies()) ' IN t.definition) = 0 THEN
      RAISE EXCEPTION 'unexpected condition on an audit or capture trigger: %', t.definition;
    END IF;
    EXECUTE replace(replace(t.definition, 'WHEN (audit_applies()) ', becomes), 'CREATE TRIGGER ', 'CREATE OR REPLACE TRIGGER ');
  END LOOP;
END
$$;

CREATE OR REPLACE PROCEDURE app_audit(audited regclass)
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  audit_on CONSTANT text :=
    'WHEN (current_setting(''unitrain.audit'', true) IS DISTINCT FROM ''off'' '
    'OR current_setting(''role'') <> ''none'' '
    'OR (current_setting(''is_superuser'') <> ''on'' AND NOT audit_session_user_is_owner())) ';
  table_name CONSTANT text := (SELECT c.relname FROM pg_class c WHERE c.oid = audited);
BEGIN
  EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT %s'
                 'EXECUTE FUNCTION audit_changed_rows()', table_name || '_audit_insert', audited, audit_on);
  EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT %s'
                 'EXECUTE FUNCTION audit_changed_rows()', table_name || '_audit_update', audited, audit_on);
  EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT %s'
                 'EXECUTE FUNCTION audit_changed_rows()', table_name || '_audit_delete', audited, audit_on);
END;
$$;

CREATE OR REPLACE FUNCTION audit_changed_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  -- Password and token hashes are secrets even hashed: never copied into the log.
  secret_columns CONSTANT text[] := ARRAY['password_hash', 'refresh_token_hash'];
  -- Moved by set_row_version on every update: an update that changed nothing else is not recorded.
  bookkeeping_columns CONSTANT text[] := ARRAY['updated_at', 'version'];
  claimed_role text := current_setting('unitrain.role', true);
  claimed_ip text := nullif(current_setting('unitrain.ip', true), '');
  actor uuid := nullif(current_setting('unitrain.user_id', true), '')::uuid;
  -- Signed-out callers (ANON) and system work (no claims) have no role in the log.
  actor_role text := CASE WHEN claimed_role IN ('SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN') THEN claimed_role END;
  request text := nullif(current_setting('unitrain.request_id', true), '');
  agent text := nullif(current_setting('unitrain.user_agent', true), '');
  client_ip inet;
BEGIN
  -- The claim comes from the request; a malformed one must not make the audited write fail.
  IF claimed_ip IS NOT NULL THEN
    BEGIN
      client_ip := claimed_ip::inet;
    EXCEPTION WHEN invalid_text_representation THEN
      client_ip := NULL;
    END;
  END IF;

  IF TG_OP = 'INSERT' THEN
    INSERT INTO audit_log (actor_id, actor_role, table_name, operation, row_id, old_values, new_values, request_id, ip, user_agent)
    SELECT actor, actor_role, TG_TABLE_NAME, TG_OP, n.id, NULL, to_jsonb(n) - secret_columns, request, client_ip, agent
      FROM new_rows n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO audit_log (actor_id, actor_role, table_name, operation, row_id, old_values, new_values, request_id, ip, user_agent)
    SELECT actor, actor_role, TG_TABLE_NAME, TG_OP, o.id, to_jsonb(o) - secret_columns, NULL, request, client_ip, agent
      FROM old_rows o;
  ELSE
    -- Only the columns that changed, old and new. A changed secret keeps the row (a password reset
    -- leaves a trace: its version and time) but its values are dropped. PostgreSQL appends a row's old
    -- and new version to the two transition tables together (AfterTriggerSaveEvent), so the n-th rows of
    -- both are one row: zipped by position, with no join whose cached plan could have been made for a
    -- one-row statement.
    INSERT INTO audit_log (actor_id, actor_role, table_name, operation, row_id, old_values, new_values, request_id, ip, user_agent)
    SELECT actor, actor_role, TG_TABLE_NAME, TG_OP, (p.new_row ->> 'id')::uuid, d.old_values - secret_columns, d.new_values - secret_columns,
           request, client_ip, agent
      FROM unnest((SELECT array_agg(to_jsonb(r)) FROM new_rows r), (SELECT array_agg(to_jsonb(r)) FROM old_rows r)) AS p (new_row, old_row)
      CROSS JOIN LATERAL (
        SELECT jsonb_object_agg(nv.key, ov.value) AS old_values, jsonb_object_agg(nv.key, nv.value) AS new_values
          FROM jsonb_each(p.new_row) nv
          JOIN jsonb_each(p.old_row) ov USING (key)
         WHERE nv.value IS DISTINCT FROM ov.value) AS d
     WHERE d.new_values - bookkeeping_columns <> '{}'::jsonb;
  END IF;
  RETURN NULL;
END;
$$;

DROP FUNCTION audit_values(jsonb, jsonb);
DROP FUNCTION audit_actor();
DROP FUNCTION audit_applies();
DROP FUNCTION audit_switched_on();
