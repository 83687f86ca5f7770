-- 0060: undoes exactly what 0060_audit_by_statement.up.sql does: a row trigger per audited table.
CREATE FUNCTION audit_row_change()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
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
$function$;


DO $$
DECLARE
  audited regclass;
BEGIN
  FOR audited IN
    SELECT DISTINCT t.tgrelid::regclass FROM pg_trigger t WHERE t.tgfoid = 'audit_changed_rows'::regproc AND NOT t.tgisinternal ORDER BY 1
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', (SELECT c.relname || '_audit_insert' FROM pg_class c WHERE c.oid = audited), audited);
    EXECUTE format('DROP TRIGGER %I ON %s', (SELECT c.relname || '_audit_update' FROM pg_class c WHERE c.oid = audited), audited);
    EXECUTE format('DROP TRIGGER %I ON %s', (SELECT c.relname || '_audit_delete' FROM pg_class c WHERE c.oid = audited), audited);
    EXECUTE format(
      'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW '
      'WHEN (current_setting(''unitrain.audit'', true) IS DISTINCT FROM ''off'' '
      'OR current_setting(''role'') <> ''none'' '
      'OR (current_setting(''is_superuser'') <> ''on'' AND NOT audit_session_user_is_owner())) '
      'EXECUTE FUNCTION audit_row_change()',
      (SELECT c.relname || '_audit' FROM pg_class c WHERE c.oid = audited), audited);
  END LOOP;
END
$$;

DROP FUNCTION audit_changed_rows();
