-- Decision 0060: audit rows written once per statement, set-based, instead of by a call per row.
--
-- audit_row_change ran for every changed row: a SECURITY DEFINER PL/pgSQL call with its own search_path,
-- the row turned into jsonb, one INSERT into audit_log. A batch of 1,000 certificates made 1,000 calls
-- (a 10,000-certificate batch spent ~2.3 s in them; a 10,000-line CSV enrollment 1.1 s). Each audited
-- table now has three statement triggers (PostgreSQL allows transition tables on a trigger of one event
-- only), <table>_audit_insert, _update and _delete, with the same WHEN as before, and
-- audit_changed_rows writes the statement's rows with one INSERT … SELECT from the transition tables:
-- - the same row per change as before: actor, role, table, operation, row id, the values (the whole row
--   on insert and delete; on update only the columns that changed, old and new, and nothing when only
--   updated_at/version moved), request, IP, user agent; secrets dropped the same way;
-- - in the statement's order (an update's rows in the order the statement changed them);
-- - at the same moment: after the statement, before the change capture, roster count and status list
--   triggers of the same statement (statement triggers fire in name order; audit_ sorts first);
-- - under the same WHEN (the owner's bulk load with unitrain.audit off skips it; the application role
--   cannot).

CREATE FUNCTION audit_changed_rows() RETURNS trigger
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

DO $$
DECLARE
  audited regclass;
  audit_on CONSTANT text :=
    'WHEN (current_setting(''unitrain.audit'', true) IS DISTINCT FROM ''off'' '
    'OR current_setting(''role'') <> ''none'' '
    'OR (current_setting(''is_superuser'') <> ''on'' AND NOT audit_session_user_is_owner())) ';
BEGIN
  FOR audited IN
    SELECT t.tgrelid::regclass FROM pg_trigger t WHERE t.tgfoid = 'audit_row_change'::regproc AND NOT t.tgisinternal ORDER BY 1
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', (SELECT c.relname || '_audit' FROM pg_class c WHERE c.oid = audited), audited);
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT %s'
                   'EXECUTE FUNCTION audit_changed_rows()',
                   (SELECT c.relname || '_audit_insert' FROM pg_class c WHERE c.oid = audited), audited, audit_on);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT %s'
                   'EXECUTE FUNCTION audit_changed_rows()',
                   (SELECT c.relname || '_audit_update' FROM pg_class c WHERE c.oid = audited), audited, audit_on);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT %s'
                   'EXECUTE FUNCTION audit_changed_rows()',
                   (SELECT c.relname || '_audit_delete' FROM pg_class c WHERE c.oid = audited), audited, audit_on);
  END LOOP;
END
$$;

DROP FUNCTION audit_row_change();
