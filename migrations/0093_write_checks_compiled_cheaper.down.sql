-- Decision 0101 undone: the checks and guards as migrations 0056 and 0059 (and the tables' own) left them.
ALTER TABLE training_sessions
  DROP CONSTRAINT training_sessions_status_check,
  ADD CONSTRAINT training_sessions_status_check CHECK (status IN ('SCHEDULED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED'));
ALTER TABLE session_enrollments
  DROP CONSTRAINT session_enrollments_status_check,
  ADD CONSTRAINT session_enrollments_status_check CHECK (status IN ('ENROLLED', 'WAITLISTED', 'CANCELLED')),
  DROP CONSTRAINT session_enrollments_attendance_status_check,
  ADD CONSTRAINT session_enrollments_attendance_status_check CHECK (attendance_status IN ('REGISTERED', 'ATTENDED', 'ABSENT', 'PARTIAL')),
  DROP CONSTRAINT session_enrollments_completion_status_check,
  ADD CONSTRAINT session_enrollments_completion_status_check CHECK (completion_status IN ('NOT_STARTED', 'IN_PROGRESS', 'COMPLETED', 'FAILED')),
  DROP CONSTRAINT session_enrollments_completed_at_check,
  ADD CONSTRAINT session_enrollments_completed_at_check CHECK ((completion_status IN ('COMPLETED', 'FAILED')) = (completed_at IS NOT NULL));
ALTER TABLE audit_log
  DROP CONSTRAINT audit_log_actor_role_check,
  ADD CONSTRAINT audit_log_actor_role_check CHECK (actor_role IN ('SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN')),
  DROP CONSTRAINT audit_log_operation_check,
  ADD CONSTRAINT audit_log_operation_check CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE'));
ALTER TABLE change_log
  DROP CONSTRAINT change_log_operation_check,
  ADD CONSTRAINT change_log_operation_check CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE'));

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

DROP TRIGGER session_enrollments_guard_student_reference ON session_enrollments;
CREATE TRIGGER session_enrollments_guard_student_reference BEFORE INSERT OR UPDATE OF student_id ON session_enrollments
  FOR EACH ROW WHEN (app_role() IN ('AP', 'IC', 'IP', 'IT', 'IN')) EXECUTE FUNCTION app_guard_student_reference();
DROP TRIGGER student_roster_members_guard_student_reference ON student_roster_members;
CREATE TRIGGER student_roster_members_guard_student_reference BEFORE INSERT OR UPDATE OF student_id ON student_roster_members
  FOR EACH ROW WHEN (app_role() IN ('AP', 'IC', 'IP', 'IT', 'IN')) EXECUTE FUNCTION app_guard_student_reference();
