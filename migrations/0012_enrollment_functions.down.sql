DROP FUNCTION set_session_capacity(uuid, integer);
DROP FUNCTION cancel_enrollment(uuid);
DROP FUNCTION enroll_student(uuid, uuid, uuid);
DROP FUNCTION app_promote_from_waitlist(uuid);
DROP FUNCTION app_renumber_waitlist(uuid);
DROP FUNCTION app_enrollment_event(session_enrollments, text);
DROP FUNCTION app_sees_session(uuid);
DROP FUNCTION app_is_session_staff(uuid);
