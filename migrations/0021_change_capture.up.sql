-- Change capture: every write to a domain table appends one change_log row per changed row, in the
-- writing transaction, with the scope keys that realtime authorisation needs (location, provider,
-- instructor, user), so a change can be routed without reading its row again. No NOTIFY here: it would
-- serialise every commit on one global lock (DESIGN.md); each node's dispatcher tails change_log.
--
-- Statement-level triggers with transition tables: one INSERT ... SELECT per statement instead of one
-- function call and one INSERT per row (docs/decisions/0017-change-capture.md has the figures).
-- Transition tables allow one event per trigger, so each table gets three triggers on one function.
-- SECURITY DEFINER: the function writes as the owner (whose owner_all policy admits it), so a signed-out
-- or system write is captured as well, and the join to a parent row sees it whatever the writer may see.
-- An UPDATE is captured with its new scope keys, a DELETE with its old ones.
--
-- The switch is the audit trigger's (migration 0010): a bulk load by the owner acting as itself that
-- sets unitrain.audit = 'off' (the seed) writes no change rows either; a request cannot.

CREATE FUNCTION change_capture_tables()
RETURNS TABLE (table_name text, location_key text, provider_key text, instructor_key text, user_key text, parent text)
LANGUAGE sql IMMUTABLE SET search_path = public, pg_temp AS $$
  -- Each key is an expression over the changed row r and, for child rows, its parent p.
  VALUES
    ('training_sessions',           'r.location_id', 'r.provider_id', 'r.instructor_id', 'NULL', NULL),
    ('course_schedules',            'r.location_id', 'r.provider_id', 'r.instructor_id', 'NULL', NULL),
    ('rosters',                     'r.location_id', 'r.provider_id', 'r.instructor_id', 'NULL', NULL),
    -- A child row carries its parent's scope: who sees the session or roster sees its students.
    ('session_enrollments',         'p.location_id', 'p.provider_id', 'p.instructor_id', 'r.student_id',
     'training_sessions p ON p.id = r.session_id'),
    ('student_roster_members',      'p.location_id', 'p.provider_id', 'p.instructor_id', 'r.student_id',
     'rosters p ON p.id = r.roster_id'),
    -- The issuer is the certificate's instructor (policy certificates_select_issuer).
    ('certificates',                'r.location_id', 'r.provider_id', 'r.issued_by',     'r.user_id', NULL),
    ('courses',                     'NULL',          'NULL',          'NULL',            'NULL', NULL),
    ('locations',                   'r.id',          'NULL',          'NULL',            'NULL', NULL),
    ('authorized_providers',        'NULL',          'r.id',          'NULL',            'NULL', NULL),
    ('provider_locations',          'r.location_id', 'r.provider_id', 'NULL',            'NULL', NULL),
    ('provider_members',            'NULL',          'r.provider_id', 'NULL',            'r.user_id', NULL),
    ('student_enrollment_profiles', 'NULL',          'r.provider_id', 'NULL',            'NULL', NULL),
    ('users',                       'NULL',          'NULL',          'NULL',            'r.id', NULL),
    ('profiles',                    'NULL',          'NULL',          'NULL',            'r.user_id', NULL),
    ('instructor_profiles',         'NULL',          'r.provider_id', 'NULL',            'r.user_id', NULL),
    ('compliance_records',          'NULL',          'NULL',          'NULL',            'r.user_id', NULL)
$$;
REVOKE EXECUTE ON FUNCTION change_capture_tables() FROM PUBLIC;

DO $$
DECLARE
  captured record;
  event text;
BEGIN
  FOR captured IN SELECT * FROM change_capture_tables() LOOP
    EXECUTE format(
      $create$
      CREATE FUNCTION %1$I() RETURNS trigger
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $body$
      BEGIN
        INSERT INTO change_log (table_name, operation, row_id, location_id, provider_id, instructor_id, user_id)
        SELECT TG_TABLE_NAME, TG_OP, r.id, %2$s, %3$s, %4$s, %5$s FROM changed_rows r %6$s;
        RETURN NULL;
      END;
      $body$
      $create$,
      captured.table_name || '_capture_changes', captured.location_key, captured.provider_key,
      captured.instructor_key, captured.user_key,
      CASE WHEN captured.parent IS NULL THEN '' ELSE 'LEFT JOIN ' || captured.parent END);
    EXECUTE format('REVOKE EXECUTE ON FUNCTION %I() FROM PUBLIC', captured.table_name || '_capture_changes');
    FOREACH event IN ARRAY ARRAY['INSERT', 'UPDATE', 'DELETE'] LOOP
      EXECUTE format(
        'CREATE TRIGGER %I AFTER %s ON %I REFERENCING %s TABLE AS changed_rows FOR EACH STATEMENT '
        'WHEN (current_setting(''unitrain.audit'', true) IS DISTINCT FROM ''off'' '
        'OR current_setting(''role'') <> ''none'' '
        'OR (current_setting(''is_superuser'') <> ''on'' AND NOT audit_session_user_is_owner())) '
        'EXECUTE FUNCTION %I()',
        captured.table_name || '_capture_' || lower(event), event, captured.table_name,
        CASE event WHEN 'DELETE' THEN 'OLD' ELSE 'NEW' END,
        captured.table_name || '_capture_changes');
    END LOOP;
  END LOOP;
END
$$;
