-- Decision 0069: an enrollment's statements keep their plans, the seat count stays a HOT update, and the
-- enrollment comes back in the statement that made it. Every row written before is still written, the same.

-- 1. The overlap check (allow_overlap false: every enrollment over HTTP). Its one query asked
--    `e.student_id = student OR e.student_profile_id = student_profile` with one of the two NULL; a plan
--    made for the values knows which, so PostgreSQL found every such plan cheaper than its generic plan
--    and planned the three-table join again on every call (about a tenth of an enrollment's database
--    CPU). One query per kind of student: each has one generic plan, kept for the connection.
CREATE OR REPLACE FUNCTION app_student_overlapping_sessions(session uuid, student uuid, student_profile uuid) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF student IS NOT NULL THEN
    RETURN QUERY
    SELECT other.id
      FROM training_sessions target
      JOIN training_sessions other ON other.id <> target.id AND other.status <> 'CANCELLED' AND other.scheduled_during && target.scheduled_during
      JOIN session_enrollments e ON e.session_id = other.id AND e.status IN ('ENROLLED', 'WAITLISTED')
     WHERE target.id = session AND e.student_id = student
     ORDER BY lower(other.scheduled_during), other.id;
  ELSE
    RETURN QUERY
    SELECT other.id
      FROM training_sessions target
      JOIN training_sessions other ON other.id <> target.id AND other.status <> 'CANCELLED' AND other.scheduled_during && target.scheduled_during
      JOIN session_enrollments e ON e.session_id = other.id AND e.status IN ('ENROLLED', 'WAITLISTED')
     WHERE target.id = session AND e.student_profile_id = student_profile
     ORDER BY lower(other.scheduled_during), other.id;
  END IF;
END;
$$;

-- 2. Room on each page for the new versions of the seat count. Every enrollment, cancellation and
--    promotion updates its session's row; none of those columns is indexed, so the new version can stay
--    on its page (a HOT update) when the page has room. A full page puts it elsewhere, and then all 13
--    indexes, two of them GiST exclusion constraints checked on insert, take a new entry: 12 % of the
--    updates under the 64-client benchmark. Applies to the pages written from now on.
ALTER TABLE training_sessions SET (fillfactor = 50);

-- 3. An enrollment as its caller sees it (row-level security), read by a later function call of the
--    statement that made it: `enroll_student(…) r LEFT JOIN LATERAL session_enrollment_as_seen(r.enrollment_id)`.
--    A plain join could not see the row: a statement reads with the snapshot it began with, and the row
--    was written after that, inside the function; a VOLATILE function's statements read with a new one.
--    SECURITY INVOKER: the caller's policies decide, as for any select of session_enrollments.
CREATE FUNCTION session_enrollment_as_seen(enrollment uuid) RETURNS SETOF session_enrollments
LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
BEGIN
  RETURN QUERY SELECT e.* FROM public.session_enrollments e WHERE e.id = enrollment;
END;
$$;
REVOKE EXECUTE ON FUNCTION session_enrollment_as_seen(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION session_enrollment_as_seen(uuid) TO unitrain_app;

-- 4. Migration 0060's audit recipe, kept in one place for the tables audited from now on: the three
--    statement triggers (a trigger with transition tables takes one event), each with the same WHEN,
--    named <table>_audit_insert, _update and _delete. `CALL app_audit('new_table')` in the migration
--    that creates the table; the audit test checks every domain table has them, as 0060 made them.
CREATE PROCEDURE app_audit(audited regclass)
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  audit_on CONSTANT text :=
    'WHEN (current_setting(''unitrain.audit'', true) IS DISTINCT FROM ''off'' '
    'OR current_setting(''role'') <> ''none'' '
    'OR (current_setting(''is_superuser'') <> ''on'' AND NOT audit_session_user_is_owner())) ';
  table_name CONSTANT text := (SELECT c.relname FROM pg_class c WHERE c.oid = audited);
BEGIN
  EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT %s'
                 'EXECUTE FUNCTION audit_changed_rows()', table_name || '_audit_insert', audited, audit_on);
  EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT %s'
                 'EXECUTE FUNCTION audit_changed_rows()', table_name || '_audit_update', audited, audit_on);
  EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT %s'
                 'EXECUTE FUNCTION audit_changed_rows()', table_name || '_audit_delete', audited, audit_on);
END;
$$;
REVOKE EXECUTE ON PROCEDURE app_audit(regclass) FROM PUBLIC;
