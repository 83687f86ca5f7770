-- Decision 0107: less for PostgreSQL to prepare on every enrollment. What each guard, constraint and audit
-- row decides or holds is unchanged; the triggers and constraints keep their names.

-- 1. The guards of training_sessions fire on an UPDATE only when it sets a column they judge. Each one
--    already let an UPDATE pass that left its columns as they were (compared with OLD), and none of them
--    follows a BEFORE trigger that changes a row (they run first, by name), so a column the statement does
--    not set is as it was. A seat taken, given back or promoted sets current_enrollment alone: PostgreSQL
--    now skips these four triggers before compiling their WHEN or calling app_is_request_role().
DROP TRIGGER training_sessions_guard_eligibility_override ON training_sessions;
CREATE TRIGGER training_sessions_guard_eligibility_override
  BEFORE INSERT OR UPDATE OF eligibility_override_reason, eligibility_overridden_by ON training_sessions
  FOR EACH ROW WHEN (app_is_request_role()) EXECUTE FUNCTION app_guard_eligibility_override();
DROP TRIGGER training_sessions_guard_instructor ON training_sessions;
CREATE TRIGGER training_sessions_guard_instructor BEFORE INSERT OR UPDATE OF instructor_id ON training_sessions
  FOR EACH ROW WHEN (app_is_request_role()) EXECUTE FUNCTION app_guard_instructor_assignment();
DROP TRIGGER training_sessions_guard_placement ON training_sessions;
CREATE TRIGGER training_sessions_guard_placement BEFORE INSERT OR UPDATE OF location_id, provider_id ON training_sessions
  FOR EACH ROW WHEN (app_is_request_role()) EXECUTE FUNCTION app_guard_placement();
DROP TRIGGER training_sessions_guard_sa_reference ON training_sessions;
CREATE TRIGGER training_sessions_guard_sa_reference BEFORE INSERT OR UPDATE OF instructor_id, created_by ON training_sessions
  FOR EACH ROW WHEN (current_setting('unitrain.role', true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])
                     AND app_refers_to_sa(ARRAY[NEW.instructor_id, NEW.created_by]::uuid[]))
  EXECUTE FUNCTION app_guard_sa_reference('instructor_id', 'created_by');

-- 2. An update's changed values read the old row by key instead of expanding it and joining on the key:
--    one jsonb_each and no hash join. The same pairs: a key of the new row that the old row has, whose
--    value differs (the two rows of one table have the same keys).
CREATE OR REPLACE FUNCTION audit_values(old_row jsonb, new_row jsonb)
RETURNS TABLE (old_values jsonb, new_values jsonb)
LANGUAGE sql IMMUTABLE AS $$
  SELECT old_row - ARRAY['password_hash', 'refresh_token_hash'], new_row - ARRAY['password_hash', 'refresh_token_hash']
   WHERE old_row IS NULL OR new_row IS NULL
  UNION ALL
  SELECT d.old_values - ARRAY['password_hash', 'refresh_token_hash'], d.new_values - ARRAY['password_hash', 'refresh_token_hash']
    FROM (SELECT jsonb_object_agg(nv.key, old_row -> nv.key) AS old_values, jsonb_object_agg(nv.key, nv.value) AS new_values
            FROM jsonb_each(new_row) nv
           WHERE old_row ? nv.key AND nv.value IS DISTINCT FROM old_row -> nv.key) AS d
   WHERE old_row IS NOT NULL AND new_row IS NOT NULL AND d.new_values - ARRAY['updated_at', 'version'] <> '{}'::jsonb
$$;

-- 3. Shorter forms of the longest CHECKs the enrollment path reads back from text at every write (about
--    half the stored text each): a score in a range constant instead of two comparisons with casts, the
--    waitlist and the log's values as equalities of conditions instead of an OR of cases. Each refuses
--    exactly the rows it refused; the log's values with audit_log_operation_check, which refuses any other
--    operation first (CHECKs are tried by name). constraints.test.ts compares both forms over every combination.
ALTER TABLE session_enrollments
  DROP CONSTRAINT session_enrollments_assessment_score_check,
  ADD CONSTRAINT session_enrollments_assessment_score_check CHECK (assessment_score <@ '[0,100]'::numrange),
  DROP CONSTRAINT session_enrollments_practical_score_check,
  ADD CONSTRAINT session_enrollments_practical_score_check CHECK (practical_score <@ '[0,100]'::numrange),
  DROP CONSTRAINT session_enrollments_written_score_check,
  ADD CONSTRAINT session_enrollments_written_score_check CHECK (written_score <@ '[0,100]'::numrange),
  DROP CONSTRAINT session_enrollments_waitlist_check,
  ADD CONSTRAINT session_enrollments_waitlist_check CHECK ((status = 'WAITLISTED') = (waitlist_position IS NOT NULL) AND waitlist_position >= 1);
ALTER TABLE audit_log
  DROP CONSTRAINT audit_log_values_check,
  ADD CONSTRAINT audit_log_values_check CHECK ((old_values IS NULL) = (operation = 'INSERT') AND (new_values IS NULL) = (operation = 'DELETE'));
