-- Decision 0060: the sa_reference change rules (only an SA points a row's user columns at an SA account)
-- cost every write by an AD, AP, IC, IP, IT or IN a call of app_guard_sa_reference: SECURITY DEFINER
-- PL/pgSQL with its own search_path that turned the whole row (and on an update the old one too) into
-- jsonb to read one or two columns. A 10,000-line CSV enrollment spent 2.0 s of 7 s in it.
--
-- Each trigger keeps its name, table, events and columns (the access matrix names them), and its WHEN
-- now also asks app_refers_to_sa with just those columns of the new row. The function can only refuse
-- a row one of whose columns names an SA account, so where none does, not calling it changes nothing;
-- where one does, it runs as before and decides (an update that leaves the column as it was passes),
-- with the same error. A WHEN of a BEFORE trigger sees the row as the earlier triggers left it, as the
-- function did.

CREATE FUNCTION app_refers_to_sa(accounts uuid[]) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  RETURN EXISTS (SELECT 1 FROM users u WHERE u.id = ANY (accounts) AND u.role = 'SA');
END;
$$;
REVOKE EXECUTE ON FUNCTION app_refers_to_sa(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app_refers_to_sa(uuid[]) TO unitrain_app;

DO $$
DECLARE
  t record;
BEGIN
  FOR t IN
    SELECT g.tgname, g.tgrelid::regclass AS tbl,
           array_remove(string_to_array(encode(g.tgargs, 'escape'), '\000'), '') AS columns
      FROM pg_trigger g
     WHERE g.tgfoid = 'app_guard_sa_reference'::regproc AND NOT g.tgisinternal
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', t.tgname, t.tbl);
    EXECUTE format(
      'CREATE TRIGGER %I BEFORE INSERT OR UPDATE ON %s FOR EACH ROW '
      'WHEN (app_role() IN (''AD'', ''AP'', ''IC'', ''IP'', ''IT'', ''IN'') AND app_refers_to_sa(ARRAY[%s]::uuid[])) '
      'EXECUTE FUNCTION app_guard_sa_reference(%s)',
      t.tgname, t.tbl,
      (SELECT string_agg(format('NEW.%I', c), ', ') FROM unnest(t.columns) AS c),
      (SELECT string_agg(quote_literal(c), ', ') FROM unnest(t.columns) AS c));
  END LOOP;
END;
$$;
