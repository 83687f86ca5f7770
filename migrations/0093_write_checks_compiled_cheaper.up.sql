-- Decision 0101: less for PostgreSQL to compile on every write of an enrollment's tables. A statement that
-- writes a table reads each of its CHECK constraints and each row trigger's WHEN back from their stored
-- text and prepares them again (stringToNode, eval_const_expressions); no plan keeps them. What each
-- checks and decides is unchanged; the constraints and triggers keep their names.

-- 1. The lists of allowed values as one array constant: `ARRAY['A'::text, …]` is stored as an array
--    built from one constant per value (about twice the text to read back, and folded into a constant
--    again each time). The tables every enrollment, cancellation and promotion writes.
ALTER TABLE training_sessions
  DROP CONSTRAINT training_sessions_status_check,
  ADD CONSTRAINT training_sessions_status_check CHECK (status = ANY ('{SCHEDULED,IN_PROGRESS,COMPLETED,CANCELLED}'::text[]));
ALTER TABLE session_enrollments
  DROP CONSTRAINT session_enrollments_status_check,
  ADD CONSTRAINT session_enrollments_status_check CHECK (status = ANY ('{ENROLLED,WAITLISTED,CANCELLED}'::text[])),
  DROP CONSTRAINT session_enrollments_attendance_status_check,
  ADD CONSTRAINT session_enrollments_attendance_status_check CHECK (attendance_status = ANY ('{REGISTERED,ATTENDED,ABSENT,PARTIAL}'::text[])),
  DROP CONSTRAINT session_enrollments_completion_status_check,
  ADD CONSTRAINT session_enrollments_completion_status_check CHECK (completion_status = ANY ('{NOT_STARTED,IN_PROGRESS,COMPLETED,FAILED}'::text[])),
  DROP CONSTRAINT session_enrollments_completed_at_check,
  ADD CONSTRAINT session_enrollments_completed_at_check CHECK ((completion_status = ANY ('{COMPLETED,FAILED}'::text[])) = (completed_at IS NOT NULL));
ALTER TABLE audit_log
  DROP CONSTRAINT audit_log_actor_role_check,
  ADD CONSTRAINT audit_log_actor_role_check CHECK (actor_role = ANY ('{SA,AD,AP,IC,IP,IT,IN}'::text[])),
  DROP CONSTRAINT audit_log_operation_check,
  ADD CONSTRAINT audit_log_operation_check CHECK (operation = ANY ('{INSERT,UPDATE,DELETE}'::text[]));
ALTER TABLE change_log
  DROP CONSTRAINT change_log_operation_check,
  ADD CONSTRAINT change_log_operation_check CHECK (operation = ANY ('{INSERT,UPDATE,DELETE}'::text[]));

-- 2. The role guards' WHEN reads the role claim itself instead of through app_role(): compiling a WHEN
--    inlines an SQL function by parsing and analysing its body again, for every statement writing the
--    table (decision 0095 measured it for app_is_request_role). Same answer: app_role() is the claim with
--    '' as NULL, and neither is in a list. Every sa_reference guard (the recipe of migration 0059, on 23
--    tables) and both student_reference guards (migration 0056).
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
      'WHEN (current_setting(''unitrain.role'', true) = ANY (''{AD,AP,IC,IP,IT,IN}''::text[]) AND app_refers_to_sa(ARRAY[%s]::uuid[])) '
      'EXECUTE FUNCTION app_guard_sa_reference(%s)',
      t.tgname, t.tbl,
      (SELECT string_agg(format('NEW.%I', c), ', ') FROM unnest(t.columns) AS c),
      (SELECT string_agg(quote_literal(c), ', ') FROM unnest(t.columns) AS c));
  END LOOP;
END;
$$;

DROP TRIGGER session_enrollments_guard_student_reference ON session_enrollments;
CREATE TRIGGER session_enrollments_guard_student_reference BEFORE INSERT OR UPDATE OF student_id ON session_enrollments
  FOR EACH ROW WHEN (current_setting('unitrain.role', true) = ANY ('{AP,IC,IP,IT,IN}'::text[])) EXECUTE FUNCTION app_guard_student_reference();
DROP TRIGGER student_roster_members_guard_student_reference ON student_roster_members;
CREATE TRIGGER student_roster_members_guard_student_reference BEFORE INSERT OR UPDATE OF student_id ON student_roster_members
  FOR EACH ROW WHEN (current_setting('unitrain.role', true) = ANY ('{AP,IC,IP,IT,IN}'::text[])) EXECUTE FUNCTION app_guard_student_reference();
