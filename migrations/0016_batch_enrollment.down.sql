DROP INDEX session_enrollments_created_at_idx;
DROP INDEX session_enrollments_enrollment_date_idx;
DROP FUNCTION lock_session_for_capacity(uuid);
DROP FUNCTION lock_enrollment_for_cancel(uuid);
DROP FUNCTION lock_session_for_results(uuid);
DROP FUNCTION enroll_students(uuid, jsonb);
DROP FUNCTION app_sees_student_profile(uuid);
DROP FUNCTION app_may_match_account_by_email(text, text);
DROP FUNCTION app_lock_student_email(uuid, text);
