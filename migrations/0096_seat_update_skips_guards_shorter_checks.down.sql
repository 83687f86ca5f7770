-- Decision 0107 undone: the guards, audit_values and the CHECKs as migrations 0003, 0006, 0080 and 0093 left them.
DROP TRIGGER training_sessions_guard_eligibility_override ON training_sessions;
CREATE TRIGGER training_sessions_guard_eligibility_override BEFORE INSERT OR UPDATE ON training_sessions
  FOR EACH ROW WHEN (app_is_request_role()) EXECUTE FUNCTION app_guard_eligibility_override();
DROP TRIGGER training_sessions_guard_instructor ON training_sessions;
CREATE TRIGGER training_sessions_guard_instructor BEFORE INSERT OR UPDATE ON training_sessions
  FOR EACH ROW WHEN (app_is_request_role()) EXECUTE FUNCTION app_guard_instructor_assignment();
DROP TRIGGER training_sessions_guard_placement ON training_sessions;
CREATE TRIGGER training_sessions_guard_placement BEFORE INSERT OR UPDATE ON training_sessions
  FOR EACH ROW WHEN (app_is_request_role()) EXECUTE FUNCTION app_guard_placement();
DROP TRIGGER training_sessions_guard_sa_reference ON training_sessions;
CREATE TRIGGER training_sessions_guard_sa_reference BEFORE INSERT OR UPDATE ON training_sessions
  FOR EACH ROW WHEN (current_setting('unitrain.role', true) = ANY ('{AD,AP,IC,IP,IT,IN}'::text[])
                     AND app_refers_to_sa(ARRAY[NEW.instructor_id, NEW.created_by]::uuid[]))
  EXECUTE FUNCTION app_guard_sa_reference('instructor_id', 'created_by');

CREATE OR REPLACE FUNCTION audit_values(old_row jsonb, new_row jsonb)
RETURNS TABLE (old_values jsonb, new_values jsonb)
LANGUAGE sql IMMUTABLE AS $$
  SELECT old_row - ARRAY['password_hash', 'refresh_token_hash'], new_row - ARRAY['password_hash', 'refresh_token_hash']
   WHERE old_row IS NULL OR new_row IS NULL
  UNION ALL
  SELECT d.old_values - ARRAY['password_hash', 'refresh_token_hash'], d.new_values - ARRAY['password_hash', 'refresh_token_hash']
    FROM (SELECT jsonb_object_agg(nv.key, ov.value) AS old_values, jsonb_object_agg(nv.key, nv.value) AS new_values
            FROM jsonb_each(new_row) nv
            JOIN jsonb_each(old_row) ov USING (key)
           WHERE nv.value IS DISTINCT FROM ov.value) AS d
   WHERE old_row IS NOT NULL AND new_row IS NOT NULL AND d.new_values - ARRAY['updated_at', 'version'] <> '{}'::jsonb
$$;

ALTER TABLE session_enrollments
  DROP CONSTRAINT session_enrollments_assessment_score_check,
  ADD CONSTRAINT session_enrollments_assessment_score_check CHECK (assessment_score BETWEEN 0 AND 100),
  DROP CONSTRAINT session_enrollments_practical_score_check,
  ADD CONSTRAINT session_enrollments_practical_score_check CHECK (practical_score BETWEEN 0 AND 100),
  DROP CONSTRAINT session_enrollments_written_score_check,
  ADD CONSTRAINT session_enrollments_written_score_check CHECK (written_score BETWEEN 0 AND 100),
  DROP CONSTRAINT session_enrollments_waitlist_check,
  ADD CONSTRAINT session_enrollments_waitlist_check CHECK (
    (status = 'WAITLISTED' AND waitlist_position IS NOT NULL AND waitlist_position >= 1)
    OR (status <> 'WAITLISTED' AND waitlist_position IS NULL));
ALTER TABLE audit_log
  DROP CONSTRAINT audit_log_values_check,
  ADD CONSTRAINT audit_log_values_check CHECK (
    (operation = 'INSERT' AND old_values IS NULL AND new_values IS NOT NULL)
    OR (operation = 'UPDATE' AND old_values IS NOT NULL AND new_values IS NOT NULL)
    OR (operation = 'DELETE' AND old_values IS NOT NULL AND new_values IS NULL));
