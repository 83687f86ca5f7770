-- An enrollment keeps its student. Moving one to another person is cancelling it and enrolling them,
-- which the audit trail and the counters already understand. The realtime stream relies on it as well:
-- change_log records an UPDATE with its new keys only, so a student replaced on an enrollment would keep
-- the session in the scope the stream keeps for them (decision 0022). A student may still be set where
-- there was none (a student profile that gets an account).
CREATE FUNCTION session_enrollments_keep_student() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.student_id IS NOT NULL AND NEW.student_id IS DISTINCT FROM OLD.student_id THEN
    RAISE EXCEPTION 'an enrollment keeps its student: cancel it and enroll the other student'
      USING ERRCODE = '23514', CONSTRAINT = 'session_enrollments_student_fixed', TABLE = 'session_enrollments';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER session_enrollments_student_fixed BEFORE UPDATE OF student_id ON session_enrollments
  FOR EACH ROW EXECUTE FUNCTION session_enrollments_keep_student();
