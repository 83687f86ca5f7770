-- 0059: undoes exactly what 0059_sa_guard_asks_only_its_columns.up.sql does.
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
      'WHEN (app_role() IN (''AD'', ''AP'', ''IC'', ''IP'', ''IT'', ''IN'')) '
      'EXECUTE FUNCTION app_guard_sa_reference(%s)',
      t.tgname, t.tbl, (SELECT string_agg(quote_literal(c), ', ') FROM unnest(t.columns) AS c));
  END LOOP;
END;
$$;

DROP FUNCTION app_refers_to_sa(uuid[]);
