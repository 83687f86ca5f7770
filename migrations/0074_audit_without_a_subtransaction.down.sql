-- Back to 0060's audit_changed_rows: the IP claim always cast inside an EXCEPTION block.

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
