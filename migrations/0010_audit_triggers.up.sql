-- Audit trail: one generic row trigger on every domain table writes who changed what into audit_log
-- inside the writing transaction, so a change and its audit row commit or vanish together.

-- SECURITY DEFINER: the application role may read audit_log but never write it, so the trigger
-- writes as the owner. The pinned search_path keeps a caller's objects from standing in for ours.
CREATE FUNCTION audit_row_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  -- Password and token hashes are secrets even hashed: never copied into the log.
  secret_columns CONSTANT text[] := ARRAY['password_hash', 'refresh_token_hash'];
  -- Moved by set_row_version on every update: an update that changed nothing else is not recorded.
  bookkeeping_columns CONSTANT text[] := ARRAY['updated_at', 'version'];
  old_values jsonb;
  new_values jsonb;
  claimed_role text := current_setting('unitrain.role', true);
  claimed_ip text := nullif(current_setting('unitrain.ip', true), '');
  client_ip inet;
  changed_row_id uuid;
BEGIN
  IF TG_OP = 'INSERT' THEN
    changed_row_id := NEW.id;
    new_values := to_jsonb(NEW) - secret_columns;
  ELSIF TG_OP = 'DELETE' THEN
    changed_row_id := OLD.id;
    old_values := to_jsonb(OLD) - secret_columns;
  ELSE
    changed_row_id := NEW.id;
    -- Only the columns that changed, old and new. A changed secret keeps the row (a password reset
    -- leaves a trace: its version and time) but its values are dropped.
    SELECT jsonb_object_agg(n.key, o.value), jsonb_object_agg(n.key, n.value)
      INTO old_values, new_values
      FROM jsonb_each(to_jsonb(NEW)) n
      JOIN jsonb_each(to_jsonb(OLD)) o USING (key)
     WHERE n.value IS DISTINCT FROM o.value;
    IF new_values IS NULL OR new_values - bookkeeping_columns = '{}'::jsonb THEN
      RETURN NULL;
    END IF;
    old_values := old_values - secret_columns;
    new_values := new_values - secret_columns;
  END IF;

  -- The claim comes from the request; a malformed one must not make the audited write fail.
  IF claimed_ip IS NOT NULL THEN
    BEGIN
      client_ip := claimed_ip::inet;
    EXCEPTION WHEN invalid_text_representation THEN
      client_ip := NULL;
    END;
  END IF;

  INSERT INTO audit_log (actor_id, actor_role, table_name, operation, row_id, old_values, new_values, request_id, ip, user_agent)
  VALUES (
    nullif(current_setting('unitrain.user_id', true), '')::uuid,
    -- Signed-out callers (ANON) and system work (no claims) have no role in the log.
    CASE WHEN claimed_role IN ('SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN') THEN claimed_role END,
    TG_TABLE_NAME,
    TG_OP,
    changed_row_id,
    old_values,
    new_values,
    nullif(current_setting('unitrain.request_id', true), ''),
    client_ip,
    nullif(current_setting('unitrain.user_agent', true), '')
  );
  RETURN NULL;
END;
$$;

-- Whether the session user owns audit_log (and so every domain table): the owner may switch
-- auditing off for a bulk load. Called from the triggers' WHEN only in that rare case.
CREATE FUNCTION audit_session_user_is_owner() RETURNS boolean
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
  SELECT pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = 'audit_log'::regclass), 'USAGE')
$$;
-- Every writer evaluates the WHEN below, and PostgreSQL checks EXECUTE when it prepares it.
REVOKE EXECUTE ON FUNCTION audit_session_user_is_owner() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_session_user_is_owner() TO unitrain_app;

-- Every domain table. Not audited, on purpose:
--   audit_log, change_log, domain_events: logs of changes themselves; auditing them would log the log.
--   jobs, user_activities: high-volume system rows (leases, retries, feed entries), not domain facts.
--   auth_sessions: refresh-token rows; logins and refreshes would flood the log, and they are tokens.
-- The trigger fires unless a bulk load switched auditing off for its transaction (the seed sets
-- unitrain.audit = 'off'), which counts only for a superuser or the owner acting as itself: a request
-- runs under SET ROLE unitrain_app (role is then not 'none' and is_superuser is off), so it cannot.
-- The check sits in WHEN, where a skipped row costs nothing: calling a function per row that then
-- returns at once made the large seed several times slower.
DO $$
DECLARE
  audited text;
BEGIN
  FOREACH audited IN ARRAY ARRAY[
    'users', 'profiles', 'authorized_providers', 'provider_members', 'locations', 'provider_locations',
    'instructor_profiles', 'teams', 'team_members',
    'courses', 'course_versions', 'course_schedules', 'training_sessions', 'student_enrollment_profiles',
    'session_enrollments', 'rosters', 'student_roster_members',
    'certificate_templates', 'certificate_batches', 'certificates',
    'compliance_requirements', 'compliance_records',
    'notifications']
  LOOP
    EXECUTE format(
      'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW '
      'WHEN (current_setting(''unitrain.audit'', true) IS DISTINCT FROM ''off'' '
      'OR current_setting(''role'') <> ''none'' '
      'OR (current_setting(''is_superuser'') <> ''on'' AND NOT audit_session_user_is_owner())) '
      'EXECUTE FUNCTION audit_row_change()',
      audited || '_audit', audited);
  END LOOP;
END
$$;

-- What one person did, per day (UTC) and table, over the last `days` days including today; the row
-- whose day and table_name are null holds the totals. SECURITY INVOKER (the default, stated because it
-- matters): it reads audit_log under the caller's row-level security, so it shows no row the caller
-- could not select.
CREATE FUNCTION user_activity_summary(user_id uuid, days integer)
RETURNS TABLE (day date, table_name text, inserts bigint, updates bigint, deletes bigint, total bigint)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = public, pg_temp AS $$
  SELECT (a.occurred_at AT TIME ZONE 'UTC')::date,
         a.table_name,
         count(*) FILTER (WHERE a.operation = 'INSERT'),
         count(*) FILTER (WHERE a.operation = 'UPDATE'),
         count(*) FILTER (WHERE a.operation = 'DELETE'),
         count(*)
    FROM audit_log a
   WHERE a.actor_id = user_activity_summary.user_id
     AND a.occurred_at >= ((now() AT TIME ZONE 'UTC')::date - (user_activity_summary.days - 1))::timestamp AT TIME ZONE 'UTC'
   GROUP BY GROUPING SETS (((a.occurred_at AT TIME ZONE 'UTC')::date, a.table_name), ())
   ORDER BY 1 NULLS LAST, 2 NULLS LAST
$$;
REVOKE EXECUTE ON FUNCTION user_activity_summary(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION user_activity_summary(uuid, integer) TO unitrain_app;
