DO $$
DECLARE
  captured text;
  event text;
BEGIN
  FOR captured IN SELECT table_name FROM change_capture_tables() LOOP
    FOREACH event IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
      EXECUTE format('DROP TRIGGER %I ON %I', captured || '_capture_' || event, captured);
    END LOOP;
    EXECUTE format('DROP FUNCTION %I()', captured || '_capture_changes');
  END LOOP;
END
$$;

DROP FUNCTION change_capture_tables();
