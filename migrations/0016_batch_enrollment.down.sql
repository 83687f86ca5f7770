DROP INDEX session_enrollments_created_at_idx;
DROP INDEX session_enrollments_enrollment_date_idx;
DROP FUNCTION enroll_students(uuid, jsonb);
