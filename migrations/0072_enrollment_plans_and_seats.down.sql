DROP PROCEDURE app_audit(regclass);

DROP FUNCTION session_enrollment_as_seen(uuid);

ALTER TABLE training_sessions RESET (fillfactor);

CREATE OR REPLACE FUNCTION app_student_overlapping_sessions(session uuid, student uuid, student_profile uuid) RETURNS SETOF uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  RETURN QUERY
  SELECT other.id
    FROM training_sessions target
    JOIN training_sessions other ON other.id <> target.id AND other.status <> 'CANCELLED' AND other.scheduled_during && target.scheduled_during
    JOIN session_enrollments e ON e.session_id = other.id AND e.status IN ('ENROLLED', 'WAITLISTED')
   WHERE target.id = session
     AND (e.student_id = student OR e.student_profile_id = student_profile)
   ORDER BY lower(other.scheduled_during), other.id;
END;
$$;
